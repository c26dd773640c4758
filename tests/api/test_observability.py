"""Audit endpoints, health, metrics, request ids on every response and log line, and 500s that
never show a stack trace."""

from __future__ import annotations

import logging

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update
from tests.api.conftest import Team

from crm_agent.api.app import create_app
from crm_agent.audit import AuditEntry
from crm_agent.config import Settings


async def test_audit_log_and_filters(admin: httpx.AsyncClient, team: Team) -> None:
    first = (await admin.post("/contacts", json={"properties": {"email": "a@example.com"}})).json()
    await admin.patch(f"/contacts/{first['id']}", json={"properties": {"firstname": "Ann"}})
    await admin.post("/companies", json={"properties": {"name": "Acme"}})
    page = await admin.get("/audit", params={"limit": 2})
    body = page.json()
    assert body["total"] >= 5  # two owners from the fixture, then our three writes
    assert [e["action"] for e in body["results"]] == ["create", "update"]
    assert body["paging"]["next"]["after"] == "2"
    entry = body["results"][1]
    assert entry["actor"] == "admin@example.com" and entry["objectType"] == "contacts"
    assert entry["before"]["properties"]["firstname"] is None and entry["after"]["properties"]["firstname"] == "Ann"
    assert len(entry["hash"]) == 64 and len(entry["prevHash"]) == 64
    only = await admin.get("/audit", params={"objectType": "contacts", "objectId": first["id"]})
    assert [e["action"] for e in only.json()["results"]] == ["update", "create"]
    assert (await admin.get("/audit", params={"actor": "nobody@example.com"})).json()["total"] == 0
    assert (await admin.get("/audit", params={"limit": 501})).status_code == 422


async def test_audit_verification_detects_tampering(app: FastAPI, admin: httpx.AsyncClient) -> None:
    await admin.post("/contacts", json={"properties": {"email": "a@example.com"}})
    ok = (await admin.get("/audit/verify")).json()
    assert ok["ok"] is True and ok["entries"] >= 3 and ok["firstBadId"] is None
    async with app.state.services.crm.sessions.begin() as session:
        await session.execute(update(AuditEntry).where(AuditEntry.id == 2).values(actor="mallory"))
    broken = (await admin.get("/audit/verify")).json()
    assert broken == {"ok": False, "entries": 2, "firstBadId": 2, "reason": "content does not match its hash"}


async def test_health_and_metrics(client: httpx.AsyncClient, admin: httpx.AsyncClient) -> None:
    health = await client.get("/health")
    assert health.status_code == 200
    body = health.json()
    assert body["status"] == "ok" and body["database"] == {"ok": True, "state": "up", "detail": ""}
    assert body["worker"]["state"] in {"none", "running", "up"}
    await admin.get("/contacts")
    await admin.get("/contacts/999")
    metrics = await client.get("/metrics")
    assert metrics.headers["content-type"].startswith("text/plain")
    text = metrics.text
    assert 'crm_agent_http_requests_total{method="GET",route="/contacts",status="200"} 1.0' in text
    assert 'crm_agent_http_requests_total{method="GET",route="/contacts/{record_id}",status="404"} 1.0' in text
    assert "crm_agent_http_request_duration_seconds_bucket" in text


async def test_health_reports_a_dead_database(tmp_path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path, database_url="postgresql://nobody@127.0.0.1:1/none")
    app = create_app(settings)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        response = await http.get("/health")
    assert response.status_code == 503
    assert response.json()["status"] == "degraded" and response.json()["database"]["ok"] is False


async def test_request_ids(client: httpx.AsyncClient, team: Team) -> None:
    generated = await client.get("/health")
    assert len(generated.headers["X-Request-ID"]) == 32
    echoed = await client.get("/contacts", headers={"X-Request-ID": "abc-123"})
    assert echoed.headers["X-Request-ID"] == "abc-123" and echoed.json()["requestId"] == "abc-123"
    unsafe = await client.get("/health", headers={"X-Request-ID": "bad id\twith\nstuff" * 10})
    assert unsafe.headers["X-Request-ID"] != "bad id"
    page = await client.get("/login")
    assert page.headers["X-Request-ID"]


@pytest.fixture
def failing_app(settings: Settings) -> FastAPI:
    app = create_app(settings)

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals: password=hunter2")

    return app


async def test_unexpected_errors_show_no_stack_trace(failing_app: FastAPI, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=failing_app), base_url="http://t") as http:
        response = await http.get("/boom", headers={"X-Request-ID": "req-500"})
    assert response.status_code == 500
    assert response.json() == {
        "status": "error",
        "category": "INTERNAL_ERROR",
        "message": "internal error; the server log has the details under this request id",
        "requestId": "req-500",
    }
    assert "hunter2" not in response.text and "Traceback" not in response.text
    assert response.headers["X-Request-ID"] == "req-500"
    # The server log has the traceback, and every line of the request names its id.
    request_lines = [r for r in caplog.records if "req-500" in str(r.msg)]
    assert any("unhandled error" in str(r.msg) for r in request_lines)
    assert any(r.exc_info and "hunter2" in str(r.exc_info[1]) for r in request_lines)
    assert any("'status': 500" in str(r.msg) for r in request_lines)


async def test_every_log_line_of_a_request_carries_its_id(
    admin: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    await admin.post("/contacts", json={"properties": {"email": "bad@"}}, headers={"X-Request-ID": "req-422"})
    await admin.post(
        "/agent/process",
        json={"message": "Create a contact for A B (ab@example.com)"},
        headers={"X-Request-ID": "req-agent"},
    )
    ours = [r for r in caplog.records if r.name.startswith("crm_agent")]
    assert ours
    for record in ours:
        assert "request_id" in str(record.msg), record.msg


async def test_a_busy_database_is_a_503_not_a_500(settings: Settings) -> None:
    from sqlalchemy.exc import OperationalError

    app = create_app(settings)

    @app.get("/locked")
    async def locked() -> None:
        raise OperationalError("UPDATE runs ...", {}, Exception("database is locked"))

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        response = await http.get("/locked")
    assert response.status_code == 503 and response.headers["Retry-After"] == "2"
    assert response.json()["category"] == "UNAVAILABLE" and "locked" not in response.text
