"""The rows the generator writes, before any layout spells them.

Named tuples, not dataclasses: the background makes millions of them and tuples are the
cheapest to build. Money is integer cents; dates are ``date`` plus seconds after midnight.
"""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

from plugin.generator.catalog import Market, Product


class LedgerEntry(NamedTuple):
    """One Inventory Ledger detail row."""

    day: date
    product: Product
    event_type: str
    reference_id: str
    quantity: int  # signed: Shipments negative, Receipts positive
    fc: str
    disposition: str
    reason: str
    country: str
    reconciled: str = ""
    unreconciled: str = ""


class OrderLine(NamedTuple):
    """One All Orders row (one order item)."""

    order_id: str
    purchased: date
    seconds: int
    order_status: str
    item_status: str
    market: Market
    product: Product
    quantity: int
    price_cents: int | None  # the line total, empty when None
    tax_cents: int | None
    service: str
    address: tuple[str, str, str]
    business: bool
    discount_cents: int = 0  # item-promotion-discount


class ReturnLine(NamedTuple):
    """One FBA Customer Returns row."""

    day: date
    seconds: int
    order_id: str
    product: Product
    quantity: int
    fc: str
    disposition: str
    reason: str
    status: str
    lpn: str
    comment: str
    legacy: bool  # csv layout: written to the small cp1252 export instead


class Charge(NamedTuple):
    """A charge or fee adjustment of a refund item (signed cents)."""

    kind: str
    cents: int


class RefundItem(NamedTuple):
    product: Product
    item_id: str
    quantity: int
    charges: tuple[Charge, ...]
    fees: tuple[Charge, ...]


class Refund(NamedTuple):
    """One Finances v0 RefundEvent."""

    order_id: str
    marketplace_name: str | None  # None: the key is left out of the JSON
    day: date
    seconds: int  # UTC
    currency: str
    items: tuple[RefundItem, ...]


class Reimbursement(NamedTuple):
    """One FBA Reimbursements row; a reversal has negative quantities."""

    day: date
    seconds: int
    reimbursement_id: str
    case_id: str
    order_id: str
    reason: str
    product: Product
    currency: str
    per_unit_cents: int
    cash: int
    inventory: int
    original_id: str = ""
    original_type: str = ""

    @property
    def total(self) -> int:
        return self.cash + self.inventory


class ShipmentItem(NamedTuple):
    product: Product
    shipped: int
    received: int
    in_case: int


class Shipment(NamedTuple):
    """An inbound shipment as getShipments and getShipmentItemsByShipmentId describe it."""

    shipment_id: str
    name: str
    market: Market
    fc: str
    status: str
    created: date
    items: tuple[ShipmentItem, ...]
