"""The web app's server side without a browser: pages for a signed-in user, HTML error pages,
HTMX partials, security headers, CSRF on every form, and the chat's event stream."""

from __future__ import annotations

import re

import httpx
from fastapi import FastAPI
from tests.api.conftest import Team
from tests.api.test_agent_runs import events
from tests.api.test_auth import csrf_of, login


async def signed_in(client: httpx.AsyncClient, team: Team, member: bool = False) -> str:
    user = team.member if member else team.admin
    await login(client, user.email, user.key)
    return csrf_of((await client.get("/app")).text)


async def test_pages_render_with_security_headers(client: httpx.AsyncClient, team: Team) -> None:
    await signed_in(client, team)
    for path in [
        "/app",
        "/app/chat",
        "/app/contacts",
        "/app/companies",
        "/app/deals",
        "/app/deals/table",
        "/app/runs",
        "/app/audit",
        "/app/audit/verify",
    ]:
        page = await client.get(path)
        assert page.status_code == 200, path
        assert page.headers["content-type"].startswith("text/html")
        assert "default-src 'self'" in page.headers["content-security-policy"]
        assert page.headers["x-frame-options"] == "DENY"
        assert page.headers["x-content-type-options"] == "nosniff"
        assert "https://" not in re.sub(r'href="https://[^"]*"', "", page.text)  # nothing from a CDN
    root = await client.get("/")
    assert root.status_code == 303 and root.headers["location"] == "/app"


async def test_deals_table_shares_the_records_page_with_its_own_head(client: httpx.AsyncClient, team: Team) -> None:
    await signed_in(client, team)
    deals = (await client.get("/app/deals/table")).text
    assert 'placeholder="Deal name"' in deals and 'href="/app/deals"' in deals and 'name="stage"' in deals
    assert "Add or change with the agent" not in deals
    contacts = (await client.get("/app/contacts")).text
    assert 'placeholder="Name, email, phone or company"' in contacts and "Add or change with the agent" in contacts


async def test_html_errors_for_pages(client: httpx.AsyncClient, team: Team) -> None:
    await signed_in(client, team)
    missing = await client.get("/app/contacts/4242")
    assert missing.status_code == 404 and "Not found" in missing.text and "contact 4242 not found" in missing.text
    partial = await client.get("/app/contacts/4242", headers={"HX-Request": "true"})
    assert partial.headers["HX-Retarget"] == "#flash" and 'role="alert"' in partial.text


async def test_tables_search_filter_sort_and_page(client: httpx.AsyncClient, team: Team, local_crm) -> None:
    await signed_in(client, team)
    for i in range(30):
        await local_crm.create(
            "contacts",
            {
                "email": f"c{i:02d}@example.com",
                "firstname": f"Name{i:02d}",
                "lifecyclestage": "lead" if i % 2 else "customer",
            },
        )
    first = await client.get("/app/contacts")
    assert "30 contacts · page 1 of 2" in first.text
    assert first.text.count('href="/app/contacts/') == 25
    second = await client.get("/app/contacts", params={"page": 2})
    assert second.text.count('href="/app/contacts/') == 5
    leads = await client.get(
        "/app/contacts", params={"lifecyclestage": "lead"}, headers={"HX-Request": "true", "HX-Target": "results"}
    )
    assert "<html" not in leads.text and "15 contacts" in leads.text
    found = await client.get("/app/contacts", params={"q": "name07"})
    assert "1 contact" in found.text and "Name07" in found.text
    desc = await client.get("/app/contacts", params={"sort": "-email"})
    assert desc.text.index("c29@example.com") < desc.text.index("c28@example.com")
    assert 'aria-sort="descending"' in desc.text


async def test_property_form_saves_only_changes(client: httpx.AsyncClient, team: Team, local_crm) -> None:
    csrf = await signed_in(client, team)
    contact = await local_crm.create("contacts", {"email": "ann@example.com", "firstname": "Ann"})
    form = await client.get(f"/app/contacts/{contact.id}/edit", headers={"HX-Request": "true"})
    assert 'name="p.firstname"' in form.text and 'value="Ann"' in form.text
    fields = dict(re.findall(r'name="(p\.[a-z_]+)"[^>]*value="([^"]*)"', form.text))
    fields |= {"p.jobtitle": "CTO", "csrf_token": csrf}
    saved = await client.post(f"/app/contacts/{contact.id}/properties", data=fields, headers={"HX-Request": "true"})
    assert saved.status_code == 200 and "Saved 1 change(s)." in saved.text
    invalid = await client.post(
        f"/app/contacts/{contact.id}/properties",
        data={**fields, "p.email": "ann@", "p.jobtitle": "CEO"},
        headers={"HX-Request": "true"},
    )
    assert invalid.status_code == 422 and 'aria-invalid="true"' in invalid.text
    assert (await local_crm.get("contacts", contact.id)).properties["jobtitle"] == "CTO"  # nothing saved
    no_csrf = await client.post(f"/app/contacts/{contact.id}/properties", data={"p.jobtitle": "X"})
    assert no_csrf.status_code == 403


async def test_board_move_form_and_member_rules(app: FastAPI, client: httpx.AsyncClient, team: Team, local_crm) -> None:
    oscars = await local_crm.create("deals", {"dealname": "Oscar's", "hubspot_owner_id": team.other.owner_id})
    mine = await local_crm.create("deals", {"dealname": "Mia's", "hubspot_owner_id": team.member.owner_id})
    csrf = await signed_in(client, team, member=True)
    board = await client.get("/app/deals")
    assert f'id="deal-{mine.id}" data-deal="{mine.id}" data-amount="0" draggable="true"' in board.text
    assert f'id="deal-{oscars.id}" data-deal="{oscars.id}" data-amount="0">' in board.text
    moved = await client.post(f"/app/deals/{mine.id}/stage", data={"dealstage": "closedwon", "csrf_token": csrf})
    assert moved.status_code == 303
    assert (await local_crm.get("deals", mine.id)).properties["dealstage"] == "closedwon"
    refused = await client.post(f"/app/deals/{oscars.id}/stage", data={"dealstage": "closedwon", "csrf_token": csrf})
    assert refused.status_code == 403 and "Not allowed" in refused.text
    record = await client.get(f"/app/deals/{oscars.id}")
    assert "/edit" not in record.text and "only they or an admin can change it" in record.text


async def test_record_page_timeline_note_and_task(client: httpx.AsyncClient, team: Team, local_crm) -> None:
    csrf = await signed_in(client, team)
    contact = await local_crm.create("contacts", {"email": "ann@example.com", "firstname": "Ann"})
    deal = await local_crm.create(
        "deals", {"dealname": "Big one"}, [{"to": {"id": contact.id}, "objectType": "contacts"}]
    )
    await local_crm.update("deals", deal.id, {"dealstage": "contractsent"})
    await client.post(f"/app/contacts/{contact.id}/notes", data={"body": "Likes blue", "csrf_token": csrf})
    await client.post(
        f"/app/contacts/{contact.id}/tasks", data={"subject": "Send quote", "due": "2026-12-01", "csrf_token": csrf}
    )
    page = await client.get(f"/app/contacts/{contact.id}")
    text = page.text
    assert "Likes blue" in text and "Send quote" in text and "Big one: Appointment Scheduled → Contract Sent" in text
    assert text.index("<h3>Upcoming</h3>") < text.index("Send quote") < text.index("<h3>History</h3>")


async def test_chat_stream_sends_html_fragments(client: httpx.AsyncClient, team: Team) -> None:
    csrf = await signed_in(client, team)
    response = await client.post(
        "/app/chat/send",
        data={"message": "Create a contact for Al Bo (al@example.com)", "mode": "review", "csrf_token": csrf},
    )
    got = events(response.text)
    assert [name for name, _ in got] == ["start", "done"]
    assert "Al Bo" in got[0][1]["html"]
    done = got[-1][1]
    assert "Approve" in done["html"] and done["conversation"]
    run_id = done["run"]
    approved = await client.post(f"/app/runs/{run_id}/approve/stream", data={"csrf_token": csrf})
    names = [name for name, _ in events(approved.text)]
    assert names == ["step", "done"]
    chat = await client.get("/app/chat", params={"c": done["conversation"]})
    assert "created contact Al Bo" in chat.text and "Undo this run" in chat.text
    undone = await client.post(f"/app/runs/{run_id}/undo", data={"csrf_token": csrf}, headers={"HX-Request": "true"})
    assert "badge s-undone" in undone.text
