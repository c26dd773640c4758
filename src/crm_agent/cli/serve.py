"""``crm-agent serve``: the REST API, the web app and the docs in one process (uvicorn)."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from crm_agent.cli.context import run, settings
from crm_agent.cli.users import auth_service, show_new_user


async def ensure_admin(email: str, base_url: str) -> None:
    """On first start (no users at all) create an admin and print how to sign in."""
    auth = await auth_service()
    if await auth.count_users():
        return
    created = await auth.create_user(email, "admin", "Administrator")
    typer.echo("No users yet: created the first admin.")
    show_new_user(created, base_url)


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.", min=1, max=65535)] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes (each a full replica).", min=1, max=64)] = 1,
    admin_email: Annotated[
        str, typer.Option(help="Email of the admin created on first start when there are no users.")
    ] = "admin@example.com",
    log_level: Annotated[str, typer.Option(help="debug, info, warning or error.")] = "info",
    forwarded_allow_ips: Annotated[
        str, typer.Option(help="Proxies trusted for X-Forwarded-Proto/For (HTTPS detection for Secure cookies).")
    ] = "127.0.0.1",
) -> None:
    """Serve the API (docs at /docs) and the web app on http://HOST:PORT."""
    import uvicorn

    from crm_agent.api.observability import configure_logging

    current = settings()
    os.environ["CRM_AGENT_DATA_DIR"] = str(current.data_dir)  # worker processes read the same settings
    shown_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    run(lambda: ensure_admin(admin_email, f"http://{shown_host}:{port}"))
    configure_logging(level=log_level.upper())
    typer.echo(f"serving on http://{host}:{port}  (API docs: http://{host}:{port}/docs)")
    uvicorn.run(
        "crm_agent.api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=None,
        log_level=log_level,
        access_log=False,
        proxy_headers=True,
        forwarded_allow_ips=forwarded_allow_ips,
        timeout_worker_healthcheck=60,  # a worker imports the agent and checks migrations before it answers
    )
