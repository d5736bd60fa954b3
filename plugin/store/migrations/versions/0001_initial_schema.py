"""Initial schema: installations, credentials, ingested rows, costs, orders, claims, sync runs.

Revision ID: 0001
Revises:
Create Date: 2026-11-22

Frozen: this file never imports the models, so it keeps creating the same tables while the
models move on. ``UTCDateTime`` and ``DecimalText`` are spelled as their stored types.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _moment(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _decimal(name: str, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, sa.String(length=40), nullable=nullable)


def _text(*names: str) -> list[sa.Column[object]]:
    return [sa.Column(name, sa.String(), nullable=False) for name in names]


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


def _row_table(table: str, *columns: sa.schema.SchemaItem, index: tuple[str, ...] = ()) -> None:
    """An ingested-row table: key columns, the row's own columns, then where it came from."""
    op.create_table(
        table,
        sa.Column("id", BIG_ID, nullable=False),
        *_installation(table),
        sa.Column("row_hash", sa.String(length=32), nullable=False),
        sa.Column("occurrence", sa.Integer(), nullable=False),
        sa.Column("copies", sa.Integer(), nullable=False),
        *columns,
        sa.Column("document_id", sa.Text(), nullable=False),
        sa.Column("source_file", sa.Text(), nullable=False),
        sa.Column("source_line", sa.Integer(), nullable=True),
        sa.Column("source_path", sa.Text(), nullable=True),
        _moment("ingested_at"),
        sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
        sa.UniqueConstraint(
            "installation_id", "row_hash", "occurrence", name=f"uq_{table}_natural_key"
        ),
    )
    if index:
        name, *columns_indexed = index
        op.create_index(name, table, ["installation_id", *columns_indexed])


def upgrade() -> None:
    op.create_table(
        "installations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        _moment("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_installations"),
        sa.UniqueConstraint("name", name="uq_installations_name"),
    )
    op.create_table(
        "credentials",
        sa.Column("id", sa.Integer(), nullable=False),
        *_installation("credentials"),
        sa.Column("provider", sa.String(length=40), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        _moment("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_credentials"),
        sa.UniqueConstraint(
            "installation_id", "provider", name="uq_credentials_installation_id_provider"
        ),
    )

    _row_table(
        "ledger_rows",
        sa.Column("date", sa.Date(), nullable=False),
        *_text("fnsku", "asin", "msku", "event_type", "reference_id"),
        sa.Column("quantity", sa.Integer(), nullable=False),
        *_text("fulfillment_center", "disposition", "reason", "country"),
        sa.Column("unreconciled_quantity", sa.Integer(), nullable=True),
        index=("ix_ledger_rows_installation_event", "event_type"),
    )
    _row_table(
        "reimbursement_rows",
        sa.Column("approval_date", sa.Date(), nullable=False),
        *_text("reimbursement_id", "case_id", "amazon_order_id", "reason", "sku", "fnsku"),
        *_text("asin", "currency"),
        _decimal("amount_per_unit"),
        _decimal("amount_total"),
        sa.Column("quantity_cash", sa.Integer(), nullable=True),
        sa.Column("quantity_inventory", sa.Integer(), nullable=True),
        sa.Column("quantity_total", sa.Integer(), nullable=False),
        *_text("original_reimbursement_id", "original_reimbursement_type"),
        index=("ix_reimbursement_rows_installation_case", "case_id"),
    )
    _row_table(
        "return_rows",
        sa.Column("return_date", sa.Date(), nullable=False),
        *_text("order_id", "sku", "asin", "fnsku"),
        sa.Column("quantity", sa.Integer(), nullable=False),
        *_text("fulfillment_center", "disposition", "reason", "status", "license_plate_number"),
        index=("ix_return_rows_installation_order", "order_id"),
    )
    _row_table(
        "order_rows",
        *_text("order_id", "sku", "asin"),
        sa.Column("quantity", sa.Integer(), nullable=False),
        *_text("currency"),
        _decimal("item_price"),
        *_text("item_status", "sales_channel"),
        index=("ix_order_rows_installation_order", "order_id"),
    )
    _row_table(
        "refund_events",
        *_text("order_id", "marketplace_name"),
        sa.Column("posted_date", sa.Date(), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("identity", sa.Text(), nullable=False),
        index=("ix_refund_events_installation_order", "order_id"),
    )
    _row_table(
        "inbound_shipments",
        *_text("shipment_id", "status", "destination_fc"),
        sa.Column("identity", sa.Text(), nullable=False),
    )
    _row_table(
        "inbound_items",
        *_text("shipment_id", "sku", "fnsku"),
        sa.Column("quantity_shipped", sa.Integer(), nullable=False),
        sa.Column("quantity_received", sa.Integer(), nullable=False),
        sa.Column("identity", sa.Text(), nullable=False),
    )

    op.create_table(
        "costs",
        sa.Column("id", sa.Integer(), nullable=False),
        *_installation("costs"),
        sa.Column("sku", sa.String(), nullable=False),
        _decimal("unit_cost", nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("source_file", sa.Text(), nullable=False),
        sa.Column("source_line", sa.Integer(), nullable=True),
        _moment("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_costs"),
        sa.UniqueConstraint("installation_id", "sku", name="uq_costs_installation_id_sku"),
    )
    op.create_table(
        "orders",
        sa.Column("id", BIG_ID, nullable=False),
        *_installation("orders"),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("marketplace_id", sa.String(length=20), nullable=True),
        sa.Column("status", sa.String(length=40), nullable=True),
        _moment("purchased_at", nullable=True),
        _moment("last_updated_at", nullable=True),
        sa.Column("buyer_email", sa.String(length=320), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        _moment("first_seen_at"),
        _moment("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_orders"),
        sa.UniqueConstraint(
            "installation_id",
            "channel",
            "order_id",
            name="uq_orders_installation_id_channel_order_id",
        ),
    )
    op.create_index(
        "ix_orders_installation_buyer_email", "orders", ["installation_id", "buyer_email"]
    )
    op.create_table(
        "claims",
        sa.Column("id", BIG_ID, nullable=False),
        *_installation("claims"),
        sa.Column("kind", sa.String(length=40), nullable=False),
        *_text("reference_id", "sku"),
        sa.Column("fnsku", sa.String(), nullable=True),
        sa.Column("asin", sa.String(), nullable=True),
        sa.Column("marketplace", sa.String(length=8), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("event_date", sa.Date(), nullable=True),
        sa.Column("opens_on", sa.Date(), nullable=True),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("estimated_amount", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("valuation_basis", sa.String(length=40), nullable=True),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("content_hash", sa.String(length=32), nullable=False),
        _moment("first_seen_at"),
        _moment("updated_at"),
        _moment("gone_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_claims"),
        sa.UniqueConstraint(
            "installation_id", "kind", "reference_id", "sku", name="uq_claims_identity"
        ),
    )
    op.create_index("ix_claims_installation_status", "claims", ["installation_id", "status"])
    op.create_table(
        "sync_runs",
        sa.Column("id", BIG_ID, nullable=False),
        *_installation("sync_runs"),
        sa.Column("source", sa.String(length=80), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        _moment("started_at"),
        _moment("finished_at", nullable=True),
        sa.Column("cursor", sa.JSON(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_sync_runs"),
    )
    op.create_index(
        "ix_sync_runs_installation_source",
        "sync_runs",
        ["installation_id", "source", "started_at"],
    )


def downgrade() -> None:
    for table in (
        "sync_runs",
        "claims",
        "orders",
        "costs",
        "inbound_items",
        "inbound_shipments",
        "refund_events",
        "order_rows",
        "return_rows",
        "reimbursement_rows",
        "ledger_rows",
        "credentials",
        "installations",
    ):
        op.drop_table(table)
