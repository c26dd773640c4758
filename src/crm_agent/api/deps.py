"""FastAPI dependencies, as ``Annotated`` aliases that routes take as parameters.

``PrincipalDep`` is the signed-in user (API key or browser session; CSRF checked for browser
writes); ``CrmDep`` is the CRM guarded by that user's permissions; ``RunsDep`` the agent runs
likewise. Routes never see an unguarded service, so permissions are enforced in one place
(:mod:`crm_agent.auth.permissions`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request, Security
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from crm_agent.api.state import Services
from crm_agent.auth import secrets as sec
from crm_agent.auth.permissions import GuardedCrm, RunAccess, may_manage_users
from crm_agent.auth.service import AuthService, Principal
from crm_agent.config import Settings

SESSION_COOKIE = "crm_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}

bearer = HTTPBearer(auto_error=False, description="An API key from `crm-agent users add`.")
session_cookie = APIKeyCookie(name=SESSION_COOKIE, auto_error=False, description="The web app's session cookie.")


async def get_services(request: Request) -> Services:
    """The app's services, connected."""
    return await request.app.state.services.ready()


ServicesDep = Annotated[Services, Depends(get_services)]


def get_settings(services: ServicesDep) -> Settings:
    return services.settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_auth(services: ServicesDep) -> AuthService:
    assert services.auth is not None
    return services.auth


AuthDep = Annotated[AuthService, Depends(get_auth)]


def unauthorized(message: str) -> HTTPException:
    return HTTPException(401, message, headers={"WWW-Authenticate": "Bearer"})


async def csrf_ok(request: Request, principal: Principal) -> bool:
    """Whether a browser write carries its session's CSRF token (header or form field)."""
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        value = (await request.form()).get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    return bool(sent and principal.csrf_token and sec.same(sent, principal.csrf_token))


async def optional_principal(
    request: Request,
    auth: AuthDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
    cookie: Annotated[str | None, Security(session_cookie)],
) -> Principal | None:
    """The signed-in user, or None. A wrong API key or a browser write without its CSRF token is
    an error, not an anonymous request."""
    if credentials is not None:
        principal = await auth.authenticate_key(credentials.credentials)
        if principal is None:
            raise unauthorized("invalid or revoked API key")
    elif cookie:
        principal = await auth.authenticate_session(cookie)
        if principal is None:
            return None
        if request.method not in SAFE_METHODS and not await csrf_ok(request, principal):
            raise HTTPException(403, "missing or wrong CSRF token; reload the page and try again")
    else:
        return None
    request.state.principal = principal
    return principal


OptionalPrincipalDep = Annotated[Principal | None, Depends(optional_principal)]


async def get_principal(principal: OptionalPrincipalDep) -> Principal:
    """The signed-in user; 401 when there is none."""
    if principal is None:
        raise unauthorized("sign in: send `Authorization: Bearer KEY` (see `crm-agent users add`)")
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def get_admin(principal: PrincipalDep) -> Principal:
    """The signed-in user, who must be an admin (403 otherwise)."""
    from crm_agent.auth.permissions import require

    require(may_manage_users(principal), "only admins may manage users")
    return principal


AdminDep = Annotated[Principal, Depends(get_admin)]


def get_crm(services: ServicesDep, principal: PrincipalDep) -> GuardedCrm:
    """The CRM as the signed-in user may use it."""
    assert services.crm is not None
    return GuardedCrm(services.crm, principal)


CrmDep = Annotated[GuardedCrm, Depends(get_crm)]


def get_runs(services: ServicesDep, principal: PrincipalDep) -> RunAccess:
    """Agent runs as the signed-in user may see and act on them."""
    return RunAccess(services.agent(), principal)


RunsDep = Annotated[RunAccess, Depends(get_runs)]
