"""The email API over HTTP (the FastAPI app in process): the approvals queue, quotas, templates,
sending, the SMTP check and the public unsubscribe link."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from outreach_helpers import LONG_ENOUGH

from crm_agent.api.app import create_app
from crm_agent.auth.service import AuthService
from crm_agent.config import Settings
from crm_agent.crm.service import LocalCrm
from crm_agent.storage.engine import dispose_all


@pytest.fixture
async def api(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    crm = await LocalCrm.connect(settings)
    user = await AuthService(crm.sessions, settings).create_user("olivia@ourco.com", "member", "Olivia")
    await crm.create("contacts", {"email": "ann@acme.com", "firstname": "Ann", "lastname": "Lee"})
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://test", headers={"Authorization": f"Bearer {user.apiKey}"}
    ) as client:
        yield client
    await dispose_all()


async def test_draft_review_and_send(api: httpx.AsyncClient) -> None:
    created = await api.post("/email/send", json={"template": "follow_up", "contact_id": "1"})
    assert created.status_code == 201, created.text
    draft = created.json()
    assert draft["status"] == "pending" and draft["created_by"] == "olivia@ourco.com"
    assert [c["level"] for c in draft["checks"]] == ["pass"] * 8

    pending = (await api.get("/drafts/pending")).json()
    assert [d["id"] for d in pending] == [draft["id"]]

    edited = await api.patch(f"/drafts/{draft['id']}", json={"subject": "Checking in"})
    assert edited.status_code == 200 and edited.json()["edits"][0]["after"]["subject"] == "Checking in"

    approved = await api.post(f"/drafts/{draft['id']}/approve")
    assert approved.status_code == 200, approved.text
    sent = approved.json()
    assert sent["status"] == "sent" and sent["decided_by"] == "olivia@ourco.com"
    assert (await api.get(f"/drafts/{draft['id']}")).json()["message_id"] == sent["message_id"]

    quota = (await api.get("/email/quota/ann@acme.com")).json()
    assert (quota["recipient_used"], quota["recipient_left"]) == (1, 1)


async def test_reject_needs_a_reason(api: httpx.AsyncClient) -> None:
    draft = (
        await api.post("/email/send", json={"to": "boss@example.com", "subject": "Hi", "body": LONG_ENOUGH})
    ).json()
    missing = await api.post(f"/drafts/{draft['id']}/reject", json={"reason": ""})
    assert missing.status_code == 422
    rejected = await api.post(f"/drafts/{draft['id']}/reject", json={"reason": "not now"})
    assert rejected.json()["status"] == "rejected" and rejected.json()["reject_reason"] == "not now"
    again = await api.post(f"/drafts/{draft['id']}/send")
    assert again.status_code == 403 and "is rejected" in again.json()["message"]


async def test_blocked_drafts_and_bad_input(api: httpx.AsyncClient) -> None:
    blocked = (await api.post("/email/send", json={"to": "grace@", "subject": "Hi", "body": "short"})).json()
    refused = await api.post(f"/drafts/{blocked['id']}/approve")
    assert refused.status_code == 403
    assert "cannot be approved: recipients: invalid address 'grace@'" in refused.json()["message"]

    injected = await api.post(
        "/email/send", json={"to": "a@acme.com", "subject": "Hi\r\nBcc: all@example.com", "body": LONG_ENOUGH}
    )
    assert injected.status_code == 422
    assert injected.json()["errors"][0]["field"] == "subject"
    assert "line breaks in a header are refused" in injected.json()["errors"][0]["message"]
    incomplete = await api.post("/email/send", json={"to": "a@acme.com"})
    assert incomplete.status_code == 422
    assert [e["field"] for e in incomplete.json()["errors"]] == ["subject", "body"]
    assert len((await api.get("/drafts")).json()) == 1


async def test_send_now_templates_and_transport_check(api: httpx.AsyncClient) -> None:
    sent = await api.post(
        "/email/send", json={"to": "boss@example.com", "subject": "Hi", "body": LONG_ENOUGH, "send": True}
    )
    assert sent.status_code == 201 and sent.json()["status"] == "sent"
    names = [t["name"] for t in (await api.get("/email/templates")).json()]
    assert "deals_created_today" in names
    check = (await api.post("/email/test")).json()
    assert check["ok"] and check["transport"] == "outbox"


async def test_unsubscribe_link_is_public_and_signed(api: httpx.AsyncClient) -> None:
    draft = (await api.post("/email/send", json={"template": "follow_up", "contact_id": "1"})).json()
    link = draft["body"].strip().splitlines()[-1]
    path = link.removeprefix("http://localhost:8000")
    async with httpx.AsyncClient(transport=api._transport, base_url="http://test") as anonymous:
        forged = await anonymous.get(path[:-3] + "abc")
        assert forged.status_code == 400 and "not valid" in forged.text
        done = await anonymous.get(path)
        assert done.status_code == 200 and "ann@acme.com will receive no more emails" in done.text
        again = await anonymous.post(path)
        assert again.status_code == 200 and "already unsubscribed" in again.text
    assert (await api.get("/contacts/1")).json()["properties"]["hs_email_optout"] == "true"


async def test_the_api_needs_a_key(api: httpx.AsyncClient) -> None:
    async with httpx.AsyncClient(transport=api._transport, base_url="http://test") as anonymous:
        assert (await anonymous.get("/drafts/pending")).status_code == 401
        assert (await anonymous.post("/email/send", json={})).status_code == 401
