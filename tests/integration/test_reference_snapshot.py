"""Per-run reuse of reads: the reference-data snapshot (owners, pipelines, properties) and the
planner's remembered name lookups, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from crm_agent.agent.names import candidates, remembered_lookups
from crm_agent.crm.directory import properties_of, reference_snapshot
from crm_agent.crm.models import Owner, PropertyDefinition
from crm_agent.crm.service import LocalCrm

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


async def _insert_owner_behind_the_back(crm: LocalCrm, email: str) -> None:
    """An owner added as another replica would: not through this process's directory functions."""
    async with crm.sessions.begin() as session:
        session.add(Owner(email=email, firstName="Other", lastName="Replica", createdAt=NOW, updatedAt=NOW))


async def test_snapshot_reads_reference_data_once_per_block(crm: LocalCrm) -> None:
    await crm.create_owner("raj@example.com", "Raj", "Patel")
    with reference_snapshot():
        assert [o.email for o in await crm.list_owners()] == ["raj@example.com"]
        await _insert_owner_behind_the_back(crm, "late@example.com")
        assert [o.email for o in await crm.list_owners()] == ["raj@example.com"]
    assert [o.email for o in await crm.list_owners()] == ["raj@example.com", "late@example.com"]


async def test_changes_made_inside_the_block_are_seen_at_once(crm: LocalCrm) -> None:
    with reference_snapshot():
        assert "renewal_date" not in await crm.properties("deals")
        assert len(await crm.list_pipelines()) == 1
        assert await crm.list_owners() == []
        await crm.create_property("deals", "renewal_date", "Renewal date", "date")
        await crm.create_pipeline("Partners", [("Intro", 0.1, False), ("Signed", 1, True)])
        await crm.create_owner("nadia@example.com", "Nadia", "Haddad")
        assert "renewal_date" in await crm.properties("deals")
        assert [p.id for p in await crm.list_pipelines()] == ["default", "partners"]
        assert [o.email for o in await crm.list_owners()] == ["nadia@example.com"]
        created = await crm.create("deals", {"dealname": "Partner deal", "pipeline": "Partners", "dealstage": "Intro"})
        assert created.properties["dealstage"] == "partners_intro"


async def test_snapshot_results_are_copies(crm: LocalCrm) -> None:
    with reference_snapshot():
        first = await crm.properties("contacts")
        first.pop("email")
        assert "email" in await crm.properties("contacts")


async def test_remembered_lookups_reuse_an_answer_until_the_block_ends(crm: LocalCrm) -> None:
    for n in range(3):
        await crm.create("contacts", {"firstname": "Quinn", "lastname": f"Number{n}", "email": f"q{n}@x.com"})
    with remembered_lookups():
        found = await candidates(crm, "contacts", "quinn")
        assert [c.properties["email"] for c in found] == ["q0@x.com", "q1@x.com", "q2@x.com"]
        assert [c.id for c in await candidates(crm, "contacts", "quinn", limit=2)] == [c.id for c in found[:2]]
        await crm.create("contacts", {"firstname": "Quinn", "lastname": "Late", "email": "late@x.com"})
        assert len(await candidates(crm, "contacts", "quinn")) == 3
    assert len(await candidates(crm, "contacts", "quinn")) == 4


async def test_properties_of_several_types_fill_the_snapshot_for_each(crm: LocalCrm) -> None:
    with reference_snapshot():
        async with crm.read_only() as conn:
            both = await properties_of(conn, ["contacts", "deals"])
        assert "email" in both["contacts"] and "dealname" in both["deals"]
        async with crm.sessions.begin() as session:
            session.add(
                PropertyDefinition(object_type="deals", name="late_field", label="Late", type="string", created_at=NOW)
            )
        assert "late_field" not in await crm.properties("deals")
    assert "late_field" in await crm.properties("deals")
