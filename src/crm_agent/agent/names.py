"""Lean name lookups: one indexed query over the search tokens that returns only the naming columns,
instead of a full CRM search with totals and associations."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
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


_MEMO_LIMIT = 50
_memo: ContextVar[dict[tuple[str, str], list[SimpleNamespace]] | None] = ContextVar("name_lookups", default=None)


@contextmanager
def remembered_lookups() -> Iterator[None]:
    """Inside this block a name is looked up once and the answer reused: planning asks the same
    question up to three times (what type is "Quinn"? which record is it?). Only for blocks that
    write nothing, such as planning a request; the memory ends with the block."""
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


async def candidates(crm: LocalCrm, type_name: str, text: str, limit: int = _MEMO_LIMIT) -> list[SimpleNamespace]:
    """Active records whose searchable words start with the words of ``text``: ``id`` and ``properties``
    (the naming columns only, in HubSpot's string form), in id order, at most ``limit`` of them."""
    memo = _memo.get()
    if memo is None or limit > _MEMO_LIMIT:
        return await _lookup(crm, type_name, text, limit)
    key = (type_name, text)
    if key not in memo:
        memo[key] = await _lookup(crm, type_name, text, _MEMO_LIMIT)
    return memo[key][:limit]


async def _lookup(crm: LocalCrm, type_name: str, text: str, limit: int) -> list[SimpleNamespace]:
    otype = object_type(type_name)
    model = otype.model
    names = _NAMING[otype.name]
    stmt = (
        select(model.id, *[getattr(model, c) for c in names])
        .where(model.archived.is_(False), query_condition(otype, text))
        .order_by(model.id)
        .limit(limit)
    )
    async with crm.read_only() as conn:
        rows = (await conn.execute(stmt)).all()
    return [
        SimpleNamespace(id=str(row[0]), properties={n: to_api(v) for n, v in zip(names, row[1:], strict=True)})
        for row in rows
    ]
