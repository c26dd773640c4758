"""``crm-agent eval PATH``: run the YAML eval cases and report the pass rate."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from crm_agent.cli.context import console, err_console, print_table, run
from crm_agent.evals import CaseResult, Report, run_suite


def register(app: typer.Typer) -> None:
    """Add the ``eval`` command to ``app``."""
    app.command("eval")(eval_)


def eval_(
    path: Annotated[Path, typer.Argument(help="A case file or a directory of them (e.g. evals/).", exists=True)],
    model: Annotated[
        str, typer.Option("--model", "-m", help="'rules' (offline planner) or a pydantic-ai model string.")
    ] = "rules",
    case: Annotated[list[str] | None, typer.Option("--case", help="Run only this case id (repeatable).")] = None,
    min_pass_rate: Annotated[
        float, typer.Option("--min-pass-rate", min=0.0, max=1.0, help="Exit with 1 below this pass rate.")
    ] = 0.95,
    as_json: Annotated[bool, typer.Option("--json", help="Print the whole report as JSON.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show the replies of failed cases.")] = False,
) -> None:
    """Run each case on a fresh database with a fixed clock; report pass rate, LLM calls, tokens, latency."""

    def progress(result: CaseResult) -> None:
        if as_json:
            return
        mark = "[green]PASS[/green]" if result.passed else "[red]FAIL[/red]"
        console.print(f"{mark} {result.id} [dim]({result.category})[/dim]", highlight=False)
        for failure in result.failures if not result.passed else []:
            console.print(f"     - {failure}", highlight=False, markup=False, soft_wrap=True)
        if verbose and not result.passed:
            for n, reply in enumerate(result.replies, start=1):
                console.print(f"     reply {n}: {reply}", highlight=False, markup=False, soft_wrap=True)

    report = run(lambda: run_suite(path, model=model, case_ids=case, on_result=progress))
    if as_json:
        typer.echo(json.dumps(report.to_json(), indent=2, ensure_ascii=False, default=str))
    else:
        _summary(report)
    if report.pass_rate < min_pass_rate:
        if not as_json:
            err_console.print(f"pass rate {report.pass_rate:.1%} is below {min_pass_rate:.0%}", highlight=False)
        raise typer.Exit(1)


def _summary(report: Report) -> None:
    data = report.to_json()
    rows = [[name, f"{c['passed']}/{c['total']}"] for name, c in data["categories"].items()]
    print_table("by category", ["category", "passed"], rows)
    console.print(
        f"{report.passed}/{len(report.results)} passed ({report.pass_rate:.1%}) with model {report.model}; "
        f"LLM calls {data['llm_calls']}, tokens {data['input_tokens']} in / {data['output_tokens']} out; "
        f"latency p50 {data['latency_ms']['p50']:.1f} ms, p95 {data['latency_ms']['p95']:.1f} ms; "
        f"{data['seconds']:.1f} s",
        highlight=False,
        soft_wrap=True,
    )
