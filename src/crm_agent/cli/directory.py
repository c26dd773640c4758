"""``crm-agent owners``, ``crm-agent pipelines`` and ``crm-agent properties``."""

from __future__ import annotations

from typing import Annotated

import typer

from crm_agent.cli.context import open_crm, print_json, print_table, run

owners = typer.Typer(help="CRM users who own records.", no_args_is_help=True)
pipelines = typer.Typer(help="Deal pipelines and stages.", no_args_is_help=True)
properties = typer.Typer(help="Standard and custom properties.", no_args_is_help=True)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


@owners.command("list")
def owners_list(as_json: JsonOpt = False) -> None:
    """List owners."""

    async def go():
        return await (await open_crm()).list_owners()

    result = run(go)
    if as_json:
        print_json(result)
    else:
        print_table(
            "owners",
            ["id", "email", "first name", "last name"],
            [[o.id, o.email, o.firstName, o.lastName] for o in result],
        )


@owners.command("add")
def owners_add(
    email: Annotated[str, typer.Option(help="The owner's email (unique).")],
    first_name: Annotated[str, typer.Option(help="First name.")] = "",
    last_name: Annotated[str, typer.Option(help="Last name.")] = "",
    as_json: JsonOpt = False,
) -> None:
    """Add an owner."""

    async def go():
        return await (await open_crm()).create_owner(email, first_name, last_name)

    owner = run(go)
    if as_json:
        print_json(owner)
    else:
        typer.echo(f"added owner {owner.id}: {owner.firstName} {owner.lastName} <{owner.email}>")


@pipelines.command("list")
def pipelines_list(as_json: JsonOpt = False) -> None:
    """List deal pipelines and their stages with win probabilities."""

    async def go():
        return await (await open_crm()).list_pipelines()

    result = run(go)
    if as_json:
        print_json(result)
        return
    rows = [
        [p.label, s.id, s.label, s.metadata["probability"], s.metadata["isClosed"]] for p in result for s in p.stages
    ]
    print_table("pipelines", ["pipeline", "stage id", "stage", "probability", "closed"], rows)


@properties.command("list")
def properties_list(
    object_type: Annotated[str, typer.Argument(help="contacts, companies, deals, ...")], as_json: JsonOpt = False
) -> None:
    """List the properties of an object type."""

    async def go():
        return await (await open_crm()).properties(object_type)

    defs = run(go)
    if as_json:
        print_json([d.to_api(object_type) for d in defs.values()])
        return
    print_table(
        f"{object_type} properties",
        ["name", "label", "type", "options", "custom"],
        [
            [d.name, d.label, d.type, ", ".join(v for v, _ in d.options), "yes" if d.custom else ""]
            for d in defs.values()
        ],
    )


@properties.command("create")
def properties_create(
    object_type: Annotated[str, typer.Argument(help="contacts, companies, deals, ...")],
    name: Annotated[str, typer.Argument(help="Internal name, e.g. renewal_date")],
    type_: Annotated[
        str, typer.Option("--type", help="string, number, date, datetime, enumeration or bool")
    ] = "string",
    label: Annotated[str, typer.Option(help="Label shown to people.")] = "",
    option: Annotated[list[str] | None, typer.Option("--option", help="An enumeration option (repeat).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Define a custom property."""

    async def go():
        return await (await open_crm()).create_property(object_type, name, label or name, type_, option)

    defn = run(go)
    if as_json:
        print_json(defn.to_api(object_type))
    else:
        typer.echo(f"created {object_type} property {defn.name} ({defn.type})")
