"""Lean name lookups: one indexed query over the search tokens that returns only the naming columns,
instead of a full CRM search with totals and associations."""

from __future__ import annotations

from types import SimpleNamespace

from sqlalchemy import select

from crm_agent.crm.objects import object_type
from crm_agent.crm.search import query_condition
from crm_agent.crm.service import LocalCrm
from crm_agent.crm.values import to_api

_NAMING = {
    "contacts": ("firstname", "lastname", "email"),
    "companies": ("name", "domain"),
    "deals": ("dealname",),
    "tasks": ("hs_task_subject",),
    "notes": ("hs_note_body",),
    "meetings": ("hs_meeting_title",),
}


async def candidates(crm: LocalCrm, type_name: str, text: str, limit: int = 50) -> list[SimpleNamespace]:
    """Active records whose searchable words start with the words of ``text``: ``id`` and ``properties``
    (the naming columns only, in HubSpot's string form), in id order."""
    otype = object_type(type_name)
    model = otype.model
    names = _NAMING[otype.name]
    stmt = (
        select(model.id, *[getattr(model, c) for c in names])
        .where(model.archived.is_(False), query_condition(otype, text))
        .order_by(model.id)
        .limit(limit)
    )
    async with crm.sessions() as session:
        rows = (await session.execute(stmt)).all()
    return [
        SimpleNamespace(id=str(row[0]), properties={n: to_api(v) for n, v in zip(names, row[1:], strict=True)})
        for row in rows
    ]
