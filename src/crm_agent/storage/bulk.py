"""Bulk INSERT straight through the database driver's ``executemany``.

SQLAlchemy prepares every parameter set of an ``executemany`` in Python, which is most of the
cost of writing many thousands of small rows (an import: records, search tokens, audit entries).
:func:`insert_rows` applies the columns' own bind processors, so values are stored exactly as
SQLAlchemy would store them (UTC timestamps, JSON, booleans, decimals), and hands plain tuples to
the driver in one call. It works on SQLite (``?`` placeholders) and asyncpg (``$1``); other
drivers take SQLAlchemy's ordinary path.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession

_PLACEHOLDERS = {"qmark": "?", "format": "%s", "numeric_dollar": "${}", "numeric": ":{}"}
_statements: dict[tuple[str, str, tuple[str, ...]], tuple[str, list[Callable[[Any], Any] | None]]] = {}


def _prepared(table: Table, columns: Sequence[str], dialect: Dialect) -> tuple[str, list[Callable[[Any], Any] | None]]:
    key = (dialect.name, table.name, tuple(columns))
    cached = _statements.get(key)
    if cached is None:
        style = _PLACEHOLDERS[dialect.paramstyle]
        marks = ", ".join(style.format(i) for i in range(1, len(columns) + 1))
        names = ", ".join(dialect.identifier_preparer.quote(c) for c in columns)
        sql = f"INSERT INTO {dialect.identifier_preparer.format_table(table)} ({names}) VALUES ({marks})"
        processors = [table.c[c].type.dialect_impl(dialect).bind_processor(dialect) for c in columns]
        cached = _statements[key] = (sql, processors)
    return cached


async def insert_rows(session: AsyncSession, table: Table, columns: Sequence[str], rows: list[Sequence[Any]]) -> None:
    """INSERT ``rows`` (value tuples in the order of ``columns``) into ``table`` in the session's
    transaction."""
    if not rows:
        return
    conn = await session.connection()
    dialect = conn.dialect
    if dialect.paramstyle not in _PLACEHOLDERS:  # a driver with named parameters: SQLAlchemy's usual path
        await session.execute(insert(table), [dict(zip(columns, row, strict=True)) for row in rows])
        return
    sql, processors = _prepared(table, columns, dialect)
    if any(processors):
        rows = _processed(processors, rows)
    await conn.exec_driver_sql(sql, rows)


def _processed(processors: list[Callable[[Any], Any] | None], rows: list[Sequence[Any]]) -> list[tuple[Any, ...]]:
    """``rows`` with each value bound by its column's processor. A value that is the very object of
    the row before (a batch's shared timestamp, say) reuses that row's result."""
    out = []
    last_in: list[Any] = [object()] * len(processors)
    last_out: list[Any] = [None] * len(processors)
    nulls = [None if proc is None else proc(None) for proc in processors]
    for row in rows:
        bound = []
        for i, value in enumerate(row):
            proc = processors[i]
            if proc is None:
                bound.append(value)
            elif value is None:
                bound.append(nulls[i])
            elif value is last_in[i]:
                bound.append(last_out[i])
            else:
                last_in[i], last_out[i] = value, proc(value)
                bound.append(last_out[i])
        out.append(tuple(bound))
    return out
