"""Turning typed-in property values and search filters into stored values.

:func:`coerce_properties` validates one record's input against the property definitions of its
object type (standard and custom alike), resolving owners, pipelines and deal stages named by id,
email, name or label; :func:`coerce_request` does the same for the values of a search request.
Both collect every problem of their input before raising one :class:`ValidationFailed`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from crm_agent.crm import directory
from crm_agent.crm.objects import ObjectType
from crm_agent.crm.properties import PropertyDef
from crm_agent.crm.schemas import OwnerRecord, PipelineRecord, SearchRequest
from crm_agent.crm.values import coerce, to_api
from crm_agent.errors import FieldError, ValidationFailed

# HubSpot's read-only "Record ID" property: searchable and sortable, never written.
RECORD_ID = PropertyDef(name="hs_object_id", label="Record ID", type="number", readonly=True)
_NOT_COERCED = {"CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN", "HAS_PROPERTY", "NOT_HAS_PROPERTY"}


@dataclass
class Refs:
    """Reference data loaded once per batch or search: owners and (for deals) pipelines."""

    owners: list[OwnerRecord]
    pipelines: list[PipelineRecord]

    def __post_init__(self) -> None:
        self.owner_index = directory.OwnerIndex(self.owners)
        self.pipelines_by_id = {p.id: p for p in self.pipelines}

    def first_stage(self, pipeline_id: str) -> str:
        """The id of the first stage of a pipeline."""
        return self.pipelines_by_id[pipeline_id].stages[0].id

    def stage(self, pipeline_id: str, stage_id: str) -> Any:
        """The stage record ``stage_id`` of a pipeline, or None."""
        pipeline = self.pipelines_by_id.get(pipeline_id)
        return next((s for s in pipeline.stages if s.id == stage_id), None) if pipeline else None


async def load_refs(session: AsyncSession, otype: ObjectType, formats: set[str | None] | None = None) -> Refs:
    """The owners, and for deals the pipelines, of the database; with ``formats`` (those of the
    properties about to be coerced) only what they refer to."""
    wants_owners = formats is None or "owner" in formats
    wants_pipelines = otype.name == "deals" and (formats is None or bool(formats & {"pipeline", "dealstage"}))
    pipelines = await directory.list_pipelines(session) if wants_pipelines else []
    owners = await directory.list_owners(session) if wants_owners else []
    return Refs(owners=owners, pipelines=pipelines)


def coerce_value(defn: PropertyDef, raw: Any, refs: Refs, pipeline: str | None = None) -> Any:
    """The stored value of ``raw`` for ``defn``; raises ValueError or ValidationFailed."""
    value = coerce(defn, raw, phone_region="US")
    if value is None:
        return None
    if defn.format == "owner":
        return refs.owner_index.resolve(value, defn.name)
    if defn.format == "pipeline":
        return directory.resolve_pipeline(refs.pipelines, value)
    if defn.format == "dealstage":
        return directory.resolve_stage(refs.pipelines, pipeline or "default", value)
    return value


def coerce_properties(
    otype: ObjectType,
    defs: dict[str, PropertyDef],
    refs: Refs,
    props: Mapping[str, Any],
    current: Mapping[str, Any] | None = None,
) -> tuple[dict[str, Any], dict[str, str | None]]:
    """Validate one record's input ``props`` (``current``: the stored record, for an update).

    Returns (standard column values, custom property values in HubSpot's string form). A phone
    also sets its ``*_raw`` column to the text as typed. Raises ValidationFailed listing every bad
    field; nothing is returned half-validated.
    """
    errors: list[FieldError] = []
    values: dict[str, Any] = {}
    custom: dict[str, str | None] = {}
    pipeline = current.get("pipeline") if current else None
    if "pipeline" in props and "pipeline" in defs:
        with contextlib.suppress(ValueError, ValidationFailed):
            pipeline = coerce_value(defs["pipeline"], props["pipeline"], refs) or pipeline
    for name, raw in props.items():
        defn = defs.get(name)
        if defn is None:
            errors.append(
                FieldError(
                    name,
                    raw,
                    f"{otype.name} have no property {name!r}; see "
                    f"`crm-agent properties list {otype.name}` or create it",
                )
            )
            continue
        if defn.readonly:
            errors.append(FieldError(name, raw, "is read-only"))
            continue
        try:
            value = coerce_value(defn, raw, refs, pipeline)
        except ValidationFailed as exc:
            errors.extend(exc.errors)
            continue
        except ValueError as exc:
            errors.append(FieldError(name, raw, str(exc)))
            continue
        if defn.custom:
            custom[name] = to_api(value)
            continue
        values[name] = value
        if defn.format == "phone" and f"{name}_raw" in defs:
            values[f"{name}_raw"] = str(raw).strip() if value is not None else None
    if otype.name == "deals":
        errors.extend(_deal_rules(refs, values, current))
    if errors:
        raise ValidationFailed(errors)
    return values, custom


def _deal_rules(refs: Refs, values: dict[str, Any], current: Mapping[str, Any] | None) -> list[FieldError]:
    """A deal always has a pipeline and a stage of that pipeline."""
    errors = []
    for name in ("pipeline", "dealstage"):
        if name in values and values[name] is None and current is not None:
            errors.append(FieldError(name, "", "a deal always has one; give another value instead of clearing it"))
    new_pipeline = values.get("pipeline")
    if current is not None and new_pipeline and "dealstage" not in values:
        stage = current.get("dealstage")
        if stage and refs.stage(new_pipeline, stage) is None:
            pipeline = refs.pipelines_by_id[new_pipeline]
            accepted = ", ".join(f"{s.id} ({s.label})" for s in pipeline.stages)
            errors.append(
                FieldError("dealstage", stage, f"is not a stage of {pipeline.label}; give one of: {accepted}")
            )
    return errors


def coerce_request(
    otype: ObjectType, defs: dict[str, PropertyDef], refs: Refs, request: SearchRequest
) -> SearchRequest:
    """``request`` with filter values coerced like stored values (owner ids, option values,
    Decimals, aware datetimes). Raises ValidationFailed for unknown properties or bad values."""
    errors: list[FieldError] = []
    groups = []
    for group in request.filterGroups:
        filters = []
        for flt in group.filters:
            defn = search_property(defs, flt.propertyName)
            if defn is None:
                errors.append(FieldError(flt.propertyName, flt.value, f"{otype.name} have no such property"))
                continue
            if flt.operator in _NOT_COERCED:
                filters.append(flt.model_copy(update={"value": None if flt.value is None else str(flt.value)}))
                continue
            try:
                update = {
                    "value": None if flt.value is None else _filter_value(defn, flt.value, refs),
                    "highValue": None if flt.highValue is None else _filter_value(defn, flt.highValue, refs),
                    "values": None if flt.values is None else [_filter_value(defn, v, refs) for v in flt.values],
                }
                filters.append(flt.model_copy(update=update))
            except ValidationFailed as exc:
                errors.extend(exc.errors)
            except ValueError as exc:
                errors.append(FieldError(flt.propertyName, flt.value, str(exc)))
        groups.append(group.model_copy(update={"filters": filters}))
    for sort in request.sorts:
        if search_property(defs, sort.propertyName) is None:
            errors.append(FieldError("sorts", sort.propertyName, f"{otype.name} have no such property"))
    if request.after is not None and not request.after.isdigit():
        errors.append(FieldError("after", request.after, "use the paging.next.after value of the last page"))
    if errors:
        raise ValidationFailed(errors)
    return request.model_copy(update={"filterGroups": groups})


def search_property(defs: dict[str, PropertyDef], name: str) -> PropertyDef | None:
    """The definition of a property a search may filter or sort on (``hs_object_id`` included)."""
    return RECORD_ID if name == RECORD_ID.name else defs.get(name)


def _filter_value(defn: PropertyDef, raw: Any, refs: Refs) -> Any:
    if defn is RECORD_ID:
        try:
            return int(str(raw).strip())
        except ValueError:
            raise ValueError("expected a record id such as 42") from None
    if defn.format == "dealstage":
        # a stage filter may name a stage of any pipeline
        for pipeline in refs.pipelines:
            with contextlib.suppress(ValidationFailed):
                return directory.resolve_stage(refs.pipelines, pipeline.id, raw)
    return coerce_value(defn, raw, refs)
