"""Owners, pipelines with their stages, and custom property definitions.

These are the CRM's reference data: records point at owners by id, deals at a pipeline and a
stage, and custom property values are validated against their definitions.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from crm_agent import audit
from crm_agent.crm.models import Owner, Pipeline, PipelineStage, PropertyDefinition
from crm_agent.crm.objects import ObjectType, object_type
from crm_agent.crm.properties import PROPERTY_TYPES, PropertyDef, custom_property, standard_properties
from crm_agent.crm.schemas import OwnerRecord, PipelineRecord, StageRecord
from crm_agent.crm.values import fold, normalize_email
from crm_agent.errors import Conflict, FieldError, ValidationFailed

Reader = AsyncSession | AsyncConnection  # reads run in a session or straight on a connection

T = TypeVar("T")
_snapshot: ContextVar[dict[str, Any] | None] = ContextVar("crm_reference_snapshot", default=None)


@contextmanager
def reference_snapshot() -> Iterator[None]:
    """Inside this block owners, pipelines and property definitions are read from the database once
    and then reused, as a snapshot of the reference data.

    One agent run reads them up to five times (planning, validating the tool arguments, the write's
    own validation, the read-back); a run sees one consistent version of them, as a repeatable-read
    transaction would. A change of reference data made through this module inside the block drops
    the snapshot. Nothing outlives the block, so no process keeps state another replica needs.
    """
    token = _snapshot.set({})
    try:
        yield
    finally:
        _snapshot.reset(token)


async def _snapshotted(key: str, load: Callable[[], Awaitable[T]]) -> T:
    """``load()``, or its value from the current :func:`reference_snapshot`."""
    snapshot = _snapshot.get()
    if snapshot is None:
        return await load()
    if key not in snapshot:
        snapshot[key] = await load()
    return snapshot[key]


def _reference_changed() -> None:
    snapshot = _snapshot.get()
    if snapshot is not None:
        snapshot.clear()


def owner_record(owner: Any) -> OwnerRecord:
    """The API form of an owner (an ORM object or a row)."""
    return OwnerRecord(
        id=str(owner.id), email=owner.email, firstName=owner.firstName, lastName=owner.lastName, archived=owner.archived
    )


async def create_owner(
    session: AsyncSession, now: datetime, email: str, first_name: str, last_name: str
) -> OwnerRecord:
    """Add an owner; raises ValidationFailed for a bad email, Conflict if the email is taken."""
    _reference_changed()
    try:
        address = normalize_email(email)
    except ValueError as exc:
        raise ValidationFailed([FieldError("email", email, str(exc))]) from None
    existing = await session.scalar(select(Owner).where(Owner.email == address))
    if existing:
        raise Conflict(f"owner {address} already exists (id {existing.id})", str(existing.id))
    owner = Owner(email=address, firstName=first_name.strip(), lastName=last_name.strip(), createdAt=now, updatedAt=now)
    session.add(owner)
    await session.flush()
    record = owner_record(owner)
    await audit.append(session, now, "create", "owners", record.id, None, record.model_dump())
    return record


async def list_owners(session: Reader) -> list[OwnerRecord]:
    """All active owners, ordered by id."""

    async def load() -> list[OwnerRecord]:
        table = Owner.__table__
        rows = await session.execute(select(table).where(table.c.archived.is_(False)).order_by(table.c.id))
        return [owner_record(o) for o in rows]

    return list(await _snapshotted("owners", load))


def match_owners(owners: list[OwnerRecord], ref: Any) -> list[OwnerRecord]:
    """Owners matching ``ref``: an id, an email, a full name or a first name (case and accents ignored)."""
    return OwnerIndex(owners).match(ref)


def resolve_owner(owners: list[OwnerRecord], ref: Any, field: str = "hubspot_owner_id") -> int:
    """The owner id ``ref`` names; raises ValidationFailed if none or several match."""
    return OwnerIndex(owners).resolve(ref, field)


class OwnerIndex:
    """Owners looked up by id, email, full name, or first or last name (case and accents ignored).

    Built once per batch, so that resolving the owner of each of thousands of imported rows is a
    dictionary lookup.
    """

    def __init__(self, owners: list[OwnerRecord]):
        self.owners = owners
        self._by_id = {o.id: o for o in owners}
        self._by_email: dict[str, list[OwnerRecord]] = {}
        self._by_full: dict[str, list[OwnerRecord]] = {}
        self._by_part: dict[str, list[OwnerRecord]] = {}
        for o in owners:
            self._by_email.setdefault(o.email, []).append(o)
            self._by_full.setdefault(fold(f"{o.firstName} {o.lastName}"), []).append(o)
            for part in {fold(o.firstName), fold(o.lastName)}:
                self._by_part.setdefault(part, []).append(o)
        self._cache: dict[str, int | ValidationFailed] = {}

    def match(self, ref: Any) -> list[OwnerRecord]:
        """Owners matching ``ref`` (see :func:`match_owners`)."""
        text = str(ref).strip()
        if text in self._by_id:
            return [self._by_id[text]]
        key = fold(text)
        for table in (self._by_email, self._by_full, self._by_part):
            if key in table:
                return table[key]
        return []

    def resolve(self, ref: Any, field: str = "hubspot_owner_id") -> int:
        """The owner id ``ref`` names; raises ValidationFailed if none or several match."""
        cache_key = f"{field}\x00{ref}"
        hit = self._cache.get(cache_key)
        if hit is None:
            hit = self._resolve(ref, field)
            self._cache[cache_key] = hit
        if isinstance(hit, ValidationFailed):
            raise ValidationFailed(hit.errors)
        return hit

    def _resolve(self, ref: Any, field: str) -> int | ValidationFailed:
        found = self.match(ref)
        if len(found) == 1:
            return int(found[0].id)
        if not found:
            known = ", ".join(f"{o.firstName} {o.lastName} <{o.email}>" for o in self.owners) or "none yet"
            return ValidationFailed([FieldError(field, ref, f"no owner matches {ref!r}; owners: {known}")])
        names = ", ".join(f"{o.firstName} {o.lastName} <{o.email}>" for o in found)
        return ValidationFailed([FieldError(field, ref, f"{ref!r} matches several owners ({names}); use an email")])


def _stage_record(stage: Any) -> StageRecord:
    return StageRecord(
        id=stage.id,
        label=stage.label,
        displayOrder=stage.display_order,
        metadata={
            "probability": format(stage.probability.normalize(), "f"),
            "isClosed": "true" if stage.is_closed else "false",
        },
    )


async def list_pipelines(session: Reader) -> list[PipelineRecord]:
    """Every deal pipeline with its stages in display order."""

    async def load() -> list[PipelineRecord]:
        pipeline_table, stage_table = Pipeline.__table__, PipelineStage.__table__
        pipelines = (
            await session.execute(select(pipeline_table).order_by(pipeline_table.c.display_order, pipeline_table.c.id))
        ).all()
        stages = (await session.execute(select(stage_table).order_by(stage_table.c.display_order))).all()
        return [
            PipelineRecord(
                id=p.id,
                label=p.label,
                displayOrder=p.display_order,
                stages=[_stage_record(s) for s in stages if s.pipeline_id == p.id],
            )
            for p in pipelines
        ]

    return list(await _snapshotted("pipelines", load))


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", fold(text)) or "pipeline"


async def create_pipeline(
    session: AsyncSession, now: datetime, label: str, stages: list[tuple[str, Decimal, bool]]
) -> PipelineRecord:
    """Add a pipeline with ``stages`` as (label, probability 0..1, is_closed) in order.

    Raises ValidationFailed for an empty stage list or a probability outside 0..1.
    """
    _reference_changed()
    if not stages:
        raise ValidationFailed([FieldError("stages", stages, "a pipeline needs at least one stage")])
    pipeline_id = _slug(label)
    if await session.get(Pipeline, pipeline_id):
        raise Conflict(f"pipeline {pipeline_id!r} already exists", pipeline_id)
    count = await session.scalar(select(func.count()).select_from(Pipeline))
    session.add(Pipeline(id=pipeline_id, label=label, display_order=count or 0))
    for order, (stage_label, probability, closed) in enumerate(stages):
        if not Decimal(0) <= probability <= Decimal(1):
            raise ValidationFailed([FieldError("probability", probability, "must be between 0 and 1")])
        session.add(
            PipelineStage(
                pipeline_id=pipeline_id,
                id=f"{pipeline_id}_{_slug(stage_label)}",
                label=stage_label,
                display_order=order,
                probability=probability,
                is_closed=closed,
            )
        )
    await session.flush()
    _reference_changed()
    record = next(p for p in await list_pipelines(session) if p.id == pipeline_id)
    await audit.append(session, now, "create", "pipelines", pipeline_id, None, record.model_dump())
    return record


def resolve_stage(pipelines: list[PipelineRecord], pipeline_id: str, ref: Any) -> str:
    """The id of the stage of ``pipeline_id`` named ``ref`` (id or label, case-insensitive).

    Raises ValidationFailed listing the pipeline's stages.
    """
    pipeline = next((p for p in pipelines if p.id == pipeline_id), None)
    if pipeline is None:
        raise ValidationFailed(
            [
                FieldError(
                    "pipeline",
                    pipeline_id,
                    "unknown pipeline; pipelines: " + ", ".join(f"{p.id} ({p.label})" for p in pipelines),
                )
            ]
        )
    key = re.sub(r"[^a-z0-9]", "", fold(str(ref)))
    for stage in pipeline.stages:
        if key in (re.sub(r"[^a-z0-9]", "", fold(stage.id)), re.sub(r"[^a-z0-9]", "", fold(stage.label))):
            return stage.id
    accepted = ", ".join(f"{s.id} ({s.label})" for s in pipeline.stages)
    raise ValidationFailed([FieldError("dealstage", ref, f"not a stage of {pipeline.label}; accepted: {accepted}")])


def resolve_pipeline(pipelines: list[PipelineRecord], ref: Any) -> str:
    """The id of the pipeline named ``ref`` (id or label); raises ValidationFailed."""
    key = fold(str(ref).strip())
    for pipeline in pipelines:
        if key in (fold(pipeline.id), fold(pipeline.label)):
            return pipeline.id
    raise ValidationFailed(
        [
            FieldError(
                "pipeline", ref, "unknown pipeline; pipelines: " + ", ".join(f"{p.id} ({p.label})" for p in pipelines)
            )
        ]
    )


@lru_cache(maxsize=16)
def _standard_properties(object_type_name: str) -> dict[str, PropertyDef]:
    """The standard properties of a type, read once from its model (they change with the code only)."""
    return standard_properties(object_type(object_type_name))


async def property_defs(session: Reader, otype: ObjectType) -> dict[str, PropertyDef]:
    """Standard and custom properties of ``otype`` by name."""
    return (await properties_of(session, [otype.name]))[otype.name]


async def properties_of(session: Reader, type_names: list[str]) -> dict[str, dict[str, PropertyDef]]:
    """Standard and custom properties of each of ``type_names`` by name, in one query for all of them
    (each type's definitions then count as read in the current :func:`reference_snapshot`)."""
    snapshot = _snapshot.get()
    missing = [t for t in type_names if snapshot is None or f"properties:{t}" not in snapshot]
    loaded: dict[str, dict[str, PropertyDef]] = {}
    if missing:
        loaded = {t: dict(_standard_properties(t)) for t in missing}
        table = PropertyDefinition.__table__
        rows = await session.execute(select(table).where(table.c.object_type.in_(missing)).order_by(table.c.id))
        for row in rows:
            loaded[row.object_type][row.name] = custom_property(
                row.object_type, row.name, row.label, row.type, row.options
            )
        if snapshot is not None:
            snapshot.update({f"properties:{t}": defs for t, defs in loaded.items()})
    cached = snapshot or {}
    return {t: dict(loaded.get(t) or cached[f"properties:{t}"]) for t in type_names}


async def create_property(
    session: AsyncSession,
    now: datetime,
    otype: ObjectType,
    name: str,
    label: str,
    type_: str,
    options: list[str] | None = None,
) -> PropertyDef:
    """Define a custom property. ``name`` is snake_case; enumerations need ``options`` (labels).

    Raises ValidationFailed for a bad name or type, Conflict when the name is taken.
    """
    errors = []
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,99}", name):
        errors.append(FieldError("name", name, "use lower-case letters, digits and _ (e.g. 'renewal_date')"))
    if type_ not in PROPERTY_TYPES:
        errors.append(FieldError("type", type_, f"use one of {', '.join(PROPERTY_TYPES)}"))
    if type_ == "enumeration" and not options:
        errors.append(FieldError("options", options, "an enumeration needs at least one option"))
    if errors:
        raise ValidationFailed(errors)
    _reference_changed()
    if name in await property_defs(session, otype):
        raise Conflict(f"{otype.name} already have a property named {name!r}", name)
    stored = (
        [{"value": re.sub(r"[^a-z0-9]+", "_", fold(o)).strip("_") or o, "label": o} for o in options or []]
        if type_ == "enumeration"
        else None
    )
    session.add(
        PropertyDefinition(
            object_type=otype.name, name=name, label=label or name, type=type_, options=stored, created_at=now
        )
    )
    await session.flush()
    _reference_changed()
    defn = custom_property(otype.name, name, label or name, type_, stored)
    await audit.append(session, now, "create", "properties", f"{otype.name}.{name}", None, defn.to_api(otype.name))
    return defn
