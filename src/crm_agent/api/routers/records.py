"""CRM record endpoints in HubSpot's v3 shape, one router per object type.

For each type (``contacts``, ``companies``, ``deals``, ``notes``, ``tasks``, ``meetings``, ``emails``)::

    GET    /{type}                      list (limit, after, properties, archived, q, sort)
    POST   /{type}                      create  {"properties": {...}, "associations": [...]}
    GET    /{type}/{id}                 one record with its associations
    PATCH  /{type}/{id}                 update  {"properties": {...}}
    DELETE /{type}/{id}                 archive (HubSpot's delete)
    POST   /{type}/{id}/restore         bring an archived record back
    POST   /{type}/search               HubSpot's search body (filterGroups, sorts, query, ...)
    POST   /{type}/batch/create         up to 100 creates, per-record results (201, or 207 if some failed)
    POST   /{type}/batch/update         up to 100 updates, likewise
    GET    /{type}/{id}/associations/{toType}
    PUT    /{type}/{id}/associations/{toType}/{toId}   (?primary=true for a primary company)
    DELETE /{type}/{id}/associations/{toType}/{toId}
"""

from __future__ import annotations

import re
from enum import Enum
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from crm_agent.api.deps import CrmDep
from crm_agent.api.errors import ERROR_RESPONSES
from crm_agent.api.schemas import (
    AssociationPage,
    AssociationResult,
    BatchCreateBody,
    BatchUpdateBody,
    RecordCreate,
    RecordPage,
    RecordUpdate,
)
from crm_agent.crm.objects import OBJECT_TYPES
from crm_agent.crm.schemas import BatchResult, CrmRecord, RecordInput, SearchPage, SearchRequest, Sort
from crm_agent.errors import FieldError, NotFound, ValidationFailed

ObjectTypeName = Enum("ObjectTypeName", {name: name for name in OBJECT_TYPES}, type=str)  # type: ignore[misc]
RecordId = Annotated[str, "record id"]
Limit = Annotated[int, Query(ge=1, le=200, description="Records per page (at most 200).")]
After = Annotated[
    str | None, Query(max_length=9, pattern=r"^\d{1,9}$", description="paging.next.after of the last page.")
]
Props = Annotated[
    str | None, Query(max_length=2000, description="Comma-separated properties to return (default: all).")
]


def _props(properties: str | None) -> list[str] | None:
    names = [p.strip() for p in (properties or "").split(",") if p.strip()]
    return names or None


def record_router(object_type: str) -> APIRouter:
    """The router of one object type."""
    singular = OBJECT_TYPES[object_type].singular
    router = APIRouter(prefix=f"/{object_type}", tags=[object_type], responses=ERROR_RESPONSES)

    @router.get("", response_model=RecordPage, summary=f"List {object_type}")
    async def list_records(
        crm: CrmDep,
        limit: Limit = 10,
        after: After = None,
        properties: Props = None,
        archived: bool = False,
        q: Annotated[str | None, Query(max_length=200, description="Free text over the searchable properties.")] = None,
        sort: Annotated[
            str | None, Query(max_length=100, description="Property to sort by; prefix with - for descending.")
        ] = None,
    ) -> RecordPage:
        key = (sort or "").lstrip("-")
        sorts = (
            [Sort(propertyName=key, direction="DESCENDING" if sort.startswith("-") else "ASCENDING")]
            if sort and key
            else []
        )
        request = SearchRequest(
            query=q,
            sorts=sorts,
            properties=_props(properties),
            limit=limit,
            after=after,
            archived=archived,
        )
        page = await crm.search(object_type, request)
        return RecordPage(results=page.results, paging=page.paging, total=page.total)

    @router.post("", response_model=CrmRecord, status_code=status.HTTP_201_CREATED, summary=f"Create a {singular}")
    async def create_record(crm: CrmDep, body: RecordCreate) -> CrmRecord:
        links = [a.as_link(object_type) for a in body.associations]
        return await crm.create(object_type, dict(body.properties), links)

    @router.post("/search", response_model=SearchPage, summary=f"Search {object_type}")
    async def search_records(crm: CrmDep, body: SearchRequest) -> SearchPage:
        if body.after is not None and not re.fullmatch(r"\d{1,9}", body.after):
            raise ValidationFailed(
                [FieldError("after", body.after, "use the paging.next.after value of the last page")]
            )
        return await crm.search(object_type, body)

    @router.post(
        "/batch/create",
        response_model=BatchResult,
        status_code=status.HTTP_201_CREATED,
        summary=f"Create up to 100 {object_type}",
        responses={207: {"model": BatchResult, "description": "Some inputs failed; see errors."}},
    )
    async def batch_create(crm: CrmDep, body: BatchCreateBody, response: Response) -> BatchResult:
        inputs = [
            RecordInput(properties=dict(i.properties), associations=[a.as_link(object_type) for a in i.associations])
            for i in body.inputs
        ]
        result = await crm.batch_create(object_type, inputs)
        if result.errors:
            response.status_code = status.HTTP_207_MULTI_STATUS
        return result

    @router.post(
        "/batch/update",
        response_model=BatchResult,
        summary=f"Update up to 100 {object_type}",
        responses={207: {"model": BatchResult, "description": "Some inputs failed; see errors."}},
    )
    async def batch_update(crm: CrmDep, body: BatchUpdateBody, response: Response) -> BatchResult:
        inputs = [RecordInput(id=i.id, properties=dict(i.properties)) for i in body.inputs]
        result = await crm.batch_update(object_type, inputs)
        if result.errors:
            response.status_code = status.HTTP_207_MULTI_STATUS
        return result

    @router.get("/{record_id}", response_model=CrmRecord, summary=f"Get a {singular}")
    async def get_record(
        crm: CrmDep, record_id: RecordId, properties: Props = None, archived: bool = False
    ) -> CrmRecord:
        record = await crm.get(object_type, record_id, archived=archived)
        wanted = _props(properties)
        if wanted:
            record.properties = {k: record.properties.get(k) for k in [*wanted, "hs_object_id"]}
        return record

    @router.patch("/{record_id}", response_model=CrmRecord, summary=f"Update a {singular}")
    async def update_record(crm: CrmDep, record_id: RecordId, body: RecordUpdate) -> CrmRecord:
        return await crm.update(object_type, record_id, dict(body.properties))

    @router.delete("/{record_id}", status_code=status.HTTP_204_NO_CONTENT, summary=f"Archive a {singular}")
    async def archive_record(crm: CrmDep, record_id: RecordId) -> Response:
        await crm.archive(object_type, record_id)
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    @router.post("/{record_id}/restore", response_model=CrmRecord, summary=f"Restore an archived {singular}")
    async def restore_record(crm: CrmDep, record_id: RecordId) -> CrmRecord:
        return await crm.restore(object_type, record_id)

    @router.get(
        "/{record_id}/associations/{to_type}",
        response_model=AssociationPage,
        summary=f"Records associated with a {singular}",
    )
    async def list_associations(crm: CrmDep, record_id: RecordId, to_type: ObjectTypeName) -> AssociationPage:
        record = await crm.get(object_type, record_id)
        found = record.associations.get(to_type.value)
        return AssociationPage(
            results=[AssociationResult(id=a.id, type=a.type) for a in (found.results if found else [])]
        )

    @router.put(
        "/{record_id}/associations/{to_type}/{to_id}",
        response_model=AssociationPage,
        summary=f"Associate a {singular} with another record",
    )
    async def associate(
        crm: CrmDep,
        record_id: RecordId,
        to_type: ObjectTypeName,
        to_id: str,
        primary: Annotated[bool, Query(description="Make it the primary company (contacts and deals).")] = False,
    ) -> AssociationPage:
        await crm.associate(object_type, record_id, to_type.value, to_id, primary=primary)
        return await list_associations(crm, record_id, to_type)

    @router.delete(
        "/{record_id}/associations/{to_type}/{to_id}",
        status_code=status.HTTP_204_NO_CONTENT,
        summary=f"Remove an association of a {singular}",
    )
    async def disassociate(crm: CrmDep, record_id: RecordId, to_type: ObjectTypeName, to_id: str) -> Response:
        if not await crm.disassociate(object_type, record_id, to_type.value, to_id):
            raise NotFound("association", f"{object_type} {record_id} - {to_type.value} {to_id}")
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    return router


ROUTERS = [record_router(name) for name in OBJECT_TYPES]
