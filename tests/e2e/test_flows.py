"""The web app's main flows in real headless Chromium, each saving screenshots to test-artifacts/:
sign in, chat with live steps, approve a review-mode plan, drag a deal to another stage, a
contact's timeline and property editing, undo of a run, and what a member may not do."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import expect
from tests.e2e.conftest import Server, login, shot

WATCH_STEPS = """() => {
  window.__stepsWhilePending = 0;
  new MutationObserver((records) => {
    for (const r of records) for (const n of r.addedNodes)
      if (n.nodeType === 1 && n.matches('.step') && n.closest('.turn.pending')) window.__stepsWhilePending++;
  }).observe(document.getElementById('turns'), {childList: true, subtree: true});
}"""


def api(server: Server, key: str | None = None) -> httpx.Client:
    return httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {key or server.admin_key}"})


def test_chat_shows_steps_as_they_run(page, server: Server) -> None:
    login(page, server.admin_email, server.admin_key)
    page.goto("/app/chat")
    page.evaluate(WATCH_STEPS)
    page.get_by_label("Message").fill(
        "Create contacts for Eve Johnson (eve@example.com) and Sam Lee (sam@example.com), "
        "then create a deal for Eve worth $5000"
    )
    page.get_by_label("Mode").select_option("auto")
    page.get_by_role("button", name="Send").click()
    turn = page.locator("article.turn[data-run]").last
    expect(turn.locator(".badge").first).to_have_text("succeeded")
    expect(turn.locator(".step")).to_have_count(3)
    expect(turn.locator(".step .badge")).to_have_text(["succeeded"] * 3)
    assert page.evaluate("window.__stepsWhilePending") >= 1, "no step was shown before the run finished"
    assert "c=" in page.url  # the conversation continues in the next message
    shot(page, "10-chat-steps")
    page.get_by_label("Message").fill("How many open deals does Raj have?")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("article.turn[data-run]")).to_have_count(2)
    expect(page.locator("article.turn[data-run]").last.locator(".reply")).to_contain_text("open deals")
    shot(page, "11-chat-question")


def test_review_mode_plan_is_approved(page, server: Server) -> None:
    login(page, server.admin_email, server.admin_key)
    page.goto("/app/chat")
    page.get_by_label("Message").fill("Update Maria Lopez's phone to 312-555-0199")
    page.get_by_label("Mode").select_option("review")
    page.get_by_role("button", name="Send").click()
    turn = page.locator("article.turn[data-run]").last
    expect(turn.get_by_role("button", name="Approve")).to_be_visible()
    expect(turn.locator(".step .badge")).to_have_text(["pending"])
    shot(page, "12-review-plan")
    with api(server) as client:
        maria = client.post("/contacts/search", json={"query": "Maria Lopez"}).json()["results"][0]
        assert maria["properties"]["phone"] != "+13125550199"
    turn.get_by_role("button", name="Approve").click()
    turn = page.locator("article.turn[data-run]").last
    expect(turn.locator(".badge").first).to_have_text("succeeded")
    expect(turn.locator(".reply")).to_contain_text("Approved by admin@example.com")
    shot(page, "13-review-approved")
    with api(server) as client:
        assert client.get(f"/contacts/{maria['id']}").json()["properties"]["phone"] == "+13125550199"


def test_drag_deal_to_another_stage(page, server: Server) -> None:
    login(page, server.admin_email, server.admin_key)
    page.goto("/app/deals")
    card = page.locator(".deal-card", has_text="Wayne Foods loyalty app")
    deal_id = card.get_attribute("data-deal")
    target = page.locator('.column[data-stage="presentationscheduled"]')
    before = int(target.locator("[data-count]").inner_text())
    card.drag_to(target.locator(".cards"))
    expect(page.locator("#flash")).to_contain_text("Moved Wayne Foods loyalty app to Presentation Scheduled")
    expect(target.locator(".deal-card", has_text="Wayne Foods loyalty app")).to_be_visible()
    expect(target.locator("[data-count]")).to_have_text(str(before + 1))
    shot(page, "14-deal-dragged")
    with api(server) as client:
        assert client.get(f"/deals/{deal_id}").json()["properties"]["dealstage"] == "presentationscheduled"
        entry = client.get("/audit", params={"objectType": "deals", "objectId": deal_id}).json()["results"][0]
        assert entry["actor"] == server.admin_email and entry["action"] == "update"
    page.reload()  # the move is stored, not just drawn
    expect(
        page.locator('.column[data-stage="presentationscheduled"] .deal-card', has_text="Wayne Foods loyalty app")
    ).to_be_visible()
    page.goto(f"/app/deals/{deal_id}")
    expect(page.locator(".timeline.history li").first).to_contain_text("Qualified To Buy → Presentation Scheduled")
    shot(page, "15-deal-record")


def test_contact_timeline_and_property_edit(page, server: Server) -> None:
    login(page, server.admin_email, server.admin_key)
    page.goto("/app/contacts")
    page.get_by_label("Search").fill("Greg Hall")
    expect(page.locator("#results tbody tr")).to_have_count(1)
    page.get_by_role("link", name="Greg Hall").click()
    page.wait_for_url(re.compile(r"/app/contacts/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Greg Hall")
    timeline = page.locator("ol.timeline.history")
    expect(timeline.locator("li").first).to_be_visible()
    kinds = set(page.locator("ol.timeline li").evaluate_all("items => items.map(i => i.className)"))
    assert {"k-note", "k-task", "k-stage"} <= kinds, kinds
    shot(page, "16-contact-timeline")
    page.get_by_role("button", name="Edit").click()
    page.get_by_label("Job Title").fill("Head of Procurement")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#properties")).to_contain_text("Saved 1 change(s).")
    expect(page.locator("#properties")).to_contain_text("Head of Procurement")
    page.get_by_role("button", name="Edit").click()
    page.get_by_label("Email", exact=True).fill("greg@acme")  # passes the browser check, not ours
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#properties .error-text")).to_contain_text("invalid email")
    shot(page, "17-contact-edit-error")
    page.get_by_role("button", name="Cancel").click()
    page.locator("summary", has_text="Add note").click()
    page.get_by_label("Note").fill("Called about the renewal; wants a quote by Friday.")
    page.get_by_role("button", name="Save note").click()
    expect(timeline.locator("li.k-note", has_text="wants a quote by Friday")).to_be_visible()


def test_undo_a_run(page, server: Server) -> None:
    login(page, server.admin_email, server.admin_key)
    page.goto("/app/chat")
    page.get_by_label("Message").fill("Create a contact for Una Doe (una.doe@example.com)")
    page.get_by_label("Mode").select_option("auto")
    page.get_by_role("button", name="Send").click()
    turn = page.locator("article.turn[data-run]").last
    expect(turn.locator(".badge").first).to_have_text("succeeded")
    run_id = turn.get_attribute("data-run")
    with api(server) as client:
        created = client.get(f"/runs/{run_id}").json()["steps"][0]["result"]["id"]
        assert client.get(f"/contacts/{created}").status_code == 200
    page.goto(f"/app/runs/{run_id}")
    shot(page, "18-run-detail")
    page.get_by_role("button", name="Undo run").click()
    expect(page.locator("#flash")).to_contain_text("Run undone")
    expect(page.locator("h1 .badge")).to_have_text("undone")
    shot(page, "19-run-undone")
    with api(server) as client:
        assert client.get(f"/contacts/{created}").status_code == 404
    page.goto("/app/audit")
    expect(page.locator("#verification")).to_contain_text("intact")
    shot(page, "08-audit")


def test_member_cannot_change_other_owners_records(page, server: Server) -> None:
    login(page, server.member_email, server.member_key)
    with api(server, server.member_key) as client:
        me = next(o for o in client.get("/owners").json() if o["email"] == server.member_email)
        deals = client.post("/deals/search", json={"limit": 100}).json()["results"]
    foreign = next(d for d in deals if d["properties"]["hubspot_owner_id"] not in (None, me["id"]))
    mine = next(d for d in deals if d["properties"]["hubspot_owner_id"] == me["id"])
    page.goto("/app/deals")
    expect(page.locator(f"#deal-{foreign['id']}")).not_to_have_attribute("draggable", "true")
    expect(page.locator(f"#deal-{mine['id']}")).to_have_attribute("draggable", "true")
    shot(page, "24-member-board")
    page.goto(f"/app/deals/{foreign['id']}")
    expect(page.get_by_role("button", name="Edit")).to_have_count(0)
    expect(page.locator("#properties")).to_contain_text("only they or an admin can change it")
    shot(page, "25-member-foreign-deal")
    status = page.evaluate(
        """async (id) => (await fetch('/deals/' + id, {
             method: 'PATCH',
             headers: {'Content-Type': 'application/json', 'X-CSRF-Token': document.body.dataset.csrf},
             body: JSON.stringify({properties: {dealstage: 'closedlost'}})})).status""",
        foreign["id"],
    )
    assert status == 403
