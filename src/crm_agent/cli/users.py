"""``crm-agent users add|list|new-key|set-password``: people who use the API and the web app."""

from __future__ import annotations

from typing import Annotated

import typer

from crm_agent.auth.service import AuthService, NewUser
from crm_agent.cli.context import open_crm, print_json, print_table, run, settings
from crm_agent.errors import NotFound

users = typer.Typer(help="Users of the API and the web app (admins and members).", no_args_is_help=True)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


async def auth_service() -> AuthService:
    crm = await open_crm()
    return AuthService(crm.sessions, settings())


def show_new_user(created: NewUser, base_url: str = "http://127.0.0.1:8000") -> None:
    """Print a new user's API key, once, with how to sign in."""
    user = created.user
    typer.echo(f"added {user.role} {user.email} (user {user.id})")
    typer.echo(f"API key (shown only now; store it safely): {created.apiKey}")
    typer.echo(f"  API:     curl -H 'Authorization: Bearer {created.apiKey}' {base_url}/users/me")
    typer.echo(f"  web app: sign in at {base_url}/login as {user.email} with this key as the password")


@users.command("add")
def add(
    email: Annotated[str, typer.Option(help="The user's email (their sign-in name).")],
    role: Annotated[str, typer.Option(help="admin or member (see docs/permissions.md).")] = "member",
    name: Annotated[str, typer.Option(help="Display name.")] = "",
    password: Annotated[
        bool, typer.Option("--password", help="Also set a web password (asked for, not echoed).")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Add a user and print their API key once (it is stored hashed)."""
    secret = typer.prompt("Password", hide_input=True, confirmation_prompt=True) if password else None

    async def go() -> NewUser:
        return await (await auth_service()).create_user(email, role, name, secret)

    created = run(go)
    if as_json:
        print_json(created)
    else:
        show_new_user(created)


@users.command("list")
def list_(as_json: JsonOpt = False) -> None:
    """List users (never their keys)."""

    async def go():
        return await (await auth_service()).list_users()

    found = run(go)
    if as_json:
        print_json(found)
        return
    print_table(
        "users",
        ["id", "email", "name", "role", "disabled"],
        [[u.id, u.email, u.name, u.role, "yes" if u.disabled else ""] for u in found],
    )


async def _user_id(auth: AuthService, email: str) -> str:
    found = next((u for u in await auth.list_users() if u.email == email.strip().lower()), None)
    if found is None:
        raise NotFound("user", email, "see `crm-agent users list`")
    return found.id


@users.command("new-key")
def new_key(email: Annotated[str, typer.Argument(help="The user's email.")]) -> None:
    """Issue another API key for a user and print it once."""

    async def go() -> str:
        auth = await auth_service()
        return await auth.new_api_key(await _user_id(auth, email))

    typer.echo(f"API key (shown only now): {run(go)}")


@users.command("set-password")
def set_password(email: Annotated[str, typer.Argument(help="The user's email.")]) -> None:
    """Set a user's web password (asked for, not echoed)."""
    secret = typer.prompt("Password", hide_input=True, confirmation_prompt=True)

    async def go() -> None:
        auth = await auth_service()
        await auth.set_password(await _user_id(auth, email), secret)

    run(go)
    typer.echo(f"password set for {email}")
