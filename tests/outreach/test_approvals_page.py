"""The approvals inbox in the web app: pending drafts with their checks and edit diffs; approve,
edit and reject through the page's forms (signed in through the login form, with CSRF tokens)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from outreach_helpers import LONG_ENOUGH

from crm_agent.api.app import create_app
from crm_agent.auth.service import AuthService
from crm_agent.config import Settings
from crm_agent.crm.service import LocalCrm
from crm_agent.outreach.service import OutreachService
from crm_agent.storage.engine import dispose_all


@pytest.fixture
async def browser(settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, OutreachService]]:
    crm = await LocalCrm.connect(settings)
    await AuthService(crm.sessions, settings).create_user("olivia@ourco.com", "member", "Olivia", "correct-horse")
    app = create_app(settings)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        page = await client.get("/login")
        token = re.search(r'name="login_csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        signed_in = await client.post(
            "/login", data={"email": "olivia@ourco.com", "secret": "correct-horse", "login_csrf": token}
        )
        assert signed_in.status_code == 303, signed_in.text
        yield client, OutreachService(crm)
    await dispose_all()


def csrf(html: str) -> str:
    return re.search(r'data-csrf="([^"]+)"', html).group(1)  # type: ignore[union-attr]


async def test_the_inbox_shows_pending_drafts_with_checks_and_diffs(browser) -> None:  # type: ignore[no-untyped-def]
    client, outreach = browser
    good = await outreach.create_draft("boss@example.com", "Pilot recap", LONG_ENOUGH, actor="agent")
    bad = await outreach.create_draft("grace@", "Hi [First Name]", "short", actor="agent")
    await outreach.edit(good.id, subject="Pilot recap and next steps", actor="agent")

    page = await client.get("/app/drafts")
    assert page.status_code == 200
    html = page.text
    assert '<a href="/app/drafts" aria-current="page">Approvals</a>' in html
    assert "Pilot recap and next steps" in html and "Hi [First Name]" in html
    assert "invalid address &#39;grace@&#39;" in html and "unresolved template variables [First Name]" in html
    assert "<del>-Subject: Pilot recap</del>" in html and "<ins>+Subject: Pilot recap and next steps</ins>" in html
    # the blocked draft's approve button is disabled, the good one's is not
    card = html[html.index(f'id="draft-{bad.id}"') :]
    assert 'disabled aria-disabled="true" title="Fix the blocking checks first"' in card[: card.index("</article>")]


async def test_approve_edit_and_reject_from_the_page(browser) -> None:  # type: ignore[no-untyped-def]
    client, outreach = browser
    first = await outreach.create_draft("boss@example.com", "Pilot recap", LONG_ENOUGH, actor="agent")
    second = await outreach.create_draft("cfo@example.com", "Budget", LONG_ENOUGH, actor="agent")
    token = csrf((await client.get("/app/drafts")).text)

    no_token = await client.post(f"/app/drafts/{first.id}/approve")
    assert no_token.status_code == 403

    approved = await client.post(f"/app/drafts/{first.id}/approve", data={"csrf_token": token})
    assert approved.status_code == 303
    follow = await client.get(approved.headers["location"])
    assert f"Draft {first.id} approved and sent to boss@example.com." in follow.text
    assert (await outreach.get(first.id)).decided_by == "olivia@ourco.com"
    assert len(outreach.outbox()) == 1

    edit_page = await client.get(f"/app/drafts/{second.id}")
    assert 'id="edit"' in edit_page.text
    saved = await client.post(
        f"/app/drafts/{second.id}/edit",
        data={"csrf_token": token, "to": "cfo@example.com", "subject": "Budget for Q1", "body": LONG_ENOUGH},
    )
    assert saved.status_code == 303
    edited = await outreach.get(second.id)
    assert edited.subject == "Budget for Q1" and edited.edits[0].actor == "olivia@ourco.com"

    empty = await client.post(f"/app/drafts/{second.id}/reject", data={"csrf_token": token, "reason": ""})
    assert empty.status_code == 422 and "say why the draft is rejected" in empty.text
    rejected = await client.post(f"/app/drafts/{second.id}/reject", data={"csrf_token": token, "reason": "too early"})
    assert rejected.status_code == 303
    assert (await outreach.get(second.id)).reject_reason == "too early"
    assert "Nothing waits for approval." in (await client.get("/app/drafts")).text


async def test_signed_out_visitors_go_to_the_login_page(settings: Settings) -> None:
    app = create_app(settings)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        response = await client.get("/app/drafts")
        assert response.status_code == 303 and response.headers["location"].startswith("/login?next=/app/drafts")
    await dispose_all()
