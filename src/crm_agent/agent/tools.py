"""The agent's tools: typed functions over the CRM that any model (the offline planner or an LLM) calls.

Read tools run while the model plans and return data. Write tools only plan: they check their
arguments, resolve the records they name, add a step to the :class:`~crm_agent.agent.plan.Plan`
and return its handle; the executor runs the plan once policy allows. Tool results are data for
the model, never instructions, whatever text a CRM record holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field
from pydantic_ai import FunctionToolset, RunContext, ToolFailed

from crm_agent.agent import validation
from crm_agent.agent.plan import HANDLE_RE, Plan, Step
from crm_agent.agent.policy import BULK_APPROVAL_THRESHOLD
from crm_agent.agent.reply import format_money
from crm_agent.agent.resolve import Ambiguous, Ref, label, resolve
from crm_agent.crm.objects import object_type
from crm_agent.crm.schemas import CrmRecord, Filter, FilterGroup, Operator, SearchRequest
from crm_agent.crm.service import LocalCrm
from crm_agent.crm.values import parse_decimal
from crm_agent.errors import CrmAgentError, NotFound, ValidationFailed

ObjectTypeName = Literal["contacts", "companies", "deals", "notes", "tasks", "meetings"]
BULK_LIMIT = 1000


@dataclass
class AgentDeps:
    """What tools see: the CRM, the plan being built, the clock and what the conversation named."""

    crm: LocalCrm
    plan: Plan
    now: datetime
    remembered: list[dict[str, Any]] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)
    mentioned: list[Ref] = field(default_factory=list)
    listed: tuple[str, list[str]] | None = None
    pending: dict[str, Any] | None = None


class FilterSpec(BaseModel):
    """A condition on a property, with HubSpot's operators: the tool-call form of
    :class:`crm_agent.crm.schemas.Filter`, in the snake_case models write. Dates as ISO 8601; amounts
    as numbers."""

    property: str
    operator: Operator = "EQ"
    value: Any = None
    high_value: Any = None
    values: list[Any] | None = None

    def to_filter(self) -> Filter:
        """As a CRM search filter."""
        return Filter(
            propertyName=self.property,
            operator=self.operator,
            value=self.value,
            highValue=self.high_value,
            values=self.values,
        )


class RecordRefSpec(BaseModel):
    """A record named by id, handle (``contact#1``), email, domain or name."""

    object_type: ObjectTypeName
    ref: str
    primary: bool = False


class RecordSet(BaseModel):
    """A set of records: OR of filter groups (each an AND), optional free text, optionally only those
    associated with one record (e.g. the contacts of a company)."""

    object_type: ObjectTypeName
    filter_groups: list[list[FilterSpec]] = Field(default_factory=list)
    query: str | None = None
    associated_with: RecordRefSpec | None = None


def _fail(exc: Exception, deps: AgentDeps) -> ToolFailed:
    message = str(exc)
    if isinstance(exc, Ambiguous | NotFound):
        deps.questions.append(message)
    if isinstance(exc, Ambiguous):
        deps.pending = {
            "type": exc.object_type_name,
            "ref": exc.ref,
            "candidates": [
                {
                    "id": c.id,
                    "label": label(exc.object_type_name, c.properties),
                    "email": c.properties.get("email"),
                    "company": c.properties.get("company") or c.properties.get("name"),
                }
                for c in exc.candidates[:10]
            ],
        }
    return ToolFailed(message)


def _summary(object_type_name: str, record: CrmRecord) -> dict[str, Any]:
    props = {k: v for k, v in record.properties.items() if v not in (None, "")}
    return {
        "id": record.id,
        "label": label(object_type_name, record.properties),
        "properties": props,
        "associations": {t: [a.id for a in lst.results] for t, lst in record.associations.items()},
    }


async def _members(deps: AgentDeps, spec: RecordSet, limit: int = BULK_LIMIT) -> tuple[int, list[CrmRecord]]:
    groups = [FilterGroup(filters=[f.to_filter() for f in g]) for g in spec.filter_groups if g]
    request = SearchRequest(filterGroups=groups, query=spec.query, limit=200)
    records: list[CrmRecord] = []
    while True:
        page = await deps.crm.search(spec.object_type, request)
        records += page.results
        if not page.paging or len(records) >= limit:
            break
        request = request.model_copy(update={"after": page.paging.next["after"]})
    if spec.associated_with:
        owner = await resolve(
            deps.crm, deps.plan, spec.associated_with.object_type, spec.associated_with.ref, deps.remembered
        )
        linked = await deps.crm.get(owner.object_type, owner.id)
        ids = {a.id for a in linked.associations.get(spec.object_type, _Empty()).results}
        records = [r for r in records if r.id in ids]
    return len(records), records[:limit]


class _Empty:
    results: list[Any] = []


toolset: FunctionToolset[AgentDeps] = FunctionToolset(max_retries=2)


@toolset.tool
async def search_records(
    ctx: RunContext[AgentDeps], records: RecordSet, sort: str | None = None, descending: bool = False, limit: int = 20
) -> dict[str, Any]:
    """Find records. Returns {"total", "results": [{"id", "label", "properties", "associations"}]}.

    sort names a property; limit is at most 100.
    """
    try:
        total, found = await _members(ctx.deps, records)
    except CrmAgentError as exc:
        raise _fail(exc, ctx.deps) from None
    if sort:
        found.sort(key=lambda r: _sort_key(r.properties.get(sort)), reverse=descending)
    shown = found[: min(limit, 100)]
    ctx.deps.listed = (records.object_type, [r.id for r in shown])
    _read(
        ctx,
        "search_records",
        {"records": records.model_dump(exclude_none=True), "sort": sort},
        f"search {records.object_type}",
        {"total": total},
    )
    return {"total": total, "results": [_summary(records.object_type, r) for r in shown]}


def _sort_key(value: str | None) -> tuple[int, Any]:
    if value is None:
        return (0, "")
    try:
        return (1, parse_decimal(value))
    except ValueError:
        return (2, value)


@toolset.tool
async def get_record(ctx: RunContext[AgentDeps], object_type_name: ObjectTypeName, ref: str) -> dict[str, Any]:
    """One record by id, email, domain or name, with its properties and associations."""
    try:
        found = await resolve(ctx.deps.crm, ctx.deps.plan, object_type_name, ref, ctx.deps.remembered)
        record = await ctx.deps.crm.get(object_type_name, found.id)
    except CrmAgentError as exc:
        raise _fail(exc, ctx.deps) from None
    ctx.deps.mentioned.append(found)
    _read(ctx, "get_record", {"object_type": object_type_name, "ref": ref}, f"read {found.label}", {"id": found.id})
    return _summary(object_type_name, record)


@toolset.tool
async def summarize_records(
    ctx: RunContext[AgentDeps],
    records: RecordSet,
    function: Literal["count", "sum", "avg", "min", "max"] = "count",
    property: str | None = None,
) -> dict[str, Any]:
    """Count records, or sum/average/min/max a number property (e.g. deals' amount) over them.

    Returns {"function", "property", "value", "count"}; sums of amounts are in the deals' currency.
    """
    try:
        count, found = await _members(ctx.deps, records, limit=100_000)
    except CrmAgentError as exc:
        raise _fail(exc, ctx.deps) from None
    if function == "count":
        _read(
            ctx,
            "summarize_records",
            {"records": records.model_dump(exclude_none=True), "function": "count"},
            f"count {records.object_type}",
            {"count": count},
        )
        return {"function": "count", "property": None, "value": count, "count": count}
    if not property:
        raise ToolFailed(f"{function} needs a property, e.g. amount")
    numbers = [parse_decimal(r.properties[property]) for r in found if r.properties.get(property) not in (None, "")]
    value: Decimal | None = None
    if numbers:
        value = {
            "sum": sum(numbers, Decimal(0)),
            "avg": sum(numbers, Decimal(0)) / len(numbers),
            "min": min(numbers),
            "max": max(numbers),
        }[function]
    result = {
        "function": function,
        "property": property,
        "value": None if value is None else str(value),
        "count": count,
    }
    _read(
        ctx,
        "summarize_records",
        {"records": records.model_dump(exclude_none=True), "function": function, "property": property},
        f"{function} {property} of {records.object_type}",
        result,
    )
    return result


@toolset.tool
async def list_owners(ctx: RunContext[AgentDeps]) -> list[dict[str, str]]:
    """The CRM's owners (users who own records): id, email, firstName, lastName."""
    return [o.model_dump() for o in await ctx.deps.crm.list_owners()]


def _read(ctx: RunContext[AgentDeps], tool: str, args: dict[str, Any], description: str, result: Any) -> None:
    """Record a read in the plan (it already ran) so the run shows what the agent looked at."""
    step = ctx.deps.plan.add(tool, args, description, "read")
    step.status, step.result = "succeeded", result


def _plan(
    deps: AgentDeps,
    tool: str,
    args: dict[str, Any],
    description: str,
    risk: str,
    object_type_name: str,
    creates: bool = False,
    error: str | None = None,
    label_text: str = "",
) -> Step:
    step = deps.plan.add(
        tool,
        args,
        description,
        risk,
        object_type=object_type_name,
        singular=object_type(object_type_name).singular if creates else None,
        label=label_text,
    )
    if error:
        step.status, step.error = "failed", error
    return step


@toolset.tool(sequential=True)
async def create_record(
    ctx: RunContext[AgentDeps],
    object_type_name: ObjectTypeName,
    properties: dict[str, Any],
    associations: list[RecordRefSpec] | None = None,
) -> dict[str, Any]:
    """Plan creating a record. properties use HubSpot names (contacts: email, firstname, lastname, phone,
    company, jobtitle, lifecyclestage, hs_lead_status, hubspot_owner_id; deals: dealname, amount, dealstage,
    closedate, hubspot_owner_id; tasks: hs_task_subject, hs_task_body, hs_timestamp (due), hs_task_priority,
    hs_task_type; notes: hs_note_body). Owners and stages may be given by name. associations link the new
    record to others (handles allowed). Returns {"handle"} for later steps."""
    deps = ctx.deps
    links, error = [], None
    try:
        for assoc in associations or []:
            found = await resolve(deps.crm, deps.plan, assoc.object_type, assoc.ref, deps.remembered)
            links.append(
                {"objectType": found.object_type, "id": found.id, "label": found.label, "primary": assoc.primary}
            )
    except CrmAgentError as exc:
        raise _fail(exc, deps) from None
    try:
        await validation.check(deps.crm, object_type_name, properties)
    except ValidationFailed as exc:
        error = str(exc)
    name = label(object_type_name, properties)
    record_label = name
    if object_type_name == "deals":
        people = [lk["label"] for lk in links if lk["objectType"] in {"contacts", "companies"}]
        amount = properties.get("amount")
        name = f"for {people[0]}" if people else name
        if amount not in (None, ""):
            currency = properties.get("deal_currency_code") or deps.crm.settings.default_currency
            name += f" ({format_money(amount, currency)})"
    step = _plan(
        deps,
        "create_record",
        {"object_type": object_type_name, "properties": properties, "associations": links},
        f"create {object_type(object_type_name).singular} {name}",
        "write",
        object_type_name,
        True,
        error,
        record_label,
    )
    return {"handle": step.handle, "planned": step.description, **({"error": error} if error else {})}


@toolset.tool(sequential=True)
async def update_record(
    ctx: RunContext[AgentDeps], object_type_name: ObjectTypeName, ref: str, properties: dict[str, Any]
) -> dict[str, Any]:
    """Plan updating one record named by id, handle, email, domain or name (e.g. a deal's dealstage
    "closedwon", a contact's hubspot_owner_id "Raj"). Returns the step."""
    deps = ctx.deps
    try:
        found = await resolve(deps.crm, deps.plan, object_type_name, ref, deps.remembered)
    except CrmAgentError as exc:
        raise _fail(exc, deps) from None
    deps.mentioned.append(found)
    error = None
    try:
        await validation.check(deps.crm, object_type_name, properties, None if HANDLE_RE.match(found.id) else found.id)
    except ValidationFailed as exc:
        error = str(exc)
    changes = ", ".join(f"{k} to {v}" for k, v in properties.items())
    step = _plan(
        deps,
        "update_record",
        {"object_type": object_type_name, "id": found.id, "properties": properties},
        f"update {object_type(object_type_name).singular} {found.label}: {changes}",
        "write",
        object_type_name,
        error=error,
    )
    return {"step": step.position, "planned": step.description, **({"error": error} if error else {})}


@toolset.tool(sequential=True)
async def archive_record(ctx: RunContext[AgentDeps], object_type_name: ObjectTypeName, ref: str) -> dict[str, Any]:
    """Plan archiving (HubSpot's delete; restorable) one record. Needs an operator's approval."""
    deps = ctx.deps
    try:
        found = await resolve(deps.crm, deps.plan, object_type_name, ref, deps.remembered)
    except CrmAgentError as exc:
        raise _fail(exc, deps) from None
    deps.mentioned.append(found)
    step = _plan(
        deps,
        "archive_record",
        {"object_type": object_type_name, "id": found.id},
        f"archive {object_type(object_type_name).singular} {found.label}",
        "destructive",
        object_type_name,
    )
    return {"step": step.position, "planned": step.description, "needs_approval": True}


@toolset.tool(sequential=True)
async def associate_records(ctx: RunContext[AgentDeps], record: RecordRefSpec, to: RecordRefSpec) -> dict[str, Any]:
    """Plan linking two records (e.g. a contact to its company; primary=True on `to` for the primary company)."""
    deps = ctx.deps
    try:
        a = await resolve(deps.crm, deps.plan, record.object_type, record.ref, deps.remembered)
        b = await resolve(deps.crm, deps.plan, to.object_type, to.ref, deps.remembered)
    except CrmAgentError as exc:
        raise _fail(exc, deps) from None
    step = _plan(
        deps,
        "associate_records",
        {
            "object_type": a.object_type,
            "id": a.id,
            "to_object_type": b.object_type,
            "to_id": b.id,
            "primary": to.primary,
        },
        f"associate {object_type(a.object_type).singular} {a.label} with "
        f"{object_type(b.object_type).singular} {b.label}",
        "write",
        a.object_type,
    )
    return {"step": step.position, "planned": step.description}


@toolset.tool(sequential=True)
async def update_records(
    ctx: RunContext[AgentDeps], records: RecordSet, properties: dict[str, Any], description: str = ""
) -> dict[str, Any]:
    """Plan one update applied to every record of a set (bulk). More than 10 records need approval.
    Returns the count and the first labels."""
    deps = ctx.deps
    try:
        count, found = await _members(deps, records)
        await validation.check(deps.crm, records.object_type, properties)
    except ValidationFailed as exc:
        raise ToolFailed(str(exc)) from None
    except CrmAgentError as exc:
        raise _fail(exc, deps) from None
    names = [label(records.object_type, r.properties) for r in found]
    changes = ", ".join(f"{k} to {v}" for k, v in properties.items())
    what = f"{count} {records.object_type}" + (f" ({description})" if description else "")
    step = _plan(
        deps,
        "update_records",
        {"object_type": records.object_type, "ids": [r.id for r in found], "properties": properties, "labels": names},
        f"update {what}: {changes}",
        "destructive" if count > BULK_APPROVAL_THRESHOLD else "write",
        records.object_type,
    )
    return {"step": step.position, "count": count, "records": names[:20]}


@toolset.tool(sequential=True)
async def archive_records(ctx: RunContext[AgentDeps], records: RecordSet, description: str = "") -> dict[str, Any]:
    """Plan archiving every record of a set (bulk delete). Needs an operator's approval."""
    deps = ctx.deps
    try:
        count, found = await _members(deps, records)
    except CrmAgentError as exc:
        raise _fail(exc, deps) from None
    names = [label(records.object_type, r.properties) for r in found]
    what = f"{count} {records.object_type}" + (f" ({description})" if description else "")
    step = _plan(
        deps,
        "archive_records",
        {"object_type": records.object_type, "ids": [r.id for r in found], "labels": names},
        f"archive {what}",
        "destructive",
        records.object_type,
    )
    return {"step": step.position, "count": count, "records": names[:20], "needs_approval": True}


EmailCategory = Literal["transactional", "notification", "sales", "marketing"]


async def _recipients(deps: AgentDeps, to: list[str]) -> tuple[list[str], list[str]]:
    """Addresses stay as typed; anything else names a contact (handles allowed), returned as ids."""
    ids, names = [], []
    for item in to:
        if "@" in item:
            ids.append(item)
            names.append(item)
            continue
        found = await resolve(deps.crm, deps.plan, "contacts", item, deps.remembered)
        ids.append(found.id)
        names.append(found.label)
    return ids, names


@toolset.tool(sequential=True)
async def draft_email(
    ctx: RunContext[AgentDeps], to: list[str], subject: str, body: str, category: EmailCategory = "sales"
) -> dict[str, Any]:
    """Plan an e-mail draft to contacts (by name, id or handle) or addresses. It is only a draft: an operator
    approves it before anything is sent. Sales and marketing mail gets an unsubscribe link."""
    try:
        ids, names = await _recipients(ctx.deps, to)
    except CrmAgentError as exc:
        raise _fail(exc, ctx.deps) from None
    step = _plan(
        ctx.deps,
        "draft_email",
        {"to": ids, "subject": subject, "body": body, "category": category},
        f'draft email "{subject}" to {", ".join(names)}',
        "outbound",
        "emails",
    )
    return {"step": step.position, "planned": step.description}


@toolset.tool(sequential=True)
async def draft_template_email(
    ctx: RunContext[AgentDeps],
    template: str,
    to: list[str] | None = None,
    contact: str | None = None,
    deal: str | None = None,
    variables: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Plan a draft from a template: contact_created, deal_created, deal_stage_changed, daily_summary,
    deals_created_today, follow_up, meeting_request. contact/deal name the records it is about (handles
    allowed). Without ``to`` notifications go to the configured notification address."""
    deps = ctx.deps
    try:
        ids, names = await _recipients(deps, to or [])
        contact_ref = await resolve(deps.crm, deps.plan, "contacts", contact, deps.remembered) if contact else None
        deal_ref = await resolve(deps.crm, deps.plan, "deals", deal, deps.remembered) if deal else None
    except CrmAgentError as exc:
        raise _fail(exc, deps) from None
    about = " ".join(r.label for r in (contact_ref, deal_ref) if r)
    target = ", ".join(names) if names else "the notification address"
    step = _plan(
        deps,
        "draft_email",
        {
            "template": template,
            "to": ids,
            "variables": variables or {},
            "contact_id": contact_ref.id if contact_ref else None,
            "deal_id": deal_ref.id if deal_ref else None,
        },
        f"draft email {template.replace('_', ' ')}{f' about {about}' if about else ''} to {target}",
        "outbound",
        "emails",
    )
    return {"step": step.position, "planned": step.description}


@toolset.tool(sequential=True)
async def email_search_summary(
    ctx: RunContext[AgentDeps], records: RecordSet, to: list[str] | None = None, title: str | None = None
) -> dict[str, Any]:
    """Plan a draft summarizing the records of a set (e.g. deals created today), computed when the plan runs,
    after this request's other changes. Without ``to`` it goes to the configured notification address."""
    try:
        ids, names = await _recipients(ctx.deps, to or [])
    except CrmAgentError as exc:
        raise _fail(exc, ctx.deps) from None
    subject = title or f"Summary of {records.object_type}"
    step = _plan(
        ctx.deps,
        "draft_email",
        {"records": records.model_dump(exclude_none=True), "to": ids, "title": subject},
        f'draft email summary "{subject}" to {", ".join(names) if names else "the notification address"}',
        "outbound",
        "emails",
    )
    return {"step": step.position, "planned": step.description}
