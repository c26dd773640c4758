"""Owners: the CRM's users who own records (HubSpot's owners API)."""

from __future__ import annotations

from fastapi import APIRouter, status

from crm_agent.api.deps import CrmDep
from crm_agent.api.errors import ERROR_RESPONSES
from crm_agent.api.schemas import OwnerCreate
from crm_agent.crm.schemas import OwnerRecord
from crm_agent.errors import NotFound

router = APIRouter(prefix="/owners", tags=["owners"], responses=ERROR_RESPONSES)


@router.get("", response_model=list[OwnerRecord], summary="List owners")
async def list_owners(crm: CrmDep) -> list[OwnerRecord]:
    return await crm.list_owners()


@router.get("/{owner_id}", response_model=OwnerRecord, summary="Get an owner")
async def get_owner(crm: CrmDep, owner_id: str) -> OwnerRecord:
    found = next((o for o in await crm.list_owners() if o.id == owner_id), None)
    if found is None:
        raise NotFound("owner", owner_id, "see GET /owners")
    return found


@router.post("", response_model=OwnerRecord, status_code=status.HTTP_201_CREATED, summary="Add an owner (admins)")
async def create_owner(crm: CrmDep, body: OwnerCreate) -> OwnerRecord:
    return await crm.create_owner(body.email, body.firstName, body.lastName)
