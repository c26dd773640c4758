"""Checking a tool's property values before anything runs, with the CRM's own validator.

Write tools call :func:`check` while the model plans, so a bad email, phone, amount, date, stage,
owner or option is reported as a failed step (and its dependents skipped) before any write happens.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from crm_agent.crm import directory
from crm_agent.crm.coercion import coerce_properties, load_refs
from crm_agent.crm.objects import object_type
from crm_agent.crm.service import LocalCrm
from crm_agent.errors import NotFound


async def check(crm: LocalCrm, object_type_name: str, properties: dict[str, Any], record_id: str | None = None) -> None:
    """Validate ``properties`` as a create (or an update of ``record_id``) would, writing nothing.

    Raises ValidationFailed naming every bad field, NotFound for an unknown ``record_id``.
    """
    otype = object_type(object_type_name)
    table = otype.model.__table__
    async with crm.read_only() as conn:
        defs = await directory.property_defs(conn, otype)
        refs = await load_refs(conn, otype)
        current = None
        if record_id is not None:
            row = (await conn.execute(select(table).where(table.c.id == int(record_id)))).first()
            if row is None or row.archived:
                raise NotFound(otype.singular, record_id)
            current = dict(row._mapping)
        coerce_properties(otype, defs, refs, properties, current)
