"""The fixture loader and the demo dataset, on SQLite and PostgreSQL (the ``crm`` fixture)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from crm_agent.audit import AuditEntry
from crm_agent.crm.schemas import Filter, FilterGroup, SearchRequest
from crm_agent.crm.service import LocalCrm
from crm_agent.demo_data import demo_fixture, load_demo
from crm_agent.errors import ValidationFailed
from crm_agent.fixtures import load_fixture, read_fixture

SMALL = {
    "properties": {
        "contacts": [
            {
                "name": "preferred_channel",
                "label": "Preferred channel",
                "type": "enumeration",
                "options": ["Email", "Phone call"],
            },
        ]
    },
    "owners": [
        {"email": "raj@brightline.io", "firstname": "Raj", "lastname": "Patel"},
        {"email": "nadia@brightline.io", "firstname": "Nadia", "lastname": "Haddad"},
    ],
    "companies": [
        {"name": "Acme Corp", "domain": "https://www.Acme.com/", "owner": "Raj"},
        {"name": "Café Lumière", "domain": "cafelumiere.fr"},
    ],
    "contacts": [
        {
            "firstname": "Greg",
            "lastname": "Hall",
            "email": "Greg.Hall@acme.com",
            "owner": "Nadia Haddad",
            "preferred_channel": "Phone call",
            "companies": ["acme.com", "cafelumiere.fr"],
        },
        {
            "firstname": "Zoë",
            "lastname": "Laurent",
            "email": "zoe@cafelumiere.fr",
            "companies": "Café Lumière",
            "company": "Lumière SARL",
        },
    ],
    "deals": [
        {
            "dealname": "Acme renewal",
            "amount": 24000,
            "dealstage": "Contract Sent",
            "closedate": "2026-11-27",
            "owner": "raj@brightline.io",
            "contacts": ["greg.hall@acme.com", "Zoë Laurent"],
            "companies": ["acme.com"],
        },
    ],
    "notes": [
        {
            "hs_note_body": "Wants the quote split by plant",
            "hs_timestamp": "2026-11-16T14:30:00Z",
            "contacts": ["greg.hall@acme.com"],
            "deals": ["acme renewal"],
            "companies": ["acme.com"],
        },
    ],
    "tasks": [
        {
            "hs_task_subject": "Send contract",
            "hs_timestamp": "2026-11-23",
            "hs_task_status": "Not Started",
            "owner": "Raj",
            "deals": ["Acme renewal"],
        },
    ],
}


def _ids(record, object_type: str) -> list[str]:
    return [a.id for a in record.associations[object_type].results] if object_type in record.associations else []


async def test_load_resolves_natural_keys(crm: LocalCrm) -> None:
    ids = await load_fixture(crm, SMALL)

    assert ids.id_of("owners", "raj@brightline.io") == ids.id_of("owners", "Raj")
    acme, cafe = ids.id_of("companies", "acme.com"), ids.id_of("companies", "Café Lumière")
    greg = await crm.get("contacts", ids.id_of("contacts", "greg.hall@acme.com"))
    assert greg.properties["email"] == "greg.hall@acme.com"
    assert greg.properties["hubspot_owner_id"] == ids.id_of("owners", "nadia")
    assert greg.properties["preferred_channel"] == "phone_call"
    assert greg.properties["company"] == "Acme Corp"  # filled from the primary company
    types = {a.id: a.type for a in greg.associations["companies"].results}
    assert types == {acme: "contact_to_company_primary", cafe: "contact_to_company"}

    zoe = await crm.get("contacts", ids.id_of("contacts", "zoe laurent"))
    assert zoe.properties["company"] == "Lumière SARL"  # given explicitly, kept
    assert _ids(zoe, "companies") == [cafe]

    deal = await crm.get("deals", ids.id_of("deals", "ACME RENEWAL"))
    assert deal.properties["dealstage"] == "contractsent"
    assert Decimal(deal.properties["amount"]) == 24000
    assert deal.properties["closedate"].startswith("2026-11-27")
    assert deal.properties["hubspot_owner_id"] == ids.id_of("owners", "Raj Patel")
    assert sorted(_ids(deal, "contacts")) == sorted([greg.id, zoe.id])
    assert deal.associations["companies"].results[0].type == "deal_to_company_primary"

    note = await crm.get("notes", ids.notes[0])
    assert (_ids(note, "contacts"), _ids(note, "deals"), _ids(note, "companies")) == ([greg.id], [deal.id], [acme])
    task = await crm.get("tasks", ids.tasks[0])
    assert task.properties["hs_task_status"] == "NOT_STARTED"
    assert _ids(task, "deals") == [deal.id]


async def test_fixture_writes_are_audited_as_fixture(crm: LocalCrm) -> None:
    await load_fixture(crm, SMALL)
    async with crm.sessions() as session:
        actors = set((await session.scalars(select(AuditEntry.actor))).all())
    assert actors == {"fixture"}


@pytest.mark.parametrize(
    ("change", "where", "message"),
    [
        ({"contacts": [{"email": "a@b.com", "companies": ["nowhere.com"]}]}, "contacts[0].companies", "nowhere.com"),
        ({"deals": [{"dealname": "X"}, {"dealname": "x"}]}, "deals[1]", "repeats"),
        ({"contacts": [{"email": "bad@"}]}, "contacts[0]", "email"),
        ({"contacts": [{"email": "a@b.com", "favourite_colour": "red"}]}, "contacts[0]", "favourite_colour"),
        ({"leads": []}, "fixture", "unknown section"),
        ({"owners": [{"firstname": "No email"}]}, "owners[0]", "email"),
    ],
)
async def test_bad_fixture_names_the_record(crm: LocalCrm, change: dict, where: str, message: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        await load_fixture(crm, {"owners": SMALL["owners"], **change})
    error = caught.value.errors[0]
    assert error.field == where
    assert message in f"{error.value} {error.message}"


async def test_extends_merges_base_first(crm: LocalCrm, tmp_path: Path) -> None:
    (tmp_path / "base.yaml").write_text(
        "owners: [{email: raj@brightline.io, firstname: Raj}]\ncompanies: [{name: Acme, domain: acme.com}]\n"
    )
    (tmp_path / "child.yaml").write_text(
        "extends: base\ncontacts: [{email: ann@acme.com, owner: Raj, companies: [acme.com]}]\n"
    )
    data = read_fixture("child", tmp_path)
    assert [c["email"] for c in data["contacts"]] == ["ann@acme.com"]
    ids = await load_fixture(crm, data)
    ann = await crm.get("contacts", ids.id_of("contacts", "ann@acme.com"))
    assert _ids(ann, "companies") == [ids.id_of("companies", "acme.com")]


async def test_demo_name_falls_back_to_the_packaged_dataset(tmp_path: Path) -> None:
    assert read_fixture("demo", tmp_path) == demo_fixture()


async def _count(crm: LocalCrm, object_type: str, *filters: Filter) -> int:
    groups = [FilterGroup(filters=list(filters))] if filters else []
    return await crm.count(object_type, SearchRequest(filterGroups=groups))


async def _amounts(crm: LocalCrm, *filters: Filter) -> Decimal:
    page = await crm.search("deals", SearchRequest(filterGroups=[FilterGroup(filters=list(filters))], limit=200))
    return sum((Decimal(d.properties["amount"]) for d in page.results), Decimal(0))


async def test_demo_dataset_holds_the_facts_the_evals_use(crm: LocalCrm) -> None:
    """evals/*.yaml state these numbers; if the demo data changes, this test says which fact moved."""
    ids = await load_demo(crm)
    assert len(ids.owners) == 12  # 4 owners, each by email, full name and first name
    for object_type, total in {"contacts": 30, "companies": 10, "deals": 16, "notes": 4, "tasks": 5}.items():
        assert await _count(crm, object_type) == total, object_type

    nadia = ids.id_of("owners", "nadia")
    raj = ids.id_of("owners", "raj")
    lead = Filter(propertyName="lifecyclestage", operator="EQ", value="lead")
    assert await _count(crm, "contacts", Filter(propertyName="hubspot_owner_id", operator="EQ", value=nadia)) == 11
    assert await _count(crm, "contacts", lead, Filter(propertyName="hubspot_owner_id", operator="EQ", value=nadia)) == 5
    stale = Filter(propertyName="notes_last_contacted", operator="LT", value="2026-10-30T09:00:00Z")
    customer = Filter(propertyName="lifecyclestage", operator="EQ", value="customer")
    assert await _count(crm, "contacts", customer) == 9
    assert await _count(crm, "contacts", customer, stale) == 5

    open_ = Filter(propertyName="dealstage", operator="NOT_IN", values=["closedwon", "closedlost"])
    november = Filter(
        propertyName="closedate", operator="BETWEEN", value="2026-11-01", highValue="2026-11-30T23:59:59Z"
    )
    assert await _count(crm, "deals", november) == 5
    assert await _count(crm, "deals", open_, november) == 5
    assert await _count(crm, "deals", open_) == 11
    assert await _amounts(crm, open_) == 338800
    contract_sent = Filter(propertyName="dealstage", operator="EQ", value="contractsent")
    assert await _amounts(crm, contract_sent) == 45800
    over_10k = Filter(propertyName="amount", operator="GT", value="10000")
    assert await _count(crm, "deals", contract_sent, over_10k) == 2
    by_raj = Filter(propertyName="hubspot_owner_id", operator="EQ", value=raj)
    assert await _count(crm, "deals", open_, by_raj) == 4
    assert await _amounts(crm, open_, by_raj) == 74300
    assert await _amounts(crm, Filter(propertyName="dealstage", operator="EQ", value="closedwon")) == 28700

    gregs = await crm.search("contacts", SearchRequest(query="Greg"))
    assert sorted(r.properties["lastname"] for r in gregs.results) == ["Hall", "Novak"]
    acme_deals = await crm.search("deals", SearchRequest(query="Acme"))
    assert acme_deals.total == 2
