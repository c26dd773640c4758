"""Storing associations between records (the type rules are in :mod:`crm_agent.crm.associations`).

Every link and unlink is audited in the caller's transaction. Writers check the targets of a
batch's links up front with :func:`check_targets`, so a missing target fails only its own input.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crm_agent import audit
from crm_agent.crm.associations import allowed, canonical
from crm_agent.crm.models import Association
from crm_agent.crm.objects import ObjectType, object_type
from crm_agent.crm.records import any_of, chunks, dialect_of, parse_id, table_of
from crm_agent.errors import FieldError, NotFound, ValidationFailed

Link = tuple[str, int, bool]  # (other object type, other id, primary)


def parse_link(otype: ObjectType, spec: dict[str, Any]) -> Link:
    """One association of a record input: ``{"to": {"id": "1"}, "objectType": "companies",
    "primary": true}``. Raises ValidationFailed for an unknown type, a bad id or a pair HubSpot has
    no default association type for."""
    try:
        to_type = object_type(spec.get("objectType") or spec.get("toObjectType") or "")
        to_id = parse_id((spec.get("to") or {}).get("id", spec.get("id")), to_type)
    except (ValidationFailed, NotFound) as exc:
        raise ValidationFailed([FieldError("associations", spec, str(exc))]) from None
    _check_allowed(otype, to_type)
    return to_type.name, to_id, bool(spec.get("primary", False))


def _check_allowed(at: ObjectType, bt: ObjectType) -> None:
    if not allowed(at.name, bt.name):
        raise ValidationFailed(
            [
                FieldError(
                    "associations", f"{at.name}->{bt.name}", "HubSpot has no default association between these types"
                )
            ]
        )


async def live_ids(session: AsyncSession, otype: ObjectType, ids: set[int]) -> set[int]:
    """Which of ``ids`` are active (not archived) records of ``otype``."""
    table = table_of(otype)
    found: set[int] = set()
    for part in chunks(ids):
        condition = any_of(table.c.id, part, dialect_of(session))
        rows = await session.execute(select(table.c.id).where(condition, table.c.archived.is_(False)))
        found.update(r[0] for r in rows)
    return found


async def check_targets(session: AsyncSession, links: dict[int, list[Link]]) -> dict[int, NotFound]:
    """For each input (by index) whose links name a missing or archived record, that error."""
    wanted: dict[str, set[int]] = {}
    for specs in links.values():
        for to_type, to_id, _ in specs:
            wanted.setdefault(to_type, set()).add(to_id)
    live = {t: await live_ids(session, object_type(t), ids) for t, ids in wanted.items()}
    errors: dict[int, NotFound] = {}
    for index, specs in links.items():
        for to_type, to_id, _ in specs:
            if to_id not in live[to_type]:
                errors[index] = NotFound(object_type(to_type).singular, to_id)
                break
    return errors


async def associate(
    session: AsyncSession, now: datetime, at: ObjectType, a_id: int, bt: ObjectType, b_id: int, primary: bool
) -> None:
    """Link two records (idempotent) with exactly the ``primary`` flag given; a primary company
    link demotes the previous primary one.

    Raises ValidationFailed for a pair HubSpot has no default type for, NotFound for a missing
    or archived record.
    """
    _check_allowed(at, bt)
    for t, i in ((at, a_id), (bt, b_id)):
        if not await live_ids(session, t, {i}):
            raise NotFound(t.singular, i)
    ft, fid, tt, tid = canonical(at.name, a_id, bt.name, b_id)
    existing = await _find(session, ft, fid, tt, tid)
    if existing is not None and existing.is_primary == primary:
        return
    if primary and ft in {"contacts", "deals"} and tt == "companies":
        others = await session.scalars(
            select(Association).where(
                Association.from_type == ft,
                Association.from_id == fid,
                Association.to_type == tt,
                Association.is_primary.is_(True),
            )
        )
        for other in others:
            other.is_primary = False
    before = None
    if existing is None:
        session.add(Association(from_type=ft, from_id=fid, to_type=tt, to_id=tid, is_primary=primary))
    else:
        before = {"from_type": ft, "from_id": fid, "to_type": tt, "to_id": tid, "primary": existing.is_primary}
        existing.is_primary = primary
    pair = {"from_type": ft, "from_id": fid, "to_type": tt, "to_id": tid, "primary": primary}
    await audit.append(session, now, "associate", "associations", f"{ft}:{fid}-{tt}:{tid}", before, pair)


async def disassociate(
    session: AsyncSession, now: datetime, at: ObjectType, a_id: int, bt: ObjectType, b_id: int
) -> bool:
    """Remove a link; returns whether one existed."""
    ft, fid, tt, tid = canonical(at.name, a_id, bt.name, b_id)
    row = await _find(session, ft, fid, tt, tid)
    if row is None:
        return False
    await session.delete(row)
    pair = {"from_type": ft, "from_id": fid, "to_type": tt, "to_id": tid, "primary": row.is_primary}
    await audit.append(session, now, "disassociate", "associations", f"{ft}:{fid}-{tt}:{tid}", pair, None)
    return True


async def _find(session: AsyncSession, ft: str, fid: int, tt: str, tid: int) -> Association | None:
    return await session.scalar(
        select(Association).where(
            Association.from_type == ft,
            Association.from_id == fid,
            Association.to_type == tt,
            Association.to_id == tid,
        )
    )
