"""Alembic environment: always run online on the connection handed in by crm_agent."""

from alembic import context

from crm_agent.storage.metadata import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("crm-agent runs migrations on a live connection: use `crm-agent db upgrade`")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
