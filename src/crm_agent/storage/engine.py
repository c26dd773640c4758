"""Database engines and sessions, one engine per URL per process.

SQLite gets WAL, foreign keys and a busy timeout; PostgreSQL goes through asyncpg. Migrations
are applied on first use of an engine (see :mod:`crm_agent.storage.migrate`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from crm_agent.storage.migrate import upgrade_to_head

_engines: dict[str, AsyncEngine] = {}


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    dbapi_connection.isolation_level = None  # we emit BEGIN ourselves (see _sqlite_begin)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    # a bigger page cache (allocated as used) and fewer WAL checkpoints: bulk writes such as an
    # import of 100,000 contacts spend a third less time in SQLite
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.execute("PRAGMA wal_autocheckpoint=10000")
    cursor.close()


READ_ONLY = "crm_read_only"  # execution option of connections that only read (see _sqlite_begin)


def _sqlite_begin(conn) -> None:  # type: ignore[no-untyped-def]
    """Take SQLite's write lock when a transaction starts, so concurrent writers queue on the busy
    timeout instead of failing with "database is locked" when a read transaction upgrades to a write
    (SQLite's deferred-transaction deadlock rule). SQLAlchemy's documented aiosqlite recipe.

    A connection marked ``READ_ONLY`` begins a plain (deferred) transaction: it never writes, so it
    cannot deadlock, and its reads need not wait for a writer (WAL lets them run alongside)."""
    conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get(READ_ONLY) else "BEGIN IMMEDIATE")


def create_engine(url: str) -> AsyncEngine:
    """A new async engine for ``url`` (creating the SQLite file's directory if needed)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url, pool_pre_ping=parsed.get_backend_name() != "sqlite")
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
    return engine


async def get_engine(url: str) -> AsyncEngine:
    """The process's engine for ``url``, migrated to the latest schema on first use."""
    engine = _engines.get(url)
    if engine is None:
        engine = create_engine(url)
        async with engine.begin() as conn:
            await conn.run_sync(upgrade_to_head)
        _engines[url] = engine
    return engine


@asynccontextmanager
async def read_connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection for reads only (see ``READ_ONLY``); it never waits for a writer on SQLite."""
    async with engine.connect() as conn:
        yield await conn.execution_options(**{READ_ONLY: True})


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """A session factory whose sessions keep loaded objects usable after commit."""
    return async_sessionmaker(engine, expire_on_commit=False)


async def dispose_all() -> None:
    """Close every engine this process opened (end of a CLI command or a test)."""
    for engine in list(_engines.values()):
        await engine.dispose()
    _engines.clear()
