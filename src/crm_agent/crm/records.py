"""Stored rows as HubSpot-shaped records, and the audit images of records.

Rows are plain mappings of column values (``select(table)`` results, or the dictionaries the write
path builds), so reading and writing share one rendering: :func:`image` for the audit log and
:func:`to_records` for API results with their associations.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Table, any_, bindparam, or_, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement

from crm_agent.crm.associations import type_name
from crm_agent.crm.models import Association
from crm_agent.crm.objects import ObjectType
from crm_agent.crm.properties import PropertyDef
from crm_agent.crm.schemas import AssociationList, AssociationRef, CrmRecord
from crm_agent.crm.values import to_api
from crm_agent.errors import NotFound

IN_CHUNK = 1000  # ids per IN (...) list, well below SQLite's and asyncpg's parameter limits


def table_of(otype: ObjectType) -> Table:
    """The table holding records of ``otype``."""
    return otype.model.__table__  # type: ignore[return-value]


def image(record: Any, defs: dict[str, PropertyDef], standard: list[str] | None = None) -> dict[str, Any]:
    """A record's audit image: its API property values and archived flag.

    ``record`` is a row mapping or an ORM object; ``standard`` (the names of the standard
    properties among ``defs``) may be passed by callers that render many records.
    """
    if isinstance(record, Mapping):
        get = record.get
    else:

        def get(name: str) -> Any:
            return getattr(record, name, None)

    names = standard if standard is not None else standard_names(defs)
    props = {name: _api(get(name)) for name in names}
    props.update(get("custom_properties") or {})
    return {"properties": props, "archived": bool(get("archived"))}


def _api(value: Any) -> str | None:
    """:func:`to_api`, answering the commonest values (no value, text) without a further call."""
    return value if value is None or type(value) is str else to_api(value)


def standard_names(defs: dict[str, PropertyDef]) -> list[str]:
    """The names of the standard (column) properties among ``defs``."""
    return [name for name, d in defs.items() if not d.custom]


def parse_id(record_id: Any, otype: ObjectType) -> int:
    """A record id as an int; raises NotFound for anything that is not a number."""
    value = maybe_int(record_id)
    if value is None:
        raise NotFound(otype.singular, record_id, "ids are numbers such as 42")
    return value


def maybe_int(record_id: Any) -> int | None:
    """``record_id`` as an int, or None."""
    try:
        return int(str(record_id).strip())
    except (TypeError, ValueError):
        return None


def chunks(values: Iterable[Any], size: int = IN_CHUNK) -> Iterable[list[Any]]:
    """``values`` in lists of at most ``size``."""
    batch: list[Any] = []
    for value in values:
        batch.append(value)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def any_of(column: ColumnElement[Any], values: list[Any], dialect: str) -> ColumnElement[bool]:
    """``column IN values``. On PostgreSQL as ``column = ANY(:array)``: one parameter, so a cached
    generic plan never turns into a scan testing every row against a long list (which happens to a
    long IN list planned while an import is still filling the table)."""
    if dialect == "postgresql":
        return column == any_(bindparam(None, list(values), type_=postgresql.ARRAY(column.type)))
    return column.in_(values)


def dialect_of(session: Any) -> str:
    """The database dialect name of a session or connection."""
    return (getattr(session, "dialect", None) or session.bind.dialect).name


async def load_rows(
    session: AsyncSession, table: Table, column: ColumnElement[Any], keys: Iterable[Any]
) -> dict[Any, dict[str, Any]]:
    """Rows of ``table`` whose ``column`` is one of ``keys``, as dicts keyed by that column."""
    out: dict[Any, dict[str, Any]] = {}
    dialect = dialect_of(session)
    for part in chunks(k for k in dict.fromkeys(keys) if k is not None):
        rows = (await session.execute(select(table).where(any_of(column, part, dialect)))).mappings()
        for row in rows:
            out[row[column.key]] = dict(row)
    return out


async def load_associations(
    session: AsyncSession, otype: ObjectType, ids: list[int]
) -> dict[int, dict[str, AssociationList]]:
    """The associations of records ``ids`` of ``otype``, grouped by record and other object type."""
    out: dict[int, dict[str, AssociationList]] = {}
    wanted = set(ids)
    dialect = dialect_of(session)
    for part in chunks(wanted):
        rows = await session.execute(
            select(
                Association.from_type,
                Association.from_id,
                Association.to_type,
                Association.to_id,
                Association.is_primary,
                Association.id,
            )
            .where(
                or_(
                    (Association.from_type == otype.name) & any_of(Association.from_id, part, dialect),
                    (Association.to_type == otype.name) & any_of(Association.to_id, part, dialect),
                )
            )
            .order_by(Association.id)
        )
        for from_type, from_id, to_type, to_id, is_primary, _ in rows:
            if from_type == otype.name and from_id in wanted:
                mine, other_type, other_id = from_id, to_type, to_id
            else:
                mine, other_type, other_id = to_id, from_type, from_id
            bucket = out.setdefault(mine, {}).setdefault(other_type, AssociationList())
            bucket.results.append(AssociationRef(id=str(other_id), type=type_name(otype.name, other_type, is_primary)))
    return out


async def to_records(
    session: AsyncSession,
    otype: ObjectType,
    defs: dict[str, PropertyDef],
    rows: Iterable[Mapping[str, Any]],
    only: list[str] | None = None,
    *,
    images: list[dict[str, Any]] | None = None,
) -> list[CrmRecord]:
    """Rows as API records with their associations; ``only`` limits the properties returned.

    ``images`` are the rows' :func:`image` where the caller has them already.
    """
    rows = list(rows)
    links = await load_associations(session, otype, [r["id"] for r in rows])
    records = []
    for n, row in enumerate(rows):
        props = dict(images[n]["properties"]) if images is not None else image(row, defs)["properties"]
        props["hs_object_id"] = str(row["id"])
        if only:
            props = {k: props.get(k) for k in [*only, "hs_object_id"]}
        # built without re-validation: every value above already has the schema's type
        records.append(
            CrmRecord.model_construct(
                id=str(row["id"]),
                properties=props,
                associations=links.get(row["id"], {}),
                archived=bool(row["archived"]),
                createdAt=row["createdate"],
                updatedAt=row["lastmodifieddate"],
            )
        )
    return records
