"""The seed documents' example requests end to end, asserting the CRM's end state (SQLite and PostgreSQL)."""

from __future__ import annotations

from tests.agent.helpers import audit_count, find, total

from crm_agent.agent.runner import AgentRunner

SEED_MULTI = (
    "Create contacts for John Doe (john@example.com) and Sarah Smith (sarah@company.com), then create a deal "
    "for John worth $5000 and update Sarah's phone to 123-456-7890"
)


async def test_multi_intent_request_creates_links_and_updates(empty_runner: AgentRunner) -> None:
    view = await empty_runner.run(SEED_MULTI, actor="tester")
    assert view.status == "succeeded", view.reply
    assert [s.status for s in view.steps] == ["succeeded"] * 4
    john = (await find(empty_runner, "contacts", "email", "john@example.com"))[0]
    sarah = (await find(empty_runner, "contacts", "email", "sarah@company.com"))[0]
    assert (john.properties["firstname"], john.properties["lastname"]) == ("John", "Doe")
    assert sarah.properties["phone"] == "+11234567890"
    assert sarah.properties["phone_raw"] == "123-456-7890"
    deals = (await empty_runner.crm.get("contacts", john.id)).associations["deals"].results
    assert len(deals) == 1
    deal = await empty_runner.crm.get("deals", deals[0].id)
    assert deal.properties["amount"] == "5000"
    assert deal.properties["dealstage"] == "appointmentscheduled"
    assert view.steps[2].depends_on == [1]
    assert "created deal for John Doe ($5,000)" in view.reply


async def test_partial_success_skips_the_dependent_deal(empty_runner: AgentRunner) -> None:
    view = await empty_runner.run(
        "Create contacts for Eve Johnson (eve@example.com), Frank Miller (frank@example.com),"
        " and Grace Davis (grace@), then create deals for all three",
        actor="tester",
    )
    assert view.status == "partial"
    statuses = [(s.description, s.status) for s in view.steps]
    assert statuses == [
        ("create contact Eve Johnson", "succeeded"),
        ("create contact Frank Miller", "succeeded"),
        ("create contact Grace Davis", "failed"),
        ("create deal for Eve Johnson", "succeeded"),
        ("create deal for Frank Miller", "succeeded"),
        ("create deal for Grace Davis", "skipped"),
    ]
    assert "invalid email" in view.steps[2].error
    assert view.steps[5].error == "depends on the failed step 3"
    assert "skipped deal for Grace Davis: depends on the failed step 3" in view.reply
    assert await total(empty_runner, "contacts") == 2
    assert await total(empty_runner, "deals") == 2


async def test_list_of_people_then_update_by_first_name(empty_runner: AgentRunner) -> None:
    view = await empty_runner.run(
        "Create contacts for Alice (alice@company.com), Bob (bob@corp.com), and Charlie "
        "(charlie@startup.com), then update Alice's phone to 555-1234",
        actor="tester",
    )
    assert view.status == "succeeded", view.reply
    alice = (await find(empty_runner, "contacts", "email", "alice@company.com"))[0]
    assert alice.properties["phone_raw"] == "555-1234"
    assert await total(empty_runner, "contacts") == 3


async def test_pronoun_within_a_message(empty_runner: AgentRunner) -> None:
    view = await empty_runner.run(
        "Create a contact for David (david@tech.com), create a deal for him worth $10,000", actor="tester"
    )
    assert view.status == "succeeded", view.reply
    david = (await find(empty_runner, "contacts", "email", "david@tech.com"))[0]
    deal_id = (await empty_runner.crm.get("contacts", david.id)).associations["deals"].results[0].id
    assert (await empty_runner.crm.get("deals", deal_id)).properties["amount"] == "10000"


async def test_every_write_is_audited_with_run_and_step(empty_runner: AgentRunner) -> None:
    before = await audit_count(empty_runner)
    view = await empty_runner.run(SEED_MULTI, actor="tester")
    assert await audit_count(empty_runner) > before
    from sqlalchemy import select

    from crm_agent.audit import AuditEntry

    async with empty_runner.crm.sessions() as session:
        entries = (await session.scalars(select(AuditEntry).where(AuditEntry.run_id == view.id))).all()
    assert {e.actor for e in entries} == {"tester"}
    assert {e.step for e in entries} == {1, 2, 3, 4}


async def test_email_summary_is_a_draft_covering_the_new_deal(empty_runner: AgentRunner) -> None:
    from crm_agent.crm.service import LocalCrm
    from crm_agent.outreach.service import OutreachService

    settings = empty_runner.settings.model_copy(update={"email_notify_to": "me@x.com"})
    runner = AgentRunner(LocalCrm(empty_runner.crm.sessions, settings), settings)
    view = await runner.run(
        "Create a contact for David (david@tech.com), create a deal for him worth $10,000, then "
        "send me an email summary of all deals created today",
        actor="tester",
    )
    assert view.status == "succeeded", view.reply
    assert [s.tool for s in view.steps if s.risk != "read"] == ["create_record", "create_record", "draft_email"]
    drafts = await OutreachService(runner.crm).pending()
    assert len(drafts) == 1
    assert drafts[0].status == "pending"
    assert [r.email for r in drafts[0].recipients] == ["me@x.com"]
    assert "David deal" in drafts[0].body
