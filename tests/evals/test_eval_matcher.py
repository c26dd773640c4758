"""The eval matcher: value specs, criteria with owners and associations, and the failure messages."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from crm_agent.crm.schemas import AssociationList, AssociationRef, CrmRecord, OwnerRecord
from crm_agent.evals import Expect, ReplyExpect, Snapshot, check_records, check_reply, mismatches, value_matches

NOW = datetime(2026, 11, 20, 9, tzinfo=UTC)


@pytest.mark.parametrize(
    ("expected", "actual", "ok"),
    [
        ("closedwon", "closedwon", True),
        ("closedwon", "ClosedWon", False),
        (None, None, True),
        (None, "", True),
        (None, "x", False),
        ("x", None, False),
        (5000, "5000", True),
        (5000, "5000.00", True),
        (5000.5, "5000.5", True),
        (5000, "500", False),
        (True, "true", True),
        (False, "true", False),
        ("2026-11-24", "2026-11-24T00:00:00.000Z", True),
        ("2026-11-24", "2026-11-24T17:30:00.000Z", True),
        ("2026-11-24", "2026-11-25T00:00:00.000Z", False),
        ("2026-11-24", "2026-11-24", True),
        ({"startswith": "+1312"}, "+13125550142", True),
        ({"contains": "555"}, "+13125550142", True),
        ({"icontains": "renewal CONTRACT"}, "Send Renewal contract", True),
        ({"icontains": "zoe"}, "Check in with Zoë", True),
        ({"in": ["lead", "marketingqualifiedlead"]}, "lead", True),
        ({"in": ["lead"]}, "customer", False),
        ({"not": "closedwon"}, "closedlost", True),
        ({"not": None}, None, False),
        ({"gt": 10000}, "12000", True),
        ({"gt": 10000}, "10000", False),
        ({"gte": 10000, "lt": 20000}, "10000", True),
        ({"lte": 9800}, "9800.00", True),
        ({"gte": "2026-11-01", "lt": "2026-12-01"}, "2026-11-30T00:00:00.000Z", True),
        ({"gte": "2026-11-01", "lt": "2026-12-01"}, "2026-12-01T00:00:00.000Z", False),
        ({"gt": 5}, None, False),
        ({"gt": 5}, "abc", False),
        ({"present": True}, "x", True),
        ({"present": True}, None, False),
        ({"present": False}, None, True),
        ({"date": "2026-11-24"}, "2026-11-24T09:00:00.000Z", True),
        ({"eq": 12}, "12", True),
    ],
)
def test_value_matches(expected: object, actual: str | None, ok: bool) -> None:
    assert value_matches(expected, actual) is ok


def _record(record_id: str, archived: bool = False, links: dict | None = None, **props: str | None) -> CrmRecord:
    associations = {
        otype: AssociationList(results=[AssociationRef(id=i, type=t) for i, t in refs])
        for otype, refs in (links or {}).items()
    }
    return CrmRecord(
        id=record_id, properties=props, associations=associations, archived=archived, createdAt=NOW, updatedAt=NOW
    )


@pytest.fixture
def snap() -> Snapshot:
    owners = [
        OwnerRecord(id="1", email="raj@brightline.io", firstName="Raj", lastName="Patel"),
        OwnerRecord(id="2", email="nadia@brightline.io", firstName="Nadia", lastName="Haddad"),
    ]
    contacts = {
        "1": _record(
            "1",
            email="greg.hall@acme.com",
            firstname="Greg",
            lastname="Hall",
            hubspot_owner_id="1",
            links={"companies": [("1", "contact_to_company_primary")], "deals": [("1", "contact_to_deal")]},
        ),
        "2": _record(
            "2",
            email="greg.novak@globex.com",
            firstname="Greg",
            lastname="Novak",
            hubspot_owner_id="2",
            links={"deals": [("2", "contact_to_deal")]},
        ),
        "3": _record("3", archived=True, email="noah@x.com", firstname="Noah", lastname="W", hubspot_owner_id=None),
    }
    companies = {
        "1": _record("1", name="Acme Corp", domain="acme.com", links={"contacts": [("1", "company_to_contact")]}),
        "2": _record("2", name="Old Co", domain="old.com", archived=True),
    }
    deals = {
        "1": _record(
            "1",
            dealname="Acme renewal",
            amount="24000",
            dealstage="contractsent",
            links={"contacts": [("1", "deal_to_contact")]},
        ),
        "2": _record(
            "2",
            dealname="Globex pilot",
            amount="6000",
            dealstage="closedwon",
            links={"contacts": [("2", "deal_to_contact")]},
        ),
    }
    return Snapshot({"contacts": contacts, "companies": companies, "deals": deals, "notes": {}, "tasks": {}}, owners)


def test_owner_by_email_full_name_or_first_name(snap: Snapshot) -> None:
    greg = snap.records["contacts"]["1"]
    for ref in ("raj@brightline.io", "Raj Patel", "raj"):
        assert mismatches(snap, "contacts", greg, {"owner": ref}) == []
    assert mismatches(snap, "contacts", greg, {"owner": "Nadia"}) == ["owner is '1', expected 'Nadia'"]
    assert mismatches(snap, "contacts", snap.records["contacts"]["3"], {"owner": None}) == []


def test_association_criteria(snap: Snapshot) -> None:
    greg = snap.records["contacts"]["1"]
    assert mismatches(snap, "contacts", greg, {"companies": {"domain": "acme.com", "primary": True}}) == []
    assert mismatches(snap, "contacts", greg, {"companies": 1, "deals": [{"amount": 24000}]}) == []
    assert mismatches(snap, "contacts", greg, {"deals": {"amount": 6000}}) == [
        "is not associated with deals matching {'amount': 6000} (associated: deal 'Acme renewal' (id 1))"
    ]
    assert mismatches(snap, "contacts", greg, {"deals": 2}) == [
        "has 1 associated deals (deal 'Acme renewal' (id 1)), expected 2"
    ]
    # nested: the deal whose contact has a given email
    assert mismatches(snap, "deals", snap.records["deals"]["2"], {"contacts": {"email": "greg.novak@globex.com"}}) == []


def test_archived_links_do_not_count(snap: Snapshot) -> None:
    snap.records["contacts"]["1"].associations["companies"].results.append(AssociationRef(id="2", type="x"))
    assert mismatches(snap, "contacts", snap.records["contacts"]["1"], {"companies": 1}) == []


def test_check_records_selects_then_checks(snap: Snapshot) -> None:
    expect = Expect.model_validate(
        {
            "records": [
                {"type": "contacts", "match": {"email": "greg.hall@acme.com"}, "properties": {"firstname": "Greg"}},
                {"type": "contacts", "match": {"firstname": "Greg"}, "count": 2},
                {"type": "contact", "match": {"email": "noah@x.com"}, "archived": True},
                {
                    "type": "deals",
                    "match": {"contacts": {"email": "greg.hall@acme.com"}},
                    "properties": {"amount": 24000},
                    "associations": {"contacts": 1},
                },
            ],
            "absent": [{"type": "contacts", "match": {"email": "noah@x.com"}}, {"type": "companies", "match": {}}],
            "counts": {"contacts": 2, "companies": 1, "deals": 2},
        }
    )
    assert expect.absent[1].match == {}
    failures = check_records(snap, expect)
    # the catch-all absent matches the active company
    assert failures == ["absent: expected no active companies matching {}, found company Acme Corp (acme.com, id 1)"]


def test_check_records_failure_messages(snap: Snapshot) -> None:
    expect = Expect.model_validate(
        {
            "records": [
                {"type": "deals", "match": {"dealname": "Acme renewal"}, "properties": {"dealstage": "closedwon"}},
                {"type": "contacts", "match": {"email": "noah@x.com"}},
                {"type": "contacts", "match": {"email": "greg.hall@acme.com"}, "archived": True},
                {"type": "contacts", "match": {"firstname": "Greg"}},
            ],
            "counts": {"contacts": 3},
        }
    )
    assert check_records(snap, expect) == [
        "records: deal 'Acme renewal' (id 1) dealstage is 'contractsent', expected 'closedwon'",
        "records: expected 1 active contacts matching {'email': 'noah@x.com'}, found 0 (1 archived one(s) match)",
        "records: expected 1 archived contacts matching {'email': 'greg.hall@acme.com'}, found 0 "
        "(1 active one(s) match)",
        "records: expected 1 active contacts matching {'firstname': 'Greg'}, found 2: contact Greg Hall "
        "<greg.hall@acme.com> (id 1); contact Greg Novak <greg.novak@globex.com> (id 2)",
        "counts: expected 3 active contacts, found 2",
    ]


def _run(reply: str, status: str = "succeeded", steps: list[tuple[str, str]] = ()) -> SimpleNamespace:
    return SimpleNamespace(
        reply=reply,
        status=status,
        steps=[
            SimpleNamespace(position=n, status=s, risk=r, description=f"step {n}") for n, (s, r) in enumerate(steps, 1)
        ],
    )


def test_check_reply() -> None:
    run = _run(
        "1. created contact Eve\n2. failed contact Grace: email: invalid\n3. skipped deal for Grace\nTotal: $45,800",
        status="partial",
        steps=[("succeeded", "read"), ("succeeded", "write"), ("failed", "write"), ("skipped", "write")],
    )
    ok = ReplyExpect.model_validate(
        {
            "reply_contains": ["EVE", "grace", ["45800", "45,800"]],
            "reply_not_contains": ["Frank"],
            "status": "partial",
            "steps": {"succeeded": 1, "failed": 1, "skipped": 1},
        }
    )
    assert check_reply(ok, run) == []
    bad = ReplyExpect.model_validate(
        {
            "reply_contains": [["45800", "45 800"]],
            "reply_not_contains": ["eve"],
            "status": "succeeded",
            "steps": {"succeeded": 2},
        }
    )
    failures = check_reply(bad, run, "turn 1")
    assert [f.split(";")[0] for f in failures] == [
        "turn 1: reply should contain '45800' or '45 800'",
        "turn 1: reply should not contain 'eve'",
        "turn 1: run status is 'partial', expected 'succeeded'",
        "turn 1: succeeded write steps: 1, expected 2 (2 succeeded step 2",
    ]


def test_accents_are_ignored_in_replies() -> None:
    assert check_reply(ReplyExpect(reply_contains=["José García"]), _run("found Jose Garcia")) == []
    assert check_reply(ReplyExpect(reply_contains=["jose"]), _run("found José García")) == []
