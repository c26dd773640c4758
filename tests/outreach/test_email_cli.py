"""``crm-agent drafts ...`` and ``crm-agent email ...`` end to end on a SQLite data directory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crm_agent.cli import context
from crm_agent.cli.main import app

BODY = "Thanks for your time on the call today. Here is the recap and the next steps for the pilot."


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    for name in ("CRM_AGENT_DATABASE_URL", "CRM_AGENT_SMTP_HOST"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CRM_AGENT_NOW", "2026-11-20T09:00:00Z")
    monkeypatch.setenv("CRM_AGENT_ACTOR", "olivia")
    runner = CliRunner()
    data = tmp_path / "data"

    def invoke(*args: str, code: int = 0) -> str:
        result = runner.invoke(app, ["--data-dir", str(data), *args])
        assert result.exit_code == code, result.output
        return result.output

    yield invoke
    context._overrides.clear()


def test_draft_review_approve_and_outbox(cli) -> None:  # type: ignore[no-untyped-def]
    cli("contacts", "create", "email=ann@acme.com", "firstname=Ann", "lastname=Lee")
    created = json.loads(cli("drafts", "create", "--template", "follow_up", "--contact", "1", "--json"))
    assert created["status"] == "pending" and created["created_by"] == "olivia"

    listing = json.loads(cli("drafts", "list", "--status", "pending", "--json"))
    assert [d["id"] for d in listing] == [created["id"]]

    edited = cli("drafts", "edit", "1", "--subject", "Checking in")
    assert "-Subject: Following up" in edited and "+Subject: Checking in" in edited
    shown = cli("drafts", "show", "1")
    assert "pass  unsubscribe" in shown and "edit 2026-11-20 09:00 by olivia" in shown

    sent = json.loads(cli("drafts", "approve", "1", "--json"))
    assert sent["status"] == "sent" and sent["decided_by"] == "olivia"
    outbox = json.loads(cli("email", "outbox", "--json"))
    assert [(m["to"], m["subject"], m["message_id"]) for m in outbox] == [
        (["ann@acme.com"], "Checking in", sent["message_id"])
    ]
    quota = json.loads(cli("email", "quota", "ann@acme.com", "--json"))
    assert (quota["recipient_used"], quota["recipient_left"], quota["sender_left"]) == (1, 1, 19)
    assert "1 of 2 used in the last 7 days, 1 left" in cli("email", "quota", "ann@acme.com")


def test_reject_blocked_and_failed_sends_exit_non_zero(cli) -> None:  # type: ignore[no-untyped-def]
    cli("drafts", "create", "--to", "grace@", "--subject", "Hi", "--body", BODY)
    out = cli("drafts", "approve", "1", code=1)
    assert "cannot be approved: recipients: invalid address 'grace@'" in out
    assert "error: reason: say why" in cli("drafts", "reject", "1", "--reason", " ", code=1)
    assert "rejected because: wrong address" in cli("drafts", "reject", "1", "--reason", "wrong address")

    cli("email", "suppress", "bob@acme.com", "--reason", "asked us to stop")
    cli("drafts", "create", "--to", "bob@acme.com", "--subject", "Hi", "--body", BODY)
    refused = " ".join(cli("drafts", "approve", "2", code=1).split())
    assert "cannot be approved: suppression: on the suppression list: bob@acme.com" in refused


def test_header_injection_is_a_clear_error(cli) -> None:  # type: ignore[no-untyped-def]
    out = cli("drafts", "create", "--to", "a@acme.com", "--subject", "Hi\nBcc: x@evil.com", "--body", BODY, code=1)
    assert "error: subject: must be one line" in out
    assert json.loads(cli("drafts", "list", "--json")) == []


def test_email_test_templates_and_smtp_failure(cli, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    assert "ok (outbox): no SMTP server configured" in cli("email", "test")
    names = [t["name"] for t in json.loads(cli("email", "templates", "--json"))]
    assert "deals_created_today" in names and "meeting_request" in names
    monkeypatch.setenv("CRM_AGENT_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("CRM_AGENT_SMTP_PORT", "1")
    out = cli("email", "test", code=1)
    assert "failed (smtp): could not connect to SMTP server 127.0.0.1:1 (starttls)" in out


def test_resume_with_nothing_interrupted(cli) -> None:  # type: ignore[no-untyped-def]
    assert "no interrupted sends" in cli("drafts", "resume")
