"""``crm-agent drafts list|show|create|edit|approve|reject|send|resume`` and
``crm-agent email quota|outbox|test|templates|suppress``: the operator's side of outbound email."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from crm_agent.cli.context import console, parse_assignments, print_json, print_table, run, settings
from crm_agent.outreach.schemas import DraftRead
from crm_agent.outreach.service import OutreachService

drafts = typer.Typer(help="Outbound email drafts: review, approve, reject, send.", no_args_is_help=True)
email = typer.Typer(help="Outbound email: quotas, the local outbox, the SMTP connection, templates.")
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
_STYLE = {"pending": "cyan", "approved": "blue", "sending": "yellow", "sent": "green", "failed": "red"}
_LEVEL = {"pass": "[green]pass[/green]", "warn": "[yellow]warn[/yellow]", "block": "[red]block[/red]"}


async def _service() -> OutreachService:
    return await OutreachService.connect(settings())


def _actor() -> str:
    return settings().actor


def _status(draft: DraftRead) -> str:
    style = _STYLE.get(draft.status, "magenta")
    return f"[{style}]{draft.status}[/{style}]"


def show_draft(draft: DraftRead, as_json: bool) -> None:
    """Print one draft: headers, state, checks, body and edit diffs (or JSON)."""
    if as_json:
        print_json(draft)
        return
    console.print(f"[bold]draft {draft.id}[/bold]  {_status(draft)}  {draft.category}")
    console.print(f"From:    {escape(draft.sender_name)} <{escape(draft.sender)}>", highlight=False)
    console.print(f"To:      {escape(draft.to)}", highlight=False)
    console.print(f"Subject: {escape(draft.subject)}", highlight=False)
    sent = f"{draft.sent_at:%Y-%m-%d %H:%M} via {draft.transport}, {draft.message_id}" if draft.sent_at else None
    failed = draft.failure_reason and f"{draft.failure_reason} (retryable: {'yes' if draft.retryable else 'no'})"
    details = [
        ("created", f"{draft.created_at:%Y-%m-%d %H:%M} by {draft.created_by}"),
        ("template", draft.template),
        ("decided", f"{draft.decided_at:%Y-%m-%d %H:%M} by {draft.decided_by}" if draft.decided_at else None),
        ("rejected because", draft.reject_reason),
        ("sent", sent),
        ("failed", failed),
        ("timeline", f"email engagement {draft.engagement_id}" if draft.engagement_id else None),
    ]
    for label, value in details:
        if value:
            console.print(f"{label + ':':<18}{escape(str(value))}", highlight=False)
    console.print("\n[bold]checks[/bold]")
    for check in draft.checks:
        console.print(f"  {_LEVEL[check.level]}  {check.name:<17}{escape(check.reason)}", highlight=False)
    console.print("\n[bold]body[/bold]")
    console.print(escape(draft.body), highlight=False, markup=True)
    for edit in draft.edits:
        console.print(f"[bold]edit[/bold] {edit.at:%Y-%m-%d %H:%M} by {escape(edit.actor)}")
        for line in edit.diff.splitlines():
            style = "green" if line.startswith("+") else "red" if line.startswith("-") else "dim"
            console.print(f"[{style}]{escape(line)}[/{style}]", highlight=False)


def _outcome(draft: DraftRead, as_json: bool) -> None:
    """Print the draft; a failed send exits with status 1."""
    show_draft(draft, as_json)
    if draft.status == "failed":
        raise typer.Exit(1)


def _body(body: str | None, body_file: Path | None) -> str | None:
    if body_file is not None:
        return body_file.read_text(encoding="utf-8")
    return body


@drafts.command("list")
def drafts_list(
    status: Annotated[
        str | None, typer.Option(help="pending, approved, sending, sent, failed or rejected (default: all).")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
    as_json: JsonOpt = False,
) -> None:
    """List drafts, newest first."""

    async def go() -> list[DraftRead]:
        return await (await _service()).list(status, limit)

    result = run(go)
    if as_json:
        print_json(result)
        return
    print_table(
        f"drafts ({len(result)})",
        ["id", "status", "category", "to", "subject", "checks", "created"],
        [
            [
                d.id,
                d.status,
                d.category,
                d.to,
                d.subject,
                "blocked" if d.blocked else ("warnings" if d.warnings else "ok"),
                f"{d.created_at:%Y-%m-%d %H:%M}",
            ]
            for d in result
        ],
    )


@drafts.command("show")
def drafts_show(draft_id: int, as_json: JsonOpt = False) -> None:
    """Show a draft with its validation results and the diff of every edit."""

    async def go() -> DraftRead:
        return await (await _service()).get(draft_id)

    show_draft(run(go), as_json)


@drafts.command("create")
def drafts_create(
    to: Annotated[list[str] | None, typer.Option("--to", help="Address or contact id; repeat for more.")] = None,
    subject: Annotated[str | None, typer.Option(help="Subject line.")] = None,
    body: Annotated[str | None, typer.Option(help="Body text.")] = None,
    body_file: Annotated[Path | None, typer.Option(help="Read the body from this file.")] = None,
    category: Annotated[
        str | None, typer.Option(help="transactional, notification (default), sales or marketing.")
    ] = None,
    template: Annotated[
        str | None, typer.Option(help="Render this template (see `crm-agent email templates`).")
    ] = None,
    contact: Annotated[str | None, typer.Option(help="Contact id for the template.")] = None,
    deal: Annotated[str | None, typer.Option(help="Deal id for the template.")] = None,
    var: Annotated[list[str] | None, typer.Option("--var", help="Template variable name=value; repeatable.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Draft an email, by hand or from a template. It waits for approval."""
    text = _body(body, body_file)

    async def go() -> DraftRead:
        service = await _service()
        if template:
            return await service.draft_from_template(
                template,
                to=to or None,
                contact_id=contact,
                deal_id=deal,
                variables=parse_assignments(var or []),
                category=category,
                actor=_actor(),
            )
        if not to or subject is None or text is None:
            raise typer.BadParameter("give --to, --subject and --body (or --body-file), or a --template")
        return await service.create_draft(to, subject, text, category or "notification", actor=_actor())

    show_draft(run(go), as_json)


@drafts.command("edit")
def drafts_edit(
    draft_id: int,
    to: Annotated[list[str] | None, typer.Option("--to", help="New recipients (replace the old ones).")] = None,
    subject: Annotated[str | None, typer.Option(help="New subject.")] = None,
    body: Annotated[str | None, typer.Option(help="New body.")] = None,
    body_file: Annotated[Path | None, typer.Option(help="Read the new body from this file.")] = None,
    category: Annotated[str | None, typer.Option(help="New category.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Edit a draft (recorded with before and after); it then needs approval again."""

    async def go() -> DraftRead:
        return await (await _service()).edit(
            draft_id, subject=subject, body=_body(body, body_file), to=to or None, category=category, actor=_actor()
        )

    show_draft(run(go), as_json)


@drafts.command("approve")
def drafts_approve(
    draft_id: int,
    send: Annotated[bool, typer.Option("--send/--no-send", help="Send at once after approving (default).")] = True,
    as_json: JsonOpt = False,
) -> None:
    """Approve a draft and send it (validation, suppression and quotas are checked again)."""

    async def go() -> DraftRead:
        return await (await _service()).approve(draft_id, actor=_actor(), send=send)

    _outcome(run(go), as_json)


@drafts.command("reject")
def drafts_reject(
    draft_id: int,
    reason: Annotated[str, typer.Option(help="Why (required; kept with the draft and in the audit log).")],
    as_json: JsonOpt = False,
) -> None:
    """Reject a draft with a reason."""

    async def go() -> DraftRead:
        return await (await _service()).reject(draft_id, reason, actor=_actor())

    show_draft(run(go), as_json)


@drafts.command("send")
def drafts_send(
    draft_id: int,
    force: Annotated[
        bool,
        typer.Option(
            help="Also resend a draft the SMTP server may already have (after an interrupted send), and take over a "
            "send another process started. Never skips validation or quotas."
        ),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Send an approved draft, or retry a failed one."""

    async def go() -> DraftRead:
        return await (await _service()).send(draft_id, actor=_actor(), force=force)

    _outcome(run(go), as_json)


@drafts.command("resume")
def drafts_resume(as_json: JsonOpt = False) -> None:
    """Finish sends interrupted by a crash, without sending anything twice."""

    async def go() -> list[DraftRead]:
        return await (await _service()).resume_interrupted()

    result = run(go)
    if as_json:
        print_json(result)
        return
    if not result:
        console.print("no interrupted sends")
    for draft in result:
        console.print(f"draft {draft.id}: {_status(draft)} {escape(draft.failure_reason or '')}")


@email.command("quota")
def email_quota(
    address: Annotated[str, typer.Argument(help="The recipient's address.")],
    sender: Annotated[str | None, typer.Option(help="Sender address (default CRM_AGENT_EMAIL_FROM).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """What is left of the sending quotas for a recipient (and the sender)."""

    async def go():
        return await (await _service()).quota(address, sender)

    quota = run(go)
    if as_json:
        print_json(quota)
        return
    recipient = (
        "no limit (an owner)"
        if quota.recipient_exempt
        else f"{quota.recipient_used} of {quota.recipient_limit} used in the last 7 days, {quota.recipient_left} left"
        + (f" (next slot {quota.recipient_next_slot_at:%Y-%m-%d %H:%M} UTC)" if quota.recipient_next_slot_at else "")
    )
    flags = [f for f, on in (("opted out", quota.opted_out), ("on the suppression list", quota.suppressed)) if on]
    print_table(
        f"quota for {quota.email}",
        ["limit", "status"],
        [
            [
                f"sender {quota.sender} per day",
                f"{quota.sender_used} of {quota.sender_limit} used today, {quota.sender_left} left "
                f"(resets {quota.sender_resets_at:%Y-%m-%d %H:%M %Z})",
            ],
            [f"recipient {quota.email} per week", recipient],
            ["may be emailed", "no: " + ", ".join(flags) if flags else "yes"],
        ],
    )


@email.command("outbox")
def email_outbox(as_json: JsonOpt = False) -> None:
    """Messages in the local outbox (DATA_DIR/outbox), newest first."""

    async def go():
        return (await _service()).outbox()

    messages = run(go)
    if as_json:
        print_json(
            [
                {
                    "message_id": m.message_id,
                    "date": m.date.isoformat() if m.date else None,
                    "from": m.sender,
                    "to": m.to,
                    "subject": m.subject,
                    "path": str(m.path),
                }
                for m in messages
            ]
        )
        return
    print_table(
        f"outbox ({len(messages)})",
        ["date", "to", "subject", "message id", "file"],
        [
            [f"{m.date:%Y-%m-%d %H:%M}" if m.date else "", ", ".join(m.to), m.subject, m.message_id, m.path.name]
            for m in messages
        ],
    )


@email.command("test")
def email_test(as_json: JsonOpt = False) -> None:
    """Check the SMTP connection (TLS and login) and say what failed; exit 1 on failure."""

    async def go():
        return await (await _service()).test_connection()

    check = run(go)
    if as_json:
        print_json(check)
    else:
        mark = "[green]ok[/green]" if check.ok else "[red]failed[/red]"
        console.print(f"{mark} ({check.transport}): {escape(check.detail)}", highlight=False)
    if not check.ok:
        raise typer.Exit(1)


@email.command("templates")
def email_templates(as_json: JsonOpt = False) -> None:
    """The email templates (built in, or overridden in DATA_DIR/templates/email)."""

    async def go():
        return (await _service()).template_list()

    templates = run(go)
    if as_json:
        print_json(templates)
        return
    print_table(
        "email templates",
        ["name", "category", "needs", "source", "description"],
        [[t.name, t.category, ", ".join(t.needs), t.source, t.description] for t in templates],
    )


@email.command("suppress")
def email_suppress(address: str, reason: Annotated[str, typer.Option(help="Why.")] = "added by an operator") -> None:
    """Never email this address again (the suppression list)."""

    async def go() -> bool:
        return await (await _service()).suppress(address, reason, actor=_actor())

    added = run(go)
    console.print(f"{address} {'added to' if added else 'was already on'} the suppression list", highlight=False)


def register(app: typer.Typer) -> None:
    """Add ``drafts`` and ``email`` to the CLI."""
    app.add_typer(drafts, name="drafts")
    app.add_typer(email, name="email")
