"""Exactly-once sending: a process that dies between "sending" and "sent" does not cause a
second send when the work resumes (outbox and real SMTP; SQLite and PostgreSQL).

The crash is real: a child process claims the send and calls ``os._exit`` either before the
transport gets the message or right after the transport accepted it. The parent then runs
``resume_interrupted`` as a restarted worker would.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from outreach_helpers import LONG_ENOUGH, SmtpServer, add_contact
from sqlalchemy import select

from crm_agent import audit
from crm_agent.config import Settings
from crm_agent.crm.schemas import SearchRequest
from crm_agent.crm.service import LocalCrm
from crm_agent.errors import Conflict, PolicyDenied
from crm_agent.outreach.service import OutreachService

CHILD = Path(__file__).with_name("crash_child.py")


def crash_while_sending(settings: Settings, draft_id: int, point: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_AGENT_")}
    for name, value in settings.model_dump().items():
        if value is None:
            continue
        if hasattr(value, "get_secret_value"):
            value = value.get_secret_value()
        if isinstance(value, list):
            continue
        env[f"CRM_AGENT_{name.upper()}"] = value.isoformat() if hasattr(value, "isoformat") else str(value)
    proc = subprocess.run(
        [sys.executable, str(CHILD), str(draft_id), point],
        env=env,
        cwd=settings.data_dir,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 17, proc.stderr


async def approved_draft(outreach: OutreachService) -> int:
    ann = await add_contact(outreach.crm, "ann@acme.com")
    draft = await outreach.create_draft(ann, "Pilot recap", LONG_ENOUGH, category="sales")
    await outreach.approve(draft.id, send=False)
    return draft.id


async def actions(outreach: OutreachService, draft_id: int) -> list[str]:
    async with outreach.sessions() as s:
        rows = await s.scalars(
            select(audit.AuditEntry.action)
            .where(audit.AuditEntry.object_type == "email_drafts", audit.AuditEntry.object_id == str(draft_id))
            .order_by(audit.AuditEntry.id)
        )
        return list(rows)


async def engagements(outreach: OutreachService) -> int:
    return (await outreach.crm.search("emails", SearchRequest())).total


@pytest.mark.parametrize("point", ["before_deliver", "after_deliver"])
async def test_outbox_crash_between_sending_and_sent(outreach: OutreachService, point: str) -> None:
    draft_id = await approved_draft(outreach)
    crash_while_sending(outreach.settings, draft_id, point)
    stuck = await outreach.get(draft_id)
    assert stuck.status == "sending"
    assert len(outreach.outbox()) == (1 if point == "after_deliver" else 0)

    # a live send is not taken over before the lease runs out
    with pytest.raises(Conflict, match="is being sent"):
        await outreach.send(draft_id)

    (resumed,) = await outreach.resume_interrupted(stale_after=timedelta(0))
    assert resumed.status == "sent", resumed.failure_reason
    assert len(outreach.outbox()) == 1
    assert outreach.outbox()[0].message_id == resumed.message_id
    assert await engagements(outreach) == 1
    assert await actions(outreach, draft_id) == ["draft", "approve", "send", "send_resume", "sent"]
    assert (await outreach.quota("ann@acme.com")).recipient_used == 1

    # resuming again, or sending again, changes nothing
    assert await outreach.resume_interrupted(stale_after=timedelta(0)) == []
    assert (await outreach.send(draft_id)).status == "sent"
    assert len(outreach.outbox()) == 1 and await engagements(outreach) == 1


async def test_smtp_crash_before_the_handoff_sends_once_on_resume(
    settings: Settings, smtp_factory: Callable[..., SmtpServer]
) -> None:
    server = smtp_factory("starttls")
    outreach = OutreachService(await LocalCrm.connect(server.settings_for(settings)))
    draft_id = await approved_draft(outreach)
    crash_while_sending(outreach.settings, draft_id, "before_deliver")
    assert server.messages == []
    (resumed,) = await outreach.resume_interrupted(stale_after=timedelta(0))
    assert resumed.status == "sent", resumed.failure_reason
    assert len(server.messages) == 1


async def test_smtp_crash_after_the_server_accepted_never_sends_again(
    settings: Settings, smtp_factory: Callable[..., SmtpServer]
) -> None:
    server = smtp_factory("starttls")
    outreach = OutreachService(await LocalCrm.connect(server.settings_for(settings)))
    draft_id = await approved_draft(outreach)
    crash_while_sending(outreach.settings, draft_id, "after_deliver")
    assert len(server.messages) == 1

    (resumed,) = await outreach.resume_interrupted(stale_after=timedelta(0))
    assert resumed.status == "failed" and not resumed.retryable
    assert "may have accepted it" in resumed.failure_reason
    assert len(server.messages) == 1  # no duplicate
    # the quota stays used: the message may well be out
    assert (await outreach.quota("ann@acme.com")).recipient_used == 1
    with pytest.raises(PolicyDenied, match="not retried automatically"):
        await outreach.send(draft_id)
    assert len(server.messages) == 1


async def test_an_interrupted_timeline_logging_is_finished_without_a_duplicate(outreach: OutreachService) -> None:
    from sqlalchemy import update

    from crm_agent.outreach.models import EmailDraft

    draft_id = await approved_draft(outreach)
    sent = await outreach.send(draft_id)
    assert sent.engagement_id is not None
    # as if the process died after creating the engagement but before recording it on the draft
    async with outreach.sessions.begin() as s:
        await s.execute(update(EmailDraft).where(EmailDraft.id == draft_id).values(engagement_id=None))
    assert await outreach.resume_interrupted() == []
    assert (await outreach.get(draft_id)).engagement_id == sent.engagement_id
    assert await engagements(outreach) == 1
