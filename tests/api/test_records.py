"""CRM record endpoints for every object type: HubSpot-shaped create, get, update, archive, list,
search, batch create/update and associations, with 422/404/409 answers that name the field."""

from __future__ import annotations

import httpx
import pytest

TYPES = {
    "contacts": ({"email": "ann@example.com", "firstname": "Ann"}, {"lastname": "Lee"}),
    "companies": ({"name": "Acme", "domain": "acme.com"}, {"city": "Paris"}),
    "deals": ({"dealname": "Acme renewal", "amount": "5000"}, {"dealstage": "closedwon"}),
    "notes": ({"hs_note_body": "Met at the fair"}, {"hs_note_body": "Met at the fair in Lyon"}),
    "tasks": ({"hs_task_subject": "Call back"}, {"hs_task_status": "COMPLETED"}),
    "meetings": ({"hs_meeting_title": "Kickoff"}, {"hs_meeting_location": "Zoom"}),
    "emails": ({"hs_email_subject": "Hello"}, {"hs_email_status": "SENT"}),
}


@pytest.mark.parametrize("object_type", TYPES)
async def test_crud(admin: httpx.AsyncClient, object_type: str) -> None:
    create, change = TYPES[object_type]
    created = await admin.post(f"/{object_type}", json={"properties": create})
    assert created.status_code == 201, created.text
    record = created.json()
    assert set(record) == {"id", "properties", "associations", "archived", "createdAt", "updatedAt"}
    rid = record["id"]
    got = await admin.get(f"/{object_type}/{rid}")
    assert got.status_code == 200 and got.json()["id"] == rid
    only = await admin.get(f"/{object_type}/{rid}", params={"properties": ",".join(create)})
    assert set(only.json()["properties"]) == {*create, "hs_object_id"}
    updated = await admin.patch(f"/{object_type}/{rid}", json={"properties": change})
    assert updated.status_code == 200
    for name in change:
        assert updated.json()["properties"][name] is not None
    listed = await admin.get(f"/{object_type}", params={"limit": 5})
    assert listed.status_code == 200 and listed.json()["total"] == 1
    searched = await admin.post(f"/{object_type}/search", json={"filterGroups": [], "limit": 5})
    assert searched.json()["results"][0]["id"] == rid
    assert (await admin.delete(f"/{object_type}/{rid}")).status_code == 204
    assert (await admin.get(f"/{object_type}/{rid}")).status_code == 404
    archived = await admin.get(f"/{object_type}/{rid}", params={"archived": "true"})
    assert archived.json()["archived"] is True
    assert (await admin.get(f"/{object_type}", params={"archived": "true"})).json()["total"] == 1
    assert (await admin.delete(f"/{object_type}/{rid}")).status_code == 404
    restored = await admin.post(f"/{object_type}/{rid}/restore")
    assert restored.status_code == 200 and restored.json()["archived"] is False
    assert (await admin.post(f"/{object_type}/{rid}/restore")).status_code == 404


@pytest.mark.parametrize("object_type", TYPES)
async def test_batch_create_and_update(admin: httpx.AsyncClient, object_type: str) -> None:
    create, change = TYPES[object_type]
    inputs = [{"properties": create}, {"properties": {"no_such_property": "x"}}]
    batch = await admin.post(f"/{object_type}/batch/create", json={"inputs": inputs})
    assert batch.status_code == 207, batch.text
    body = batch.json()
    assert len(body["results"]) == 1 and body["errors"][0]["index"] == 1
    assert body["errors"][0]["category"] == "VALIDATION_ERROR"
    assert body["errors"][0]["context"]["fields"] == ["no_such_property"]
    rid = body["results"][0]["id"]
    update = await admin.post(f"/{object_type}/batch/update", json={"inputs": [{"id": rid, "properties": change}]})
    assert update.status_code == 200 and update.json()["updated"] == 1
    missing = await admin.post(f"/{object_type}/batch/update", json={"inputs": [{"id": "999", "properties": change}]})
    assert missing.status_code == 207 and missing.json()["errors"][0]["category"] == "OBJECT_NOT_FOUND"
    complete = await admin.post(f"/{object_type}/batch/create", json={"inputs": [{"properties": {}}]})
    assert complete.status_code == 201


async def test_field_level_validation_errors(admin: httpx.AsyncClient) -> None:
    bad = await admin.post("/contacts", json={"properties": {"email": "bob@", "lifecyclestage": "martian"}})
    assert bad.status_code == 422
    body = bad.json()
    assert body["category"] == "VALIDATION_ERROR" and body["requestId"]
    fields = {e["field"]: e for e in body["errors"]}
    assert set(fields) == {"email", "lifecyclestage"}
    assert fields["email"]["value"] == "bob@" and "email" in fields["email"]["message"]
    assert "subscriber" in fields["lifecyclestage"]["message"].lower()  # says what is accepted
    shape = await admin.post("/contacts", json={"properties": "not an object", "extra": 1})
    assert shape.status_code == 422
    assert {e["field"] for e in shape.json()["errors"]} == {"properties", "extra"}
    unknown = await admin.patch("/contacts/1", json={})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "properties"
    not_json = await admin.post("/contacts", content=b"{", headers={"Content-Type": "application/json"})
    assert not_json.status_code == 422
    too_many = await admin.post("/contacts/batch/create", json={"inputs": [{"properties": {}}] * 101})
    assert too_many.status_code == 422 and too_many.json()["errors"][0]["field"] == "inputs"


async def test_not_found_and_conflict(admin: httpx.AsyncClient) -> None:
    missing = await admin.get("/contacts/424242")
    assert missing.status_code == 404
    assert missing.json()["message"] == "contact 424242 not found"
    assert missing.json()["category"] == "OBJECT_NOT_FOUND"
    assert (await admin.get("/contacts/not-a-number")).status_code == 404
    assert (await admin.patch("/deals/77", json={"properties": {"dealname": "x"}})).status_code == 404
    first = await admin.post("/contacts", json={"properties": {"email": "ann@example.com"}})
    again = await admin.post("/contacts", json={"properties": {"email": "ANN@example.com"}})
    assert again.status_code == 409
    assert again.json()["context"]["existingId"] == first.json()["id"]
    assert f"id {first.json()['id']}" in again.json()["message"]
    unknown_route = await admin.get("/nothing-here")
    assert unknown_route.status_code == 404 and "no such endpoint" in unknown_route.json()["message"]
    wrong_method = await admin.put("/contacts")
    assert wrong_method.status_code == 405


async def test_list_paging_sorting_and_query(admin: httpx.AsyncClient) -> None:
    for i, name in enumerate(["Zoe", "Adam", "Maria", "José"]):
        await admin.post("/contacts", json={"properties": {"email": f"p{i}@example.com", "firstname": name}})
    page1 = await admin.get("/contacts", params={"limit": 3, "sort": "firstname"})
    assert [r["properties"]["firstname"] for r in page1.json()["results"]] == ["Adam", "José", "Maria"]
    after = page1.json()["paging"]["next"]["after"]
    page2 = await admin.get("/contacts", params={"limit": 3, "sort": "firstname", "after": after})
    assert [r["properties"]["firstname"] for r in page2.json()["results"]] == ["Zoe"]
    assert page2.json()["paging"] is None
    desc = await admin.get("/contacts", params={"limit": 1, "sort": "-firstname"})
    assert desc.json()["results"][0]["properties"]["firstname"] == "Zoe"
    found = await admin.get("/contacts", params={"q": "jose"})
    assert found.json()["total"] == 1
    bad_sort = await admin.get("/contacts", params={"sort": "nope"})
    assert bad_sort.status_code == 422 and bad_sort.json()["errors"][0]["field"] == "sorts"
    assert (await admin.get("/contacts", params={"limit": 0})).status_code == 422
    assert (await admin.get("/contacts", params={"after": "x"})).status_code == 422


async def test_search_with_filter_groups(admin: httpx.AsyncClient) -> None:
    await admin.post("/deals", json={"properties": {"dealname": "Small", "amount": "900"}})
    await admin.post("/deals", json={"properties": {"dealname": "Big", "amount": "25000", "dealstage": "contractsent"}})
    body = {
        "filterGroups": [
            {"filters": [{"propertyName": "amount", "operator": "GT", "value": "10000"}]},
            {"filters": [{"propertyName": "dealname", "operator": "EQ", "value": "small"}]},
        ],
        "sorts": [{"propertyName": "amount", "direction": "DESCENDING"}],
        "properties": ["dealname", "amount"],
    }
    page = await admin.post("/deals/search", json=body)
    assert page.status_code == 200
    assert [r["properties"]["dealname"] for r in page.json()["results"]] == ["Big", "Small"]
    bad = await admin.post(
        "/deals/search",
        json={"filterGroups": [{"filters": [{"propertyName": "amount", "operator": "BETWEEN", "value": "1"}]}]},
    )
    assert bad.status_code == 422
    unknown = await admin.post(
        "/deals/search",
        json={"filterGroups": [{"filters": [{"propertyName": "colour", "operator": "EQ", "value": "red"}]}]},
    )
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "colour"
    huge = await admin.post("/deals/search", json={"after": "99999999999999999999999"})
    assert huge.status_code == 422


async def test_associations(admin: httpx.AsyncClient) -> None:
    company = (await admin.post("/companies", json={"properties": {"name": "Acme", "domain": "acme.com"}})).json()
    # HubSpot's association spec: type 279 is contact to company, 1 the primary company.
    contact = await admin.post(
        "/contacts",
        json={
            "properties": {"email": "ann@acme.com"},
            "associations": [
                {
                    "to": {"id": company["id"]},
                    "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 1}],
                }
            ],
        },
    )
    assert contact.status_code == 201, contact.text
    cid = contact.json()["id"]
    links = await admin.get(f"/contacts/{cid}/associations/companies")
    assert links.json()["results"] == [{"id": company["id"], "type": "contact_to_company_primary"}]
    deal = (await admin.post("/deals", json={"properties": {"dealname": "D"}})).json()
    put = await admin.put(f"/deals/{deal['id']}/associations/contacts/{cid}")
    assert put.status_code == 200 and put.json()["results"][0]["id"] == cid
    reverse = await admin.get(f"/contacts/{cid}/associations/deals")
    assert reverse.json()["results"][0]["type"] == "contact_to_deal"
    assert (await admin.delete(f"/deals/{deal['id']}/associations/contacts/{cid}")).status_code == 204
    assert (await admin.delete(f"/deals/{deal['id']}/associations/contacts/{cid}")).status_code == 404
    assert (await admin.put(f"/deals/{deal['id']}/associations/contacts/999")).status_code == 404
    assert (await admin.put(f"/deals/{deal['id']}/associations/planets/1")).status_code == 422
    not_allowed = await admin.put(f"/notes/{deal['id']}/associations/notes/1")
    assert not_allowed.status_code in (404, 422)
    wrong_type = await admin.post(
        "/contacts",
        json={"properties": {}, "associations": [{"to": {"id": "1"}, "types": [{"associationTypeId": 99999}]}]},
    )
    assert wrong_type.status_code == 422 and wrong_type.json()["errors"][0]["field"] == "associations"
