"""Shared helpers of the record pages: how properties are shown and edited, table columns and
search requests built from the filter forms."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from crm_agent.crm.properties import PropertyDef
from crm_agent.crm.schemas import CrmRecord, Filter, FilterGroup, OwnerRecord, PipelineRecord, SearchRequest, Sort
from crm_agent.web.templating import Formatter, money

PAGE_SIZE = 25

COLUMNS: dict[str, list[tuple[str, str]]] = {
    "contacts": [
        ("name", "Name"),
        ("email", "Email"),
        ("company", "Company"),
        ("phone", "Phone"),
        ("lifecyclestage", "Lifecycle stage"),
        ("hs_lead_status", "Lead status"),
        ("hubspot_owner_id", "Owner"),
        ("lastmodifieddate", "Last modified"),
    ],
    "companies": [
        ("name", "Name"),
        ("domain", "Domain"),
        ("industry", "Industry"),
        ("city", "City"),
        ("country", "Country"),
        ("lifecyclestage", "Lifecycle stage"),
        ("hubspot_owner_id", "Owner"),
        ("lastmodifieddate", "Last modified"),
    ],
    "deals": [
        ("dealname", "Deal"),
        ("amount", "Amount"),
        ("dealstage", "Stage"),
        ("closedate", "Close date"),
        ("hs_priority", "Priority"),
        ("hubspot_owner_id", "Owner"),
        ("lastmodifieddate", "Last modified"),
    ],
}
SORT_KEYS = {"name": "lastname"}
HIDDEN_PROPERTIES = {"phone_raw", "hs_object_id"}
# Filters each table offers (besides the free-text search): property -> label.
TABLE_FILTERS: dict[str, list[tuple[str, str]]] = {
    "contacts": [
        ("lifecyclestage", "Lifecycle stage"),
        ("hs_lead_status", "Lead status"),
        ("hubspot_owner_id", "Owner"),
    ],
    "companies": [("lifecyclestage", "Lifecycle stage"), ("hubspot_owner_id", "Owner")],
    "deals": [("dealstage", "Stage"), ("hs_priority", "Priority"), ("hubspot_owner_id", "Owner")],
}
NO_OWNER = "none"


@dataclass
class Lookups:
    """Reference data for showing values: owners by id, stage labels by id, pipelines."""

    owners: list[OwnerRecord]
    pipelines: list[PipelineRecord] = field(default_factory=list)

    @property
    def owner_names(self) -> dict[str, str]:
        return {o.id: (f"{o.firstName} {o.lastName}".strip() or o.email) for o in self.owners}

    @property
    def stage_labels(self) -> dict[str, str]:
        return {s.id: s.label for p in self.pipelines for s in p.stages}

    def stages_of(self, pipeline_id: str | None) -> list[tuple[str, str]]:
        pipeline = next((p for p in self.pipelines if p.id == (pipeline_id or "default")), None)
        pipeline = pipeline or (self.pipelines[0] if self.pipelines else None)
        return [(s.id, s.label) for s in pipeline.stages] if pipeline else []


def record_title(object_type: str, record: CrmRecord) -> str:
    """A record's name as people say it."""
    p = record.properties
    if object_type == "contacts":
        name = " ".join(x for x in (p.get("firstname"), p.get("lastname")) if x)
        return name or p.get("email") or f"Contact {record.id}"
    if object_type == "companies":
        return p.get("name") or p.get("domain") or f"Company {record.id}"
    if object_type == "deals":
        return p.get("dealname") or f"Deal {record.id}"
    for key in ("hs_task_subject", "hs_meeting_title", "hs_email_subject", "hs_note_body"):
        if p.get(key):
            return str(p[key])[:80]
    return f"{object_type[:-1].capitalize()} {record.id}"


def show(
    defn: PropertyDef | None, value: str | None, lookups: Lookups, fmt: Formatter, currency: str | None = None
) -> str:
    """A property value as text for people."""
    if value in (None, ""):
        return ""
    if defn is None:
        return str(value)
    if defn.format == "owner":
        return lookups.owner_names.get(str(value), f"owner {value}")
    if defn.format == "dealstage":
        return lookups.stage_labels.get(str(value), str(value))
    if defn.format == "pipeline":
        return next((p.label for p in lookups.pipelines if p.id == value), str(value))
    if defn.format == "money":
        return money(value, currency)
    if defn.type == "enumeration":
        return dict(defn.options).get(str(value), str(value))
    if defn.type == "bool":
        return "Yes" if str(value).lower() == "true" else "No"
    if defn.type == "datetime":
        return fmt.dt(value)
    if defn.type == "date":
        return fmt.date(value)
    return str(value)


@dataclass
class EditField:
    """One input of the property form."""

    name: str
    label: str
    kind: str  # text, select, date, number, textarea, email, tel
    value: str
    options: list[tuple[str, str]] = field(default_factory=list)
    error: str | None = None


def edit_fields(
    defs: dict[str, PropertyDef], record: CrmRecord | None, lookups: Lookups, fmt: Formatter, object_type: str
) -> list[EditField]:
    """The inputs of a record's property form, with its current values."""
    props = record.properties if record else {}
    fields: list[EditField] = []
    for name, defn in defs.items():
        if defn.readonly or name in HIDDEN_PROPERTIES:
            continue
        raw = props.get(name)
        value = "" if raw is None else str(raw)
        kind, options = "text", []
        if defn.format == "owner":
            kind, options = "select", sorted(lookups.owner_names.items(), key=lambda kv: kv[1].lower())
        elif defn.format == "pipeline":
            kind, options = "select", [(p.id, p.label) for p in lookups.pipelines]
        elif defn.format == "dealstage":
            kind, options = "select", lookups.stages_of(props.get("pipeline"))
        elif defn.type == "enumeration":
            kind, options = "select", list(defn.options)
        elif defn.type == "bool":
            kind, options = "select", [("true", "Yes"), ("false", "No")]
            value = value.lower()
        elif defn.type in ("date", "datetime"):
            kind, value = "date", fmt.input_date(raw)
        elif defn.type == "number":
            kind = "number"
        elif defn.format == "email":
            kind = "email"
        elif defn.format == "phone":
            kind = "tel"
        elif (defn.max_length or 0) > 400:
            kind = "textarea"
        fields.append(EditField(name, defn.label, kind, value, options))
    return fields


def changed_values(fields: list[EditField], form: dict[str, str]) -> dict[str, str | None]:
    """The properties whose submitted value differs from what the form showed (empty clears)."""
    changes: dict[str, str | None] = {}
    for f in fields:
        key = f"p.{f.name}"
        if key not in form:
            continue
        submitted = form[key].strip()
        if submitted != f.value.strip():
            changes[f.name] = submitted or None
    return changes


def table_request(
    object_type: str,
    q: str | None,
    filters: dict[str, str],
    sort: str | None,
    page: int,
    page_size: int = PAGE_SIZE,
) -> SearchRequest:
    """The search behind a table page."""
    conditions: list[Filter] = []
    for name, value in filters.items():
        if not value:
            continue
        if name == "hubspot_owner_id" and value == NO_OWNER:
            conditions.append(Filter(propertyName=name, operator="NOT_HAS_PROPERTY"))
        else:
            conditions.append(Filter(propertyName=name, operator="EQ", value=value))
    sorts = []
    if sort:
        key = sort.lstrip("-")
        sorts = [
            Sort(propertyName=SORT_KEYS.get(key, key), direction="DESCENDING" if sort.startswith("-") else "ASCENDING")
        ]
    return SearchRequest(
        filterGroups=[FilterGroup(filters=conditions)] if conditions else [],
        query=q or None,
        sorts=sorts,
        limit=page_size,
        after=str((page - 1) * page_size) if page > 1 else None,
    )


def sortable(object_type: str) -> set[str]:
    return {c for c, _ in COLUMNS.get(object_type, [])}


def filter_options(object_type: str, defs: dict[str, PropertyDef], lookups: Lookups) -> list[dict[str, Any]]:
    """The filter selects of a table: name, label and options."""
    out = []
    for name, label in TABLE_FILTERS.get(object_type, []):
        defn = defs.get(name)
        if defn is None:
            continue
        if defn.format == "owner":
            options = [(NO_OWNER, "No owner"), *sorted(lookups.owner_names.items(), key=lambda kv: kv[1].lower())]
        elif defn.format == "dealstage":
            options = [
                (s.id, f"{s.label}" + (f" ({p.label})" if len(lookups.pipelines) > 1 else ""))
                for p in lookups.pipelines
                for s in p.stages
            ]
        else:
            options = list(defn.options)
        out.append({"name": name, "label": label, "options": options})
    return out
