"""Quotas at send time: 20 per sender per day and 2 per recipient per week by default, both
configurable; approvals racing for the last slot send exactly one email (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from outreach_helpers import LONG_ENOUGH, add_contact

from crm_agent.config import Settings
from crm_agent.crm.service import LocalCrm
from crm_agent.outreach.service import OutreachService


async def test_two_per_recipient_per_week(outreach: OutreachService) -> None:
    ann = await add_contact(outreach.crm, "ann@acme.com")
    for _ in range(2):
        draft = await outreach.create_draft(ann, "Pilot recap", LONG_ENOUGH, send_now=True)
        assert draft.status == "sent"
    quota = await outreach.quota("ANN@acme.com")
    assert (quota.recipient_used, quota.recipient_left, quota.recipient_limit) == (2, 0, 2)
    assert quota.recipient_next_slot_at == outreach.now() + timedelta(days=7)
    assert (quota.sender_used, quota.sender_left) == (2, 18)

    third = await outreach.create_draft(ann, "Pilot recap", LONG_ENOUGH, send_now=True)
    assert third.status == "failed" and third.retryable
    assert third.failure_reason == (
        "quota exceeded: ann@acme.com has received 2 of 2 emails allowed per week "
        "(a slot frees at 2026-11-27 09:00 UTC)"
    )
    assert len(outreach.outbox()) == 2

    # a week later the slot is free again and the same draft can be retried
    later = OutreachService(LocalCrm(outreach.sessions, _at(outreach.settings, days=7, minutes=1)))
    assert (await later.send(third.id)).status == "sent"


async def test_twenty_per_sender_per_day_then_the_next_day(outreach: OutreachService) -> None:
    for i in range(20):
        assert (await outreach.create_draft(f"p{i}@example.com", "Recap", LONG_ENOUGH, send_now=True)).status == "sent"
    over = await outreach.create_draft("p20@example.com", "Recap", LONG_ENOUGH, send_now=True)
    assert over.status == "failed"
    assert over.failure_reason.startswith("quota exceeded: crm-agent@localhost has sent 20 of 20 emails allowed today")
    quota = await outreach.quota("p20@example.com")
    assert (quota.sender_used, quota.sender_left) == (20, 0)
    tomorrow = OutreachService(LocalCrm(outreach.sessions, _at(outreach.settings, hours=15)))
    assert (await tomorrow.send(over.id)).status == "sent"


async def test_owners_have_no_recipient_limit(outreach: OutreachService) -> None:
    await outreach.crm.create_owner("olivia@ourco.com", "Olivia", "Owner")
    for _ in range(3):
        assert (await outreach.create_draft("olivia@ourco.com", "Recap", LONG_ENOUGH, send_now=True)).status == "sent"
    quota = await outreach.quota("olivia@ourco.com")
    assert quota.recipient_exempt and quota.recipient_used == 0


async def test_limits_are_configurable(settings: Settings) -> None:
    custom = Settings(**{**settings.model_dump(), "email_quota_contact_per_week": 1, "email_quota_sender_per_day": 5})
    outreach = OutreachService(await LocalCrm.connect(custom))
    assert (await outreach.create_draft("a@example.com", "Recap", LONG_ENOUGH, send_now=True)).status == "sent"
    second = await outreach.create_draft("a@example.com", "Recap", LONG_ENOUGH, send_now=True)
    assert "1 of 1 emails allowed per week" in second.failure_reason
    assert (await outreach.quota("a@example.com")).sender_limit == 5


async def test_approvals_racing_for_the_last_recipient_slot_send_exactly_one(outreach: OutreachService) -> None:
    ann = await add_contact(outreach.crm, "ann@acme.com")
    assert (await outreach.create_draft(ann, "First", LONG_ENOUGH, send_now=True)).status == "sent"
    drafts = [await outreach.create_draft(ann, f"Racer {i}", LONG_ENOUGH) for i in range(8)]
    results = await asyncio.gather(*(outreach.approve(d.id, actor=f"op{i}") for i, d in enumerate(drafts)))
    assert sorted(r.status for r in results) == ["failed"] * 7 + ["sent"]
    assert all("quota exceeded" in r.failure_reason for r in results if r.status == "failed")
    assert len(outreach.outbox()) == 2
    assert (await outreach.quota("ann@acme.com")).recipient_used == 2


async def test_approvals_racing_for_the_last_sender_slot_send_exactly_one(outreach: OutreachService) -> None:
    for i in range(19):
        assert (await outreach.create_draft(f"p{i}@example.com", "Recap", LONG_ENOUGH, send_now=True)).status == "sent"
    a = await outreach.create_draft("x@example.com", "Recap", LONG_ENOUGH)
    b = await outreach.create_draft("y@example.com", "Recap", LONG_ENOUGH)
    results = await asyncio.gather(outreach.approve(a.id), outreach.approve(b.id))
    assert sorted(r.status for r in results) == ["failed", "sent"]
    assert len(outreach.outbox()) == 20
    assert (await outreach.quota("z@example.com")).sender_used == 20


def _at(settings: Settings, **delta: int) -> Settings:
    return Settings(**{**settings.model_dump(), "now": settings.current_time() + timedelta(**delta)})
