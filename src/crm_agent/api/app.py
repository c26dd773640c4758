"""The FastAPI application: REST API, web app, docs, health and metrics in one process.

:func:`create_app` builds an app over ``settings``; ``crm-agent serve`` runs it with uvicorn.
The database is connected (and migrated) at startup, or on first use when a test client does not
run the lifespan.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import ValidationError

import crm_agent
from crm_agent.api import errors
from crm_agent.api.observability import RequestContextMiddleware, configure_logging, configure_structlog
from crm_agent.api.routers import ALL
from crm_agent.api.state import Services
from crm_agent.config import Settings, get_settings
from crm_agent.storage.engine import dispose_all

DESCRIPTION = """
The HTTP API of crm-agent. Authenticate with `Authorization: Bearer KEY` (an API key from
`crm-agent users add`). CRM records use HubSpot's v3 shapes; errors share one JSON shape with a
`requestId` that also appears in the `X-Request-ID` header and in the server's log lines.
"""


def create_app(settings: Settings | None = None, *, configure_logs: bool = False) -> FastAPI:
    """A new app over ``settings`` (default: from the environment)."""
    settings = settings or get_settings()
    services = Services(settings)
    configure_structlog()
    if configure_logs:
        configure_logging()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await services.ready()
        yield
        await dispose_all()

    app = FastAPI(
        title="crm-agent",
        version=crm_agent.__version__,
        description=DESCRIPTION,
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.services = services
    errors.install(app)

    async def pydantic_error(request: Request, exc: ValidationError) -> JSONResponse:
        problems = [
            errors.FieldProblem(field=".".join(str(p) for p in e["loc"]) or "body", message=e["msg"])
            for e in exc.errors()
        ]
        return errors.error_response(request, 422, "invalid request", problems)

    app.add_exception_handler(ValidationError, pydantic_error)  # type: ignore[arg-type]
    for router in ALL:
        app.include_router(router)

    from crm_agent.web import install as install_web  # the web app is part of the same process

    install_web(app)

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title="crm-agent API",
            swagger_js_url="/static/vendor/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url="/static/vendor/swagger-ui/swagger-ui.css",
            swagger_favicon_url="/static/favicon.svg",
        )

    app.add_middleware(RequestContextMiddleware, metrics=services.metrics)
    return app
