"""The CRM service's writes on SQLite and PostgreSQL: create, get, update, archive, restore, batches
with per-record errors, dedup and upsert, custom properties, owners, pipelines and stage history,
associations, and the audit entry every write leaves."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from crm_agent import audit
from crm_agent.crm import writes
from crm_agent.crm.schemas import RecordInput, SearchRequest
from crm_agent.crm.service import LocalCrm
from crm_agent.errors import Conflict, NotFound, ValidationFailed

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
NOW_API = "2026-11-20T09:00:00.000Z"


async def audit_entries(crm: LocalCrm) -> list[audit.AuditEntry]:
    async with crm.sessions() as session:
        return list((await session.scalars(select(audit.AuditEntry).order_by(audit.AuditEntry.id))).all())


async def count(crm: LocalCrm, object_type: str) -> int:
    return await crm.count(object_type, SearchRequest())


async def test_create_normalizes_values_and_get_reads_them_back(crm: LocalCrm) -> None:
    raj = await crm.create_owner("Raj@Example.com", "Raj", "Patel")
    created = await crm.create(
        "contacts",
        {
            "email": " José.Núñez@Acme.COM ",
            "firstname": " José ",
            "lastname": "Núñez",
            "phone": "+1 (555) 010-2000",
            "lifecyclestage": "Marketing Qualified Lead",
            "hs_lead_status": "in progress",
            "hubspot_owner_id": "Raj Patel",
            "notes_last_contacted": "11/30/2023",
            "hs_email_optout": "no",
        },
    )
    assert created.properties["email"] == "josé.núñez@acme.com"
    assert created.properties["firstname"] == "José"
    assert created.properties["phone"] == "+15550102000"
    assert created.properties["phone_raw"] == "+1 (555) 010-2000"
    assert created.properties["lifecyclestage"] == "marketingqualifiedlead"
    assert created.properties["hs_lead_status"] == "IN_PROGRESS"
    assert created.properties["hubspot_owner_id"] == raj.id
    assert created.properties["notes_last_contacted"] == "2023-11-30T00:00:00.000Z"
    assert created.properties["hs_email_optout"] == "false"
    assert created.properties["createdate"] == created.properties["lastmodifieddate"] == NOW_API
    assert created.createdAt == NOW and created.archived is False
    fetched = await crm.get("contacts", created.id)
    assert fetched.model_dump() == created.model_dump()
    assert fetched.model_dump(mode="json")["createdAt"] == "2026-11-20T09:00:00Z"


async def test_company_and_deal_values(crm: LocalCrm) -> None:
    company = await crm.create(
        "companies",
        {
            "name": "Acme Café",
            "domain": "https://www.Acme.com/about?x=1",
            "numberofemployees": "1,200",
            "annualrevenue": "$5,000,000.50",
            "country": "France",
        },
    )
    assert company.properties["domain"] == "acme.com"
    assert company.properties["numberofemployees"] == "1200"
    assert company.properties["annualrevenue"] == "5000000.5"
    deal = await crm.create("deals", {"dealname": "Acme renewal", "amount": "$5,000.00", "closedate": "2026-12-31"})
    assert deal.properties["amount"] == "5000"
    assert deal.properties["deal_currency_code"] == "USD"
    assert deal.properties["pipeline"] == "default"
    assert deal.properties["dealstage"] == "appointmentscheduled"
    euro = await crm.create("deals", {"dealname": "Berlin", "amount": "2500.5", "deal_currency_code": "eur"})
    assert (euro.properties["amount"], euro.properties["deal_currency_code"]) == ("2500.5", "EUR")


async def test_update_clear_and_no_op_update(crm: LocalCrm) -> None:
    contact = await crm.create("contacts", {"email": "ann@x.com", "firstname": "Ann", "phone": "555-010-2000"})
    updated = await crm.update("contacts", contact.id, {"lastname": "Lee", "phone": ""})
    assert updated.properties["lastname"] == "Lee"
    assert updated.properties["phone"] is None and updated.properties["phone_raw"] is None
    assert updated.properties["firstname"] == "Ann"
    before = len(await audit_entries(crm))
    same = await crm.update("contacts", contact.id, {"firstname": "Ann", "lastname": "Lee"})
    assert same.properties == updated.properties
    assert len(await audit_entries(crm)) == before  # nothing changed, nothing written
    with pytest.raises(NotFound, match="contact 999 not found"):
        await crm.update("contacts", "999", {"firstname": "X"})
    with pytest.raises(NotFound, match="ids are numbers"):
        await crm.get("contacts", "abc")


async def test_bad_values_name_field_value_and_what_is_accepted(crm: LocalCrm) -> None:
    await crm.create_owner("raj@example.com", "Raj", "Patel")
    cases = [
        ("contacts", {"email": "grace@"}, "email", "expected name@example.com"),
        ("contacts", {"phone": "call me"}, "phone", "7 to 15 digits"),
        ("contacts", {"lifecyclestage": "Hot Prospect"}, "lifecyclestage", "accepted: subscriber"),
        ("contacts", {"hubspot_owner_id": "Nobody"}, "hubspot_owner_id", "owners: Raj Patel <raj@example.com>"),
        ("contacts", {"notes_last_contacted": "someday"}, "notes_last_contacted", "expected a date"),
        ("contacts", {"hs_email_optout": "maybe"}, "hs_email_optout", "expected true or false"),
        ("contacts", {"favourite": "x"}, "favourite", "crm-agent properties list contacts"),
        ("contacts", {"createdate": "2026-01-01"}, "createdate", "read-only"),
        ("contacts", {"firstname": "x" * 101}, "firstname", "at most 100"),
        ("companies", {"domain": "not a domain"}, "domain", "expected a domain"),
        ("companies", {"numberofemployees": "1.5"}, "numberofemployees", "whole number"),
        ("deals", {"amount": "lots"}, "amount", "expected a number"),
        ("deals", {"dealstage": "won-ish"}, "dealstage", "accepted: appointmentscheduled"),
        ("deals", {"pipeline": "nope"}, "pipeline", "pipelines: default (Sales Pipeline)"),
        ("deals", {"deal_currency_code": "dollars"}, "deal_currency_code", "3-letter"),
    ]
    for object_type, props, field, accepted in cases:
        with pytest.raises(ValidationFailed) as info:
            await crm.create(object_type, props)
        (error,) = info.value.errors
        assert (error.field, error.value) == (field, next(iter(props.values())))
        assert accepted in error.message, (field, error.message)
    for object_type in ("contacts", "companies", "deals"):
        assert await count(crm, object_type) == 0
    with pytest.raises(ValidationFailed) as info:
        await crm.create("contacts", {"email": "bad@", "phone": "x", "lifecyclestage": "nope"})
    assert [e.field for e in info.value.errors] == ["email", "phone", "lifecyclestage"]


async def test_batch_reports_per_record_and_writes_only_the_good_ones(crm: LocalCrm) -> None:
    result = await crm.batch_create(
        "contacts",
        [
            RecordInput(properties={"email": "eve@example.com", "firstname": "Eve"}),
            RecordInput(properties={"email": "grace@", "firstname": "Grace"}),
            RecordInput(properties={"email": "frank@example.com", "lifecyclestage": "wrong"}),
            RecordInput(properties={"email": "EVE@example.com"}),
            RecordInput(
                properties={"email": "hal@example.com"}, associations=[{"to": {"id": "9"}, "objectType": "companies"}]
            ),
            RecordInput(properties={"email": "ida@example.com"}),
        ],
    )
    assert (result.created, result.updated) == (2, 0)
    assert [r.properties["email"] for r in result.results] == ["eve@example.com", "ida@example.com"]
    errors = {e.index: (e.category, e.message) for e in result.errors}
    assert errors[1][0] == "VALIDATION_ERROR" and "email" in errors[1][1]
    assert errors[2][0] == "VALIDATION_ERROR" and "lifecyclestage" in errors[2][1]
    assert errors[3] == ("CONFLICT", "email eve@example.com repeats input 0 of this batch")
    assert errors[4] == ("OBJECT_NOT_FOUND", "company 9 not found")
    assert await count(crm, "contacts") == 2
    with pytest.raises(ValidationFailed, match="at most 100"):
        await crm.batch_create("contacts", [RecordInput(properties={}) for _ in range(101)])
    big = await crm.batch_create(
        "contacts", [RecordInput(properties={"email": f"p{i}@x.com"}) for i in range(150)], limit=None
    )
    assert big.created == 150
    updates = await crm.batch_update(
        "contacts",
        [
            RecordInput(id=result.results[0].id, properties={"lastname": "Johnson"}),
            RecordInput(id="99999", properties={"lastname": "Nobody"}),
            RecordInput(id=result.results[1].id, properties={"phone": "12"}),
        ],
    )
    assert updates.updated == 1 and updates.results[0].properties["lastname"] == "Johnson"
    assert [(e.index, e.category) for e in updates.errors] == [(1, "OBJECT_NOT_FOUND"), (2, "VALIDATION_ERROR")]


async def test_duplicates_name_the_existing_record_and_upsert_updates_it(crm: LocalCrm) -> None:
    ann = await crm.create("contacts", {"email": "ann@acme.com", "firstname": "Ann"})
    with pytest.raises(Conflict) as info:
        await crm.create("contacts", {"email": " ANN@Acme.com"})
    assert info.value.existing_id == ann.id
    assert str(info.value) == f"a contact with email ann@acme.com already exists: id {ann.id}"
    acme = await crm.create("companies", {"name": "Acme", "domain": "acme.com"})
    with pytest.raises(Conflict, match=f"a company with domain acme.com already exists: id {acme.id}"):
        await crm.create("companies", {"name": "Acme again", "domain": "https://www.ACME.com/contact"})
    other = await crm.create("contacts", {"email": "bob@acme.com"})
    with pytest.raises(Conflict, match="already exists"):
        await crm.update("contacts", other.id, {"email": "ann@acme.com"})

    upserted = await crm.upsert("contacts", {"email": "Ann@Acme.com", "lastname": "Lee"})
    assert upserted.id == ann.id
    assert (upserted.properties["firstname"], upserted.properties["lastname"]) == ("Ann", "Lee")
    new = await crm.upsert("contacts", {"email": "cy@acme.com"})
    assert new.id not in {ann.id, other.id}
    batch = await crm.batch_upsert(
        "contacts",
        [
            RecordInput(properties={"email": "dee@acme.com", "firstname": "Dee"}),
            RecordInput(properties={"email": "DEE@acme.com", "lastname": "Doe"}),
            RecordInput(properties={"email": "ann@acme.com", "jobtitle": "CEO"}),
        ],
    )
    assert (batch.created, batch.updated) == (1, 2)
    dee = await crm.get("contacts", batch.results[0].id)
    assert (dee.properties["firstname"], dee.properties["lastname"]) == ("Dee", "Doe")
    assert batch.results[2].id == ann.id
    with pytest.raises(ValidationFailed, match="upsert needs contacts or companies"):
        await crm.upsert("deals", {"dealname": "x"})

    await crm.archive("contacts", other.id)
    with pytest.raises(Conflict, match="archived; restore it first") as info:
        await crm.upsert("contacts", {"email": "bob@acme.com", "firstname": "Bob"})
    assert info.value.existing_id == other.id
    with pytest.raises(Conflict, match="archived"):
        await crm.create("contacts", {"email": "bob@acme.com"})


async def test_archive_and_restore(crm: LocalCrm) -> None:
    contact = await crm.create("contacts", {"email": "ann@acme.com"})
    archived = await crm.archive("contacts", contact.id)
    assert archived.archived is True
    with pytest.raises(NotFound):
        await crm.get("contacts", contact.id)
    assert (await crm.get("contacts", contact.id, archived=True)).archived is True
    assert await count(crm, "contacts") == 0
    assert (await crm.search("contacts", SearchRequest(archived=True))).total == 1
    with pytest.raises(NotFound, match="no active contact"):
        await crm.archive("contacts", contact.id)
    with pytest.raises(NotFound):
        await crm.update("contacts", contact.id, {"firstname": "x"})
    restored = await crm.restore("contacts", contact.id)
    assert restored.archived is False and await count(crm, "contacts") == 1
    with pytest.raises(NotFound, match="no archived contact"):
        await crm.restore("contacts", contact.id)
    assert [e.action for e in await audit_entries(crm)] == ["create", "archive", "restore"]


async def test_custom_properties_are_defined_and_validated(crm: LocalCrm) -> None:
    tier = await crm.create_property("contacts", "tier", "Tier", "enumeration", ["Gold", "Silver Plus"])
    assert tier.options == [("gold", "Gold"), ("silver_plus", "Silver Plus")]
    for name, type_ in [("score", "number"), ("renewal", "date"), ("seen_at", "datetime"), ("vip", "bool")]:
        await crm.create_property("contacts", name, name.title(), type_)
    await crm.create_property("contacts", "nickname", "Nickname", "string")
    defs = await crm.properties("contacts")
    assert defs["tier"].custom and not defs["email"].custom
    assert defs["tier"].to_api("contacts")["options"][1] == {"value": "silver_plus", "label": "Silver Plus"}

    contact = await crm.create(
        "contacts",
        {
            "email": "a@x.com",
            "tier": "silver plus",
            "score": "1,250.5",
            "renewal": "12/31/2026",
            "seen_at": "2026-11-20T10:30:00+01:00",
            "vip": "Yes",
            "nickname": " Al ",
        },
    )
    assert {k: contact.properties[k] for k in ("tier", "score", "renewal", "seen_at", "vip", "nickname")} == {
        "tier": "silver_plus",
        "score": "1250.5",
        "renewal": "2026-12-31T00:00:00.000Z",
        "seen_at": "2026-11-20T09:30:00.000Z",
        "vip": "true",
        "nickname": "Al",
    }
    by_value = await crm.update("contacts", contact.id, {"tier": "gold", "nickname": ""})
    assert by_value.properties["tier"] == "gold" and by_value.properties.get("nickname") is None
    with pytest.raises(ValidationFailed) as info:
        await crm.update("contacts", contact.id, {"tier": "Bronze", "score": "many", "renewal": "soon", "vip": "2"})
    assert [e.field for e in info.value.errors] == ["tier", "score", "renewal", "vip"]
    assert "accepted: gold (Gold), silver_plus (Silver Plus)" in info.value.errors[0].message
    assert (await crm.get("contacts", contact.id)).properties["tier"] == "gold"

    with pytest.raises(ValidationFailed) as info:
        await crm.create_property("contacts", "Bad Name", "x", "colour")
    assert [e.field for e in info.value.errors] == ["name", "type"]
    with pytest.raises(ValidationFailed, match="at least one option"):
        await crm.create_property("contacts", "size", "Size", "enumeration", [])
    with pytest.raises(Conflict, match="already have a property named 'email'"):
        await crm.create_property("contacts", "email", "Email", "string")
    with pytest.raises(Conflict):
        await crm.create_property("contacts", "tier", "Tier", "string")
    await crm.create_property("deals", "tier", "Deal tier", "string")  # per object type


async def test_owners_are_resolved_by_id_email_or_name(crm: LocalCrm) -> None:
    raj = await crm.create_owner("raj@example.com", "Raj", "Patel")
    sofia = await crm.create_owner("sofia@example.com", "Sofía", "García")
    await crm.create_owner("greg.hall@example.com", "Greg", "Hall")
    await crm.create_owner("greg.young@example.com", "Greg", "Young")
    assert [o.email for o in await crm.list_owners()][:2] == ["raj@example.com", "sofia@example.com"]
    with pytest.raises(Conflict, match="already exists"):
        await crm.create_owner("RAJ@example.com")
    with pytest.raises(ValidationFailed, match="email"):
        await crm.create_owner("raj@")
    for ref, owner in [
        (raj.id, raj),
        ("RAJ@EXAMPLE.COM", raj),
        ("raj patel", raj),
        ("Raj", raj),
        ("Patel", raj),
        ("sofia garcia", sofia),
        ("SOFÍA", sofia),
    ]:
        record = await crm.create("deals", {"dealname": f"deal {ref}", "hubspot_owner_id": ref})
        assert record.properties["hubspot_owner_id"] == owner.id, ref
    with pytest.raises(ValidationFailed, match="matches several owners"):
        await crm.create("deals", {"hubspot_owner_id": "greg"})
    with pytest.raises(ValidationFailed, match="no owner matches 'Nadia'"):
        await crm.create("deals", {"hubspot_owner_id": "Nadia"})


async def test_default_pipeline_stages_history_and_closing(crm: LocalCrm) -> None:
    (pipeline,) = await crm.list_pipelines()
    assert (pipeline.id, pipeline.label) == ("default", "Sales Pipeline")
    assert [(s.id, s.metadata["probability"], s.metadata["isClosed"]) for s in pipeline.stages] == [
        ("appointmentscheduled", "0.2", "false"),
        ("qualifiedtobuy", "0.4", "false"),
        ("presentationscheduled", "0.6", "false"),
        ("decisionmakerboughtin", "0.8", "false"),
        ("contractsent", "0.9", "false"),
        ("closedwon", "1", "true"),
        ("closedlost", "0", "true"),
    ]
    deal = await crm.create("deals", {"dealname": "Acme", "amount": 100})
    assert deal.properties["closedate"] is None
    token = audit.current_write_context.set(audit.WriteContext(actor="raj"))
    try:
        await crm.update("deals", deal.id, {"dealstage": "Contract Sent"})
        await crm.update("deals", deal.id, {"amount": 200})  # no stage change, no history
        won = await crm.update("deals", deal.id, {"dealstage": "closed won"})
    finally:
        audit.current_write_context.reset(token)
    assert won.properties["closedate"] == NOW_API  # closing sets the close date
    history = await crm.stage_history(deal.id)
    assert [(h["from"], h["to"], h["by"]) for h in history] == [
        (None, "appointmentscheduled", "system"),
        ("appointmentscheduled", "contractsent", "raj"),
        ("contractsent", "closedwon", "raj"),
    ]
    assert history[0]["at"] == NOW

    renewals = await crm.create_pipeline("Renewals", [("Up for renewal", 0.5, False), ("Renewed", "1", True)])
    assert [s.id for s in renewals.stages] == ["renewals_upforrenewal", "renewals_renewed"]
    assert renewals.stages[0].metadata["probability"] == "0.5"
    moved = await crm.update("deals", deal.id, {"pipeline": "Renewals", "dealstage": "Up for renewal"})
    assert (moved.properties["pipeline"], moved.properties["dealstage"]) == ("renewals", "renewals_upforrenewal")
    with pytest.raises(ValidationFailed, match="is not a stage of Sales Pipeline"):
        await crm.update("deals", deal.id, {"pipeline": "default"})
    with pytest.raises(ValidationFailed, match="a deal always has one"):
        await crm.update("deals", deal.id, {"dealstage": ""})
    with pytest.raises(ValidationFailed, match="not a stage of Renewals"):
        await crm.update("deals", deal.id, {"dealstage": "contractsent"})
    with pytest.raises(Conflict):
        await crm.create_pipeline("renewals", [("x", 0, False)])
    with pytest.raises(ValidationFailed, match="between 0 and 1"):
        await crm.create_pipeline("Odd", [("x", 2, False)])
    fresh = await crm.create("deals", {"dealname": "New renewal", "pipeline": "renewals"})
    assert fresh.properties["dealstage"] == "renewals_upforrenewal"


async def test_associations(crm: LocalCrm) -> None:
    ann = await crm.create("contacts", {"email": "ann@acme.com"})
    acme = await crm.create("companies", {"name": "Acme", "domain": "acme.com"})
    globex = await crm.create("companies", {"name": "Globex", "domain": "globex.com"})
    deal = await crm.create(
        "deals",
        {"dealname": "Acme deal"},
        [{"to": {"id": ann.id}, "objectType": "contacts"}, {"to": {"id": acme.id}, "objectType": "company"}],
    )
    assert {t: [(a.id, a.type) for a in lst.results] for t, lst in deal.associations.items()} == {
        "contacts": [(ann.id, "deal_to_contact")],
        "companies": [(acme.id, "deal_to_company")],
    }
    await crm.associate("contacts", ann.id, "companies", acme.id, primary=True)
    await crm.associate("contacts", ann.id, "companies", globex.id, primary=True)  # demotes acme
    await crm.associate("companies", globex.id, "contacts", ann.id, primary=True)  # same link, idempotent
    links = (await crm.get("contacts", ann.id)).associations
    assert [(a.id, a.type) for a in links["companies"].results] == [
        (acme.id, "contact_to_company"),
        (globex.id, "contact_to_company_primary"),
    ]
    assert [(a.id, a.type) for a in links["deals"].results] == [(deal.id, "contact_to_deal")]
    seen_from_company = (await crm.get("companies", globex.id)).associations
    assert [(a.id, a.type) for a in seen_from_company["contacts"].results] == [(ann.id, "company_to_contact")]
    note = await crm.create("notes", {"hs_note_body": "Called Ann", "hs_timestamp": "2026-11-19T15:00:00Z"})
    await crm.associate("notes", note.id, "contacts", ann.id)
    assert [a.id for a in (await crm.get("contacts", ann.id)).associations["notes"].results] == [note.id]
    assert await crm.disassociate("contacts", ann.id, "companies", acme.id) is True
    assert await crm.disassociate("contacts", ann.id, "companies", acme.id) is False
    with pytest.raises(ValidationFailed, match="no default association"):
        await crm.associate("notes", note.id, "tasks", 1)
    with pytest.raises(NotFound, match="company 999 not found"):
        await crm.associate("contacts", ann.id, "companies", 999)
    await crm.archive("companies", acme.id)
    with pytest.raises(NotFound):
        await crm.associate("deals", deal.id, "companies", acme.id)


async def test_engagements(crm: LocalCrm) -> None:
    raj = await crm.create_owner("raj@example.com", "Raj", "Patel")
    task = await crm.create(
        "tasks",
        {
            "hs_task_subject": "Call Ann",
            "hs_task_status": "not started",
            "hs_task_priority": "High",
            "hs_task_type": "call",
            "hs_timestamp": "2026-11-21T09:00:00Z",
            "hubspot_owner_id": "Raj",
        },
    )
    assert (task.properties["hs_task_status"], task.properties["hs_task_type"]) == ("NOT_STARTED", "CALL")
    assert task.properties["hubspot_owner_id"] == raj.id
    with pytest.raises(ValidationFailed, match="accepted: NOT_STARTED"):
        await crm.update("tasks", task.id, {"hs_task_status": "done-ish"})
    done = await crm.update("tasks", task.id, {"hs_task_status": "Completed"})
    assert done.properties["hs_task_status"] == "COMPLETED"
    meeting = await crm.create(
        "meetings",
        {
            "hs_meeting_title": "Demo",
            "hs_meeting_start_time": "2026-11-22T14:00:00Z",
            "hs_meeting_end_time": "2026-11-22T15:00:00Z",
            "hs_meeting_outcome": "scheduled",
            "hs_meeting_attendees": "ann@acme.com; bob@acme.com",
        },
    )
    assert meeting.properties["hs_meeting_outcome"] == "SCHEDULED"


async def test_every_write_is_audited_and_the_chain_verifies(crm: LocalCrm) -> None:
    contact = await crm.create("contacts", {"email": "ann@acme.com"})
    company = await crm.create("companies", {"name": "Acme", "domain": "acme.com"})
    await crm.batch_create("contacts", [RecordInput(properties={"email": f"p{i}@x.com"}) for i in range(3)])
    await crm.update("contacts", contact.id, {"firstname": "Ann"})
    await crm.associate("contacts", contact.id, "companies", company.id)
    await crm.archive("contacts", contact.id)
    entries = await audit_entries(crm)
    assert [(e.action, e.object_type) for e in entries] == [
        ("create", "contacts"),
        ("create", "companies"),
        ("create", "contacts"),
        ("create", "contacts"),
        ("create", "contacts"),
        ("update", "contacts"),
        ("associate", "associations"),
        ("archive", "contacts"),
    ]
    update = entries[5]
    assert update.before["properties"]["firstname"] is None
    assert update.after["properties"]["firstname"] == "Ann"
    async with crm.sessions() as session:
        report = await audit.verify_chain(session)
        assert report.ok and report.entries == 8
        assert await session.scalar(select(func.count()).select_from(audit.AuditEntry)) == 8


async def test_amounts_keep_decimal_precision(crm: LocalCrm) -> None:
    deal = await crm.create("deals", {"dealname": "Cents", "amount": "1234567.89"})
    assert Decimal(deal.properties["amount"]) == Decimal("1234567.89")
    assert (await crm.get("deals", deal.id)).properties["amount"] == "1234567.89"


async def test_large_batches_are_written_in_parts_with_the_same_outcome(
    crm: LocalCrm, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(writes, "TRANSACTION_SIZE", 1000)  # three transactions
    inputs = [RecordInput(properties={"email": f"p{i}@example.com", "firstname": f"P{i}"}) for i in range(2300)]
    inputs[1500] = RecordInput(properties={"email": "P5@Example.com", "lastname": "Five"})  # updates input 5
    inputs[1999] = RecordInput(properties={"email": "broken@"})
    inputs[2100] = RecordInput(properties={"email": "p2101@example.com", "lifecyclestage": "nope"})
    result = await crm.batch_upsert("contacts", inputs, limit=None, return_records=False)
    assert (result.created, result.updated) == (2297, 1)
    assert [(e.index, e.context["fields"]) for e in result.errors] == [(1999, ["email"]), (2100, ["lifecyclestage"])]
    assert result.results == []
    assert await count(crm, "contacts") == 2297
    only_five = [{"propertyName": "email", "operator": "EQ", "value": "p5@example.com"}]
    five = (await crm.search("contacts", SearchRequest(filterGroups=[{"filters": only_five}]))).results
    assert [(c.properties["firstname"], c.properties["lastname"]) for c in five] == [("P5", "Five")]
    again = await crm.batch_upsert("contacts", inputs, limit=None)
    assert (again.created, again.updated, len(again.results)) == (0, 2298, 2298)
    async with crm.sessions() as session:
        report = await audit.verify_chain(session)
    assert report.ok and report.entries == 2298  # 2297 creates and one update; the second run changed nothing


async def test_concurrent_writers_keep_one_audit_chain(crm: LocalCrm, monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches written in several transactions, interleaved with single writes from other tasks,
    leave one unbroken chain with an entry per write."""
    monkeypatch.setattr(writes, "TRANSACTION_SIZE", 300)

    def batch(prefix: str) -> list[RecordInput]:
        return [RecordInput(properties={"email": f"{prefix}{i}@example.com", "firstname": prefix}) for i in range(900)]

    async def singles() -> None:
        for i in range(20):
            await crm.create("companies", {"name": f"Firm {i}", "domain": f"firm{i}.example"})

    results = await asyncio.gather(
        crm.batch_upsert("contacts", batch("a"), limit=None, return_records=False),
        crm.batch_upsert("contacts", batch("b"), limit=None, return_records=False),
        singles(),
    )
    assert [r.created for r in results[:2]] == [900, 900]
    async with crm.sessions() as session:
        report = await audit.verify_chain(session)
    assert report.ok and report.entries == 1820
