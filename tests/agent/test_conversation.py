"""References across the turns of a conversation."""

from __future__ import annotations

from tests.agent.helpers import find

from crm_agent.agent.runner import AgentRunner


async def test_later_turns_refer_to_earlier_records(empty_runner: AgentRunner) -> None:
    first = await empty_runner.run("Add a contact Sarah Smith (sarah@company.com)", actor="tester")
    assert first.status == "succeeded", first.reply
    second = await empty_runner.run(
        "update her phone to 555-010-1234", actor="tester", conversation_id=first.conversation_id
    )
    assert second.status == "succeeded", second.reply
    third = await empty_runner.run(
        "create a deal for Sarah worth 12k closing end of month", actor="tester", conversation_id=first.conversation_id
    )
    assert third.status == "succeeded", third.reply
    sarah = (await find(empty_runner, "contacts", "email", "sarah@company.com"))[0]
    assert sarah.properties["phone_raw"] == "555-010-1234"
    deal_id = (await empty_runner.crm.get("contacts", sarah.id)).associations["deals"].results[0].id
    deal = await empty_runner.crm.get("deals", deal_id)
    assert deal.properties["amount"] == "12000"
    assert deal.properties["closedate"].startswith("2026-11-30")


async def test_all_three_refers_to_the_previous_turns_people(empty_runner: AgentRunner) -> None:
    first = await empty_runner.run(
        "Create contacts for Ann (ann@a.com), Ben (ben@b.com) and Cat (cat@c.com)", actor="tester"
    )
    second = await empty_runner.run(
        "create deals for all three worth $1,000 each", actor="tester", conversation_id=first.conversation_id
    )
    assert second.status == "succeeded", second.reply
    assert len(second.steps) == 3
    for email in ("ann@a.com", "ben@b.com", "cat@c.com"):
        person = (await find(empty_runner, "contacts", "email", email))[0]
        assert "deals" in (await empty_runner.crm.get("contacts", person.id)).associations
