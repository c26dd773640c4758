"""Contacts and companies tables, and the record page (contacts, companies, deals): editable
properties, associations, and the timeline with notes, tasks, emails, meetings and stage changes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import Response

from crm_agent.api.deps import ServicesDep
from crm_agent.api.services.timeline import timeline
from crm_agent.auth.permissions import GuardedCrm
from crm_agent.crm.objects import OBJECT_TYPES
from crm_agent.crm.schemas import CrmRecord, SearchRequest
from crm_agent.errors import FieldError, NotFound, ValidationFailed
from crm_agent.web.deps import WebCrm, redirect, render
from crm_agent.web.templating import Formatter
from crm_agent.web.views import (
    COLUMNS,
    Lookups,
    changed_values,
    edit_fields,
    filter_options,
    record_title,
    show,
    sortable,
    table_request,
)

router = APIRouter()
TABLE_TYPES = ("contacts", "companies")
RECORD_TYPES = ("contacts", "companies", "deals")
TableType = Annotated[str, Path(pattern="^(contacts|companies)$")]
RecordType = Annotated[str, Path(pattern="^(contacts|companies|deals)$")]
RecordId = Annotated[str, Path(pattern=r"^\d{1,18}$")]
ASSOCIABLE = ("contacts", "companies", "deals")


async def lookups(crm: GuardedCrm, object_type: str) -> Lookups:
    pipelines = await crm.list_pipelines() if object_type == "deals" else []
    return Lookups(owners=await crm.list_owners(), pipelines=pipelines)


def formatter(services: Any) -> Formatter:
    return Formatter(services.settings.tz)


async def table_context(
    request: Request,
    crm: GuardedCrm,
    services: Any,
    object_type: str,
    q: str | None,
    sort: str | None,
    page: int,
    filters: dict[str, str],
) -> dict[str, Any]:
    """Everything a records table page (or its HTMX partial) shows."""
    defs = await crm.properties(object_type)
    look = await lookups(crm, object_type)
    if sort and sort.lstrip("-") not in sortable(object_type):
        sort = None
    known = {f["name"] for f in filter_options(object_type, defs, look)}
    filters = {k: v for k, v in filters.items() if k in known and v}
    try:
        result = await crm.search(object_type, table_request(object_type, q, filters, sort, page))
        error = None
    except ValidationFailed as exc:
        result, error = None, str(exc)
    fmt = formatter(services)
    currency = services.settings.default_currency
    rows = []
    for record in result.results if result else []:
        cells = {}
        for col, _label in COLUMNS[object_type]:
            if col == "name" and object_type == "contacts":
                cells[col] = record_title(object_type, record)
            else:
                cells[col] = show(
                    defs.get(col),
                    record.properties.get(col),
                    look,
                    fmt,
                    record.properties.get("deal_currency_code") or currency,
                )
        rows.append({"id": record.id, "cells": cells})
    total = result.total if result else 0
    pages = max((total + 24) // 25, 1)
    return {
        "object_type": object_type,
        "columns": COLUMNS[object_type],
        "rows": rows,
        "total": total,
        "page": min(page, pages),
        "pages": pages,
        "q": q or "",
        "sort": sort or "",
        "filters": filters,
        "filter_options": filter_options(object_type, defs, look),
        "error": error,
    }


@router.get("/app/{object_type}")
async def records_table(
    request: Request,
    services: ServicesDep,
    crm: WebCrm,
    object_type: TableType,
    q: Annotated[str | None, Query(max_length=200)] = None,
    sort: Annotated[str | None, Query(max_length=60)] = None,
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
    lifecyclestage: Annotated[str | None, Query(max_length=60)] = None,
    hs_lead_status: Annotated[str | None, Query(max_length=60)] = None,
    hubspot_owner_id: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    filters = {
        "lifecyclestage": lifecyclestage or "",
        "hs_lead_status": hs_lead_status or "",
        "hubspot_owner_id": hubspot_owner_id or "",
    }
    context = await table_context(request, crm, services, object_type, q, sort, page, filters)
    context["base_path"] = f"/app/{object_type}"
    if request.headers.get("HX-Target") == "results":
        return render(request, "partials/records_table.html", context)
    return render(request, "pages/records.html", context)


async def record_context(
    request: Request, crm: GuardedCrm, services: Any, object_type: str, record_id: str
) -> dict[str, Any]:
    record = await crm.get(object_type, record_id)
    defs = await crm.properties(object_type)
    look = await lookups(crm, object_type)
    if object_type != "deals":
        look.pipelines = await crm.list_pipelines()
    fmt = formatter(services)
    currency = record.properties.get("deal_currency_code") or services.settings.default_currency
    props = [
        (defn.label, show(defn, record.properties.get(name), look, fmt, currency))
        for name, defn in defs.items()
        if name not in {"phone_raw"} and record.properties.get(name) not in (None, "")
    ]
    associated = {}
    for kind in ASSOCIABLE:
        links = record.associations.get(kind)
        if not links or not links.results:
            continue
        items = []
        for link in links.results[:50]:
            try:
                other = await crm.get(kind, link.id)
            except NotFound:
                continue
            items.append(
                {
                    "id": other.id,
                    "title": record_title(kind, other),
                    "primary": link.type.endswith("_primary"),
                    "subtitle": _subtitle(kind, other, look, fmt, currency),
                }
            )
        if items:
            associated[kind] = items
    owner_id = record.properties.get("hubspot_owner_id")
    return {
        "object_type": object_type,
        "singular": OBJECT_TYPES[object_type].singular,
        "record": record,
        "title": record_title(object_type, record),
        "subtitle": _subtitle(object_type, record, look, fmt, currency),
        "props": props,
        "associated": associated,
        "associable": [t for t in ASSOCIABLE if t != object_type],
        "can_edit": await crm.may_change(object_type, record),
        "owner_name": look.owner_names.get(owner_id or "", ""),
        **split_timeline(await timeline(crm, object_type, record), services.settings.current_time()),
        "today": fmt.input_date(services.settings.current_time()),
    }


def _subtitle(object_type: str, record: CrmRecord, look: Lookups, fmt: Formatter, currency: str) -> str:
    p = record.properties
    if object_type == "contacts":
        return " · ".join(x for x in (p.get("jobtitle"), p.get("company"), p.get("email")) if x)
    if object_type == "companies":
        return " · ".join(x for x in (p.get("domain"), p.get("industry"), p.get("city")) if x)
    if object_type == "deals":
        stage = look.stage_labels.get(p.get("dealstage") or "", p.get("dealstage") or "")
        from crm_agent.web.templating import money

        return " · ".join(x for x in (money(p.get("amount"), p.get("deal_currency_code") or currency), stage) if x)
    return ""


def split_timeline(items: list, now: Any) -> dict[str, list]:
    """Upcoming items (due or starting after now), soonest first, and the history, newest first."""
    upcoming = [i for i in items if i.at and i.at > now]
    return {"upcoming": list(reversed(upcoming)), "history": [i for i in items if not (i.at and i.at > now)]}


@router.get("/app/{object_type}/{record_id}")
async def record_page(
    request: Request, services: ServicesDep, crm: WebCrm, object_type: RecordType, record_id: RecordId
) -> Response:
    return render(request, "pages/record.html", await record_context(request, crm, services, object_type, record_id))


async def _form_fields(crm: GuardedCrm, services: Any, object_type: str, record: CrmRecord):
    defs = await crm.properties(object_type)
    look = await lookups(crm, object_type)
    return edit_fields(defs, record, look, formatter(services), object_type)


@router.get("/app/{object_type}/{record_id}/edit")
async def edit_properties(
    request: Request, services: ServicesDep, crm: WebCrm, object_type: RecordType, record_id: RecordId
) -> Response:
    record = await crm.get(object_type, record_id)
    fields = await _form_fields(crm, services, object_type, record)
    return render(
        request, "partials/property_form.html", {"object_type": object_type, "record": record, "fields": fields}
    )


@router.get("/app/{object_type}/{record_id}/properties")
async def properties_card(
    request: Request, services: ServicesDep, crm: WebCrm, object_type: RecordType, record_id: RecordId
) -> Response:
    context = await record_context(request, crm, services, object_type, record_id)
    return render(request, "partials/properties_card.html", context)


@router.post("/app/{object_type}/{record_id}/properties")
async def save_properties(
    request: Request, services: ServicesDep, crm: WebCrm, object_type: RecordType, record_id: RecordId
) -> Response:
    record = await crm.get(object_type, record_id)
    fields = await _form_fields(crm, services, object_type, record)
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    changes = changed_values(fields, form)
    if changes:
        try:
            await crm.update(object_type, record_id, changes)
        except ValidationFailed as exc:
            by_field = {e.field: e.message for e in exc.errors}
            for f in fields:
                f.value = form.get(f"p.{f.name}", f.value)
                f.error = by_field.get(f.name)
            return render(
                request,
                "partials/property_form.html",
                {
                    "object_type": object_type,
                    "record": record,
                    "fields": fields,
                    "error": "Nothing was saved. Please correct the fields marked below.",
                },
                status_code=422,
            )
    context = await record_context(request, crm, services, object_type, record_id)
    context["saved"] = f"Saved {len(changes)} change(s)." if changes else "No changes to save."
    return render(request, "partials/properties_card.html", context)


@router.post("/app/{object_type}/{record_id}/archive")
async def archive_record(request: Request, crm: WebCrm, object_type: RecordType, record_id: RecordId) -> Response:
    record = await crm.archive(object_type, record_id)
    name = record_title(object_type, record)
    target = "/app/deals" if object_type == "deals" else f"/app/{object_type}"
    return redirect(
        target,
        f"Archived {name}. An admin or its owner can restore it (POST /{object_type}/{record.id}/restore).",
        request,
    )


async def _find(crm: GuardedCrm, object_type: str, ref: str) -> CrmRecord:
    ref = ref.strip()
    if ref.isdigit():
        return await crm.get(object_type, ref)
    page = await crm.search(object_type, SearchRequest(query=ref, limit=5))
    if page.total == 1:
        return page.results[0]
    what = OBJECT_TYPES[object_type].singular
    if page.total == 0:
        raise ValidationFailed([FieldError("record", ref, f"no {what} matches {ref!r}")])
    names = ", ".join(record_title(object_type, r) for r in page.results)
    raise ValidationFailed(
        [FieldError("record", ref, f"{page.total} {object_type} match {ref!r} ({names}); be more specific")]
    )


@router.post("/app/{object_type}/{record_id}/associations")
async def add_association(
    request: Request,
    crm: WebCrm,
    object_type: RecordType,
    record_id: RecordId,
    to_type: Annotated[str, Form(pattern="^(contacts|companies|deals)$")],
    ref: Annotated[str, Form(min_length=1, max_length=200)],
) -> Response:
    other = await _find(crm, to_type, ref)
    await crm.associate(object_type, record_id, to_type, other.id)
    return redirect(f"/app/{object_type}/{record_id}", f"Associated {record_title(to_type, other)}.", request)


@router.post("/app/{object_type}/{record_id}/associations/{to_type}/{to_id}/remove")
async def remove_association(
    request: Request,
    crm: WebCrm,
    object_type: RecordType,
    record_id: RecordId,
    to_type: Annotated[str, Path(pattern="^(contacts|companies|deals)$")],
    to_id: RecordId,
) -> Response:
    await crm.disassociate(object_type, record_id, to_type, to_id)
    return redirect(f"/app/{object_type}/{record_id}", "Association removed.", request)


@router.post("/app/{object_type}/{record_id}/notes")
async def add_note(
    request: Request,
    services: ServicesDep,
    crm: WebCrm,
    object_type: RecordType,
    record_id: RecordId,
    body: Annotated[str, Form(min_length=1, max_length=65000)],
) -> Response:
    await crm.get(object_type, record_id)
    now = services.settings.current_time().isoformat()
    await crm.create(
        "notes", {"hs_note_body": body, "hs_timestamp": now}, [{"to": {"id": record_id}, "objectType": object_type}]
    )
    return redirect(f"/app/{object_type}/{record_id}#timeline", "Note added.", request)


@router.post("/app/{object_type}/{record_id}/tasks")
async def add_task(
    request: Request,
    crm: WebCrm,
    object_type: RecordType,
    record_id: RecordId,
    subject: Annotated[str, Form(min_length=1, max_length=300)],
    due: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    await crm.get(object_type, record_id)
    props: dict[str, Any] = {"hs_task_subject": subject, "hs_task_status": "NOT_STARTED"}
    if due:
        props["hs_timestamp"] = due
    await crm.create("tasks", props, [{"to": {"id": record_id}, "objectType": object_type}])
    return redirect(f"/app/{object_type}/{record_id}#timeline", "Task added.", request)
