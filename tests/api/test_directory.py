"""Owners, pipelines and properties endpoints (HubSpot's shapes)."""

from __future__ import annotations

import httpx


async def test_owners(admin: httpx.AsyncClient) -> None:
    owners = (await admin.get("/owners")).json()
    assert {o["email"] for o in owners} == {"mia@example.com", "oscar@example.com"}
    assert set(owners[0]) == {"id", "email", "firstName", "lastName", "archived"}
    one = await admin.get(f"/owners/{owners[0]['id']}")
    assert one.json() == owners[0]
    assert (await admin.get("/owners/999")).status_code == 404
    created = await admin.post("/owners", json={"email": "Raj@Example.com", "firstName": "Raj"})
    assert created.status_code == 201 and created.json()["email"] == "raj@example.com"
    dup = await admin.post("/owners", json={"email": "raj@example.com"})
    assert dup.status_code == 409
    bad = await admin.post("/owners", json={"email": "raj"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "email"


async def test_pipelines(admin: httpx.AsyncClient) -> None:
    default = (await admin.get("/pipelines/default")).json()
    assert default["label"] == "Sales Pipeline"
    assert [s["id"] for s in default["stages"]][-2:] == ["closedwon", "closedlost"]
    assert default["stages"][0]["metadata"] == {"probability": "0.2", "isClosed": "false"}
    created = await admin.post(
        "/pipelines",
        json={
            "label": "Partners",
            "stages": [{"label": "Intro", "probability": 0.1}, {"label": "Signed", "probability": 1, "isClosed": True}],
        },
    )
    assert created.status_code == 201 and created.json()["id"] == "partners"
    assert (
        await admin.post("/pipelines", json={"label": "Partners", "stages": [{"label": "A", "probability": 0.1}]})
    ).status_code == 409
    assert (await admin.post("/pipelines", json={"label": "X", "stages": []})).status_code == 422
    bad = await admin.post("/pipelines", json={"label": "Y", "stages": [{"label": "A", "probability": 2}]})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "stages.0.probability"
    assert (await admin.get("/pipelines/nope")).status_code == 404
    # Two stages whose names reduce to the same id: refused, never a server error.
    same = await admin.post(
        "/pipelines",
        json={"label": "Z", "stages": [{"label": "Won!", "probability": 0.1}, {"label": "Won?", "probability": 0.2}]},
    )
    assert same.status_code in (201, 409, 422), same.text


async def test_properties(admin: httpx.AsyncClient) -> None:
    props = (await admin.get("/properties/contacts")).json()
    email = next(p for p in props if p["name"] == "email")
    assert email["hubspotDefined"] is True and email["type"] == "string"
    stage = (await admin.get("/properties/contacts/lifecyclestage")).json()
    assert {"value": "customer", "label": "Customer"} in stage["options"]
    created = await admin.post(
        "/properties/deals",
        json={
            "name": "contract_term",
            "label": "Contract term",
            "type": "enumeration",
            "options": ["Annual", "Monthly"],
        },
    )
    assert created.status_code == 201
    assert created.json()["options"] == [
        {"value": "annual", "label": "Annual"},
        {"value": "monthly", "label": "Monthly"},
    ]
    assert (await admin.post("/properties/deals", json={"name": "contract_term"})).status_code == 409
    bad = await admin.post("/properties/deals", json={"name": "Bad Name", "type": "enumeration"})
    assert bad.status_code == 422 and {e["field"] for e in bad.json()["errors"]} == {"name", "options"}
    assert (await admin.get("/properties/planets")).status_code == 422
    assert (await admin.get("/properties/deals/nope")).status_code == 404
    # The new property works on records at once.
    deal = await admin.post("/deals", json={"properties": {"dealname": "D", "contract_term": "Monthly"}})
    assert deal.json()["properties"]["contract_term"] == "monthly"
