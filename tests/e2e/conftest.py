"""End-to-end fixtures: a real ``crm-agent`` server (uvicorn, in a subprocess) on the demo dataset,
and Debian's Chromium driven by Playwright.

Chromium is ``/usr/bin/chromium`` (``.ci/run`` installs it); Playwright never downloads a browser.
Without Chromium the tests are skipped with the reason. Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from tests.support.server import free_port

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
DEMO_NOW = "2026-11-20T09:00:00Z"


@dataclass
class Server:
    url: str
    data_dir: Path
    admin_email: str
    admin_key: str
    member_email: str
    member_key: str


async def _seed(data_dir: Path) -> tuple[str, str]:
    from crm_agent.auth.service import AuthService
    from crm_agent.config import Settings
    from crm_agent.crm.service import LocalCrm
    from crm_agent.demo_data import load_demo
    from crm_agent.storage.engine import dispose_all

    settings = Settings(_env_file=None, data_dir=data_dir, now=DEMO_NOW)
    crm = await LocalCrm.connect(settings)
    await load_demo(crm)
    owners = await crm.list_owners()
    auth = AuthService(crm.sessions, settings)
    admin = await auth.create_user("admin@example.com", "admin", "Ada Admin")
    member = await auth.create_user(owners[1].email, "member", f"{owners[1].firstName} {owners[1].lastName}")
    await dispose_all()
    return admin.apiKey, member.apiKey


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A running server with the demo data, an admin and a member (one of the demo owners)."""
    data_dir = tmp_path_factory.mktemp("e2e-data")
    with ThreadPoolExecutor(1) as pool:  # a thread of its own: Playwright may own this thread's event loop
        admin_key, member_key = pool.submit(asyncio.run, _seed(data_dir)).result()
    port = free_port()
    env = {**os.environ, "CRM_AGENT_DATA_DIR": str(data_dir), "CRM_AGENT_NOW": DEMO_NOW, "CRM_AGENT_MODEL": "rules"}
    log = (data_dir / "server.log").open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "crm_agent.api.app:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {(data_dir / 'server.log').read_text()}")
        time.sleep(0.2)
    else:
        proc.terminate()
        raise RuntimeError("server did not start in 30 s")
    import yaml  # noqa: F401 - the demo loader's dependency, imported here for a clear error

    member_email = httpx.get(url + "/users/me", headers={"Authorization": f"Bearer {member_key}"}).json()["email"]
    try:
        yield Server(url, data_dir, "admin@example.com", admin_key, member_email, member_key)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def browser():
    """Chromium for one test module. Playwright's sync API runs an event loop on the main thread while it
    is open, so it must not outlive the module: later asyncio tests could not start their own loops."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (.ci/run installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, server: Server):
    """A fresh browser context (desktop size) with dialogs accepted."""
    context = browser.new_context(viewport={"width": 1280, "height": 860}, base_url=server.url)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def phone(browser, server: Server):
    """A phone-sized browser context."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        base_url=server.url,
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    )
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    page.set_default_timeout(15_000)
    yield page
    context.close()


def shot(page, name: str) -> Path:
    """Save a full-page screenshot to test-artifacts/NAME.png."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.evaluate("window.scrollTo(0, 0)")  # the sticky menu bar would otherwise sit mid-picture
    page.screenshot(path=str(path), full_page=True)
    return path


def login(page, email: str, secret: str) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password or API key").fill(secret)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/app**")
