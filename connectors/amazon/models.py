"""Normalized rows of the Amazon reports and API documents the claims engine reads.

Every row keeps its ``source`` (file and line, or JSON path) so a claim can cite it.
``key()`` returns the values the engine reads: two rows with equal keys are the same
row when several files of one kind are merged (spec §1).

Rows are plain slotted dataclasses, not frozen ones: a reader builds millions of them and
a frozen dataclass costs ten times as much to construct. Treat them as read-only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import NamedTuple


class ReportKind(StrEnum):
    """The shapes the input reader recognises (spec §1)."""

    LEDGER = "ledger"
    REIMBURSEMENTS = "reimbursements"
    RETURNS = "returns"
    ORDERS = "orders"
    FINANCES = "finances"
    INBOUND_SHIPMENTS = "inbound_shipments"
    INBOUND_ITEMS = "inbound_items"
    COSTS = "costs"

    @property
    def is_amazon(self) -> bool:
        """Costs are the seller's own file; every other kind comes from Amazon."""
        return self is not ReportKind.COSTS


class Source(NamedTuple):
    """Where a row came from: a file and 1-based line, or a file and JSON path."""

    file: str
    line: int | None = None
    path: str | None = None


@dataclass(slots=True)
class LedgerRow:
    """One Inventory Ledger detail row (GET_LEDGER_DETAIL_VIEW_DATA)."""

    date: date
    fnsku: str
    asin: str
    msku: str
    event_type: str  # canonical: "adjustments", "receipts", "shipments", ...
    reference_id: str
    quantity: int
    fulfillment_center: str
    disposition: str
    reason: str  # a ledger reason code ("M", "E", ...) or the raw text when unknown
    country: str
    unreconciled_quantity: int | None
    source: Source

    def key(self) -> tuple[object, ...]:
        return (
            self.date,
            self.fnsku,
            self.asin,
            self.msku,
            self.event_type,
            self.reference_id,
            self.quantity,
            self.fulfillment_center,
            self.disposition,
            self.reason,
            self.country,
            self.unreconciled_quantity,
        )


@dataclass(slots=True)
class ReimbursementRow:
    """One FBA Reimbursements row (GET_FBA_REIMBURSEMENTS_DATA)."""

    approval_date: date
    reimbursement_id: str
    case_id: str
    amazon_order_id: str
    reason: str
    sku: str
    fnsku: str
    asin: str
    currency: str
    amount_per_unit: Decimal | None
    amount_total: Decimal | None
    quantity_cash: int | None
    quantity_inventory: int | None
    quantity_total: int
    original_reimbursement_id: str
    original_reimbursement_type: str
    source: Source

    def key(self) -> tuple[object, ...]:
        return (
            self.approval_date,
            self.reimbursement_id,
            self.case_id,
            self.amazon_order_id,
            self.reason,
            self.sku,
            self.fnsku,
            self.asin,
            self.currency,
            self.amount_per_unit,
            self.amount_total,
            self.quantity_cash,
            self.quantity_inventory,
            self.quantity_total,
            self.original_reimbursement_id,
            self.original_reimbursement_type,
        )


@dataclass(slots=True)
class ReturnRow:
    """One FBA Customer Returns row (GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA)."""

    return_date: date
    order_id: str
    sku: str
    asin: str
    fnsku: str
    quantity: int
    fulfillment_center: str
    disposition: str  # detailed-disposition, upper case: "SELLABLE", "DAMAGED", ...
    reason: str  # the customer's reason code, upper case
    status: str
    license_plate_number: str
    source: Source

    def key(self) -> tuple[object, ...]:
        return (
            self.return_date,
            self.order_id,
            self.sku,
            self.asin,
            self.fnsku,
            self.quantity,
            self.fulfillment_center,
            self.disposition,
            self.reason,
            self.status,
            self.license_plate_number,
        )


@dataclass(slots=True)
class OrderRow:
    """One All Orders flat-file row (one order item)."""

    order_id: str
    sku: str
    asin: str
    quantity: int
    currency: str
    item_price: Decimal | None
    item_status: str
    sales_channel: str
    source: Source

    def key(self) -> tuple[object, ...]:
        return (
            self.order_id,
            self.sku,
            self.asin,
            self.quantity,
            self.currency,
            self.item_price,
            self.item_status,
            self.sales_channel,
        )


@dataclass(frozen=True, slots=True)
class RefundItem:
    """One ShipmentItemAdjustmentList entry of a refund event."""

    sku: str
    quantity: int
    principal: Decimal  # signed sum of the entry's ChargeType "Principal" amounts
    currency: str


@dataclass(slots=True)
class RefundEvent:
    """One Finances v0 RefundEventList element."""

    order_id: str
    marketplace_name: str
    posted_date: date  # UTC date of PostedDate
    items: tuple[RefundItem, ...]
    # Canonical JSON of the whole element: equal elements are the same event. A reader may
    # leave it None and fill it only where two files could hold the same event (it is costly).
    identity: str | None
    source: Source

    def key(self) -> tuple[object, ...]:
        return (self.identity,)

    def rough_key(self) -> tuple[object, ...]:
        """What the engine reads; equal elements always have equal rough keys."""
        return (self.order_id, self.marketplace_name, self.posted_date, self.items)


@dataclass(slots=True)
class InboundShipment:
    """One Fulfillment Inbound v0 ShipmentData element."""

    shipment_id: str
    status: str
    destination_fc: str
    identity: str
    source: Source

    def key(self) -> tuple[object, ...]:
        return (self.identity,)


@dataclass(slots=True)
class InboundItem:
    """One Fulfillment Inbound v0 ItemData element."""

    shipment_id: str
    sku: str
    fnsku: str
    quantity_shipped: int
    quantity_received: int
    identity: str
    source: Source

    def key(self) -> tuple[object, ...]:
        return (self.identity,)


@dataclass(slots=True)
class CostRow:
    """One row of the seller's unit costs (sku, unit_cost, currency)."""

    sku: str
    unit_cost: Decimal
    currency: str
    source: Source

    def key(self) -> tuple[object, ...]:
        return (self.sku, self.unit_cost, self.currency)
