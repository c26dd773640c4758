"""Drafts through their life: validation, edits with history, approval, rejection, sending to the
outbox, the engagement on the contact's timeline and the audit trail (SQLite and PostgreSQL)."""

from __future__ import annotations

import email
import email.policy

import pytest
from outreach_helpers import LONG_ENOUGH, add_contact
from sqlalchemy import select

from crm_agent import audit
from crm_agent.errors import PolicyDenied, ValidationFailed
from crm_agent.outreach.service import OutreachService


def outbox_messages(outreach: OutreachService) -> list[email.message.EmailMessage]:
    return [
        email.message_from_bytes(m.path.read_bytes(), policy=email.policy.default)  # type: ignore[misc]
        for m in outreach.outbox()
    ]


async def audit_actions(outreach: OutreachService, draft_id: int) -> list[tuple[str, str]]:
    async with outreach.sessions() as s:
        rows = await s.scalars(
            select(audit.AuditEntry)
            .where(audit.AuditEntry.object_type == "email_drafts", audit.AuditEntry.object_id == str(draft_id))
            .order_by(audit.AuditEntry.id)
        )
        return [(r.action, r.actor) for r in rows]


async def test_a_draft_is_pending_with_its_checks_and_nothing_is_sent(outreach: OutreachService) -> None:
    draft = await outreach.create_draft("boss@example.com", "Pilot recap", LONG_ENOUGH, actor="agent")
    assert draft.status == "pending"
    assert {c.name: c.level for c in draft.checks} == {
        "recipients": "pass",
        "suppression": "pass",
        "subject": "pass",
        "length": "pass",
        "prohibited_terms": "pass",
        "tone": "pass",
        "placeholders": "pass",
        "unsubscribe": "pass",
    }
    assert draft.blocked == [] and draft.created_by == "agent"
    assert outreach.outbox() == []
    assert [d.id for d in await outreach.pending()] == [draft.id]


async def test_approving_sends_once_to_the_outbox_and_logs_it_on_the_timeline(outreach: OutreachService) -> None:
    ann = await add_contact(outreach.crm, "ann@acme.com")
    draft = await outreach.create_draft(ann, "Pilot recap", LONG_ENOUGH, category="sales", actor="agent")
    assert draft.recipients[0].email == "ann@acme.com" and draft.recipients[0].contact_id == ann
    assert draft.recipients[0].name == "Ann Lee"
    sent = await outreach.approve(draft.id, actor="olivia")
    assert sent.status == "sent", sent.failure_reason
    assert sent.decided_by == "olivia" and sent.transport == "outbox"

    (message,) = outbox_messages(outreach)
    assert message["Message-ID"] == sent.message_id
    assert sent.message_id.startswith("<crm-agent.")
    assert message["To"] == "Ann Lee <ann@acme.com>"
    assert message["Subject"] == "Pilot recap"
    token_url = message["List-Unsubscribe"].strip("<>")
    assert token_url.startswith("http://localhost:8000/unsubscribe/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert token_url in message.get_content()

    # sending again is a no-op: still one message
    again = await outreach.send(draft.id)
    assert again.status == "sent" and len(outreach.outbox()) == 1

    engagement = await outreach.crm.get("emails", sent.engagement_id)
    assert engagement.properties["hs_email_subject"] == "Pilot recap"
    assert engagement.properties["hs_email_direction"] == "EMAIL"
    assert engagement.properties["hs_email_to_email"] == "ann@acme.com"
    assert [a.id for a in engagement.associations["contacts"].results] == [ann]
    contact = await outreach.crm.get("contacts", ann)
    assert [a.id for a in contact.associations["emails"].results] == [sent.engagement_id]

    actions = await audit_actions(outreach, draft.id)
    assert actions == [("draft", "agent"), ("approve", "olivia"), ("send", "olivia"), ("sent", "olivia")]
    async with outreach.sessions() as s:
        assert (await audit.verify_chain(s)).ok


async def test_an_edit_is_recorded_with_before_after_and_needs_a_new_approval(outreach: OutreachService) -> None:
    draft = await outreach.create_draft("boss@example.com", "Pilot recap", LONG_ENOUGH)
    await outreach.approve(draft.id, actor="olivia", send=False)
    edited = await outreach.edit(draft.id, subject="Pilot recap and next steps", actor="olivia")
    assert edited.status == "pending" and edited.decided_by is None
    (edit,) = edited.edits
    assert edit.actor == "olivia"
    assert edit.before["subject"] == "Pilot recap" and edit.after["subject"] == "Pilot recap and next steps"
    assert "-Subject: Pilot recap\n+Subject: Pilot recap and next steps" in edit.diff
    # an edit that changes nothing records nothing
    same = await outreach.edit(draft.id, subject="Pilot recap and next steps")
    assert len(same.edits) == 1
    assert [a for a, _ in await audit_actions(outreach, draft.id)] == ["draft", "approve", "edit"]


async def test_rejection_needs_a_reason_and_is_final(outreach: OutreachService) -> None:
    draft = await outreach.create_draft("boss@example.com", "Pilot recap", LONG_ENOUGH)
    with pytest.raises(ValidationFailed, match="reason"):
        await outreach.reject(draft.id, "  ")
    rejected = await outreach.reject(draft.id, "wrong customer", actor="olivia")
    assert rejected.status == "rejected" and rejected.reject_reason == "wrong customer"
    with pytest.raises(PolicyDenied, match="rejected"):
        await outreach.approve(draft.id)
    with pytest.raises(PolicyDenied, match="rejected"):
        await outreach.send(draft.id)
    assert outreach.outbox() == []
    assert [a for a, _ in await audit_actions(outreach, draft.id)] == ["draft", "reject"]


async def test_a_pending_draft_cannot_be_sent_without_approval(outreach: OutreachService) -> None:
    draft = await outreach.create_draft("boss@example.com", "Pilot recap", LONG_ENOUGH)
    with pytest.raises(PolicyDenied, match="approve it"):
        await outreach.send(draft.id)
    assert outreach.outbox() == []


async def test_blocked_drafts_cannot_be_approved_and_say_why(outreach: OutreachService) -> None:
    draft = await outreach.create_draft("grace@", "Hi", "Too short", category="marketing")
    blocked = dict(b.split(": ", 1) for b in draft.blocked)
    assert set(blocked) == {"recipients", "length"}
    assert "invalid address 'grace@'" in blocked["recipients"]
    with pytest.raises(PolicyDenied, match="cannot be approved: recipients: invalid address"):
        await outreach.approve(draft.id)
    assert (await outreach.get(draft.id)).status == "pending"
    assert outreach.outbox() == []


async def test_an_opt_out_after_approval_still_stops_the_send(outreach: OutreachService) -> None:
    ann = await add_contact(outreach.crm, "ann@acme.com")
    draft = await outreach.create_draft(ann, "Pilot recap", LONG_ENOUGH, category="notification")
    await outreach.approve(draft.id, send=False)
    await outreach.crm.update("contacts", ann, {"hs_email_optout": "true"})
    result = await outreach.send(draft.id)
    assert result.status == "failed" and not result.retryable
    assert result.failure_reason == "blocked at send time: suppression: opted out of email: ann@acme.com"
    assert outreach.outbox() == []
    assert [a for a, _ in await audit_actions(outreach, draft.id)] == ["draft", "approve", "send_refused"]


async def test_suppressed_addresses_are_blocked(outreach: OutreachService) -> None:
    assert await outreach.suppress("Bounced@Example.com", "hard bounce")
    draft = await outreach.create_draft("bounced@example.com", "Pilot recap", LONG_ENOUGH)
    assert draft.blocked == ["suppression: on the suppression list: bounced@example.com"]


async def test_send_now_approves_as_the_caller_and_sends(outreach: OutreachService) -> None:
    draft = await outreach.create_draft("boss@example.com", "Pilot recap", LONG_ENOUGH, actor="playbook", send_now=True)
    assert draft.status == "sent" and draft.decided_by == "playbook"
    assert len(outreach.outbox()) == 1


async def test_sales_email_to_an_owner_needs_no_unsubscribe_link(outreach: OutreachService) -> None:
    await outreach.crm.create_owner("olivia@ourco.com", "Olivia", "Owner")
    draft = await outreach.create_draft("olivia@ourco.com", "Pilot recap", LONG_ENOUGH, category="sales")
    assert "unsubscribe" not in draft.body and draft.blocked == []


async def test_editing_the_recipient_of_a_sales_draft_moves_the_unsubscribe_link(outreach: OutreachService) -> None:
    draft = await outreach.create_draft("ann@acme.com", "Pilot recap", LONG_ENOUGH, category="sales")
    old_link = draft.body.strip().splitlines()[-1]
    edited = await outreach.edit(draft.id, to="bob@acme.com")
    assert old_link not in edited.body
    assert edited.body.count("/unsubscribe/") == 1 and edited.blocked == []
    removed = await outreach.edit(draft.id, body=LONG_ENOUGH)
    assert removed.blocked == [
        "unsubscribe: sales email needs the recipient's unsubscribe link in the body (missing for bob@acme.com)"
    ]


async def test_sales_email_goes_to_one_recipient(outreach: OutreachService) -> None:
    draft = await outreach.create_draft(["a@acme.com", "b@acme.com"], "Pilot recap", LONG_ENOUGH, category="sales")
    assert any(b.startswith("recipients: sales emails go to one recipient each") for b in draft.blocked)


async def test_recipients_by_contact_id_and_address_are_linked_and_deduplicated(outreach: OutreachService) -> None:
    ann = await add_contact(outreach.crm, "ann@acme.com")
    draft = await outreach.create_draft(
        [ann, "Ann <ANN@acme.com>", f"contact:{ann}", "Bob Stone <bob@acme.com>"], "Pilot recap", LONG_ENOUGH
    )
    assert [(r.email, r.name, r.contact_id) for r in draft.recipients] == [
        ("ann@acme.com", "Ann Lee", ann),
        ("bob@acme.com", "Bob Stone", None),
    ]
