"""Dependencies of the web pages: the signed-in user (or a redirect to the login page), the guarded
CRM and runs, and :func:`render`, which gives every template what the layout needs."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote, unquote

import structlog
from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, Response

from crm_agent.api.deps import OptionalPrincipalDep, ServicesDep
from crm_agent.api.services.audit_log import AuditLog
from crm_agent.auth.permissions import GuardedCrm, RunAccess
from crm_agent.auth.service import Principal
from crm_agent.web.nav import NAV

log = structlog.get_logger("crm_agent.web")

FLASH_COOKIE = "crm_flash"


class LoginRequired(Exception):
    """No signed-in user: the browser is sent to the login page, then back to ``next_url``."""

    def __init__(self, next_url: str):
        self.next_url = next_url


async def web_principal(request: Request, principal: OptionalPrincipalDep) -> Principal:
    """The signed-in user (else a redirect to the login page); also fills the menu's counters."""
    if principal is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(target)
    badges: dict[str, int] = {}
    for item in NAV:
        if item.badge is None:
            continue
        try:
            count = await item.badge(request)
        except Exception:  # a counter must never break a page
            log.warning("menu counter failed", item=item.label, exc_info=True)
            continue
        if count:
            badges[item.path] = count
    request.state.nav_badges = badges
    return principal


WebUser = Annotated[Principal, Depends(web_principal)]


def web_crm(services: ServicesDep, principal: WebUser) -> GuardedCrm:
    assert services.crm is not None
    return GuardedCrm(services.crm, principal)


WebCrm = Annotated[GuardedCrm, Depends(web_crm)]


def web_runs(services: ServicesDep, principal: WebUser) -> RunAccess:
    return RunAccess(services.agent(), principal)


WebRuns = Annotated[RunAccess, Depends(web_runs)]


def web_audit(services: ServicesDep, _principal: WebUser) -> AuditLog:
    assert services.crm is not None
    return AuditLog(services.crm.sessions)


WebAudit = Annotated[AuditLog, Depends(web_audit)]


def login_redirect(request: Request, exc: LoginRequired) -> Response:
    """303 to the login page (``HX-Redirect`` for HTMX requests)."""
    target = "/login?next=" + quote(exc.next_url, safe="/")
    if request.headers.get("HX-Request"):
        return Response(status_code=204, headers={"HX-Redirect": target})
    return Response(status_code=303, headers={"Location": target})


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """Render ``template`` with the signed-in user, CSRF token and flash message added."""
    principal: Principal | None = getattr(request.state, "principal", None)
    flash = unquote(request.cookies.get(FLASH_COOKIE) or "") or None
    data = {
        "request": request,
        "user": principal,
        "csrf_token": principal.csrf_token if principal else None,
        "flash": flash,
        "settings": request.app.state.services.settings,
        "nav_badges": getattr(request.state, "nav_badges", {}),
        **(context or {}),
    }
    response = request.app.state.templates.TemplateResponse(
        request, template, data, status_code=status_code, headers=headers
    )
    if flash and not request.headers.get("HX-Request"):
        response.delete_cookie(FLASH_COOKIE, path="/")
    return response


def redirect(url: str, flash: str | None = None, request: Request | None = None) -> Response:
    """303 to ``url`` (``HX-Redirect`` for HTMX), optionally with a message for the next page."""
    if request is not None and request.headers.get("HX-Request"):
        response = Response(status_code=204, headers={"HX-Redirect": url})
    else:
        response = Response(status_code=303, headers={"Location": url})
    if flash:
        response.set_cookie(FLASH_COOKIE, quote(flash), max_age=60, httponly=True, samesite="lax", path="/")
    return response


def render_fragment(request: Request, template: str, context: dict[str, Any] | None = None) -> str:
    """A template rendered to a string (for server-sent events), with the same globals as :func:`render`."""
    principal: Principal | None = getattr(request.state, "principal", None)
    data = {
        "request": request,
        "user": principal,
        "csrf_token": principal.csrf_token if principal else None,
        "settings": request.app.state.services.settings,
        **(context or {}),
    }
    return request.app.state.templates.get_template(template).render(data)
