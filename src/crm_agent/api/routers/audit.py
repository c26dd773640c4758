"""The audit log of every executed write, and verification of its hash chain."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from crm_agent.api.deps import PrincipalDep, ServicesDep
from crm_agent.api.errors import ERROR_RESPONSES
from crm_agent.api.schemas import AuditPage, ChainVerification
from crm_agent.api.services.audit_log import AuditFilter, AuditLog

router = APIRouter(prefix="/audit", tags=["audit"], responses=ERROR_RESPONSES)


def get_audit_log(services: ServicesDep, _principal: PrincipalDep) -> AuditLog:
    assert services.crm is not None
    return AuditLog(services.crm.sessions)


AuditLogDep = Annotated[AuditLog, Depends(get_audit_log)]
Text = Annotated[str | None, Query(max_length=200)]


@router.get("", response_model=AuditPage, summary="Audit entries, newest first")
async def list_entries(
    log: AuditLogDep,
    actor: Text = None,
    run_id: Annotated[str | None, Query(alias="runId", max_length=36)] = None,
    object_type: Annotated[str | None, Query(alias="objectType", max_length=20)] = None,
    object_id: Annotated[str | None, Query(alias="objectId", max_length=64)] = None,
    action: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    after: Annotated[str | None, Query(max_length=9, pattern=r"^\d{1,9}$")] = None,
) -> AuditPage:
    flt = AuditFilter(actor=actor, run_id=run_id, object_type=object_type, object_id=object_id, action=action)
    return await log.page(flt, limit=limit, offset=int(after or 0))


@router.get("/verify", response_model=ChainVerification, summary="Verify the audit log's hash chain")
async def verify(log: AuditLogDep) -> ChainVerification:
    return await log.verify()
