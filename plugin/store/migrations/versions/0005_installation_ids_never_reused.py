"""Installation ids are never reused, on SQLite too.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22

PostgreSQL's sequence never hands an id out twice; SQLite's rowid does when the highest row
was deleted, unless the table is AUTOINCREMENT. App tokens and cached sidebar answers name an
installation by id, so a deleted tenant's id must never come to mean a new one. On SQLite the
table is rebuilt with AUTOINCREMENT; elsewhere nothing changes.
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table(
        "installations", recreate="always", table_kwargs={"sqlite_autoincrement": True}
    ):
        pass


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table(
        "installations", recreate="always", table_kwargs={"sqlite_autoincrement": False}
    ):
        pass
