"""Importing and exporting HubSpot-format CSV files, on SQLite and PostgreSQL: the hand-written messy
file and a generated 1,000-row export import with the right counts and every error listed, imports
are idempotent, unknown columns are reported or become custom properties, and an export imports
back unchanged. Also the ``crm-agent import`` / ``export`` commands."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from crm_agent import audit
from crm_agent.cli.main import app
from crm_agent.config import Settings
from crm_agent.crm.exporter import export_csv
from crm_agent.crm.fakes import OWNERS, add_owners, write_contacts_csv
from crm_agent.crm.importer import import_csv, infer_type
from crm_agent.crm.schemas import SearchRequest
from crm_agent.crm.service import LocalCrm
from crm_agent.errors import ValidationFailed

FIXTURES = Path(__file__).parent.parent / "fixtures"
MESSY_CONTACTS = FIXTURES / "messy_contacts.csv"
MESSY_DEALS = FIXTURES / "messy_deals.csv"
MESSY_ERRORS = [
    (6, "Email", "grace@"),
    (7, "Lifecycle Stage", "Hot Prospect"),
    (8, "Contact owner", "Nobody Known"),
    (11, "Phone Number", "call me maybe"),
    (11, "Last Contacted", "someday"),
]


async def add_team(crm: LocalCrm) -> None:
    await crm.create_owner("raj@example.com", "Raj", "Patel")
    await crm.create_owner("nadia@example.com", "Nadia", "Novák")
    await crm.create_owner("sofia@example.com", "Sofía", "García")


async def by_email(crm: LocalCrm) -> dict[str, dict[str, str | None]]:
    page = await crm.search("contacts", SearchRequest(limit=200))
    return {r.properties["email"]: r.properties for r in page.results}


async def audit_count(crm: LocalCrm) -> int:
    async with crm.sessions() as session:
        return await session.scalar(select(func.count()).select_from(audit.AuditEntry)) or 0


async def test_messy_contacts_import_with_every_bad_row_reported(crm: LocalCrm) -> None:
    await add_team(crm)
    seen: list[tuple[int, int]] = []
    report = await import_csv(crm, "contacts", MESSY_CONTACTS, progress=lambda done, total: seen.append((done, total)))
    assert (report.rows, report.created, report.updated, report.failed) == (12, 7, 1, 4)
    assert [(e.line, e.column, e.value) for e in report.errors] == MESSY_ERRORS
    assert "accepted: subscriber (Subscriber), lead (Lead)" in report.errors[1].reason
    assert "owners: Raj Patel <raj@example.com>" in report.errors[2].reason
    assert report.ignored_columns == ["Annual Budget"]
    assert [(w.line, w.column) for w in report.warnings] == [(1, None), (10, "Email")]
    assert "--create-properties" in report.warnings[0].reason
    assert "same email as line 3" in report.warnings[1].reason
    assert seen[-1] == (12, 12)

    contacts = await by_email(crm)
    assert sorted(contacts) == [
        "ann.lee@example.com",
        "bob@example.com",
        "jl.obrien@example.com",
        "jose.nunez@example.com",
        "karl@example.com",
        "laura@example.com",
        "zoe.angstrom@example.com",
    ]
    jose = contacts["jose.nunez@example.com"]
    assert (jose["firstname"], jose["lastname"], jose["company"]) == ("José", "Núñez", "Acme Café")
    assert (jose["phone"], jose["phone_raw"]) == ("+15550102000", "+1 (555) 010-2000")
    assert jose["notes_last_contacted"] == "2023-11-30T00:00:00.000Z"
    assert (jose["lifecyclestage"], jose["hs_lead_status"]) == ("lead", "OPEN")
    ann = contacts["ann.lee@example.com"]  # line 3, then updated by line 10 (same email, other case)
    assert (ann["firstname"], ann["lastname"], ann["company"], ann["jobtitle"]) == (
        "Annie",
        "Lee",
        "Globex",
        "Head of Sales",
    )
    assert (ann["hs_lead_status"], ann["notes_last_contacted"]) == ("CONNECTED", "2023-12-01T14:30:00.000Z")
    zoe = contacts["zoe.angstrom@example.com"]
    assert (zoe["lifecyclestage"], zoe["hs_lead_status"], zoe["hubspot_owner_id"]) == (
        "marketingqualifiedlead",
        "IN_PROGRESS",
        None,
    )
    assert contacts["jl.obrien@example.com"]["jobtitle"] == "Head of\nSales"
    assert contacts["jl.obrien@example.com"]["phone"] == "+442079460958"
    assert contacts["laura@example.com"]["phone"] == "555-0100"
    assert contacts["karl@example.com"]["notes_last_contacted"] == "2024-01-15T00:00:00.000Z"
    owners = {o.email: o.id for o in await crm.list_owners()}
    assert contacts["karl@example.com"]["hubspot_owner_id"] == owners["sofia@example.com"]
    assert contacts["bob@example.com"]["lastname"] is None
    found = await crm.search("contacts", SearchRequest(query="zoe angstrom"))
    assert [r.properties["email"] for r in found.results] == ["zoe.angstrom@example.com"]

    # idempotent: the same file again updates, nothing new, the same errors
    writes = await audit_count(crm)
    again = await import_csv(crm, "contacts", MESSY_CONTACTS)
    assert (again.created, again.updated, again.failed) == (0, 8, 4)
    assert [(e.line, e.column, e.value) for e in again.errors] == MESSY_ERRORS
    assert len(await by_email(crm)) == 7
    # line 3 sets Ann's first name back and line 10 sets it again: two writes, nothing else changes
    assert await audit_count(crm) == writes + 2


async def test_unknown_columns_become_typed_custom_properties(crm: LocalCrm) -> None:
    await add_team(crm)
    report = await import_csv(crm, "contacts", MESSY_CONTACTS, create_properties=True)
    assert report.created_properties == [
        {"name": "annual_budget", "label": "Annual Budget", "type": "number", "options": []}
    ]
    assert report.ignored_columns == [] and report.failed == 4
    contacts = await by_email(crm)
    assert contacts["jose.nunez@example.com"]["annual_budget"] == "5000"
    assert contacts["ann.lee@example.com"]["annual_budget"] == "1200"
    assert contacts["jl.obrien@example.com"]["annual_budget"] == "2500"
    assert contacts["bob@example.com"].get("annual_budget") is None
    again = await import_csv(crm, "contacts", MESSY_CONTACTS, create_properties=True)
    assert again.created_properties == [] and (again.created, again.updated) == (0, 8)


def test_type_inference() -> None:
    assert infer_type(["$5,000.00", "1200", "", " 7.5 "]) == ("number", None)
    assert infer_type(["11/30/2023", "2024-01-15", ""]) == ("date", None)
    assert infer_type(["2024-01-15 10:30", "11/30/2023"]) == ("datetime", None)
    assert infer_type(["Gold", "silver", "GOLD", "Silver", ""]) == ("enumeration", ["Gold", "silver"])
    assert infer_type([f"value {i}" for i in range(21)]) == ("string", None)
    assert infer_type([f"value {i % 20}" for i in range(100)])[0] == "enumeration"
    assert infer_type(["", "  "]) == ("string", None)
    assert infer_type(["12", "May"]) == ("enumeration", ["12", "May"])


async def test_messy_deals_and_their_idempotent_reimport(crm: LocalCrm) -> None:
    await add_team(crm)
    report = await import_csv(crm, "deals", MESSY_DEALS)
    assert (report.rows, report.created, report.updated, report.failed) == (7, 4, 0, 3)
    assert [(e.line, e.column, e.value) for e in report.errors] == [
        (5, "Deal Stage", "Negotiation"),
        (6, "Amount", "five thousand"),
        (8, "Deal owner", "Nobody"),
    ]
    page = await crm.search("deals", SearchRequest(sorts=[{"propertyName": "hs_object_id"}]))
    deals = [r.properties for r in page.results]
    assert [(d["dealname"], d["amount"], d["dealstage"]) for d in deals] == [
        ("Acme renewal", "5000", "contractsent"),
        ("Globex expansion", "12000", "qualifiedtobuy"),
        ("Initech pilot", "800", "closedwon"),
        ("Acme renewal", "6000", "contractsent"),
    ]
    assert deals[0]["closedate"] == "2023-11-30T00:00:00.000Z" and deals[0]["hs_priority"] == "high"
    assert deals[1]["pipeline"] == "default" and deals[2]["closedate"] == "2026-11-20T09:00:00.000Z"
    # The Record IDs are another system's: the second import finds the deals by name and close date,
    # the n-th "Acme renewal" of the file updating the n-th such deal.
    again = await import_csv(crm, "deals", MESSY_DEALS)
    assert (again.created, again.updated, again.failed) == (0, 4, 3)
    page = await crm.search("deals", SearchRequest(sorts=[{"propertyName": "hs_object_id"}]))
    assert [r.properties["amount"] for r in page.results] == ["5000", "12000", "800", "6000"]


async def test_companies_by_domain(crm: LocalCrm, tmp_path: Path) -> None:
    path = tmp_path / "companies.csv"
    path.write_text(
        "Name;Company Domain Name;Industry;City;Country/Region;Number of Employees;Annual Revenue\n"
        "Acme Café;https://www.acme.com/;Food;Paris;France;1,200;$5,000,000\n"
        "Globex;globex.com;Energy;Springfield;United States;abc;\n"
        "Acme (dup);ACME.com;;Lyon;;;\n"
        "Initech;not a domain;;;;;\n",
        encoding="utf-8-sig",
    )
    report = await import_csv(crm, "companies", path)
    assert (report.created, report.updated, report.failed) == (1, 1, 2)
    assert [(e.line, e.column) for e in report.errors] == [(3, "Number of Employees"), (5, "Company Domain Name")]
    assert [(w.line, w.column) for w in report.warnings] == [(4, "Company Domain Name")]
    (acme,) = (await crm.search("companies", SearchRequest())).results
    assert (acme.properties["name"], acme.properties["city"], acme.properties["industry"]) == (
        "Acme (dup)",
        "Lyon",
        "Food",
    )
    assert (acme.properties["numberofemployees"], acme.properties["annualrevenue"]) == ("1200", "5000000")


async def test_generated_1000_row_export_imports_cleanly_and_idempotently(crm: LocalCrm, tmp_path: Path) -> None:
    path = write_contacts_csv(tmp_path / "contacts.csv", 1000, seed=11)
    await add_owners(crm)
    report = await import_csv(crm, "contacts", path, create_properties=True)
    assert (report.rows, report.created, report.updated, report.failed) == (1000, 1000, 0, 0)
    assert report.errors == [] and report.warnings == []
    assert report.readonly_columns == ["Create Date"]
    created = {p["name"]: p for p in report.created_properties}
    assert created["annual_budget"]["type"] == "number"
    assert created["preferred_language"]["type"] == "enumeration"
    assert sorted(created["preferred_language"]["options"]) == sorted(
        ["English", "Spanish", "French", "German", "Portuguese", "Japanese"]
    )
    assert await crm.count("contacts", SearchRequest()) == 1000
    with path.open(encoding="utf-8") as handle:
        first = next(csv.DictReader(handle))
    page = await crm.search("contacts", SearchRequest(query=f"{first['First Name']} {first['Last Name']}"))
    assert first["Email"].lower() in [r.properties["email"] for r in page.results]
    owner = OWNERS[0]
    mine = await crm.count(
        "contacts",
        SearchRequest(
            filterGroups=[{"filters": [{"propertyName": "hubspot_owner_id", "operator": "EQ", "value": owner.email}]}]
        ),
    )
    assert 50 < mine < 250
    again = await import_csv(crm, "contacts", path)
    assert (again.created, again.updated, again.failed) == (0, 1000, 0)
    assert await crm.count("contacts", SearchRequest()) == 1000


async def test_export_round_trips(crm: LocalCrm, settings: Settings, tmp_path: Path) -> None:
    await add_team(crm)
    await import_csv(crm, "contacts", MESSY_CONTACTS, create_properties=True)
    await import_csv(crm, "deals", MESSY_DEALS)
    await crm.create_property("contacts", "tier", "Tier", "enumeration", ["Gold", "Silver"])
    jose = (await crm.search("contacts", SearchRequest(query="jose"))).results[0]
    await crm.update("contacts", jose.id, {"tier": "gold", "hs_email_optout": "true"})
    exported = tmp_path / "contacts.csv"
    result = await export_csv(crm, "contacts", exported)
    assert result.rows == 7
    with exported.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0])[:4] == ["Record ID", "Email", "First Name", "Last Name"]
    row = next(r for r in rows if r["Email"] == "jose.nunez@example.com")
    assert row["Record ID"] == jose.id
    assert (row["Phone Number"], row["Contact owner"], row["Lifecycle Stage"], row["Lead Status"]) == (
        "+1 (555) 010-2000",
        "Raj Patel",
        "Lead",
        "Open",
    )
    assert (row["Last Contacted"], row["Tier"], row["Annual Budget"], row["Unsubscribed from all email"]) == (
        "2023-11-30 00:00",
        "Gold",
        "5000",
        "true",
    )
    assert row["Create Date"] == "2026-11-20 09:00"

    # importing the export again changes nothing
    writes = await audit_count(crm)
    again = await import_csv(crm, "contacts", exported)
    assert (again.created, again.updated, again.failed, again.warnings) == (0, 7, 0, [])
    assert again.readonly_columns == ["Create Date", "Last Modified Date"]
    assert await audit_count(crm) == writes

    # deals: matched by Record ID this time
    deals_file = tmp_path / "deals.csv"
    await export_csv(crm, "deals", deals_file)
    with deals_file.open(encoding="utf-8", newline="") as handle:
        deal_rows = list(csv.DictReader(handle))
    assert [(r["Deal Name"], r["Deal Stage"], r["Pipeline"]) for r in deal_rows][:2] == [
        ("Acme renewal", "Contract Sent", "Sales Pipeline"),
        ("Globex expansion", "Qualified To Buy", "Sales Pipeline"),
    ]
    again = await import_csv(crm, "deals", deals_file)
    assert (again.created, again.updated, again.failed) == (0, 4, 0)
    assert await audit_count(crm) == writes

    # and into a fresh CRM with the same owners, giving the same file
    second = await _fresh_crm(settings, tmp_path)
    await add_team(second)
    report = await import_csv(second, "contacts", exported, create_properties=True)
    assert (report.created, report.failed) == (7, 0)
    assert {p["name"] for p in report.created_properties} == {"tier", "annual_budget"}
    exported_again = tmp_path / "contacts-2.csv"
    await export_csv(second, "contacts", exported_again)
    assert exported_again.read_text(encoding="utf-8") == exported.read_text(encoding="utf-8")


async def _fresh_crm(settings: Settings, tmp_path: Path) -> LocalCrm:
    """A second, empty CRM on SQLite (the round trip does not depend on the first one's backend)."""
    other = Settings(
        _env_file=None,
        data_dir=tmp_path / "second",
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'second' / 'crm.db'}",
        now=settings.now,
    )
    return await LocalCrm.connect(other)


async def test_bad_files_and_types(crm: LocalCrm, tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(ValidationFailed, match="is empty"):
        await import_csv(crm, "contacts", empty)
    with pytest.raises(ValidationFailed, match="cannot be read"):
        await import_csv(crm, "contacts", tmp_path / "missing.csv")
    with pytest.raises(ValidationFailed, match="import one of contacts, companies, deals"):
        await import_csv(crm, "tasks", MESSY_CONTACTS)
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("Email,First Name\nann@x.com,Ann,extra\nbob@x.com\n", encoding="cp1252")
    report = await import_csv(crm, "contacts", ragged)
    assert (report.created, report.failed) == (1, 1)
    assert report.errors[0].line == 2 and "3 cells but the header has 2" in report.errors[0].reason
    latin = tmp_path / "latin.csv"
    latin.write_bytes("Email,First Name\nzoe@x.com,Zo\xeb\n".encode("cp1252"))
    report = await import_csv(crm, "contacts", latin)
    assert report.created == 1 and "Windows-1252" in report.warnings[0].reason
    assert (await crm.search("contacts", SearchRequest(query="zoe"))).results[0].properties["firstname"] == "Zoë"


def test_import_and_export_commands(settings: Settings, tmp_path: Path) -> None:
    runner = CliRunner()
    env = {
        "CRM_AGENT_DATABASE_URL": settings.resolved_database_url,
        "CRM_AGENT_NOW": "2026-11-20T09:00:00Z",
    }

    def invoke(*args: str) -> object:
        return runner.invoke(app, ["--data-dir", str(tmp_path), *args], env=env)

    for email, first, last in [
        ("raj@example.com", "Raj", "Patel"),
        ("nadia@example.com", "Nadia", "Novák"),
        ("sofia@example.com", "Sofía", "García"),
    ]:
        assert invoke("owners", "add", "--email", email, "--first-name", first, "--last-name", last).exit_code == 0
    result = invoke("import", "contacts", str(MESSY_CONTACTS), "--json")
    assert result.exit_code == 1  # some rows failed
    report = json.loads(result.stdout)
    assert (report["created"], report["updated"], report["failed"]) == (7, 1, 4)
    assert [(e["line"], e["column"]) for e in report["errors"]] == [(line, col) for line, col, _ in MESSY_ERRORS]
    result = invoke("import", "contacts", str(MESSY_CONTACTS))
    assert result.exit_code == 1
    assert "12 rows, 0 created, 8 updated, 4 failed" in result.stdout
    assert "Hot Prospect" in result.stdout and "rows not imported" in result.stdout
    out = tmp_path / "out.csv"
    result = invoke("export", "contacts", str(out), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["rows"] == 7
    result = invoke("import", "contacts", str(out))
    assert result.exit_code == 0, result.output
    assert "7 rows, 0 created, 7 updated, 0 failed" in result.stdout
    assert invoke("import", "notes", str(out)).exit_code == 2  # not an importable type
