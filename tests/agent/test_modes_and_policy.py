"""Modes (auto, review, dry-run), approval, rejection, and policy that the model cannot widen."""

from __future__ import annotations

import pytest
from tests.agent.helpers import audit_count, find, total

from crm_agent.agent.runner import AgentRunner
from crm_agent.errors import ValidationFailed


async def test_dry_run_shows_the_plan_and_writes_nothing(runner: AgentRunner) -> None:
    before = await audit_count(runner)
    view = await runner.run(
        "Create a contact for Ann Lee (ann@lee.com) and mark the Initech deal as won", actor="tester", mode="dry-run"
    )
    assert view.status == "planned"
    assert [s.status for s in view.steps] == ["planned", "planned"]
    assert view.reply.startswith("Plan (dry run, nothing was written):")
    assert await audit_count(runner) == before
    assert await find(runner, "contacts", "email", "ann@lee.com") == []


async def test_review_waits_for_one_approval_then_runs(runner: AgentRunner) -> None:
    view = await runner.run(
        "Create a contact for Ann Lee (ann@lee.com), then create a $5k deal for her", actor="tester", mode="review"
    )
    assert view.status == "awaiting_approval"
    assert [s.status for s in view.steps] == ["pending", "pending"]
    assert await find(runner, "contacts", "email", "ann@lee.com") == []
    approved = await runner.approve(view.id, actor="boss")
    assert approved.status == "succeeded", approved.reply
    assert len(await find(runner, "contacts", "email", "ann@lee.com")) == 1
    with pytest.raises(ValidationFailed, match="only runs awaiting approval"):
        await runner.approve(view.id, actor="boss")


async def test_reject_runs_nothing(runner: AgentRunner) -> None:
    view = await runner.run("Create a contact for Ann Lee (ann@lee.com)", actor="tester", mode="review")
    rejected = await runner.reject(view.id, actor="boss", reason="duplicate of an existing lead")
    assert rejected.status == "rejected"
    assert rejected.steps[0].status == "rejected"
    assert "duplicate of an existing lead" in rejected.reply
    assert await find(runner, "contacts", "email", "ann@lee.com") == []


async def test_archive_needs_approval_even_in_auto_mode(runner: AgentRunner) -> None:
    contacts = await total(runner, "contacts")
    view = await runner.run("Delete Quinn Foster", actor="tester", mode="auto")
    assert view.status == "awaiting_approval", view.reply
    assert view.steps[0].status == "pending"
    assert await total(runner, "contacts") == contacts
    done = await runner.approve(view.id, actor="boss")
    assert done.status == "succeeded"
    assert await total(runner, "contacts") == contacts - 1


async def test_ambiguous_name_asks_and_writes_nothing(runner: AgentRunner) -> None:
    before = await audit_count(runner)
    view = await runner.run("Update Greg's phone to 555-010-9999", actor="tester")
    assert view.status == "answered"
    assert view.reply.startswith("Which Greg?")
    assert "Greg Hall" in view.reply and "Greg Novak" in view.reply
    assert await audit_count(runner) == before


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("", "I didn't get a request"),
        ("   \n  ", "I didn't get a request"),
        ("x" * 20_001, "the limit is 20,000"),
        ("purple monkey dishwasher", 'I did not understand "purple monkey dishwasher"'),
    ],
)
async def test_bad_messages_get_a_clear_reply_and_no_writes(runner: AgentRunner, message: str, expected: str) -> None:
    before = await audit_count(runner)
    view = await runner.run(message, actor="tester")
    assert expected in view.reply
    assert view.steps == []
    assert await audit_count(runner) == before


async def test_part_not_understood_is_named_and_the_rest_runs(runner: AgentRunner) -> None:
    view = await runner.run(
        "Create a contact for Ann Lee (ann@lee.com); frobnicate the quarterly synergy", actor="tester"
    )
    assert view.status == "succeeded"
    assert 'I did not understand "frobnicate the quarterly synergy"' in view.reply
    assert len(await find(runner, "contacts", "email", "ann@lee.com")) == 1


async def test_unknown_mode_is_refused(runner: AgentRunner) -> None:
    with pytest.raises(ValidationFailed, match="use auto, review or dry-run"):
        await runner.run("How many deals are there?", actor="tester", mode="yolo")
