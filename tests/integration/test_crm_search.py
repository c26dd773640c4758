"""HubSpot-style search on SQLite and PostgreSQL: every operator on standard and custom properties,
OR of groups, free-text query, sorts, paging, associations in results and bad requests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from pydantic import ValidationError

from crm_agent.crm.schemas import SearchRequest
from crm_agent.crm.service import LocalCrm
from crm_agent.errors import ValidationFailed


@dataclass
class Data:
    """Ids of the records :func:`populate` creates."""

    c: dict[str, str]
    d: dict[str, str]
    co: dict[str, str]


async def populate(crm: LocalCrm) -> Data:
    """Owners, custom contact properties, five contacts (one archived), two companies, four deals."""
    await crm.create_owner("raj@example.com", "Raj", "Patel")
    await crm.create_owner("nadia@example.com", "Nadia", "Novák")
    await crm.create_owner("greg.hall@example.com", "Greg", "Hall")
    await crm.create_owner("greg.young@example.com", "Greg", "Young")
    await crm.create_property("contacts", "tier", "Tier", "enumeration", ["Gold", "Silver", "Bronze"])
    await crm.create_property("contacts", "score", "Score", "number")
    await crm.create_property("contacts", "renewal_date", "Renewal date", "date")
    await crm.create_property("contacts", "nickname", "Nickname", "string")
    await crm.create_property("contacts", "vip", "VIP", "bool")
    rows: dict[str, dict[str, Any]] = {
        "jose": {
            "email": "jose@acme.com",
            "firstname": "José",
            "lastname": "Núñez",
            "phone": "+1 (555) 010-2000",
            "company": "Acme Café",
            "lifecyclestage": "Lead",
            "hs_lead_status": "Open",
            "hubspot_owner_id": "Raj Patel",
            "notes_last_contacted": "2026-11-01T10:00:00Z",
            "tier": "Gold",
            "score": "90",
            "renewal_date": "2026-12-01",
            "nickname": "Pepe",
            "vip": "yes",
        },
        "ann": {
            "email": "ANN@Globex.com",
            "firstname": "Ann",
            "lastname": "Lee",
            "company": "Globex",
            "lifecyclestage": "customer",
            "hs_lead_status": "CONNECTED",
            "hubspot_owner_id": "nadia@example.com",
            "notes_last_contacted": "11/18/2026",
            "tier": "silver",
            "score": 40,
            "renewal_date": "03/15/2027",
            "nickname": "annie",
            "vip": False,
        },
        "bob": {
            "email": "bob@initech.io",
            "firstname": "Bob",
            "lastname": "Stone",
            "lifecyclestage": "lead",
            "hs_lead_status": "NEW",
            "hubspot_owner_id": "raj@example.com",
            "score": "55",
        },
        "zoe": {
            "email": "zoe@acme.com",
            "firstname": "Zoë",
            "lastname": "Ångström",
            "lifecyclestage": "Opportunity",
            "tier": "bronze",
            "score": "10.5",
        },
        "carl": {"email": "carl@old.com", "firstname": "Carl", "lastname": "Old", "lifecyclestage": "lead"},
    }
    c = {key: (await crm.create("contacts", props)).id for key, props in rows.items()}
    await crm.archive("contacts", c["carl"])
    co = {
        "acme": (await crm.create("companies", {"name": "Acme Café", "domain": "https://www.acme.com/"})).id,
        "globex": (await crm.create("companies", {"name": "Globex", "domain": "globex.com"})).id,
    }
    await crm.associate("contacts", c["jose"], "companies", co["acme"], primary=True)
    d = {
        "renewal": (
            await crm.create(
                "deals",
                {
                    "dealname": "Acme renewal",
                    "amount": "$5,000.00",
                    "dealstage": "Contract Sent",
                    "closedate": "2026-11-30",
                    "hubspot_owner_id": "Raj",
                },
                [
                    {"to": {"id": c["jose"]}, "objectType": "contacts"},
                    {"to": {"id": co["acme"]}, "objectType": "companies", "primary": True},
                ],
            )
        ).id,
        "expansion": (
            await crm.create(
                "deals",
                {
                    "dealname": "Globex expansion",
                    "amount": "12000.50",
                    "dealstage": "qualifiedtobuy",
                    "closedate": "2026-12-15",
                    "hubspot_owner_id": "Nadia",
                },
            )
        ).id,
        "pilot": (
            await crm.create("deals", {"dealname": "Initech pilot", "amount": 800, "dealstage": "appointmentscheduled"})
        ).id,
        "upsell": (await crm.create("deals", {"dealname": "Acme upsell", "dealstage": "Closed Won"})).id,
    }
    return Data(c=c, d=d, co=co)


def flt(name: str, op: str, value: Any = None, **kw: Any) -> dict[str, Any]:
    return {"propertyName": name, "operator": op, "value": value, **kw}


async def ids(crm: LocalCrm, object_type: str, *groups: list[dict[str, Any]], **kw: Any) -> list[str]:
    """Ids of the records matching the AND groups (OR-ed), in result order."""
    request = SearchRequest(filterGroups=[{"filters": g} for g in groups], limit=200, **kw)
    page = await crm.search(object_type, request)
    assert page.total == len(page.results)
    return [r.id for r in page.results]


def pick(data: dict[str, str], *keys: str) -> list[str]:
    return [data[k] for k in keys]


async def test_eq_and_neq_on_standard_properties(crm: LocalCrm) -> None:
    data = await populate(crm)
    c = data.c
    assert await ids(crm, "contacts", [flt("firstname", "EQ", "JOSÉ")]) == pick(c, "jose")
    assert await ids(crm, "contacts", [flt("email", "EQ", " Ann@GLOBEX.com ")]) == pick(c, "ann")
    assert await ids(crm, "contacts", [flt("lifecyclestage", "EQ", "Lead")]) == pick(c, "jose", "bob")
    assert await ids(crm, "contacts", [flt("hs_lead_status", "EQ", "open")]) == pick(c, "jose")
    assert await ids(crm, "contacts", [flt("hubspot_owner_id", "EQ", "Raj Patel")]) == pick(c, "jose", "bob")
    assert await ids(crm, "contacts", [flt("hubspot_owner_id", "EQ", "raj@example.com")]) == pick(c, "jose", "bob")
    assert await ids(crm, "contacts", [flt("phone", "EQ", "555.010.2000")]) == pick(c, "jose")
    # NEQ also matches records that have no value
    assert await ids(crm, "contacts", [flt("lifecyclestage", "NEQ", "lead")]) == pick(c, "ann", "zoe")
    assert await ids(crm, "contacts", [flt("hs_lead_status", "NEQ", "OPEN")]) == pick(c, "ann", "bob", "zoe")
    assert await ids(crm, "deals", [flt("amount", "EQ", "5000")]) == [data.d["renewal"]]
    assert await ids(crm, "deals", [flt("closedate", "EQ", "11/30/2026")]) == [data.d["renewal"]]


async def test_eq_and_neq_on_custom_properties(crm: LocalCrm) -> None:
    c = (await populate(crm)).c
    assert await ids(crm, "contacts", [flt("tier", "EQ", "GOLD")]) == pick(c, "jose")
    assert await ids(crm, "contacts", [flt("tier", "EQ", "silver")]) == pick(c, "ann")
    assert await ids(crm, "contacts", [flt("nickname", "EQ", "PEPE")]) == pick(c, "jose")
    assert await ids(crm, "contacts", [flt("vip", "EQ", "true")]) == pick(c, "jose")
    assert await ids(crm, "contacts", [flt("vip", "EQ", False)]) == pick(c, "ann")
    assert await ids(crm, "contacts", [flt("score", "EQ", "40.0")]) == pick(c, "ann")
    assert await ids(crm, "contacts", [flt("renewal_date", "EQ", "2026-12-01")]) == pick(c, "jose")
    assert await ids(crm, "contacts", [flt("tier", "NEQ", "Gold")]) == pick(c, "ann", "bob", "zoe")
    assert await ids(crm, "contacts", [flt("nickname", "NEQ", "annie")]) == pick(c, "jose", "bob", "zoe")


async def test_range_operators_on_numbers_and_dates(crm: LocalCrm) -> None:
    data = await populate(crm)
    c, d = data.c, data.d
    assert await ids(crm, "deals", [flt("amount", "GT", "1000")]) == pick(d, "renewal", "expansion")
    assert await ids(crm, "deals", [flt("amount", "GTE", "$5,000")]) == pick(d, "renewal", "expansion")
    assert await ids(crm, "deals", [flt("amount", "LT", 5000)]) == pick(d, "pilot")
    assert await ids(crm, "deals", [flt("amount", "LTE", "800")]) == pick(d, "pilot")
    assert await ids(crm, "deals", [flt("amount", "BETWEEN", "700", highValue="5000")]) == pick(d, "renewal", "pilot")
    # the closed-won deal got today's close date (the fixed clock: 2026-11-20)
    assert await ids(crm, "deals", [flt("closedate", "LT", "2026-12-01")]) == pick(d, "renewal", "upsell")
    assert await ids(crm, "deals", [flt("closedate", "GTE", "2026-11-30")]) == pick(d, "renewal", "expansion")
    assert await ids(crm, "deals", [flt("closedate", "BETWEEN", "2026-11-21", highValue="2026-12-31")]) == pick(
        d, "renewal", "expansion"
    )
    assert await ids(crm, "contacts", [flt("score", "GT", "50")]) == pick(c, "jose", "bob")
    assert await ids(crm, "contacts", [flt("score", "LTE", "10.5")]) == pick(c, "zoe")
    assert await ids(crm, "contacts", [flt("score", "BETWEEN", 40, highValue=60)]) == pick(c, "ann", "bob")
    assert await ids(crm, "contacts", [flt("score", "GTE", "90")]) == pick(c, "jose")
    assert await ids(crm, "contacts", [flt("renewal_date", "GT", "2027-01-01")]) == pick(c, "ann")
    assert await ids(crm, "contacts", [flt("renewal_date", "LT", "2027-01-01")]) == pick(c, "jose")
    assert await ids(crm, "contacts", [flt("notes_last_contacted", "LT", "11/15/2026")]) == pick(c, "jose")
    assert await ids(
        crm, "contacts", [flt("notes_last_contacted", "BETWEEN", "2026-11-01", highValue="2026-11-30")]
    ) == pick(c, "jose", "ann")
    assert await ids(crm, "contacts", [flt("firstname", "GTE", "b"), flt("firstname", "LT", "c")]) == pick(c, "bob")


async def test_in_and_not_in(crm: LocalCrm) -> None:
    c = (await populate(crm)).c
    assert await ids(crm, "contacts", [flt("lifecyclestage", "IN", values=["lead", "Customer"])]) == pick(
        c, "jose", "ann", "bob"
    )
    assert await ids(crm, "contacts", [flt("lifecyclestage", "NOT_IN", values=["lead"])]) == pick(c, "ann", "zoe")
    assert await ids(crm, "contacts", [flt("hs_lead_status", "NOT_IN", values=["OPEN", "New"])]) == pick(
        c, "ann", "zoe"
    )
    assert await ids(crm, "contacts", [flt("tier", "IN", values=["Gold", "silver"])]) == pick(c, "jose", "ann")
    assert await ids(crm, "contacts", [flt("tier", "NOT_IN", values=["gold"])]) == pick(c, "ann", "bob", "zoe")
    assert await ids(
        crm, "contacts", [flt("hubspot_owner_id", "IN", values=["Raj Patel", "nadia@example.com"])]
    ) == pick(c, "jose", "ann", "bob")
    assert await ids(crm, "contacts", [flt("email", "IN", values=["BOB@initech.io", "zoe@acme.com"])]) == pick(
        c, "bob", "zoe"
    )
    assert await ids(crm, "contacts", [flt("firstname", "IN", values=["ann", "BOB"])]) == pick(c, "ann", "bob")


async def test_has_and_not_has_property(crm: LocalCrm) -> None:
    data = await populate(crm)
    c = data.c
    assert await ids(crm, "contacts", [flt("phone", "HAS_PROPERTY")]) == pick(c, "jose")
    assert await ids(crm, "contacts", [flt("hs_lead_status", "NOT_HAS_PROPERTY")]) == pick(c, "zoe")
    assert await ids(crm, "contacts", [flt("hubspot_owner_id", "NOT_HAS_PROPERTY")]) == pick(c, "zoe")
    assert await ids(crm, "contacts", [flt("tier", "HAS_PROPERTY")]) == pick(c, "jose", "ann", "zoe")
    assert await ids(crm, "contacts", [flt("tier", "NOT_HAS_PROPERTY")]) == pick(c, "bob")
    assert await ids(crm, "contacts", [flt("score", "HAS_PROPERTY")]) == pick(c, "jose", "ann", "bob", "zoe")
    assert await ids(crm, "contacts", [flt("nickname", "NOT_HAS_PROPERTY")]) == pick(c, "bob", "zoe")
    assert await ids(crm, "deals", [flt("amount", "NOT_HAS_PROPERTY")]) == [data.d["upsell"]]


async def test_contains_token(crm: LocalCrm) -> None:
    c = (await populate(crm)).c
    assert await ids(crm, "contacts", [flt("email", "CONTAINS_TOKEN", "acme")]) == pick(c, "jose", "zoe")
    assert await ids(crm, "contacts", [flt("email", "CONTAINS_TOKEN", "*@acme.com")]) == pick(c, "jose", "zoe")
    assert await ids(crm, "contacts", [flt("email", "NOT_CONTAINS_TOKEN", "acme")]) == pick(c, "ann", "bob")
    assert await ids(crm, "contacts", [flt("company", "CONTAINS_TOKEN", "CAFÉ")]) == pick(c, "jose")
    assert await ids(crm, "contacts", [flt("firstname", "CONTAINS_TOKEN", "*nn")]) == pick(c, "ann")
    assert await ids(crm, "contacts", [flt("firstname", "CONTAINS_TOKEN", "b*")]) == pick(c, "bob")
    assert await ids(crm, "contacts", [flt("nickname", "CONTAINS_TOKEN", "ANN")]) == pick(c, "ann")
    # NOT_CONTAINS_TOKEN also matches records that have no value
    assert await ids(crm, "contacts", [flt("nickname", "NOT_CONTAINS_TOKEN", "ann")]) == pick(c, "jose", "bob", "zoe")
    assert await ids(crm, "contacts", [flt("phone", "CONTAINS_TOKEN", "5550102")]) == pick(c, "jose")
    # % and _ are literal characters, not SQL wildcards
    assert await ids(crm, "contacts", [flt("email", "CONTAINS_TOKEN", "%")]) == []
    assert await ids(crm, "contacts", [flt("firstname", "CONTAINS_TOKEN", "_o_")]) == []


async def test_or_of_groups_and_of_filters(crm: LocalCrm) -> None:
    c = (await populate(crm)).c
    customer = [flt("lifecyclestage", "EQ", "customer")]
    rajs_new = [flt("hubspot_owner_id", "EQ", "Raj Patel"), flt("hs_lead_status", "EQ", "NEW")]
    assert await ids(crm, "contacts", customer, rajs_new) == pick(c, "ann", "bob")
    assert await ids(crm, "contacts", rajs_new) == pick(c, "bob")
    with pytest.raises(ValidationError):
        SearchRequest(filterGroups=[{"filters": customer}] * 6)
    with pytest.raises(ValidationError):
        SearchRequest(filterGroups=[{"filters": customer * 7}])


async def test_free_text_query_ignores_case_and_accents(crm: LocalCrm) -> None:
    data = await populate(crm)
    c = data.c

    async def query(text: str, object_type: str = "contacts", **kw: Any) -> list[str]:
        page = await crm.search(object_type, SearchRequest(query=text, limit=200, **kw))
        return [r.id for r in page.results]

    assert await query("jose") == pick(c, "jose")
    assert await query("NÚÑEZ") == pick(c, "jose")
    assert await query("nun") == pick(c, "jose")
    assert await query("zoe angstrom") == pick(c, "zoe")
    assert await query("Ann Lee") == pick(c, "ann")
    assert await query("acme") == pick(c, "jose", "zoe")
    assert await query("cafe") == pick(c, "jose")
    assert await query("jose@acme.com") == pick(c, "jose")
    assert await query("555-010-2000") == pick(c, "jose")
    assert await query("+1 (555) 010 2000") == pick(c, "jose")
    assert await query("nobody") == []
    assert await query("carl") == []  # archived
    assert await query("carl", archived=True) == [c["carl"]]
    assert await query("acme", filterGroups=[{"filters": [flt("lifecyclestage", "EQ", "lead")]}]) == pick(c, "jose")
    assert await query("   ") == pick(c, "jose", "ann", "bob", "zoe")
    assert await query("acme", "companies") == [data.co["acme"]]
    assert await query("acme", "deals") == pick(data.d, "renewal", "upsell")


async def test_sorts_with_missing_values_last(crm: LocalCrm) -> None:
    data = await populate(crm)
    c, d = data.c, data.d

    async def sorted_ids(object_type: str, prop: str, direction: str) -> list[str]:
        return await ids(crm, object_type, sorts=[{"propertyName": prop, "direction": direction}])

    assert await sorted_ids("contacts", "score", "DESCENDING") == pick(c, "jose", "bob", "ann", "zoe")
    assert await sorted_ids("contacts", "score", "ASCENDING") == pick(c, "zoe", "ann", "bob", "jose")
    assert await sorted_ids("contacts", "firstname", "ASCENDING") == pick(c, "ann", "bob", "jose", "zoe")
    assert await sorted_ids("contacts", "firstname", "DESCENDING") == pick(c, "zoe", "jose", "bob", "ann")
    assert await sorted_ids("contacts", "tier", "ASCENDING") == pick(c, "zoe", "jose", "ann", "bob")
    assert await sorted_ids("deals", "amount", "ASCENDING") == pick(d, "pilot", "renewal", "expansion", "upsell")
    assert await sorted_ids("deals", "amount", "DESCENDING") == pick(d, "expansion", "renewal", "pilot", "upsell")
    assert await sorted_ids("deals", "closedate", "ASCENDING") == pick(d, "upsell", "renewal", "expansion", "pilot")
    assert await sorted_ids("contacts", "hs_object_id", "DESCENDING") == pick(c, "zoe", "bob", "ann", "jose")


async def test_limit_and_after_paging(crm: LocalCrm) -> None:
    c = (await populate(crm)).c
    first = await crm.search("contacts", SearchRequest(limit=3))
    assert first.total == 4
    assert [r.id for r in first.results] == pick(c, "jose", "ann", "bob")
    assert first.paging and first.paging.next == {"after": "3"}
    second = await crm.search("contacts", SearchRequest(limit=3, after=first.paging.next["after"]))
    assert [r.id for r in second.results] == pick(c, "zoe")
    assert second.paging is None
    assert (await crm.search("contacts", SearchRequest(limit=3, after="10"))).results == []
    with pytest.raises(ValidationFailed, match="after"):
        await crm.search("contacts", SearchRequest(after="abc"))
    with pytest.raises(ValidationError):
        SearchRequest(limit=201)
    assert await crm.count("contacts", SearchRequest(filterGroups=[{"filters": [flt("score", "GT", 0)]}])) == 4


async def test_results_carry_associations_and_chosen_properties(crm: LocalCrm) -> None:
    data = await populate(crm)
    page = await crm.search("deals", SearchRequest(query="renewal"))
    (deal,) = page.results
    assert [(a.id, a.type) for a in deal.associations["contacts"].results] == [(data.c["jose"], "deal_to_contact")]
    assert [(a.id, a.type) for a in deal.associations["companies"].results] == [
        (data.co["acme"], "deal_to_company_primary")
    ]
    page = await crm.search("contacts", SearchRequest(query="jose", properties=["email", "tier"]))
    (contact,) = page.results
    assert contact.properties == {"email": "jose@acme.com", "tier": "gold", "hs_object_id": data.c["jose"]}
    assert {t: [a.id for a in lst.results] for t, lst in contact.associations.items()} == {
        "companies": [data.co["acme"]],
        "deals": [data.d["renewal"]],
    }
    only_id = [flt("hs_object_id", "EQ", data.c["ann"])]
    assert await ids(crm, "contacts", only_id) == [data.c["ann"]]


async def test_deal_stages_and_pipelines_in_filters(crm: LocalCrm) -> None:
    d = (await populate(crm)).d
    assert await ids(crm, "deals", [flt("dealstage", "EQ", "Contract Sent")]) == pick(d, "renewal")
    assert await ids(crm, "deals", [flt("dealstage", "IN", values=["closedwon", "Qualified To Buy"])]) == pick(
        d, "expansion", "upsell"
    )
    assert await ids(crm, "deals", [flt("pipeline", "EQ", "Sales Pipeline")]) == pick(
        d, "renewal", "expansion", "pilot", "upsell"
    )
    await crm.create_pipeline("Renewals", [("Up for renewal", 0.5, False), ("Renewed", 1, True)])
    renewed = await crm.create("deals", {"dealname": "Renewal 2027", "pipeline": "Renewals", "dealstage": "Renewed"})
    assert await ids(crm, "deals", [flt("dealstage", "EQ", "renewed")]) == [renewed.id]
    assert await ids(crm, "deals", [flt("pipeline", "EQ", "renewals")]) == [renewed.id]


async def test_bad_search_requests_name_the_problem(crm: LocalCrm) -> None:
    await populate(crm)

    async def error(*filters: dict[str, Any], object_type: str = "contacts", **kw: Any) -> str:
        with pytest.raises(ValidationFailed) as info:
            await crm.search(object_type, SearchRequest(filterGroups=[{"filters": list(filters)}], **kw))
        return str(info.value)

    assert "favourite_colour" in await error(flt("favourite_colour", "EQ", "red"))
    assert "amount" in await error(flt("amount", "GT", "lots"), object_type="deals")
    assert "expected a number" in await error(flt("score", "LT", "high"))
    assert "accepted" in await error(flt("tier", "EQ", "platinum"))
    message = await error(flt("hubspot_owner_id", "EQ", "Nobody"))
    assert "no owner matches" in message and "raj@example.com" in message
    assert "several owners" in await error(flt("hubspot_owner_id", "EQ", "Greg"))
    assert "sorts" in await error(sorts=[{"propertyName": "nope"}])
    with pytest.raises(ValidationError):
        SearchRequest(filterGroups=[{"filters": [flt("score", "BETWEEN", 1)]}])
    with pytest.raises(ValidationError):
        SearchRequest(filterGroups=[{"filters": [flt("score", "IN")]}])
