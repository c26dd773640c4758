"""Bulk INSERT straight through the database driver's ``executemany``.

SQLAlchemy prepares every parameter set of an ``executemany`` in Python, which is most of the
cost of writing many thousands of small rows (an import: records, search tokens, audit entries).
:func:`insert_rows` applies the columns' own bind processors, so values are stored exactly as
SQLAlchemy would store them (UTC timestamps, JSON, booleans, decimals), and hands plain tuples to
the driver: on SQLite as multi-row ``INSERT ... VALUES`` statements, on asyncpg (``$1``) through
``executemany``; other drivers take SQLAlchemy's ordinary path.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Collection, Sequence
from itertools import chain
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession

_SQLITE_MAX_VARIABLES = 32766 if sqlite3.sqlite_version_info >= (3, 32, 0) else 999
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


async def insert_rows(
    session: AsyncSession,
    table: Table,
    columns: Sequence[str],
    rows: list[Sequence[Any]],
    *,
    encoded: Collection[str] = (),
) -> None:
    """INSERT ``rows`` (value tuples in the order of ``columns``) into ``table`` in the session's
    transaction.

    ``encoded`` names JSON columns whose values are given as JSON text already (what the column's
    bind processor would make of them), so that they are not encoded again.
    """
    if not rows:
        return
    conn = await session.connection()
    dialect = conn.dialect
    if dialect.paramstyle not in _PLACEHOLDERS:  # a driver with named parameters: SQLAlchemy's usual path
        if encoded:
            rows = [[json.loads(v) if c in encoded else v for c, v in zip(columns, row, strict=True)] for row in rows]
        await session.execute(insert(table), [dict(zip(columns, row, strict=True)) for row in rows])
        return
    sql, processors = _prepared(table, columns, dialect)
    if encoded:
        processors = [None if c in encoded else p for c, p in zip(columns, processors, strict=True)]
    if any(processors):
        rows = _processed(processors, rows)
    if dialect.name != "sqlite":
        await conn.exec_driver_sql(sql, [tuple(row) for row in rows])
        return
    # SQLite: multi-row VALUES, so that one statement (run without holding Python's GIL) inserts
    # thousands of rows instead of one GIL hand-over per row
    per_statement = max(1, _SQLITE_MAX_VARIABLES // len(columns))
    marks = sql[sql.index(" VALUES ") + len(" VALUES ") :]
    head = sql[: sql.index(" VALUES ") + len(" VALUES ")]
    for start in range(0, len(rows), per_statement):
        part = rows[start : start + per_statement]
        flat = tuple(chain.from_iterable(part))
        await conn.exec_driver_sql(head + ", ".join([marks] * len(part)), flat)


def _processed(processors: list[Callable[[Any], Any] | None], rows: list[Sequence[Any]]) -> list[list[Any]]:
    """``rows`` with each value bound by its column's processor, column by column. A value that is
    the very object of the row before (a batch's shared timestamp, say) reuses that row's result."""
    out = [list(row) for row in rows]
    for i, proc in enumerate(processors):
        if proc is None:
            continue
        null, last_in, last_out = proc(None), object(), None
        for row in out:
            value = row[i]
            if value is None:
                row[i] = null
            elif value is last_in:
                row[i] = last_out
            else:
                last_in = value
                last_out = row[i] = proc(value)
    return out
