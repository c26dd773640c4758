"""Property definitions per object type, standard and custom (HubSpot's properties API)."""

from __future__ import annotations

from fastapi import APIRouter, status

from crm_agent.api.deps import CrmDep
from crm_agent.api.errors import ERROR_RESPONSES
from crm_agent.api.routers.records import ObjectTypeName
from crm_agent.api.schemas import PropertyCreate, PropertyRead
from crm_agent.errors import NotFound

router = APIRouter(prefix="/properties", tags=["properties"], responses=ERROR_RESPONSES)


@router.get("/{object_type}", response_model=list[PropertyRead], summary="List the properties of an object type")
async def list_properties(crm: CrmDep, object_type: ObjectTypeName) -> list[PropertyRead]:
    defs = await crm.properties(object_type.value)
    return [PropertyRead(**d.to_api(object_type.value)) for d in defs.values()]


@router.get("/{object_type}/{name}", response_model=PropertyRead, summary="Get one property definition")
async def get_property(crm: CrmDep, object_type: ObjectTypeName, name: str) -> PropertyRead:
    defn = (await crm.properties(object_type.value)).get(name)
    if defn is None:
        raise NotFound("property", f"{object_type.value}.{name}", f"see GET /properties/{object_type.value}")
    return PropertyRead(**defn.to_api(object_type.value))


@router.post(
    "/{object_type}",
    response_model=PropertyRead,
    status_code=status.HTTP_201_CREATED,
    summary="Define a custom property (admins)",
)
async def create_property(crm: CrmDep, object_type: ObjectTypeName, body: PropertyCreate) -> PropertyRead:
    defn = await crm.create_property(object_type.value, body.name, body.label or body.name, body.type, body.options)
    return PropertyRead(**defn.to_api(object_type.value))
