"""Bulk inserts on a driver with named parameters take SQLAlchemy's ordinary path, where columns
given as JSON text already (audit images) are decoded first, so they are stored once, not as a
JSON string of JSON."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from crm_agent import audit

AT = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


async def test_audit_entries_through_a_named_parameter_driver(tmp_path: Path) -> None:
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'named.db'}", paramstyle="named")
    try:
        async with engine.begin() as conn:
            await conn.run_sync(audit.AuditEntry.__table__.create)
        after = {"properties": {"firstname": "José"}, "archived": False}
        async with AsyncSession(engine) as session, session.begin():
            await audit.append_many(session, AT, [audit.pending("create", "contacts", "1", None, after)])
        async with AsyncSession(engine) as session:
            entry = (await session.scalars(select(audit.AuditEntry))).one()
            assert (entry.before, entry.after) == (None, after)
            assert (await audit.verify_chain(session)).ok
    finally:
        await engine.dispose()
