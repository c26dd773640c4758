"""``crm-agent demo``: a fresh demo CRM and the seed documents' example requests, end to end."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.rule import Rule

from crm_agent.agent.views import RunView
from crm_agent.cli.agent import runner_class, show_run
from crm_agent.cli.context import console, run, settings
from crm_agent.config import Settings
from crm_agent.demo_data import DEMO_NOW, load_demo
from crm_agent.outreach.service import OutreachService
from crm_agent.outreach.transports import OutboxMessage

REQUESTS = [
    (
        "Seed 000, multi-intent",
        "Create contacts for John Doe (john@example.com) and Sarah Smith "
        "(sarah@company.com), then create a deal for John worth $5000 and update Sarah's phone to 123-456-7890",
    ),
    (
        "Seed 000, a list of people",
        "Create contacts for Alice (alice@company.com), Bob (bob@corp.com), and Charlie "
        "(charlie@startup.com), then update Alice's phone to 555-1234",
    ),
    (
        "Seed 000, a reference within the message, and an e-mail summary (a draft for approval, not sent)",
        "Create a contact for David Wilson (david@tech.com), create a deal for him worth $10,000, then send me an "
        "email summary of all deals created today",
    ),
    (
        "Seed 000, partial success: Grace's email is invalid, so her deal is skipped",
        "Create contacts for Eve Johnson (eve@example.com), Frank Miller (frank@example.com), and Grace Davis "
        "(grace@), then create deals for all three",
    ),
    ("A question answered from the CRM", "How many open deals does Raj have?"),
    ("An aggregate", "What's the total value of deals in contract sent?"),
    ("Moving a deal between stages", "Mark the Initech deal as won"),
    ("A bulk update over a filtered set", "Set all of Nadia's leads to status in progress"),
    ("Ambiguity: the agent asks instead of guessing", "Update Greg's phone to 555-010-9999"),
]


async def _demo(cfg: Settings) -> tuple[list[tuple[str, RunView]], list[OutboxMessage]]:
    runner = await runner_class().connect(cfg)
    await load_demo(runner.crm)
    shown: list[tuple[str, RunView]] = []
    conversation = None
    for title, message in REQUESTS:
        view = await runner.run(message, actor="demo", mode="auto", conversation_id=conversation)
        conversation = view.conversation_id
        shown.append((f"{title}\n> {message}", view))
    notify = await runner.run("Create a contact for Lena Park (lena@park.io) and notify me", actor="demo")
    shown.append(
        (
            "A notification drafted after an operation\n> Create a contact for Lena Park (lena@park.io) and notify me",
            notify,
        )
    )
    outreach = OutreachService(runner.crm)
    drafts = [s.result["draft_id"] for s in notify.steps if s.tool == "draft_email" and s.status == "succeeded"]
    for draft_id in drafts:
        await outreach.approve(draft_id, actor="operator")
    review = await runner.run("Archive all customers not contacted in 3 weeks", actor="demo", mode="review")
    shown.append(
        ("Review mode: the whole plan waits for one approval\n> Archive all customers not contacted in 3 weeks", review)
    )
    shown.append(("Approved by an operator", await runner.approve(review.id, actor="operator")))
    shown.append(("Undo: the archived customers come back", await runner.undo(review.id, actor="operator")))
    return shown, outreach.outbox()


def demo(
    data_dir: Annotated[
        Path | None, typer.Option(help="Where to build the demo CRM (replaced on every run); default: DATA_DIR/demo.")
    ] = None,
) -> None:
    """Load a realistic demo CRM and run the seed documents' example requests, printing each plan."""
    base = settings()
    target = data_dir or base.data_dir / "demo"
    shutil.rmtree(target, ignore_errors=True)
    cfg = base.model_copy(
        update={
            "data_dir": target,
            "database_url": None,
            "now": Settings(_env_file=None, now=DEMO_NOW).now,
            "model": "rules",
            "email_notify_to": base.email_notify_to or "you@brightline.io",
        }
    )
    started = time.perf_counter()
    shown, outbox = run(lambda: _demo(cfg))
    for title, view in shown:
        console.print(Rule())
        console.print(f"[bold]{title}[/bold]", highlight=False)
        show_run(view, False)
    console.print(Rule())
    console.print("[bold]The notification, approved by the operator, is in the local outbox (Maildir):[/bold]")
    for message in outbox:
        console.print(f'  to {", ".join(message.to)}: "{message.subject}"  ({message.path})', highlight=False)
    console.print(Rule())
    console.print(
        f"Demo finished in {time.perf_counter() - started:.1f} s. Explore it with:\n"
        f"  crm-agent --data-dir {target} deals list\n"
        f"  crm-agent --data-dir {target} runs list\n"
        f"  CRM_AGENT_NOW={DEMO_NOW} crm-agent --data-dir {target} chat",
        highlight=False,
    )
