"""Every page renders in real Chromium for an admin and on a phone; screenshots in test-artifacts/."""

from __future__ import annotations

from tests.e2e.conftest import Server, login, shot

A11Y_PROBLEMS = """() => {
  const problems = [];
  for (const el of document.querySelectorAll('input:not([type=hidden]), select, textarea')) {
    const named = (el.labels && el.labels.length) || el.getAttribute('aria-label')
      || el.getAttribute('aria-labelledby');
    if (!named) problems.push('unlabelled ' + el.outerHTML.slice(0, 100));
  }
  for (const el of document.querySelectorAll('button, a[href]')) {
    if (!(el.textContent || '').trim() && !el.getAttribute('aria-label') && !el.querySelector('img[alt]:not([alt=""])'))
      problems.push('nameless ' + el.outerHTML.slice(0, 100));
  }
  for (const img of document.querySelectorAll('img:not([alt])')) problems.push('no alt ' + img.outerHTML.slice(0, 100));
  if (!document.documentElement.lang) problems.push('no lang');
  if (document.querySelectorAll('h1').length !== 1) problems.push('h1 count ' + document.querySelectorAll('h1').length);
  const ids = [...document.querySelectorAll('[id]')].map(e => e.id);
  const dup = ids.filter((id, i) => ids.indexOf(id) !== i);
  if (dup.length) problems.push('duplicate ids ' + dup.join(','));
  return problems;
}"""


def test_login_page_and_bad_credentials(page, server: Server) -> None:
    page.goto("/app")
    page.wait_for_url("**/login?next=/app")
    shot(page, "01-login")
    page.get_by_label("Email").fill(server.admin_email)
    page.get_by_label("Password or API key").fill("wrong-key")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").inner_text().startswith("Wrong email")


def test_every_page_renders(page, server: Server) -> None:
    login(page, server.admin_email, server.admin_key)
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    for name, path, heading in [
        ("02-dashboard", "/app", "Dashboard"),
        ("03-contacts", "/app/contacts", "Contacts"),
        ("04-companies", "/app/companies", "Companies"),
        ("05-deals-board", "/app/deals", "Deals"),
        ("06-deals-table", "/app/deals/table", "Deals"),
        ("07-runs", "/app/runs", "Runs"),
        ("08-audit", "/app/audit", "Audit log"),
        ("09-chat", "/app/chat", "Chat with the agent"),
        ("26-company", "/app/companies/1", "Acme Corp"),
        ("27-contact", "/app/contacts/1", "Greg Hall"),
    ]:
        page.goto(path)
        assert page.get_by_role("heading", level=1).first.inner_text().startswith(heading)
        page.wait_for_load_state("networkidle")
        assert page.evaluate(A11Y_PROBLEMS) == [], path
        shot(page, name)
    assert errors == []


def test_phone_layout(phone, server: Server) -> None:
    login(phone, server.admin_email, server.admin_key)
    shot(phone, "20-phone-dashboard")
    phone.get_by_text("Menu").click()
    shot(phone, "21-phone-menu")
    phone.get_by_role("navigation", name="Main").last.get_by_role("link", name="Deals").click()
    phone.wait_for_url("**/app/deals")
    shot(phone, "22-phone-deals")
    phone.goto("/app/contacts")
    shot(phone, "23-phone-contacts")
