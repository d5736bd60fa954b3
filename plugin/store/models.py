"""The store's tables: SQLAlchemy 2 models on one ``Base``.

Every table but ``installations`` carries ``installation_id``, and every query filters by it
(``plugin.store.queries``). Deleting an installation deletes its rows.

Ingested report rows (``ledger_rows`` … ``inbound_items``) have the columns of their
``connectors.amazon.models`` dataclass plus bookkeeping (``RowColumns``), and are unique per
``(installation_id, row_hash, occurrence)``: see ``plugin.store.rows`` for the duplicate rule.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

from plugin.store.types import DecimalText, UTCDateTime

# Constraint names are spelled out so that migrations name them the same on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Row ids: 64-bit on PostgreSQL; SQLite only auto-increments a column typed INTEGER.
BigId = BigInteger().with_variant(Integer(), "sqlite")

# Installation states.
PENDING = "pending"  # known (e.g. from a Zendesk JWT), not connected yet
ACTIVE = "active"  # synced by the periodic fan-out
NEEDS_RECONNECT = "needs_reconnect"  # a marketplace refused its credentials
DISABLED = "disabled"

# Sync run states.
RUNNING = "running"
DONE = "done"
FAILED = "failed"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _installation_fk() -> Mapped[int]:
    return mapped_column(ForeignKey("installations.id", ondelete="CASCADE"))


class Installation(Base):
    """One seller account, named by the CLI, and (once connected) one Zendesk app install.

    A verified Zendesk token names ``(zendesk_subdomain, zendesk_installation_id)``; that pair
    finds at most one installation. ``name`` stays the unique, human-readable handle.
    """

    __tablename__ = "installations"
    __table_args__ = (
        UniqueConstraint("zendesk_subdomain", "zendesk_installation_id"),
        # An id is never given again, also on SQLite: app tokens and cached answers name an
        # installation by id, and must never come to mean a newer tenant.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    state: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    zendesk_subdomain: Mapped[str | None] = mapped_column(String(63))
    zendesk_installation_id: Mapped[int | None] = mapped_column(BigInteger)
    zendesk_app_id: Mapped[int | None] = mapped_column(BigInteger)
    # Where the Zendesk API is (https://{subdomain}.zendesk.com unless a sandbox's URL).
    zendesk_url: Mapped[str | None] = mapped_column(Text)

    def __repr__(self) -> str:
        return f"Installation(id={self.id!r}, name={self.name!r}, state={self.state!r})"


class Credential(Base):
    """One provider's secrets for an installation, encrypted (``plugin.store.crypto``)."""

    __tablename__ = "credentials"
    __table_args__ = (UniqueConstraint("installation_id", "provider"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    installation_id: Mapped[int] = _installation_fk()
    provider: Mapped[str] = mapped_column(String(40))  # "amazon", later "shopify", "ups" …
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)  # a Fernet token
    key_id: Mapped[str] = mapped_column(String(16))  # which configured key encrypted it
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:  # never the ciphertext
        return (
            f"Credential(id={self.id!r}, installation_id={self.installation_id!r}, "
            f"provider={self.provider!r}, key_id={self.key_id!r})"
        )


class RowColumns:
    """Bookkeeping shared by the ingested-row tables.

    ``row_hash`` is a hash of the row's ``key()``; ``occurrence`` numbers the copies of one
    key (1, 2, …); ``copies`` is how many copies the document that supplied the stored ones
    held, and ``document_id`` / ``source_*`` say which document and line that was.
    """

    # sort_order: the key columns first, the data's own columns next, provenance last.
    id: Mapped[int] = mapped_column(BigId, primary_key=True, sort_order=-5)
    row_hash: Mapped[str] = mapped_column(String(32), sort_order=-3)
    occurrence: Mapped[int] = mapped_column(Integer, sort_order=-2)
    copies: Mapped[int] = mapped_column(Integer, sort_order=-1)
    document_id: Mapped[str] = mapped_column(Text, sort_order=1)
    source_file: Mapped[str] = mapped_column(Text, sort_order=1)
    source_line: Mapped[int | None] = mapped_column(Integer, sort_order=1)
    source_path: Mapped[str | None] = mapped_column(Text, sort_order=1)
    ingested_at: Mapped[datetime] = mapped_column(UTCDateTime(), sort_order=1)

    @declared_attr
    def installation_id(cls) -> Mapped[int]:
        return mapped_column(ForeignKey("installations.id", ondelete="CASCADE"), sort_order=-4)


def _row_table_args(table: str, *extra: Any) -> tuple[Any, ...]:
    """The natural key that makes ingesting idempotent, plus any extra indexes."""
    return (
        UniqueConstraint(
            "installation_id", "row_hash", "occurrence", name=f"uq_{table}_natural_key"
        ),
        *extra,
    )


class LedgerRecord(RowColumns, Base):
    """An Inventory Ledger detail row (``LedgerRow``)."""

    __tablename__ = "ledger_rows"
    __table_args__ = _row_table_args(
        "ledger_rows", Index("ix_ledger_rows_installation_event", "installation_id", "event_type")
    )

    date: Mapped[date] = mapped_column(Date)
    fnsku: Mapped[str] = mapped_column(String)
    asin: Mapped[str] = mapped_column(String)
    msku: Mapped[str] = mapped_column(String)
    event_type: Mapped[str] = mapped_column(String)
    reference_id: Mapped[str] = mapped_column(String)
    quantity: Mapped[int] = mapped_column(Integer)
    fulfillment_center: Mapped[str] = mapped_column(String)
    disposition: Mapped[str] = mapped_column(String)
    reason: Mapped[str] = mapped_column(String)
    country: Mapped[str] = mapped_column(String)
    unreconciled_quantity: Mapped[int | None] = mapped_column(Integer)


class ReimbursementRecord(RowColumns, Base):
    """An FBA Reimbursements row (``ReimbursementRow``)."""

    __tablename__ = "reimbursement_rows"
    __table_args__ = _row_table_args(
        "reimbursement_rows",
        Index("ix_reimbursement_rows_installation_case", "installation_id", "case_id"),
    )

    approval_date: Mapped[date] = mapped_column(Date)
    reimbursement_id: Mapped[str] = mapped_column(String)
    case_id: Mapped[str] = mapped_column(String)
    amazon_order_id: Mapped[str] = mapped_column(String)
    reason: Mapped[str] = mapped_column(String)
    sku: Mapped[str] = mapped_column(String)
    fnsku: Mapped[str] = mapped_column(String)
    asin: Mapped[str] = mapped_column(String)
    currency: Mapped[str] = mapped_column(String)
    amount_per_unit: Mapped[Decimal | None] = mapped_column(DecimalText())
    amount_total: Mapped[Decimal | None] = mapped_column(DecimalText())
    quantity_cash: Mapped[int | None] = mapped_column(Integer)
    quantity_inventory: Mapped[int | None] = mapped_column(Integer)
    quantity_total: Mapped[int] = mapped_column(Integer)
    original_reimbursement_id: Mapped[str] = mapped_column(String)
    original_reimbursement_type: Mapped[str] = mapped_column(String)


class ReturnRecord(RowColumns, Base):
    """An FBA Customer Returns row (``ReturnRow``)."""

    __tablename__ = "return_rows"
    __table_args__ = _row_table_args(
        "return_rows", Index("ix_return_rows_installation_order", "installation_id", "order_id")
    )

    return_date: Mapped[date] = mapped_column(Date)
    order_id: Mapped[str] = mapped_column(String)
    sku: Mapped[str] = mapped_column(String)
    asin: Mapped[str] = mapped_column(String)
    fnsku: Mapped[str] = mapped_column(String)
    quantity: Mapped[int] = mapped_column(Integer)
    fulfillment_center: Mapped[str] = mapped_column(String)
    disposition: Mapped[str] = mapped_column(String)
    reason: Mapped[str] = mapped_column(String)
    status: Mapped[str] = mapped_column(String)
    license_plate_number: Mapped[str] = mapped_column(String)


class OrderRowRecord(RowColumns, Base):
    """An All Orders row, one order item (``OrderRow``)."""

    __tablename__ = "order_rows"
    __table_args__ = _row_table_args(
        "order_rows", Index("ix_order_rows_installation_order", "installation_id", "order_id")
    )

    order_id: Mapped[str] = mapped_column(String)
    sku: Mapped[str] = mapped_column(String)
    asin: Mapped[str] = mapped_column(String)
    quantity: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String)
    item_price: Mapped[Decimal | None] = mapped_column(DecimalText())
    item_status: Mapped[str] = mapped_column(String)
    sales_channel: Mapped[str] = mapped_column(String)


class RefundEventRecord(RowColumns, Base):
    """A Finances RefundEventList element (``RefundEvent``); ``items`` as JSON."""

    __tablename__ = "refund_events"
    __table_args__ = _row_table_args(
        "refund_events",
        Index("ix_refund_events_installation_order", "installation_id", "order_id"),
    )

    order_id: Mapped[str] = mapped_column(String)
    marketplace_name: Mapped[str] = mapped_column(String)
    posted_date: Mapped[date] = mapped_column(Date)
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    identity: Mapped[str] = mapped_column(Text)  # the element's canonical JSON


class InboundShipmentRecord(RowColumns, Base):
    """A Fulfillment Inbound ShipmentData element (``InboundShipment``)."""

    __tablename__ = "inbound_shipments"
    __table_args__ = _row_table_args("inbound_shipments")

    shipment_id: Mapped[str] = mapped_column(String)
    status: Mapped[str] = mapped_column(String)
    destination_fc: Mapped[str] = mapped_column(String)
    identity: Mapped[str] = mapped_column(Text)


class InboundItemRecord(RowColumns, Base):
    """A Fulfillment Inbound ItemData element (``InboundItem``)."""

    __tablename__ = "inbound_items"
    __table_args__ = _row_table_args("inbound_items")

    shipment_id: Mapped[str] = mapped_column(String)
    sku: Mapped[str] = mapped_column(String)
    fnsku: Mapped[str] = mapped_column(String)
    quantity_shipped: Mapped[int] = mapped_column(Integer)
    quantity_received: Mapped[int] = mapped_column(Integer)
    identity: Mapped[str] = mapped_column(Text)


class CostRecord(Base):
    """The seller's unit cost of one SKU (``CostRow``): one per SKU, the latest wins."""

    __tablename__ = "costs"
    __table_args__ = (UniqueConstraint("installation_id", "sku"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    installation_id: Mapped[int] = _installation_fk()
    sku: Mapped[str] = mapped_column(String)
    unit_cost: Mapped[Decimal] = mapped_column(DecimalText())
    currency: Mapped[str] = mapped_column(String(3))
    source_file: Mapped[str] = mapped_column(Text)
    source_line: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Order(Base):
    """One marketplace order as the Orders API describes it (the sidebar's timeline)."""

    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("installation_id", "channel", "order_id"),
        Index("ix_orders_installation_buyer_email", "installation_id", "buyer_email"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    installation_id: Mapped[int] = _installation_fk()
    channel: Mapped[str] = mapped_column(String(20))  # "amazon", later "shopify", "tiktok"
    order_id: Mapped[str] = mapped_column(String(64))
    marketplace_id: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str | None] = mapped_column(String(40))
    purchased_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    buyer_email: Mapped[str | None] = mapped_column(String(320))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)  # the order document as received
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ClaimRecord(Base):
    """A claim of the engine (``plugin.domain.claims.Claim``), kept by its stable identity.

    ``content_hash`` covers every field but the identity, so a re-run tells changed claims
    from unchanged ones; ``gone_at`` is set when a run no longer finds the claim (Amazon paid,
    or the data changed) and cleared if it comes back. Cases will be recorded against rows here.
    """

    __tablename__ = "claims"
    __table_args__ = (
        UniqueConstraint(
            "installation_id", "kind", "reference_id", "sku", name="uq_claims_identity"
        ),
        Index("ix_claims_installation_status", "installation_id", "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    installation_id: Mapped[int] = _installation_fk()
    kind: Mapped[str] = mapped_column(String(40))
    reference_id: Mapped[str] = mapped_column(String)
    sku: Mapped[str] = mapped_column(String)
    fnsku: Mapped[str | None] = mapped_column(String)
    asin: Mapped[str | None] = mapped_column(String)
    marketplace: Mapped[str | None] = mapped_column(String(8))
    quantity: Mapped[int] = mapped_column(Integer)
    event_date: Mapped[date | None] = mapped_column(Date)
    opens_on: Mapped[date | None] = mapped_column(Date)
    deadline: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))  # as of the run that saved it
    # Always whole cents (the engine rounds once); exact on SQLite too at these magnitudes.
    estimated_amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    currency: Mapped[str | None] = mapped_column(String(3))
    valuation_basis: Mapped[str | None] = mapped_column(String(40))
    status_reason: Mapped[str | None] = mapped_column(Text)
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    content_hash: Mapped[str] = mapped_column(String(32))
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    gone_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SyncRun(Base):
    """One sync of one source for one installation; ``cursor`` is where a resume starts."""

    __tablename__ = "sync_runs"
    __table_args__ = (
        Index("ix_sync_runs_installation_source", "installation_id", "source", "started_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    installation_id: Mapped[int] = _installation_fk()
    source: Mapped[str] = mapped_column(String(80))  # e.g. "amazon:GET_LEDGER_DETAIL_VIEW_DATA"
    status: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cursor: Mapped[dict[str, Any]] = mapped_column(JSON)
    counts: Mapped[dict[str, Any]] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)

    def __repr__(self) -> str:
        return (
            f"SyncRun(id={self.id!r}, installation_id={self.installation_id!r}, "
            f"source={self.source!r}, status={self.status!r})"
        )


class TicketLink(Base):
    """A Zendesk ticket that mentions an order: how claim notes and dossiers find tickets."""

    __tablename__ = "ticket_links"
    __table_args__ = (
        UniqueConstraint("installation_id", "ticket_id", "channel", "order_id"),
        Index("ix_ticket_links_installation_order", "installation_id", "order_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    installation_id: Mapped[int] = _installation_fk()
    ticket_id: Mapped[int] = mapped_column(BigInteger)
    channel: Mapped[str] = mapped_column(String(20))  # "amazon", "shopify", "tiktok"
    order_id: Mapped[str] = mapped_column(String(64))
    found_in: Mapped[str] = mapped_column(String(20))  # order_field, subject, description, email
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime())


class TrackingSnapshot(Base):
    """What a carrier (or the marketplace) last said about one parcel, and until when to trust it.

    ``expires_at`` depends on the status (long once delivered, minutes while out for delivery);
    past it the sidebar shows the snapshot as stale and a job refreshes it.
    """

    __tablename__ = "tracking_snapshots"
    __table_args__ = (
        UniqueConstraint("installation_id", "carrier", "tracking_number"),
        Index("ix_tracking_snapshots_installation_order", "installation_id", "order_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    installation_id: Mapped[int] = _installation_fk()
    carrier: Mapped[str] = mapped_column(String(20))  # ups, fedex, usps, dhl, amazon, other
    tracking_number: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str | None] = mapped_column(String(20))
    order_id: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(30))  # the normalized status (pending … unknown)
    status_detail: Mapped[str | None] = mapped_column(Text)  # the carrier's own words
    events: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # newest first: time, place, text
    estimated_delivery: Mapped[datetime | None] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    proof: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # proof of delivery, when given
    source: Mapped[str] = mapped_column(String(40))  # who said it: "amazon:orders", "ups" …
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AuditEvent(Base):
    """One action claimdesk or an agent took: append-only (no query updates or deletes it).

    ``actor`` is ``"claimdesk"`` or ``"agent:<zendesk user id>"``; ``proof`` holds what backed
    the action (a tracking snapshot, a report row's file and line …).
    """

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_installation_order", "installation_id", "order_id"),
        Index("ix_audit_events_installation_ticket", "installation_id", "ticket_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    installation_id: Mapped[int] = _installation_fk()
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(40))  # note, tag, reply_insert, case_open …
    ticket_id: Mapped[int | None] = mapped_column(BigInteger)
    order_id: Mapped[str | None] = mapped_column(String(64))
    asin: Mapped[str | None] = mapped_column(String(20))
    sku: Mapped[str | None] = mapped_column(String)
    summary: Mapped[str] = mapped_column(Text)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)
    proof: Mapped[dict[str, Any] | None] = mapped_column(JSON)


# Case states (plugin.services.cases).
CASE_OPEN = "open"
CASE_REIMBURSED = "reimbursed"
CASE_CLOSED = "closed"  # closed without reimbursement, with a reason


class Case(Base):
    """A reimbursement case the seller filed in Seller Central for claims of one SKU and kind.

    At most one case per ``(installation, sku, kind)`` is open at a time: the partial unique
    index holds even when two requests race. ``amazon_case_id`` is the ID Seller Central gave
    (reimbursement rows carry it as ``case-id``); the reimbursed totals are what those rows
    paid, kept by ``plugin.services.cases.settle_cases``.
    """

    __tablename__ = "cases"
    __table_args__ = (
        Index(
            "uq_cases_one_open",
            "installation_id",
            "sku",
            "kind",
            unique=True,
            postgresql_where=text("status = 'open'"),
            sqlite_where=text("status = 'open'"),
        ),
        # One case per Amazon case ID (NULLs, not recorded yet, never collide).
        Index(
            "uq_cases_installation_amazon_case", "installation_id", "amazon_case_id", unique=True
        ),
        # A deleted case's number is never given again (its audit events keep naming it).
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    installation_id: Mapped[int] = _installation_fk()
    kind: Mapped[str] = mapped_column(String(40))
    sku: Mapped[str] = mapped_column(String)
    status: Mapped[str] = mapped_column(String(20))
    amazon_case_id: Mapped[str | None] = mapped_column(String(64))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    opened_by: Mapped[str] = mapped_column(String(100))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    close_reason: Mapped[str | None] = mapped_column(Text)
    reimbursed_amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    currency: Mapped[str | None] = mapped_column(String(3))
    reimbursed_units: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    @property
    def reference(self) -> str:
        """The case's public reference, ``C-000123``."""
        return f"C-{self.id:06d}"


class CaseClaim(Base):
    """One claim filed in a case, with the claim as it stood when the case was opened."""

    __tablename__ = "case_claims"
    __table_args__ = (
        UniqueConstraint("case_id", "claim_id"),
        Index("ix_case_claims_claim", "claim_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    installation_id: Mapped[int] = _installation_fk()
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id", ondelete="CASCADE"))
    quantity: Mapped[int] = mapped_column(Integer)
    estimated_amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    currency: Mapped[str | None] = mapped_column(String(3))
    status_before: Mapped[str] = mapped_column(String(20))


# Write-back states (plugin.services.writeback).
WRITE_PENDING = "pending"  # recorded, not confirmed by Zendesk yet
WRITE_SENT = "sent"  # Zendesk confirmed it (its audit id is kept)
WRITE_FAILED = "failed"  # given up after the retries: needs a person


class Writeback(Base):
    """One write to Zendesk, made at most once: the log behind exactly-once notes and replies.

    ``key`` names the write's meaning (e.g. ``claim-note:{claim identity}:{content hash}:
    {ticket}``); it is unique per installation, so a retry, a restart or a repeated sync finds
    the row and never writes again. A row still ``pending`` after a crash is resolved by
    reading the ticket's audits for the marker the write carries before writing again.
    """

    __tablename__ = "writebacks"
    __table_args__ = (
        UniqueConstraint("installation_id", "key"),
        Index("ix_writebacks_installation_ticket", "installation_id", "ticket_id"),
        Index("ix_writebacks_installation_status", "installation_id", "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    installation_id: Mapped[int] = _installation_fk()
    key: Mapped[str] = mapped_column(String(300))
    ticket_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(30))  # claim_note, case_note, triage, auto_reply …
    status: Mapped[str] = mapped_column(String(20))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)  # what is (or was) sent
    attempts: Mapped[int] = mapped_column(Integer)
    zendesk_audit_id: Mapped[int | None] = mapped_column(BigInteger)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class WebhookDelivery(Base):
    """A webhook call Zendesk made to us: accepted or refused, and why (replays are refused).

    ``digest`` is the SHA-256 of the signature timestamp, Zendesk's invocation id and the raw
    body: a delivery seen once is refused the second time (unique per installation), while two
    genuine deliveries with the same body in the same second stay distinct.
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("installation_id", "digest"),
        Index("ix_webhook_deliveries_received", "received_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # Null when the delivery named no installation we know (it is still logged).
    installation_id: Mapped[int | None] = mapped_column(
        ForeignKey("installations.id", ondelete="CASCADE")
    )
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    digest: Mapped[str] = mapped_column(String(64))
    event: Mapped[str | None] = mapped_column(String(20))
    ticket_id: Mapped[int | None] = mapped_column(BigInteger)
    accepted: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(String(60))  # "accepted", "bad_signature", "stale" …


class TicketTriage(Base):
    """The latest risk decision on a ticket, and its SLA clock (one row per ticket)."""

    __tablename__ = "ticket_triage"
    __table_args__ = (
        UniqueConstraint("installation_id", "ticket_id"),
        Index("ix_ticket_triage_installation_due", "installation_id", "sla_due_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    installation_id: Mapped[int] = _installation_fk()
    ticket_id: Mapped[int] = mapped_column(BigInteger)
    risk: Mapped[str] = mapped_column(String(10))  # high, medium, low, none
    categories: Mapped[list[str]] = mapped_column(JSON)  # a_to_z, chargeback, damaged …
    language: Mapped[str | None] = mapped_column(String(10))
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # rule, matched text, order state
    ticket_created_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sla_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime())
    rules_version: Mapped[str] = mapped_column(String(64))


class ReplyTemplate(Base):
    """An admin's wording for a reply claimdesk writes (``kind``), per language."""

    __tablename__ = "reply_templates"
    __table_args__ = (UniqueConstraint("installation_id", "kind", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    installation_id: Mapped[int] = _installation_fk()
    kind: Mapped[str] = mapped_column(String(40))  # tracking_insert, wismo_auto_reply …
    language: Mapped[str] = mapped_column(String(10))
    body: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class InstallationSetting(Base):
    """One admin setting of an installation (auto replies, SLA targets, triage rules …).

    Values are JSON; the code holds each setting's default, so an absent row means "default".
    """

    __tablename__ = "installation_settings"
    __table_args__ = (UniqueConstraint("installation_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    installation_id: Mapped[int] = _installation_fk()
    name: Mapped[str] = mapped_column(String(80))
    value: Mapped[Any] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
