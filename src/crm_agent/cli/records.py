"""``crm-agent contacts|companies|deals|tasks|notes|meetings list|get|create|update|archive|restore``."""

from __future__ import annotations

from typing import Annotated

import typer

from crm_agent.cli.context import open_crm, parse_assignments, print_json, print_table, run
from crm_agent.crm.filters import parse_filters
from crm_agent.crm.objects import OBJECT_TYPES
from crm_agent.crm.schemas import CrmRecord, SearchRequest

COLUMNS = {
    "contacts": ["firstname", "lastname", "email", "phone", "company", "lifecyclestage", "hs_lead_status"],
    "companies": ["name", "domain", "industry", "city", "country"],
    "deals": ["dealname", "amount", "deal_currency_code", "dealstage", "closedate"],
    "notes": ["hs_note_body", "hs_timestamp"],
    "tasks": ["hs_task_subject", "hs_task_status", "hs_task_priority", "hs_timestamp"],
    "meetings": ["hs_meeting_title", "hs_meeting_start_time", "hs_meeting_outcome"],
    "emails": ["hs_email_subject", "hs_email_to_email", "hs_timestamp"],
}

JsonOpt = Annotated[bool, typer.Option("--json", help="Print HubSpot-shaped JSON.")]


def show(object_type: str, records: list[CrmRecord], as_json: bool, total: int | None = None) -> None:
    """Print records as JSON or as a table of the type's main columns."""
    if as_json:
        print_json(records if total is None else {"total": total, "results": records})
        return
    cols = COLUMNS[object_type]
    title = f"{object_type} ({total if total is not None else len(records)})"
    print_table(title, ["id", *cols], [[r.id, *[r.properties.get(c) for c in cols]] for r in records])


def make_group(object_type: str) -> typer.Typer:
    """The command group for one object type."""
    group = typer.Typer(help=f"Work with {object_type}.", no_args_is_help=True)

    @group.command("list")
    def list_(
        limit: Annotated[int, typer.Option(min=1, max=200)] = 20,
        after: Annotated[str | None, typer.Option(help="Paging cursor from the previous page.")] = None,
        query: Annotated[str | None, typer.Option("--query", "-q", help="Free-text search.")] = None,
        filter_: Annotated[list[str] | None, typer.Option("--filter", "-f", help="e.g. hs_lead_status=OPEN")] = None,
        archived: Annotated[bool, typer.Option(help="List archived records instead.")] = False,
        as_json: JsonOpt = False,
    ) -> None:
        """List records, optionally filtered (see `crm-agent search --help` for filter syntax)."""
        request = SearchRequest(
            filterGroups=parse_filters(filter_ or []), query=query, limit=limit, after=after, archived=archived
        )

        async def go():
            return await (await open_crm()).search(object_type, request)

        page = run(go)
        show(object_type, page.results, as_json, page.total)

    @group.command("get")
    def get(record_id: str, as_json: JsonOpt = False) -> None:
        """Show one record with its associations."""

        async def go():
            return await (await open_crm()).get(object_type, record_id)

        record = run(go)
        if as_json:
            print_json(record)
        else:
            print_table(
                f"{object_type[:-1] if object_type != 'companies' else 'company'} {record.id}",
                ["property", "value"],
                [[k, v] for k, v in record.properties.items() if v is not None]
                + [[f"associated {t}", ", ".join(a.id for a in lst.results)] for t, lst in record.associations.items()],
            )

    @group.command("create")
    def create(
        properties: Annotated[list[str], typer.Argument(help="name=value pairs")], as_json: JsonOpt = False
    ) -> None:
        """Create a record from name=value pairs, e.g. `email=ann@acme.com firstname=Ann`."""

        async def go():
            return await (await open_crm()).create(object_type, parse_assignments(properties))

        show(object_type, [run(go)], as_json)

    @group.command("update")
    def update(
        record_id: str,
        properties: Annotated[list[str], typer.Argument(help="name=value pairs")],
        as_json: JsonOpt = False,
    ) -> None:
        """Update a record's properties; an empty value (`phone=`) clears one."""

        async def go():
            return await (await open_crm()).update(object_type, record_id, parse_assignments(properties))

        show(object_type, [run(go)], as_json)

    @group.command("archive")
    def archive(record_id: str, as_json: JsonOpt = False) -> None:
        """Archive (delete) a record; `restore` brings it back."""

        async def go():
            return await (await open_crm()).archive(object_type, record_id)

        show(object_type, [run(go)], as_json)

    @group.command("restore")
    def restore(record_id: str, as_json: JsonOpt = False) -> None:
        """Restore an archived record."""

        async def go():
            return await (await open_crm()).restore(object_type, record_id)

        show(object_type, [run(go)], as_json)

    return group


def register(app: typer.Typer) -> None:
    """Add a command group per CRM object type to ``app``."""
    for name in OBJECT_TYPES:
        app.add_typer(make_group(name), name=name)
