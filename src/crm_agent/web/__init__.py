"""The web app: server-rendered pages (Jinja2 + HTMX, server-sent events for live agent steps).

:func:`install` adds the pages, the static files and HTML error pages to the API's FastAPI app.
Pages live in ``web/pages/`` (one router per page group) with templates in
``templates/pages/``; the menu is ``web/nav.py``. See ``nav.py`` for adding a page.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from crm_agent.web.deps import LoginRequired, login_redirect
from crm_agent.web.pages import audit, auth, chat, dashboard, deals, drafts, records, runs
from crm_agent.web.templating import STATIC_DIR, make_templates

PAGE_ROUTERS = [
    auth.router,
    dashboard.router,
    chat.router,
    deals.router,  # before records: /app/deals/table must not be read as a deal id
    runs.router,
    drafts.router,
    audit.router,
    records.router,  # last: /app/{object_type} would shadow the pages above
]
WEB_PREFIXES = ("/app", "/login", "/logout")
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)


def is_web(request: Request) -> bool:
    """Whether the request is for a page (HTML errors) rather than the JSON API."""
    path = request.url.path
    return path == "/" or path.startswith(WEB_PREFIXES)


class SecurityHeaders:
    """Pure ASGI middleware adding CSP and friends to the web pages."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        web = path == "/" or path.startswith(WEB_PREFIXES)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"same-origin")]
                if web:
                    headers += [(b"content-security-policy", CSP.encode()), (b"x-frame-options", b"DENY")]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install(app: FastAPI) -> None:
    """Add the web app to ``app``."""
    settings = app.state.services.settings
    app.state.templates = make_templates(settings.tz)
    app.state.html_errors = _render_error
    app.add_exception_handler(LoginRequired, login_redirect)  # type: ignore[arg-type]
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for router in PAGE_ROUTERS:
        app.include_router(router, include_in_schema=False)
    app.add_middleware(SecurityHeaders)


def _render_error(request: Request, status: int, message: str, problems: list) -> object | None:
    """An HTML error page (or, for HTMX, an alert swapped into the page's flash area)."""
    if not is_web(request):
        return None
    from crm_agent.web.deps import render

    if request.headers.get("HX-Request"):
        return render(
            request,
            "partials/alert.html",
            {"kind": "error", "message": message, "problems": problems},
            status_code=status,
            headers={"HX-Retarget": "#flash", "HX-Reswap": "innerHTML"},
        )
    return render(
        request, "pages/error.html", {"status": status, "message": message, "problems": problems}, status_code=status
    )
