"""The permission rules of docs/permissions.md, enforced for API keys and sessions alike:
members change only their own or unowned records, link records when one side is theirs, act
only on their own runs, and manage no reference data or users; admins may do everything."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from tests.api.conftest import Team, as_user


async def _deal(client: httpx.AsyncClient, owner_id: str | None, name: str) -> str:
    props = {"dealname": name, **({"hubspot_owner_id": owner_id} if owner_id else {})}
    response = await client.post("/deals", json={"properties": props})
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def test_member_changes_only_own_or_unowned_records(app: FastAPI, team: Team) -> None:
    async with as_user(app, team.admin) as admin, as_user(app, team.member) as mia:
        oscars = await _deal(admin, team.other.owner_id, "Oscar's deal")
        mine = await _deal(admin, team.member.owner_id, "Mia's deal")
        nobodys = await _deal(admin, None, "Unowned deal")
        # Everyone reads everything.
        assert (await mia.get(f"/deals/{oscars}")).status_code == 200
        assert (await mia.get("/deals")).json()["total"] == 3
        # Update, archive: refused on Oscar's record, with a reason; allowed on her own and unowned ones.
        refused = await mia.patch(f"/deals/{oscars}", json={"properties": {"amount": "1"}})
        assert refused.status_code == 403
        assert refused.json()["category"] == "FORBIDDEN" and "permissions.md" in refused.json()["message"]
        assert (await mia.delete(f"/deals/{oscars}")).status_code == 403
        batch = await mia.post(
            "/deals/batch/update",
            json={
                "inputs": [{"id": mine, "properties": {"amount": "5"}}, {"id": oscars, "properties": {"amount": "5"}}]
            },
        )
        assert batch.status_code == 403 and oscars in batch.json()["message"]
        assert (await admin.get(f"/deals/{mine}")).json()["properties"]["amount"] is None  # nothing written
        assert (await mia.patch(f"/deals/{mine}", json={"properties": {"amount": "2"}})).status_code == 200
        assert (await mia.patch(f"/deals/{nobodys}", json={"properties": {"amount": "3"}})).status_code == 200
        # A member may hand her own record to a colleague; afterwards it is no longer hers to change.
        handed = await mia.patch(f"/deals/{mine}", json={"properties": {"hubspot_owner_id": team.other.owner_id}})
        assert handed.status_code == 200
        assert (await mia.patch(f"/deals/{mine}", json={"properties": {"amount": "4"}})).status_code == 403
        # Creating is open to everyone, for any owner.
        assert await _deal(mia, team.other.owner_id, "Lead for Oscar")
        assert (await mia.delete(f"/deals/{nobodys}")).status_code == 204
        assert (await mia.post(f"/deals/{nobodys}/restore")).status_code == 200
        assert (await admin.delete(f"/deals/{oscars}")).status_code == 204
        assert (await mia.post(f"/deals/{oscars}/restore")).status_code == 403
        assert (await admin.post(f"/deals/{oscars}/restore")).status_code == 200
        # Admins change anything.
        assert (await admin.patch(f"/deals/{oscars}", json={"properties": {"amount": "9"}})).status_code == 200
        assert (await admin.delete(f"/deals/{oscars}")).status_code == 204


async def test_member_links_records_when_one_side_is_hers(app: FastAPI, team: Team) -> None:
    async with as_user(app, team.admin) as admin, as_user(app, team.member) as mia:
        oscars = await _deal(admin, team.other.owner_id, "Oscar's deal")
        oscars_contact = (
            await admin.post(
                "/contacts", json={"properties": {"email": "c@example.com", "hubspot_owner_id": team.other.owner_id}}
            )
        ).json()["id"]
        refused = await mia.put(f"/deals/{oscars}/associations/contacts/{oscars_contact}")
        assert refused.status_code == 403
        # Logging a note on a colleague's deal: the new note is hers, so the link is allowed.
        note = await mia.post(
            "/notes",
            json={
                "properties": {"hs_note_body": "Called them"},
                "associations": [{"to": {"id": oscars}, "objectType": "deals"}],
            },
        )
        assert note.status_code == 201
        assert (await mia.put(f"/notes/{note.json()['id']}/associations/deals/{oscars}")).status_code == 200
        assert (await admin.put(f"/deals/{oscars}/associations/contacts/{oscars_contact}")).status_code == 200
        assert (await mia.delete(f"/deals/{oscars}/associations/contacts/{oscars_contact}")).status_code == 403


async def test_reference_data_is_for_admins(app: FastAPI, team: Team) -> None:
    async with as_user(app, team.admin) as admin, as_user(app, team.member) as mia:
        owner = {"email": "new.owner@example.com", "firstName": "New", "lastName": "Owner"}
        pipeline = {
            "label": "Renewals",
            "stages": [{"label": "Open", "probability": 0.5}, {"label": "Renewed", "probability": 1, "isClosed": True}],
        }
        prop = {"name": "renewal_date", "label": "Renewal date", "type": "date"}
        assert (await mia.post("/owners", json=owner)).status_code == 403
        assert (await mia.post("/pipelines", json=pipeline)).status_code == 403
        assert (await mia.post("/properties/deals", json=prop)).status_code == 403
        assert (await admin.post("/owners", json=owner)).status_code == 201
        assert (await admin.post("/pipelines", json=pipeline)).status_code == 201
        assert (await admin.post("/properties/deals", json=prop)).status_code == 201
        # Reading reference data is for everyone.
        assert len((await mia.get("/owners")).json()) == 3
        assert {p["id"] for p in (await mia.get("/pipelines")).json()} == {"default", "renewals"}
        assert (await mia.get("/properties/deals/renewal_date")).status_code == 200


async def test_member_acts_only_on_own_runs(app: FastAPI, team: Team) -> None:
    async with as_user(app, team.member) as mia, as_user(app, team.other) as oscar, as_user(app, team.admin) as admin:
        review = {"message": "Create a contact for Rita Runs (rita@example.com)", "mode": "review"}
        oscars_run = (await oscar.post("/agent/process", json=review)).json()
        assert oscars_run["status"] == "awaiting_approval" and oscars_run["actor"] == team.other.email
        # Mia sees it but may not approve, reject or undo it.
        assert (await mia.get(f"/runs/{oscars_run['id']}")).status_code == 200
        for action in ("approve", "reject", "undo"):
            response = await mia.post(f"/runs/{oscars_run['id']}/{action}")
            assert response.status_code == 403, action
            assert team.other.email in response.json()["message"]
        assert (await oscar.get(f"/runs/{oscars_run['id']}")).json()["status"] == "awaiting_approval"
        # An admin may; the approval is recorded under the admin.
        approved = await admin.post(f"/runs/{oscars_run['id']}/approve")
        assert approved.status_code == 200 and approved.json()["status"] == "succeeded"
        entries = (await admin.get("/audit", params={"runId": oscars_run["id"]})).json()["results"]
        assert entries and {e["actor"] for e in entries} == {team.admin.email}
        # Oscar undoes his own run.
        assert (await oscar.post(f"/runs/{oscars_run['id']}/undo")).status_code == 200


async def test_the_agent_is_held_to_the_same_rules(app: FastAPI, team: Team) -> None:
    async with as_user(app, team.admin) as admin, as_user(app, team.member) as mia:
        oscars = await _deal(admin, team.other.owner_id, "Oscar Kiosk rollout")
        mine = await _deal(admin, team.member.owner_id, "Mia Kiosk rollout")
        run = (
            await mia.post(
                "/agent/process", json={"message": "Update the Oscar Kiosk rollout deal amount to 7000", "mode": "auto"}
            )
        ).json()
        step = run["steps"][0]
        assert step["status"] == "failed" and "members may change only their own records" in step["error"]
        assert (await admin.get(f"/deals/{oscars}")).json()["properties"]["amount"] is None
        ok = (
            await mia.post(
                "/agent/process", json={"message": "Update the Mia Kiosk rollout deal amount to 7000", "mode": "auto"}
            )
        ).json()
        assert ok["status"] == "succeeded", ok["reply"]
        assert float((await admin.get(f"/deals/{mine}")).json()["properties"]["amount"]) == 7000
        # The run's writes are still recorded under its user, run and step (so undo works).
        entry = (await admin.get("/audit", params={"runId": ok["id"]})).json()["results"][0]
        assert entry["actor"] == team.member.email and entry["step"] == 1
        assert (await mia.post(f"/runs/{ok['id']}/undo")).json()["status"] == "undone"
        assert (await admin.get(f"/deals/{mine}")).json()["properties"]["amount"] is None
