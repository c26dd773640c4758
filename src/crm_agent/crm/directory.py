"""Owners, pipelines with their stages, and custom property definitions.

These are the CRM's reference data: records point at owners by id, deals at a pipeline and a
stage, and custom property values are validated against their definitions.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm_agent import audit
from crm_agent.crm.models import Owner, Pipeline, PipelineStage, PropertyDefinition
from crm_agent.crm.objects import ObjectType
from crm_agent.crm.properties import PROPERTY_TYPES, PropertyDef, custom_property, standard_properties
from crm_agent.crm.schemas import OwnerRecord, PipelineRecord, StageRecord
from crm_agent.crm.values import fold, normalize_email
from crm_agent.errors import Conflict, FieldError, ValidationFailed


def owner_record(owner: Owner) -> OwnerRecord:
    """The API form of an owner row."""
    return OwnerRecord(
        id=str(owner.id), email=owner.email, firstName=owner.firstName, lastName=owner.lastName, archived=owner.archived
    )


async def create_owner(
    session: AsyncSession, now: datetime, email: str, first_name: str, last_name: str
) -> OwnerRecord:
    """Add an owner; raises ValidationFailed for a bad email, Conflict if the email is taken."""
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


async def list_owners(session: AsyncSession) -> list[OwnerRecord]:
    """All active owners, ordered by id."""
    rows = await session.scalars(select(Owner).where(Owner.archived.is_(False)).order_by(Owner.id))
    return [owner_record(o) for o in rows]


def match_owners(owners: list[OwnerRecord], ref: Any) -> list[OwnerRecord]:
    """Owners matching ``ref``: an id, an email, a full name or a first name (case and accents ignored)."""
    text = str(ref).strip()
    by_id = [o for o in owners if o.id == text]
    if by_id:
        return by_id
    key = fold(text)
    for candidates in (
        [o for o in owners if o.email == key],
        [o for o in owners if fold(f"{o.firstName} {o.lastName}") == key],
        [o for o in owners if fold(o.firstName) == key or fold(o.lastName) == key],
    ):
        if candidates:
            return candidates
    return []


def resolve_owner(owners: list[OwnerRecord], ref: Any, field: str = "hubspot_owner_id") -> int:
    """The owner id ``ref`` names; raises ValidationFailed if none or several match."""
    found = match_owners(owners, ref)
    if len(found) == 1:
        return int(found[0].id)
    if not found:
        known = ", ".join(f"{o.firstName} {o.lastName} <{o.email}>" for o in owners) or "none yet"
        raise ValidationFailed([FieldError(field, ref, f"no owner matches {ref!r}; owners: {known}")])
    names = ", ".join(f"{o.firstName} {o.lastName} <{o.email}>" for o in found)
    raise ValidationFailed([FieldError(field, ref, f"{ref!r} matches several owners ({names}); use an email")])


def _stage_record(stage: PipelineStage) -> StageRecord:
    return StageRecord(
        id=stage.id,
        label=stage.label,
        displayOrder=stage.display_order,
        metadata={
            "probability": format(stage.probability.normalize(), "f"),
            "isClosed": "true" if stage.is_closed else "false",
        },
    )


async def list_pipelines(session: AsyncSession) -> list[PipelineRecord]:
    """Every deal pipeline with its stages in display order."""
    pipelines = (await session.scalars(select(Pipeline).order_by(Pipeline.display_order, Pipeline.id))).all()
    stages = (await session.scalars(select(PipelineStage).order_by(PipelineStage.display_order))).all()
    return [
        PipelineRecord(
            id=p.id,
            label=p.label,
            displayOrder=p.display_order,
            stages=[_stage_record(s) for s in stages if s.pipeline_id == p.id],
        )
        for p in pipelines
    ]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", fold(text)) or "pipeline"


async def create_pipeline(
    session: AsyncSession, now: datetime, label: str, stages: list[tuple[str, Decimal, bool]]
) -> PipelineRecord:
    """Add a pipeline with ``stages`` as (label, probability 0..1, is_closed) in order.

    Raises ValidationFailed for an empty stage list or a probability outside 0..1.
    """
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


async def property_defs(session: AsyncSession, otype: ObjectType) -> dict[str, PropertyDef]:
    """Standard and custom properties of ``otype`` by name."""
    defs = standard_properties(otype)
    rows = await session.scalars(select(PropertyDefinition).where(PropertyDefinition.object_type == otype.name))
    for row in rows:
        defs[row.name] = custom_property(otype.name, row.name, row.label, row.type, row.options)
    return defs


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
    defn = custom_property(otype.name, name, label or name, type_, stored)
    await audit.append(session, now, "create", "properties", f"{otype.name}.{name}", None, defn.to_api(otype.name))
    return defn
