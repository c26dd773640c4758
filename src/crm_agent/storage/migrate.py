"""Alembic migrations, run programmatically on a live connection.

``upgrade_to_head`` is what first use of a database and ``crm-agent db upgrade`` call. The
migration scripts live in ``crm_agent/storage/migrations/versions``.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config pointing at the packaged migrations, bound to ``connection``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def upgrade_to_head(connection: Connection) -> None:
    """Apply every pending migration on ``connection`` (a sync connection from ``run_sync``)."""
    command.upgrade(alembic_config(connection), "head")
