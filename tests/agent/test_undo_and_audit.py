"""Undo of a run's writes and the hash-chained audit log."""

from __future__ import annotations

import pytest
from sqlalchemy import update
from tests.agent.helpers import find

from crm_agent import audit
from crm_agent.agent.runner import AgentRunner
from crm_agent.errors import UndoRefused


async def test_undo_reverts_creates_and_updates_in_reverse(runner: AgentRunner) -> None:
    quinn = (await find(runner, "contacts", "firstname", "Quinn"))[0]
    old_phone = quinn.properties["phone"]
    view = await runner.run(
        "Create a contact for Ann Lee (ann@lee.com) and update Quinn's phone to 555-010-7777", actor="tester"
    )
    assert view.status == "succeeded", view.reply
    undone = await runner.undo(view.id, actor="tester")
    assert undone.status == "undone"
    assert await find(runner, "contacts", "email", "ann@lee.com") == []
    assert (await runner.crm.get("contacts", quinn.id)).properties["phone"] == old_phone


async def test_undo_refuses_when_a_later_change_would_be_lost(runner: AgentRunner) -> None:
    quinn = (await find(runner, "contacts", "firstname", "Quinn"))[0]
    view = await runner.run("Update Quinn's phone to 555-010-7777", actor="tester")
    await runner.crm.update("contacts", quinn.id, {"phone": "555-010-8888"})
    with pytest.raises(UndoRefused, match=rf"contact {quinn.id} \(Quinn Foster\) was changed after this run"):
        await runner.undo(view.id, actor="tester")
    assert (await runner.crm.get("contacts", quinn.id)).properties["phone_raw"] == "555-010-8888"


async def test_audit_chain_verifies_and_detects_tampering(runner: AgentRunner) -> None:
    await runner.run("Create a contact for Ann Lee (ann@lee.com)", actor="tester")
    async with runner.crm.sessions() as session:
        report = await audit.verify_chain(session)
    assert report.ok and report.entries > 0
    async with runner.crm.sessions.begin() as session:
        await session.execute(update(audit.AuditEntry).where(audit.AuditEntry.id == 3).values(actor="mallory"))
    async with runner.crm.sessions() as session:
        report = await audit.verify_chain(session)
    assert not report.ok
    assert report.first_bad_id == 3
    assert report.reason == "content does not match its hash"
