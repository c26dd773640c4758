"""Signing in and out.

The login form is protected against login CSRF with a double-submit token (a cookie and a hidden
field that must match). A successful sign-in sets the session cookie: HttpOnly, SameSite=Lax,
Secure when the app is served over HTTPS.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from crm_agent.api.deps import SESSION_COOKIE, AuthDep, OptionalPrincipalDep
from crm_agent.auth import secrets as sec
from crm_agent.auth.service import SESSION_LIFETIME
from crm_agent.web.deps import WebUser, redirect, render

router = APIRouter()
LOGIN_CSRF_COOKIE = "crm_login_csrf"


def safe_next(target: str | None) -> str:
    """Only local paths, so the login page cannot send people to another site."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/app"


def _login_page(request: Request, next_url: str, error: str | None = None, email: str = "", status: int = 200):
    token = sec.new_token()
    response = render(
        request,
        "pages/login.html",
        {"next": safe_next(next_url), "error": error, "email": email, "login_csrf": token},
        status_code=status,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=request.url.scheme == "https", path="/login"
    )
    return response


@router.get("/login")
async def login_form(request: Request, principal: OptionalPrincipalDep, next: str | None = None) -> Response:
    if principal is not None:
        return redirect(safe_next(next))
    return _login_page(request, next or "/app")


@router.post("/login")
async def login(
    request: Request,
    auth: AuthDep,
    email: Annotated[str, Form(max_length=320)],
    secret: Annotated[str, Form(max_length=500)],
    login_csrf: Annotated[str, Form(max_length=100)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/app",
) -> Response:
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not cookie or not sec.same(cookie, login_csrf):
        return _login_page(request, next, "Your sign-in form expired. Please try again.", email, 403)
    principal = await auth.authenticate_password(email, secret)
    if principal is None:
        return _login_page(request, next, "Wrong email, password or API key.", email, 401)
    token, _csrf = await auth.create_session(principal.user_id)
    response = redirect(safe_next(next))
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
async def logout(request: Request, auth: AuthDep, _user: WebUser) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await auth.end_session(token)
    response = redirect("/login")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
