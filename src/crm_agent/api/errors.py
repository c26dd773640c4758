"""Error responses: one JSON shape for every error, with field-level messages and the request id.

::

    {"status": "error", "category": "VALIDATION_ERROR", "message": "...",
     "errors": [{"field": "properties.email", "value": "bob@", "message": "invalid email ..."}],
     "requestId": "..."}

Categories follow HubSpot's: VALIDATION_ERROR (422), OBJECT_NOT_FOUND (404), CONFLICT (409),
UNAUTHORIZED (401), FORBIDDEN (403); a busy or unreachable database is UNAVAILABLE (503, with
Retry-After); anything unexpected is INTERNAL_ERROR (500) and says no more than the request id.
"""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DataError, IntegrityError, OperationalError, StatementError
from starlette.exceptions import HTTPException as StarletteHTTPException

from crm_agent.errors import Conflict, CrmAgentError, NotFound, PolicyDenied, UndoRefused, ValidationFailed

log = structlog.get_logger("crm_agent.api")
CATEGORIES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "OBJECT_NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    413: "TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: "VALIDATION_ERROR",
    429: "RATE_LIMITED",
    503: "UNAVAILABLE",
}


class FieldProblem(BaseModel):
    """What is wrong with one input field."""

    field: str
    value: Any = None
    message: str


class ErrorBody(BaseModel):
    """The body of every error response."""

    status: str = "error"
    category: str
    message: str
    errors: list[FieldProblem] = []
    context: dict[str, Any] = {}
    requestId: str | None = None


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "Not signed in: send `Authorization: Bearer KEY`."},
    403: {"model": ErrorBody, "description": "Signed in, but the permission rules forbid this."},
    404: {"model": ErrorBody, "description": "The record (or other object) does not exist."},
    409: {"model": ErrorBody, "description": "A unique value is taken, or the request conflicts."},
    422: {"model": ErrorBody, "description": "The body or parameters are invalid; `errors` names each field."},
}


def classify(exc: Exception) -> int:
    """The HTTP status of a crm-agent error (500 for anything else)."""
    for kind, code in (
        (ValidationFailed, 422),
        (NotFound, 404),
        (Conflict, 409),
        (UndoRefused, 409),
        (PolicyDenied, 403),
        (CrmAgentError, 400),
    ):
        if isinstance(exc, kind):
            return code
    return 500


def error_body(request: Request, exc: Exception) -> ErrorBody:
    """The error shape for ``exc`` (a generic message for unexpected errors)."""
    code = classify(exc)
    message = str(exc) if code < 500 else "internal error; the server log has the details under this request id"
    problems = (
        [FieldProblem(field=e.field, value=_safe(e.value), message=e.message) for e in exc.errors]
        if isinstance(exc, ValidationFailed)
        else []
    )
    return ErrorBody(
        category=CATEGORIES.get(code, "INTERNAL_ERROR"),
        message=message,
        errors=problems,
        requestId=getattr(request.state, "request_id", None),
    )


def error_response(
    request: Request,
    status: int,
    message: str,
    errors: list[FieldProblem] | None = None,
    context: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """A JSON error response in the shape above (an HTML page for the web app's pages)."""
    html = getattr(request.app.state, "html_errors", None)
    if html is not None:
        page = html(request, status, message, errors or [])
        if page is not None:
            return page
    body = ErrorBody(
        category=CATEGORIES.get(status, "ERROR" if status < 500 else "INTERNAL_ERROR"),
        message=message,
        errors=errors or [],
        context=context or {},
        requestId=getattr(request.state, "request_id", None),
    )
    return JSONResponse(body.model_dump(mode="json"), status_code=status, headers=headers)


def _loc(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie")] or [str(loc[-1])]
    return ".".join(parts)


def _safe(value: Any) -> Any:
    if isinstance(value, str | int | float | bool) or value is None:
        return value if not isinstance(value, str) or len(value) <= 200 else value[:200] + "…"
    return str(value)[:200]


async def _request_validation(request: Request, exc: RequestValidationError) -> JSONResponse:
    problems = [
        FieldProblem(field=_loc(e.get("loc", ())), value=_safe(e.get("input")), message=e.get("msg", "invalid"))
        for e in exc.errors()
    ]
    summary = "; ".join(f"{p.field}: {p.message}" for p in problems[:5])
    return error_response(request, 422, f"invalid request: {summary}", problems)


async def _validation_failed(request: Request, exc: ValidationFailed) -> JSONResponse:
    problems = [FieldProblem(field=e.field, value=_safe(e.value), message=e.message) for e in exc.errors]
    return error_response(request, 422, str(exc), problems)


async def _not_found(request: Request, exc: NotFound) -> JSONResponse:
    return error_response(request, 404, str(exc), context={"what": exc.what, "ref": str(exc.ref)})


async def _conflict(request: Request, exc: Conflict) -> JSONResponse:
    context = {"existingId": exc.existing_id} if exc.existing_id else {}
    return error_response(request, 409, str(exc), context=context)


async def _undo_refused(request: Request, exc: UndoRefused) -> JSONResponse:
    return error_response(request, 409, str(exc))


async def _policy_denied(request: Request, exc: PolicyDenied) -> JSONResponse:
    return error_response(request, 403, str(exc))


async def _other_crm_error(request: Request, exc: CrmAgentError) -> JSONResponse:
    return error_response(request, 400, str(exc))


async def _integrity_error(request: Request, exc: IntegrityError) -> JSONResponse:
    log.warning("database integrity error", error=str(exc.orig)[:300])
    return error_response(
        request, 409, "the request conflicts with data already stored (a duplicate or a missing link)"
    )


async def _data_error(request: Request, exc: Exception) -> JSONResponse:
    log.warning("database rejected a value", error=str(getattr(exc, "orig", exc))[:300])
    return error_response(request, 422, "a value is too long, too large or malformed for storage")


async def _database_unavailable(request: Request, exc: OperationalError) -> JSONResponse:
    log.warning("database unavailable or busy", error=str(exc.orig)[:300])
    return error_response(
        request, 503, "the database is busy or unreachable; retry shortly", headers={"Retry-After": "2"}
    )


async def _statement_error(request: Request, exc: StatementError) -> JSONResponse:
    if isinstance(exc.orig, UnicodeError | OverflowError | ValueError):
        return await _data_error(request, exc)
    raise exc


async def _http_exception(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    message = exc.detail if isinstance(exc.detail, str) else "request failed"
    if exc.status_code == 404 and message == "Not Found":
        message = f"no such endpoint: {request.method} {request.url.path}"
    return error_response(request, exc.status_code, message, headers=getattr(exc, "headers", None))


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    app.add_exception_handler(RequestValidationError, _request_validation)  # type: ignore[arg-type]
    app.add_exception_handler(ValidationFailed, _validation_failed)  # type: ignore[arg-type]
    app.add_exception_handler(NotFound, _not_found)  # type: ignore[arg-type]
    app.add_exception_handler(Conflict, _conflict)  # type: ignore[arg-type]
    app.add_exception_handler(UndoRefused, _undo_refused)  # type: ignore[arg-type]
    app.add_exception_handler(PolicyDenied, _policy_denied)  # type: ignore[arg-type]
    app.add_exception_handler(CrmAgentError, _other_crm_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_exception)  # type: ignore[arg-type]
    # Safety nets for values the validators let through but the database refuses.
    app.add_exception_handler(IntegrityError, _integrity_error)  # type: ignore[arg-type]
    app.add_exception_handler(DataError, _data_error)  # type: ignore[arg-type]
    app.add_exception_handler(OperationalError, _database_unavailable)  # type: ignore[arg-type]
    app.add_exception_handler(StatementError, _statement_error)  # type: ignore[arg-type]
    app.add_exception_handler(UnicodeError, _data_error)  # type: ignore[arg-type]
    app.add_exception_handler(OverflowError, _data_error)  # type: ignore[arg-type]
