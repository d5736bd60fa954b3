"""Reimbursement cases and the claims filed in them.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22

Frozen like 0001: spelled without the models. The partial unique index keeps at most one
open case per (installation, SKU, kind) on PostgreSQL and SQLite alike; an Amazon case ID
belongs to one case of an installation (NULLs, not recorded yet, never collide).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
OPEN = sa.text("status = 'open'")


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
    op.create_table(
        "cases",
        sa.Column("id", BIG_ID, nullable=False),
        *_installation("cases"),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("sku", sa.String(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("amazon_case_id", sa.String(length=64), nullable=True),
        _moment("opened_at"),
        sa.Column("opened_by", sa.String(length=100), nullable=False),
        _moment("closed_at", nullable=True),
        sa.Column("close_reason", sa.Text(), nullable=True),
        sa.Column("reimbursed_amount", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("reimbursed_units", sa.Integer(), nullable=False),
        _moment("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_cases"),
        sqlite_autoincrement=True,  # a deleted case's number is never given again
    )
    op.create_index(
        "uq_cases_one_open",
        "cases",
        ["installation_id", "sku", "kind"],
        unique=True,
        postgresql_where=OPEN,
        sqlite_where=OPEN,
    )
    op.create_index(
        "uq_cases_installation_amazon_case",
        "cases",
        ["installation_id", "amazon_case_id"],
        unique=True,
    )

    op.create_table(
        "case_claims",
        sa.Column("id", BIG_ID, nullable=False),
        *_installation("case_claims"),
        sa.Column("case_id", BIG_ID, nullable=False),
        sa.Column("claim_id", BIG_ID, nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("estimated_amount", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("status_before", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name="fk_case_claims_case_id_cases", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claims.id"], name="fk_case_claims_claim_id_claims", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_case_claims"),
        sa.UniqueConstraint("case_id", "claim_id", name="uq_case_claims_case_id_claim_id"),
    )
    op.create_index("ix_case_claims_claim", "case_claims", ["claim_id"])


def downgrade() -> None:
    op.drop_table("case_claims")
    op.drop_index("uq_cases_installation_amazon_case", table_name="cases")
    op.drop_index("uq_cases_one_open", table_name="cases")
    op.drop_table("cases")
