"""``crm-agent users`` and ``crm-agent serve``: keys shown once and stored hashed; on first start
with no users, serve creates an admin and prints how to sign in (never a default password)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
from tests.support.server import free_port
from typer.testing import CliRunner

from crm_agent.cli.main import app

runner = CliRunner()


def test_users_add_list_and_new_key(tmp_path: Path) -> None:
    base = ["--data-dir", str(tmp_path)]
    added = runner.invoke(app, [*base, "users", "add", "--email", "Ann@Example.com", "--role", "admin"])
    assert added.exit_code == 0, added.output
    key = re.search(r"API key \(shown only now; store it safely\): (crm_\S+)", added.output).group(1)
    assert "ann@example.com" in added.output
    db = (tmp_path / "crm.db").read_bytes()
    assert key.encode() not in db  # only its hash is stored
    listed = runner.invoke(app, [*base, "users", "list", "--json"])
    assert '"email": "ann@example.com"' in listed.output and key not in listed.output
    bad = runner.invoke(app, [*base, "users", "add", "--email", "bob@example.com", "--role", "owner"])
    assert bad.exit_code == 1 and "role: use admin or member" in bad.output
    dup = runner.invoke(app, [*base, "users", "add", "--email", "ann@example.com"])
    assert dup.exit_code == 1 and "already exists" in dup.output
    another = runner.invoke(app, [*base, "users", "new-key", "ann@example.com"])
    assert another.exit_code == 0 and "crm_" in another.output
    missing = runner.invoke(app, [*base, "users", "new-key", "nobody@example.com"])
    assert missing.exit_code == 1


def test_serve_creates_the_first_admin_and_serves(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "CRM_AGENT_DATA_DIR": str(tmp_path)}
    env.pop("CRM_AGENT_DATABASE_URL", None)
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "crm-agent"),
            "serve",
            "--port",
            str(port),
            "--admin-email",
            "boss@example.com",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        else:
            raise AssertionError("serve did not answer")
        proc.terminate()
        output = proc.communicate(timeout=15)[0]
    finally:
        if proc.poll() is None:
            proc.kill()
    assert "created the first admin" in output and "boss@example.com" in output
    key = re.search(r"(crm_[A-Za-z0-9_-]{40,})", output).group(1)
    assert "password" not in output.lower().replace("with this key as the password", "")
    # Second start: users exist, nothing is created or printed.
    again = runner.invoke(app, ["--data-dir", str(tmp_path), "users", "list", "--json"])
    assert again.output.count('"email"') == 1
    assert key
