"""``crm-agent chat``, ``runs list|show``, ``plans approve|reject``, ``undo`` and ``audit verify``."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape

from crm_agent import audit
from crm_agent.agent.views import RunView
from crm_agent.cli.context import console, print_json, print_table, run, settings

runs = typer.Typer(help="Runs: what each request became.", no_args_is_help=True)
plans = typer.Typer(help="Approve or reject plans that wait for approval.", no_args_is_help=True)
audit_app = typer.Typer(help="The append-only audit log.", no_args_is_help=True)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the run as JSON.")]


def runner_class() -> Any:
    """AgentRunner, imported on use: the agent loads pydantic-ai, which CRM-only commands do not need."""
    from crm_agent.agent.runner import AgentRunner

    return AgentRunner


_STYLE = {
    "succeeded": "green",
    "failed": "red",
    "skipped": "yellow",
    "pending": "cyan",
    "planned": "blue",
    "rejected": "magenta",
}


def run_json(view: RunView) -> dict:
    """The documented ``--json`` shape of a run."""
    return {
        "id": view.id,
        "mode": view.mode,
        "status": view.status,
        "conversation_id": view.conversation_id,
        "model": view.model,
        "steps": [
            {
                "tool": s.tool,
                "args": s.args,
                "handle": s.handle,
                "status": s.status,
                "result": s.result,
                "error": s.error,
            }
            for s in view.steps
        ],
        "reply": view.reply,
        "llm_calls": view.llm_calls,
        "input_tokens": view.input_tokens,
        "output_tokens": view.output_tokens,
        "fallback_reason": view.fallback_reason,
    }


def show_run(view: RunView, as_json: bool) -> None:
    """Print a run: its plan table and reply, or JSON."""
    if as_json:
        print_json(run_json(view))
        return
    writes = [s for s in view.steps if s.risk != "read"]
    if writes:
        console.print(f"[bold]Plan[/bold] ({view.mode}, run {view.id})")
        for step in writes:
            style = _STYLE.get(step.status, "white")
            deps = f" after {', '.join(map(str, step.depends_on))}" if step.depends_on else ""
            console.print(
                f"  {step.position}. [{style}]{step.status:<9}[/{style}] {escape(step.description)}"
                f"{deps}" + (f" [dim]({step.handle})[/dim]" if step.handle else "")
            )
    console.print(escape(view.reply))
    console.print(
        f"[dim]status {view.status} · model {view.model} · LLM calls {view.llm_calls} · tokens "
        f"{view.input_tokens + view.output_tokens}[/dim]"
        + (f" [yellow]· fell back to rules: {escape(view.fallback_reason)}[/yellow]" if view.fallback_reason else "")
    )


def chat(
    message: Annotated[str | None, typer.Argument(help="The request; omit it for an interactive session.")] = None,
    mode: Annotated[str | None, typer.Option(help="auto, review or dry-run (default: CRM_AGENT_MODE).")] = None,
    conversation: Annotated[str | None, typer.Option("--conversation", help="Continue this conversation.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Ask the agent in plain language; it plans, applies policy, runs, verifies and reports each step."""
    cfg = settings()
    actor = cfg.actor

    async def once(text: str, conversation_id: str | None) -> RunView:
        runner = await runner_class().connect(cfg)
        return await runner.run(text, actor=actor, mode=mode, conversation_id=conversation_id)

    if message is not None:
        show_run(run(lambda: once(message, conversation)), as_json)
        return
    conversation_id = conversation
    console.print("crm-agent chat: type a request, or 'exit' to leave.")
    while True:
        try:
            text = console.input("[bold]> [/bold]")
        except (EOFError, KeyboardInterrupt):
            break
        if text.strip().lower() in {"exit", "quit"}:
            break
        view = run(lambda t=text, c=conversation_id: once(t, c))
        conversation_id = view.conversation_id
        show_run(view, as_json)


@runs.command("list")
def runs_list(limit: Annotated[int, typer.Option(min=1, max=500)] = 20, as_json: JsonOpt = False) -> None:
    """Recent runs, newest first."""

    async def go() -> list[RunView]:
        return await (await runner_class().connect(settings())).list_runs(limit)

    views = run(go)
    if as_json:
        print_json([run_json(v) for v in views])
        return
    print_table(
        "runs",
        ["id", "when", "actor", "mode", "status", "request"],
        [[v.id, v.created_at.strftime("%Y-%m-%d %H:%M"), v.actor, v.mode, v.status, v.request[:60]] for v in views],
    )


@runs.command("show")
def runs_show(run_id: str, as_json: JsonOpt = False) -> None:
    """One run with each step, its arguments, result and timing."""

    async def go() -> RunView:
        return await (await runner_class().connect(settings())).get_run(run_id)

    view = run(go)
    if as_json:
        print_json(view)
        return
    show_run(view, False)
    print_table(
        "steps",
        ["#", "tool", "status", "args", "result / error", "ms"],
        [[s.position, s.tool, s.status, s.args, s.error or s.result, s.duration_ms] for s in view.steps],
    )


@plans.command("approve")
def plans_approve(run_id: str, as_json: JsonOpt = False) -> None:
    """Approve a plan: run its steps that wait for approval."""

    async def go() -> RunView:
        return await (await runner_class().connect(settings())).approve(run_id, actor=settings().actor)

    show_run(run(go), as_json)


@plans.command("reject")
def plans_reject(
    run_id: str, reason: Annotated[str | None, typer.Option(help="Why.")] = None, as_json: JsonOpt = False
) -> None:
    """Reject a plan: its waiting steps never run."""

    async def go() -> RunView:
        return await (await runner_class().connect(settings())).reject(run_id, actor=settings().actor, reason=reason)

    show_run(run(go), as_json)


def undo(run_id: str, as_json: JsonOpt = False) -> None:
    """Revert a run's writes in reverse order; refuses, naming the record, if a later change would be lost."""

    async def go() -> RunView:
        return await (await runner_class().connect(settings())).undo(run_id, actor=settings().actor)

    show_run(run(go), as_json)


@audit_app.command("verify")
def audit_verify(as_json: JsonOpt = False) -> None:
    """Recompute the hash chain; exit 1 if any entry was edited, removed or reordered."""

    async def go() -> audit.ChainReport:
        runner = await runner_class().connect(settings())
        async with runner.crm.sessions() as session:
            return await audit.verify_chain(session)

    report = run(go)
    if as_json:
        print_json(
            {"ok": report.ok, "entries": report.entries, "first_bad_id": report.first_bad_id, "reason": report.reason}
        )
    elif report.ok:
        console.print(f"[green]audit log intact[/green]: {report.entries} entries verified")
    else:
        console.print(f"[red]audit log broken at entry {report.first_bad_id}[/red]: {report.reason}")
    if not report.ok:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add the agent commands to ``app``."""
    app.command("chat")(chat)
    app.command("undo")(undo)
    app.add_typer(runs, name="runs")
    app.add_typer(plans, name="plans")
    app.add_typer(audit_app, name="audit")
