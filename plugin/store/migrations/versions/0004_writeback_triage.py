"""Write-back log, webhook deliveries, ticket triage, reply templates, installation settings.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22

Frozen like 0001: spelled without the models.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _moment(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _installation(table: str, nullable: bool = False) -> list[sa.schema.SchemaItem]:
    return [
        sa.Column("installation_id", sa.Integer(), nullable=nullable),
        sa.ForeignKeyConstraint(
            ["installation_id"],
            ["installations.id"],
            name=f"fk_{table}_installation_id_installations",
            ondelete="CASCADE",
        ),
    ]


def upgrade() -> None:
    op.create_table(
        "writebacks",
        sa.Column("id", BIG_ID, nullable=False),
        *_installation("writebacks"),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("ticket_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("zendesk_audit_id", sa.BigInteger(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        _moment("created_at"),
        _moment("sent_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_writebacks"),
        sa.UniqueConstraint("installation_id", "key", name="uq_writebacks_installation_id_key"),
    )
    op.create_index(
        "ix_writebacks_installation_ticket", "writebacks", ["installation_id", "ticket_id"]
    )
    op.create_index(
        "ix_writebacks_installation_status", "writebacks", ["installation_id", "status"]
    )

    op.create_table(
        "webhook_deliveries",
        sa.Column("id", BIG_ID, nullable=False),
        *_installation("webhook_deliveries", nullable=True),
        _moment("received_at"),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("event", sa.String(length=20), nullable=True),
        sa.Column("ticket_id", sa.BigInteger(), nullable=True),
        sa.Column("accepted", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(length=60), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_deliveries"),
        sa.UniqueConstraint(
            "installation_id", "digest", name="uq_webhook_deliveries_installation_id_digest"
        ),
    )
    op.create_index("ix_webhook_deliveries_received", "webhook_deliveries", ["received_at"])

    op.create_table(
        "ticket_triage",
        sa.Column("id", BIG_ID, nullable=False),
        *_installation("ticket_triage"),
        sa.Column("ticket_id", sa.BigInteger(), nullable=False),
        sa.Column("risk", sa.String(length=10), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("language", sa.String(length=10), nullable=True),
        sa.Column("reasons", sa.JSON(), nullable=False),
        _moment("ticket_created_at", nullable=True),
        _moment("sla_due_at", nullable=True),
        _moment("first_response_at", nullable=True),
        _moment("decided_at"),
        sa.Column("rules_version", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ticket_triage"),
        sa.UniqueConstraint(
            "installation_id", "ticket_id", name="uq_ticket_triage_installation_id_ticket_id"
        ),
    )
    op.create_index(
        "ix_ticket_triage_installation_due", "ticket_triage", ["installation_id", "sla_due_at"]
    )

    op.create_table(
        "reply_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        *_installation("reply_templates"),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("language", sa.String(length=10), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        _moment("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_reply_templates"),
        sa.UniqueConstraint(
            "installation_id",
            "kind",
            "language",
            name="uq_reply_templates_installation_id_kind_language",
        ),
    )

    op.create_table(
        "installation_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        *_installation("installation_settings"),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        _moment("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_installation_settings"),
        sa.UniqueConstraint(
            "installation_id", "name", name="uq_installation_settings_installation_id_name"
        ),
    )


def downgrade() -> None:
    op.drop_table("installation_settings")
    op.drop_table("reply_templates")
    op.drop_table("ticket_triage")
    op.drop_table("webhook_deliveries")
    op.drop_table("writebacks")
