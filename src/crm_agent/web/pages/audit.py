"""The audit log: every executed write with who, when, which run, and what changed; the chain's
verification state is loaded alongside."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from crm_agent.api.schemas import AuditEntryRead
from crm_agent.api.services.audit_log import AuditFilter
from crm_agent.web.deps import WebAudit, render

router = APIRouter()
PAGE = 50
Text = Annotated[str | None, Query(max_length=200)]


SYSTEM_PROPERTIES = {"createdate", "lastmodifieddate", "hs_object_id"}
SINGULAR = {
    "contacts": "contact",
    "companies": "company",
    "deals": "deal",
    "notes": "note",
    "tasks": "task",
    "meetings": "meeting",
    "emails": "email",
}


def summary(entry: AuditEntryRead) -> str:
    """One line for entries that are not property changes (associations)."""
    if entry.objectType != "associations":
        return ""
    pair = entry.after or entry.before or {}
    left = f"{SINGULAR.get(pair.get('from_type', ''), pair.get('from_type'))} {pair.get('from_id')}"
    right = f"{SINGULAR.get(pair.get('to_type', ''), pair.get('to_type'))} {pair.get('to_id')}"
    return f"{left} ↔ {right}" + (" (primary)" if pair.get("primary") else "")


def changes(entry: AuditEntryRead) -> list[tuple[str, Any, Any]]:
    """(property, before, after) for each property the write changed (set values only for a create)."""
    if entry.objectType == "associations":
        return []
    before = (entry.before or {}).get("properties", entry.before or {})
    after = (entry.after or {}).get("properties", entry.after or {})
    if not isinstance(before, dict) or not isinstance(after, dict):
        return []
    names = sorted((set(before) | set(after)) - SYSTEM_PROPERTIES)
    out = [(k, before.get(k), after.get(k)) for k in names if before.get(k) != after.get(k)]
    if entry.before and entry.after and entry.before.get("archived") != entry.after.get("archived"):
        out.append(("archived", entry.before.get("archived"), entry.after.get("archived")))
    return out


@router.get("/app/audit")
async def audit_page(
    request: Request,
    audit_log: WebAudit,
    actor: Text = None,
    runId: Annotated[str | None, Query(max_length=36)] = None,
    objectType: Annotated[str | None, Query(max_length=20)] = None,
    objectId: Annotated[str | None, Query(max_length=64)] = None,
    action: Annotated[str | None, Query(max_length=40)] = None,
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
) -> Response:
    flt = AuditFilter(actor=actor, run_id=runId, object_type=objectType, object_id=objectId, action=action)
    result = await audit_log.page(flt, limit=PAGE, offset=(page - 1) * PAGE)
    filters = {
        "actor": actor or "",
        "runId": runId or "",
        "objectType": objectType or "",
        "objectId": objectId or "",
        "action": action or "",
    }
    return render(
        request,
        "pages/audit.html",
        {
            "entries": [(e, changes(e), summary(e)) for e in result.results],
            "total": result.total,
            "page": page,
            "pages": max((result.total + PAGE - 1) // PAGE, 1),
            "filters": filters,
        },
    )


@router.get("/app/audit/verify")
async def verify_banner(request: Request, audit_log: WebAudit) -> Response:
    return render(request, "partials/verify.html", {"verification": await audit_log.verify()})
