"""Shared fixtures: settings with a fixed clock, and a CRM on SQLite and on PostgreSQL.

The ``db_url`` fixture is parametrized over ``sqlite`` and ``postgres``. PostgreSQL tests use the
server named by ``CRM_AGENT_TEST_POSTGRES_URL`` (default: the local server at 127.0.0.1:5432),
each in a database of its own that is dropped afterwards; when no server answers they are
skipped with the reason in the output.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

from crm_agent.config import Settings
from crm_agent.crm.service import LocalCrm
from crm_agent.storage.engine import dispose_all

FIXED_NOW = "2026-11-20T09:00:00Z"
ADMIN_URL = os.environ.get("CRM_AGENT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def _postgres_available() -> str | None:
    async def probe() -> None:
        conn = await asyncpg.connect(ADMIN_URL, timeout=3)
        await conn.close()

    try:
        asyncio.run(probe())
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        return f"PostgreSQL at {ADMIN_URL} did not answer ({exc.__class__.__name__}: {exc})"
    return None


_PG_SKIP_REASON = _postgres_available()


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database URL of each kind."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'crm.db'}"
        return
    if _PG_SKIP_REASON:
        pytest.skip(_PG_SKIP_REASON)
    name = f"crm_test_{uuid.uuid4().hex[:12]}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(ADMIN_URL)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    base = ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    try:
        yield f"{base}/{name}"
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    """Settings on the test database with the clock fixed at FIXED_NOW, ignoring any .env file."""
    return Settings(_env_file=None, data_dir=tmp_path, database_url=db_url, now=FIXED_NOW)


@pytest.fixture
async def crm(settings: Settings) -> AsyncIterator[LocalCrm]:
    """A migrated, empty embedded CRM."""
    service = await LocalCrm.connect(settings)
    yield service
    await dispose_all()
