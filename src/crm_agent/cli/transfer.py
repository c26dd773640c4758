"""``crm-agent import`` and ``crm-agent export``: HubSpot-format CSV files in and out."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from crm_agent.cli.context import console, err_console, open_crm, print_json, print_table, run
from crm_agent.crm.exporter import export_csv
from crm_agent.crm.importer import ImportReport, import_csv


class Importable(StrEnum):
    """Object types that import and export as CSV."""

    contacts = "contacts"
    companies = "companies"
    deals = "deals"


def _progress(label: str) -> Progress:
    return Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    )


def import_command(
    object_type: Annotated[Importable, typer.Argument(help="What the file holds.")],
    file: Annotated[Path, typer.Argument(help="A CSV file in HubSpot's export format.", exists=True, dir_okay=False)],
    create_properties: Annotated[
        bool,
        typer.Option(
            "--create-properties",
            help="Create a custom property for each column no property matches (type inferred from the values).",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the import report as JSON.")] = False,
) -> None:
    """Import contacts, companies or deals from a CSV file with HubSpot's column names.

    Valid rows are imported and every bad row is reported with its line, column and reason.
    Running the same import again updates the records instead of duplicating them (contacts by
    email, companies by domain, deals by Record ID or by name and close date). Exits with 1 when
    some rows failed.
    """
    name = object_type.value

    async def go() -> ImportReport:
        crm = await open_crm()
        with _progress(f"importing {name}") as bar:
            task = bar.add_task(name, total=None)

            def step(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            return await import_csv(crm, name, file, create_properties=create_properties, progress=step)

    report = run(go)
    if as_json:
        print_json(report.to_json())
    else:
        _print_import(report)
    if not report.ok:
        raise typer.Exit(1)


def _print_import(report: ImportReport) -> None:
    console.print(
        f"{report.object_type} from {report.file}: {report.rows} rows, [green]{report.created} created[/green], "
        f"{report.updated} updated, "
        + (f"[red]{report.failed} failed[/red]" if report.failed else "0 failed")
        + f" ({report.seconds:.1f} s)",
        highlight=False,
        soft_wrap=True,
    )
    for prop in report.created_properties:
        options = f": {', '.join(prop['options'])}" if prop["options"] else ""
        console.print(f"created property {prop['name']} ({prop['type']}{options})", highlight=False, soft_wrap=True)
    if report.warnings:
        print_table(
            "warnings",
            ["line", "column", "value", "note"],
            [[w.line, w.column, w.value, w.reason] for w in report.warnings],
        )
    if report.errors:
        print_table(
            "rows not imported",
            ["line", "column", "value", "reason"],
            [[e.line, e.column, e.value, e.reason] for e in report.errors],
        )


def export_command(
    object_type: Annotated[Importable, typer.Argument(help="What to export.")],
    file: Annotated[Path, typer.Argument(help="The CSV file to write.", dir_okay=False)],
    archived: Annotated[bool, typer.Option(help="Export archived records instead.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print what was written as JSON.")] = False,
) -> None:
    """Export contacts, companies or deals to a CSV file in HubSpot's export format (re-importable)."""
    name = object_type.value

    async def go():
        crm = await open_crm()
        with _progress(f"exporting {name}") as bar:
            task = bar.add_task(name, total=None)

            def step(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            return await export_csv(crm, name, file, archived=archived, progress=step)

    report = run(go)
    if as_json:
        print_json(report.to_json())
    else:
        console.print(f"wrote {report.rows} {name} to {report.file}", highlight=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    """Add ``import`` and ``export`` to ``app``."""
    app.command("import")(import_command)
    app.command("export")(export_command)
