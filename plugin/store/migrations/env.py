"""Alembic's environment: always handed an open connection by ``plugin.store.migrate``."""

from __future__ import annotations

from alembic import context

from plugin.store.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through plugin.store.migrate (it passes a connection)")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    # SQLite cannot ALTER most things: later revisions use batch_alter_table there.
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
