"""What every CLI command shares: settings with the global ``--data-dir``, running coroutines,
opening the CRM, printing JSON or tables, and turning errors into clear messages."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.table import Table

from crm_agent.config import Settings
from crm_agent.crm.service import LocalCrm
from crm_agent.errors import CrmAgentError, ValidationFailed
from crm_agent.storage.engine import dispose_all

T = TypeVar("T")
console = Console()
err_console = Console(stderr=True)
_overrides: dict[str, Any] = {}


def set_data_dir(path: Path | None) -> None:
    """Remember the global ``--data-dir`` option for :func:`settings`."""
    if path is not None:
        _overrides["data_dir"] = path


def settings() -> Settings:
    """Settings from the environment, with command-line overrides applied."""
    return Settings(**_overrides)


def run(make: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine for a command; crm-agent errors become a one-line message and exit code 1."""

    async def main() -> T:
        try:
            return await make()
        finally:
            await dispose_all()

    try:
        return asyncio.run(main())
    except ValidationFailed as exc:
        for error in exc.errors:
            err_console.print(
                f"[red]error:[/red] {error.field}: {error.message} (got {error.value!r})", highlight=False
            )
        raise typer.Exit(1) from None
    except CrmAgentError as exc:
        err_console.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(1) from None


async def open_crm() -> LocalCrm:
    """The CRM of the configured database."""
    return await LocalCrm.connect(settings())


def to_jsonable(value: Any) -> Any:
    """Pydantic models and lists of them as plain JSON data."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list):
        return [to_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: to_jsonable(v) for k, v in value.items()}
    return value


def print_json(value: Any) -> None:
    """Print ``value`` as indented JSON on stdout (no colour, stable key order as given)."""
    typer.echo(json.dumps(to_jsonable(value), indent=2, default=str, ensure_ascii=False))


def print_table(title: str, columns: list[str], rows: list[list[Any]]) -> None:
    """Print a Rich table."""
    table = Table(title=title, show_lines=False)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*["" if v is None else str(v) for v in row])
    console.print(table)


def parse_assignments(pairs: list[str]) -> dict[str, str]:
    """``["email=a@b.com", "firstname=Ann"]`` -> a dict; raises ValidationFailed for a pair without ``=``."""
    from crm_agent.errors import FieldError

    out: dict[str, str] = {}
    for pair in pairs:
        if "=" not in pair:
            raise ValidationFailed([FieldError("properties", pair, "write each property as name=value")])
        name, value = pair.split("=", 1)
        out[name.strip()] = value
    return out
