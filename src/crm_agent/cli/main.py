"""The ``crm-agent`` application: global options and the command groups."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from crm_agent.cli import agent as agent_cli
from crm_agent.cli import context, directory, records, serve, transfer, users
from crm_agent.cli import demo as demo_cli
from crm_agent.cli import email as email_cli
from crm_agent.cli import evals as eval_cli
from crm_agent.cli.context import open_crm, print_json, run
from crm_agent.crm.filters import parse_filters
from crm_agent.crm.schemas import SearchRequest

app = typer.Typer(
    help="crm-agent: an AI agent for sales and CRM work, on an embedded CRM.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db = typer.Typer(help="Database maintenance.", no_args_is_help=True)


@app.callback()
def main(
    data_dir: Annotated[
        Path | None, typer.Option("--data-dir", help="Where the database and files live (env CRM_AGENT_DATA_DIR).")
    ] = None,
) -> None:
    """Global options."""
    context.set_data_dir(data_dir)


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply pending database migrations (also done automatically on first use)."""

    async def go() -> str:
        await open_crm()
        return context.settings().resolved_database_url

    url = run(go)
    typer.echo(f"database is up to date: {url}")


@app.command("search")
def search(
    object_type: Annotated[str, typer.Argument(help="contacts, companies, deals, notes, tasks, meetings")],
    filter_: Annotated[
        list[str] | None,
        typer.Option(
            "--filter",
            "-f",
            help=(
                "name=value, name!=value, name>value, name>=value, name<value, name<=value, name~word (contains), "
                "name=a|b (in), name=lo..hi (between), name? (has a value), !name? (has none); repeat to AND."
            ),
        ),
    ] = None,
    query: Annotated[
        str | None, typer.Option("--query", "-q", help="Free text over the searchable properties.")
    ] = None,
    sort: Annotated[str | None, typer.Option(help="Property to sort by; prefix - for descending.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=200)] = 20,
    after: Annotated[str | None, typer.Option(help="Paging cursor from the previous page.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print HubSpot-shaped JSON.")] = False,
) -> None:
    """Search records the way HubSpot's CRM search API does."""
    sorts = (
        [{"propertyName": sort.lstrip("-"), "direction": "DESCENDING" if sort.startswith("-") else "ASCENDING"}]
        if sort
        else []
    )
    request = SearchRequest(
        filterGroups=parse_filters(filter_ or []), query=query, sorts=sorts, limit=limit, after=after
    )

    async def go():
        return await (await open_crm()).search(object_type, request)

    page = run(go)
    if as_json:
        print_json(page)
    else:
        records.show(object_type.lower(), page.results, False, page.total)


records.register(app)
transfer.register(app)
agent_cli.register(app)
app.command("demo")(demo_cli.demo)
eval_cli.register(app)
email_cli.register(app)
app.add_typer(directory.owners, name="owners")
app.add_typer(directory.pipelines, name="pipelines")
app.add_typer(directory.properties, name="properties")
app.add_typer(db, name="db")
app.command("serve")(serve.serve)
app.add_typer(users.users, name="users")
