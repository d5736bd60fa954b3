"""Zendesk installs, ticket links, tracking snapshots and the audit log.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22

Frozen like 0001: spelled without the models.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _moment(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _installation(table: str) -> list[sa.schema.SchemaItem]:
    return [
        sa.Column("installation_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["installation_id"],
            ["installations.id"],
            name=f"fk_{table}_installation_id_installations",
            ondelete="CASCADE",
        ),
    ]


def upgrade() -> None:
    with op.batch_alter_table("installations") as batch:
        batch.add_column(sa.Column("zendesk_subdomain", sa.String(length=63), nullable=True))
        batch.add_column(sa.Column("zendesk_installation_id", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("zendesk_app_id", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("zendesk_url", sa.Text(), nullable=True))
        batch.create_unique_constraint(
            "uq_installations_zendesk_subdomain_zendesk_installation_id",
            ["zendesk_subdomain", "zendesk_installation_id"],
        )

    op.create_table(
        "ticket_links",
        sa.Column("id", BIG_ID, nullable=False),
        *_installation("ticket_links"),
        sa.Column("ticket_id", sa.BigInteger(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("found_in", sa.String(length=20), nullable=False),
        _moment("linked_at"),
        sa.PrimaryKeyConstraint("id", name="pk_ticket_links"),
        sa.UniqueConstraint(
            "installation_id",
            "ticket_id",
            "channel",
            "order_id",
            name="uq_ticket_links_installation_id_ticket_id_channel_order_id",
        ),
    )
    op.create_index(
        "ix_ticket_links_installation_order", "ticket_links", ["installation_id", "order_id"]
    )

    op.create_table(
        "tracking_snapshots",
        sa.Column("id", BIG_ID, nullable=False),
        *_installation("tracking_snapshots"),
        sa.Column("carrier", sa.String(length=20), nullable=False),
        sa.Column("tracking_number", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=True),
        sa.Column("order_id", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("status_detail", sa.Text(), nullable=True),
        sa.Column("events", sa.JSON(), nullable=False),
        _moment("estimated_delivery", nullable=True),
        _moment("delivered_at", nullable=True),
        sa.Column("proof", sa.JSON(), nullable=True),
        sa.Column("source", sa.String(length=40), nullable=False),
        _moment("fetched_at"),
        _moment("expires_at"),
        sa.PrimaryKeyConstraint("id", name="pk_tracking_snapshots"),
        sa.UniqueConstraint(
            "installation_id",
            "carrier",
            "tracking_number",
            name="uq_tracking_snapshots_installation_id_carrier_tracking_number",
        ),
    )
    op.create_index(
        "ix_tracking_snapshots_installation_order",
        "tracking_snapshots",
        ["installation_id", "order_id"],
    )

    op.create_table(
        "audit_events",
        sa.Column("id", BIG_ID, nullable=False),
        *_installation("audit_events"),
        _moment("at"),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("ticket_id", sa.BigInteger(), nullable=True),
        sa.Column("order_id", sa.String(length=64), nullable=True),
        sa.Column("asin", sa.String(length=20), nullable=True),
        sa.Column("sku", sa.String(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("proof", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_audit_events"),
    )
    op.create_index(
        "ix_audit_events_installation_order", "audit_events", ["installation_id", "order_id"]
    )
    op.create_index(
        "ix_audit_events_installation_ticket", "audit_events", ["installation_id", "ticket_id"]
    )


def downgrade() -> None:
    op.drop_table("audit_events")
    op.drop_table("tracking_snapshots")
    op.drop_table("ticket_links")
    with op.batch_alter_table("installations") as batch:
        batch.drop_constraint(
            "uq_installations_zendesk_subdomain_zendesk_installation_id", type_="unique"
        )
        batch.drop_column("zendesk_url")
        batch.drop_column("zendesk_app_id")
        batch.drop_column("zendesk_installation_id")
        batch.drop_column("zendesk_subdomain")
