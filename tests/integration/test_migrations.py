"""The models and the migrations agree: on a database migrated to head, Alembic's autogenerate
comparison finds nothing to change, on SQLite and on PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Column, Integer, MetaData, inspect
from sqlalchemy.engine import Connection

from crm_agent.storage.engine import dispose_all, get_engine
from crm_agent.storage.metadata import Base


def _diff(connection: Connection, metadata: MetaData = Base.metadata) -> list:
    context = MigrationContext.configure(connection, opts={"compare_type": True, "compare_server_default": False})
    return compare_metadata(context, metadata)


def _with_extra_column(connection: Connection) -> list:
    """The comparison does see a difference: the models plus one column the migrations lack."""
    changed = MetaData(naming_convention=Base.metadata.naming_convention)
    for table in Base.metadata.tables.values():
        table.to_metadata(changed)
    changed.tables["contacts"].append_column(Column("shoe_size", Integer, nullable=True))
    return _diff(connection, changed)


async def test_autogenerate_finds_no_difference(db_url: str) -> None:
    engine = await get_engine(db_url)  # migrates to head on first use
    try:
        async with engine.connect() as conn:
            diff = await conn.run_sync(_diff)
            tables = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
            sanity = await conn.run_sync(_with_extra_column)
    finally:
        await dispose_all()
    assert diff == [], f"models and migrations disagree; write a migration for: {diff}"
    assert set(Base.metadata.tables) <= tables
    assert [d[0] for d in sanity] == ["add_column"] and sanity[0][3].name == "shoe_size"
