"""Authentication: every endpoint but /health and /metrics needs a user (401 otherwise); API keys
are stored hashed; browser sessions need their CSRF token for writes; cookies are HttpOnly,
SameSite and Secure over HTTPS."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from tests.api.conftest import Team

from crm_agent.auth.models import ApiKey, WebSession

# Public by design: probes, metrics, and the signed unsubscribe links in outbound email.
PUBLIC = {("GET", "/health"), ("GET", "/metrics"), ("GET", "/unsubscribe/{token}"), ("POST", "/unsubscribe/{token}")}


def operations(app: FastAPI) -> list[tuple[str, str]]:
    spec = app.openapi()
    return [(method.upper(), path) for path, item in spec["paths"].items() for method in item]


def concrete(path: str) -> str:
    path = path.replace("{object_type}", "contacts").replace("{to_type}", "companies")
    return re.sub(r"\{[^}]+\}", "1", path)


async def test_every_endpoint_needs_sign_in(app: FastAPI, client: httpx.AsyncClient, team: Team) -> None:
    ops = operations(app)
    assert len(ops) > 90
    for method, path in ops:
        if (method, path) in PUBLIC:
            continue
        response = await client.request(method, concrete(path), json={})
        assert response.status_code == 401, (method, path, response.text)
        body = response.json()
        assert body["category"] == "UNAUTHORIZED" and body["requestId"] == response.headers["X-Request-ID"]
        assert response.headers["WWW-Authenticate"] == "Bearer"


async def test_public_endpoints(client: httpx.AsyncClient) -> None:
    assert (await client.get("/health")).status_code == 200
    assert (await client.get("/metrics")).status_code == 200
    assert (await client.get("/openapi.json")).status_code == 200
    docs = await client.get("/docs")
    assert docs.status_code == 200 and "/static/vendor/swagger-ui/swagger-ui-bundle.js" in docs.text
    assert "cdn" not in docs.text.lower()


async def test_wrong_or_malformed_key_is_refused(client: httpx.AsyncClient, team: Team) -> None:
    for header in ("Bearer crm_not-a-real-key", "Bearer ", "Basic YWRtaW46YWRtaW4=", "crm_abc"):
        response = await client.get("/contacts", headers={"Authorization": header})
        assert response.status_code == 401, header
    assert (await client.get("/contacts", headers=team.admin.headers)).status_code == 200


async def test_api_keys_are_stored_hashed(app: FastAPI, team: Team) -> None:
    async with app.state.services.crm.sessions() as session:
        stored = (await session.scalars(select(ApiKey.key_hash))).all()
    assert len(stored) == 3
    for user in (team.admin, team.member, team.other):
        assert user.key not in stored and all(user.key not in h for h in stored)


async def test_users_api_creates_user_whose_key_works(client: httpx.AsyncClient, team: Team) -> None:
    created = await client.post(
        "/users", json={"email": "new@example.com", "role": "member"}, headers=team.admin.headers
    )
    assert created.status_code == 201
    key = created.json()["apiKey"]
    me = await client.get("/users/me", headers={"Authorization": f"Bearer {key}"})
    assert me.json()["email"] == "new@example.com" and me.json()["role"] == "member"
    assert "apiKey" not in me.json()
    listed = await client.get("/users", headers=team.admin.headers)
    assert {u["email"] for u in listed.json()} >= {"admin@example.com", "new@example.com"}
    duplicate = await client.post("/users", json={"email": "NEW@example.com"}, headers=team.admin.headers)
    assert duplicate.status_code == 409
    bad = await client.post("/users", json={"email": "nope", "role": "owner"}, headers=team.admin.headers)
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"role"}


async def test_members_cannot_manage_users(client: httpx.AsyncClient, team: Team) -> None:
    assert (await client.get("/users", headers=team.member.headers)).status_code == 403
    response = await client.post("/users", json={"email": "x@example.com"}, headers=team.member.headers)
    assert response.status_code == 403
    assert (await client.get("/users/me", headers=team.member.headers)).json()["role"] == "member"


async def login(client: httpx.AsyncClient, email: str, secret: str) -> httpx.Response:
    form = await client.get("/login")
    token = re.search(r'name="login_csrf" value="([^"]+)"', form.text).group(1)
    return await client.post("/login", data={"email": email, "secret": secret, "login_csrf": token, "next": "/app"})


def csrf_of(html: str) -> str:
    return re.search(r'data-csrf="([^"]+)"', html).group(1)


async def test_browser_session_and_csrf(client: httpx.AsyncClient, team: Team, app: FastAPI) -> None:
    response = await login(client, team.member.email, team.member.key)
    assert response.status_code == 303 and response.headers["location"] == "/app"
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith("crm_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    page = await client.get("/app/contacts")
    assert page.status_code == 200
    csrf = csrf_of(page.text)
    # Reads work with the cookie alone; writes need the CSRF token (header or form field).
    assert (await client.get("/contacts")).status_code == 200
    refused = await client.post("/contacts", json={"properties": {"email": "c1@example.com"}})
    assert refused.status_code == 403 and "CSRF" in refused.json()["message"]
    wrong = await client.post(
        "/contacts", json={"properties": {"email": "c1@example.com"}}, headers={"X-CSRF-Token": "x" * 43}
    )
    assert wrong.status_code == 403
    ok = await client.post(
        "/contacts", json={"properties": {"email": "c1@example.com"}}, headers={"X-CSRF-Token": csrf}
    )
    assert ok.status_code == 201
    # The write is recorded under the signed-in user.
    audit = await client.get("/audit", params={"objectType": "contacts", "objectId": ok.json()["id"]})
    assert audit.json()["results"][0]["actor"] == team.member.email
    # Signing out ends the session everywhere.
    out = await client.post("/logout", data={"csrf_token": csrf})
    assert out.status_code == 303
    async with app.state.services.crm.sessions() as session:
        assert (await session.scalars(select(WebSession))).all() == []
    assert (await client.get("/contacts")).status_code == 401


async def test_logout_needs_csrf(client: httpx.AsyncClient, team: Team) -> None:
    await login(client, team.member.email, team.member.key)
    assert (await client.post("/logout", data={})).status_code == 403
    assert (await client.get("/app")).status_code == 200


async def test_login_form_checks(client: httpx.AsyncClient, team: Team) -> None:
    wrong = await login(client, team.member.email, "not-the-key")
    assert wrong.status_code == 401 and "Wrong email" in wrong.text
    # Login CSRF: a form token that does not match the cookie is refused.
    forged = await client.post(
        "/login", data={"email": team.member.email, "secret": team.member.key, "login_csrf": "forged"}
    )
    assert forged.status_code == 403
    # "next" never leaves the site.
    response = await client.get("/login")
    token = re.search(r'name="login_csrf" value="([^"]+)"', response.text).group(1)
    response = await client.post(
        "/login",
        data={"email": team.member.email, "secret": team.member.key, "login_csrf": token, "next": "//evil.example/x"},
    )
    assert response.headers["location"] == "/app"


async def test_password_login(app: FastAPI, client: httpx.AsyncClient, team: Team) -> None:
    auth = app.state.services.auth
    users = await auth.list_users()
    mia = next(u for u in users if u.email == team.member.email)
    await auth.set_password(mia.id, "correct horse battery")
    assert (await login(client, team.member.email, "correct horse battery")).status_code == 303


@pytest.mark.parametrize("scheme", ["https"])
async def test_session_cookie_is_secure_over_https(app: FastAPI, team: Team, scheme: str) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=f"{scheme}://testserver") as http:
        response = await login(http, team.member.email, team.member.key)
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith("crm_session="))
    assert "Secure" in cookie and "HttpOnly" in cookie


async def test_pages_redirect_to_login(client: httpx.AsyncClient) -> None:
    response = await client.get("/app/deals?pipeline=default")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/app/deals%3Fpipeline%3Ddefault"
    htmx = await client.get("/app/contacts", headers={"HX-Request": "true"})
    assert htmx.headers["HX-Redirect"].startswith("/login?next=")
