"""A lean "is there a record called X?" lookup for the planner: one indexed query over the search
tokens that returns only the naming columns, instead of a full CRM search with totals and
associations. Resolution that writes still goes through :func:`crm_agent.agent.resolve.resolve`."""

from __future__ import annotations

from types import SimpleNamespace

from sqlalchemy import select

from crm_agent.agent.resolve import name_matches
from crm_agent.crm.objects import object_type
from crm_agent.crm.search import query_condition
from crm_agent.crm.service import LocalCrm

_NAMING = {
    "contacts": ("firstname", "lastname", "email"),
    "companies": ("name", "domain"),
    "deals": ("dealname",),
    "tasks": ("hs_task_subject",),
    "notes": ("hs_note_body",),
    "meetings": ("hs_meeting_title",),
}


async def is_named(crm: LocalCrm, type_name: str, text: str, limit: int = 20) -> bool:
    """Whether an active record of ``type_name`` is named ``text`` (full, first or last name, email, or
    all the words of a company or deal name), ignoring case and accents."""
    otype = object_type(type_name)
    model = otype.model
    columns = [getattr(model, c) for c in _NAMING[otype.name]]
    stmt = select(*columns).where(model.archived.is_(False), query_condition(otype, text)).limit(limit)
    async with crm.sessions() as session:
        rows = (await session.execute(stmt)).all()
    names = _NAMING[otype.name]
    return any(
        name_matches(otype.name, SimpleNamespace(properties=dict(zip(names, row, strict=True))), text) for row in rows
    )
