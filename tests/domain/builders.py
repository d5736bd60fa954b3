"""Small row factories so the domain tests read like tables.

Every factory fills the columns a test does not care about with fixed, boring values and gives
each row its own source line (or JSON path) unless the test names one.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from connectors.amazon.models import (
    CostRow,
    InboundItem,
    InboundShipment,
    LedgerRow,
    OrderRow,
    RefundEvent,
    RefundItem,
    ReimbursementRow,
    ReturnRow,
    Source,
)
from plugin.domain.claims import Claim, ClaimInputs, find_claims
from plugin.domain.policy import DEFAULT_POLICY, PolicyTable

SKU = "MUG-BLUE-12"
FNSKU = "X00AB12CD3"
ASIN = "B0CDEF1234"
OTHER_SKU = "MUG-RED-12"
OTHER_FNSKU = "X00ZZ99ZZ9"

_lines = itertools.count(2)  # line 1 of every file is its header
_ids = itertools.count(1)


def d(value: str | date) -> date:
    """``"2026-01-05"`` -> ``date(2026, 1, 5)``."""
    return value if isinstance(value, date) else date.fromisoformat(value)


def _line(line: int | None) -> int:
    return next(_lines) if line is None else line


def ledger(
    day: str,
    qty: int,
    reason: str,
    *,
    ref: str = "R1",
    fnsku: str = FNSKU,
    msku: str = SKU,
    asin: str = ASIN,
    event: str = "adjustments",
    fc: str = "PHX7",
    disposition: str = "SELLABLE",
    country: str = "US",
    unreconciled: int | None = None,
    line: int | None = None,
) -> LedgerRow:
    return LedgerRow(
        date=d(day),
        fnsku=fnsku,
        asin=asin,
        msku=msku,
        event_type=event,
        reference_id=ref,
        quantity=qty,
        fulfillment_center=fc,
        disposition=disposition,
        reason=reason,
        country=country,
        unreconciled_quantity=unreconciled,
        source=Source(file="ledger.tsv", line=_line(line)),
    )


def lost(day: str, units: int = 1, *, ref: str = "R1", reason: str = "M", **kw: Any) -> LedgerRow:
    """A misplaced (``M``) adjustment of ``units`` units (the row's quantity is negative)."""
    return ledger(day, -units, reason, ref=ref, **kw)


def damaged(day: str, units: int = 1, *, ref: str = "R1", **kw: Any) -> LedgerRow:
    """A sellable unit damaged in the FC (``E``)."""
    return ledger(day, -units, "E", ref=ref, **kw)


def found(day: str, units: int = 1, *, ref: str = "F1", **kw: Any) -> LedgerRow:
    """An ``Inventory found`` (``F``) adjustment."""
    return ledger(day, units, "F", ref=ref, **kw)


def receipt(
    day: str,
    shipment_id: str,
    units: int = 1,
    *,
    msku: str = SKU,
    country: str = "US",
    line: int | None = None,
) -> LedgerRow:
    """A ``Receipts`` ledger row of an inbound shipment (Reference ID = shipment ID)."""
    return ledger(
        day, units, "", ref=shipment_id, msku=msku, event="receipts", country=country, line=line
    )


def reimb(
    day: str,
    reason: str,
    qty: int,
    *,
    sku: str = SKU,
    fnsku: str = FNSKU,
    order: str = "",
    rid: str | None = None,
    cash: int | None = None,
    inventory: int | None = None,
    orig_id: str = "",
    orig_type: str = "",
    currency: str = "USD",
    line: int | None = None,
) -> ReimbursementRow:
    """A reimbursements row; ``qty`` is ``quantity-reimbursed-total``."""
    return ReimbursementRow(
        approval_date=d(day),
        reimbursement_id=rid or f"RB{next(_ids)}",
        case_id="",
        amazon_order_id=order,
        reason=reason,
        sku=sku,
        fnsku=fnsku,
        asin=ASIN,
        currency=currency,
        amount_per_unit=None,
        amount_total=None,
        quantity_cash=qty if cash is None and inventory is None else cash,
        quantity_inventory=0 if cash is None and inventory is None else inventory,
        quantity_total=qty,
        original_reimbursement_id=orig_id,
        original_reimbursement_type=orig_type,
        source=Source(file="reimbursements.tsv", line=_line(line)),
    )


def reversal(
    day: str,
    total: int,
    orig_type: str,
    *,
    orig_id: str = "",
    cash: int | None = None,
    inventory: int | None = None,
    **kw: Any,
) -> ReimbursementRow:
    """A ``Reimbursement_Reversal`` row; ``total`` is its (negative) quantity-reimbursed-total."""
    return reimb(
        day,
        "Reimbursement_Reversal",
        total,
        orig_id=orig_id,
        orig_type=orig_type,
        cash=cash,
        inventory=inventory,
        **kw,
    )


def ret(
    day: str,
    order: str,
    disposition: str = "SELLABLE",
    *,
    qty: int = 1,
    sku: str = SKU,
    reason: str = "UNWANTED_ITEM",
    status: str = "Unit returned to inventory",
    fnsku: str = FNSKU,
    asin: str = ASIN,
    line: int | None = None,
) -> ReturnRow:
    """A customer return row."""
    n = _line(line)
    return ReturnRow(
        return_date=d(day),
        order_id=order,
        sku=sku,
        asin=asin,
        fnsku=fnsku,
        quantity=qty,
        fulfillment_center="PHX7",
        disposition=disposition,
        reason=reason,
        status=status,
        license_plate_number=f"LPN{n:08d}",
        source=Source(file="returns.tsv", line=n),
    )


def order(
    order_id: str,
    qty: int,
    price: str | None,
    *,
    sku: str = SKU,
    currency: str = "USD",
    status: str = "Shipped",
    channel: str = "Amazon.com",
    line: int | None = None,
) -> OrderRow:
    """An All Orders row; ``price`` is the row's item-price (the line total), or None if empty."""
    return OrderRow(
        order_id=order_id,
        sku=sku,
        asin=ASIN,
        quantity=qty,
        currency=currency,
        item_price=None if price is None else Decimal(price),
        item_status=status,
        sales_channel=channel,
        source=Source(file="orders.tsv", line=_line(line)),
    )


def item(qty: int, principal: str, *, sku: str = SKU, currency: str = "USD") -> RefundItem:
    """One ShipmentItemAdjustmentList entry: QuantityShipped and its signed Principal sum."""
    return RefundItem(sku=sku, quantity=qty, principal=Decimal(principal), currency=currency)


def refund(
    order_id: str, posted: str, *items: RefundItem, marketplace: str = "Amazon.com"
) -> RefundEvent:
    """A RefundEventList element (``posted`` is already the UTC date of PostedDate)."""
    n = next(_ids)
    return RefundEvent(
        order_id=order_id,
        marketplace_name=marketplace,
        posted_date=d(posted),
        items=tuple(items),
        identity=f"refund-{n}",
        source=Source(file="finances.json", path=f"$.payload.FinancialEvents.RefundEventList[{n}]"),
    )


def shipment(shipment_id: str, status: str = "CLOSED") -> InboundShipment:
    n = next(_ids)
    return InboundShipment(
        shipment_id=shipment_id,
        status=status,
        destination_fc="PHX7",
        identity=f"shipment-{n}",
        source=Source(file="shipments.json", path=f"$.payload.ShipmentData[{n}]"),
    )


def inbound(
    shipment_id: str, shipped: int, received: int, *, sku: str = SKU, fnsku: str = FNSKU
) -> InboundItem:
    n = next(_ids)
    return InboundItem(
        shipment_id=shipment_id,
        sku=sku,
        fnsku=fnsku,
        quantity_shipped=shipped,
        quantity_received=received,
        identity=f"item-{n}",
        source=Source(file=f"items-{shipment_id}.json", path=f"$.payload.ItemData[{n}]"),
    )


def costs(*rows: tuple[str, str, str]) -> dict[str, CostRow]:
    """``costs((SKU, "4.45", "USD"))`` -> the ``ClaimInputs.costs`` mapping."""
    return {
        sku: CostRow(
            sku=sku,
            unit_cost=Decimal(cost),
            currency=currency,
            source=Source(file="costs.csv", line=number),
        )
        for number, (sku, cost, currency) in enumerate(rows, start=2)
    }


def run(
    as_of: str,
    *,
    ledger: Iterable[LedgerRow] = (),
    reimbursements: Iterable[ReimbursementRow] = (),
    returns: Iterable[ReturnRow] = (),
    orders: Iterable[OrderRow] = (),
    refunds: Iterable[RefundEvent] = (),
    shipments: Iterable[InboundShipment] = (),
    items: Iterable[InboundItem] = (),
    costs: dict[str, CostRow] | None = None,
    policy: PolicyTable = DEFAULT_POLICY,
) -> list[Claim]:
    """Call the engine with a fixed clock."""
    inputs = ClaimInputs(
        ledger=tuple(ledger),
        reimbursements=tuple(reimbursements),
        returns=tuple(returns),
        orders=tuple(orders),
        refunds=tuple(refunds),
        shipments=tuple(shipments),
        items=tuple(items),
        costs=costs or {},
    )
    return find_claims(inputs, d(as_of), policy)


def of_kind(claims: Iterable[Claim], kind: str) -> list[Claim]:
    return [claim for claim in claims if claim.kind == kind]


def one(claims: Iterable[Claim], kind: str | None = None) -> Claim:
    """The only claim (of ``kind``, when given); fails the test otherwise."""
    found_ = [c for c in claims if kind is None or c.kind == kind]
    assert len(found_) == 1, f"expected exactly one {kind or 'claim'}, got {found_!r}"
    return found_[0]


def units(claims: Iterable[Claim], kind: str) -> dict[str, int]:
    """``{reference_id: quantity}`` of the claims of ``kind`` (fails on a duplicate reference)."""
    result: dict[str, int] = {}
    for claim in claims:
        if claim.kind == kind:
            assert claim.reference_id not in result, f"two {kind} claims for {claim!r}"
            result[claim.reference_id] = claim.quantity
    return result


def money(claim: Claim) -> tuple[str | None, str | None, str | None]:
    """``("17.80", "USD", "manufacturing_cost")``; the amount as written (two places)."""
    amount = claim.estimated_amount
    if amount is not None:
        assert isinstance(amount, Decimal), f"amount is {type(amount).__name__}, not Decimal"
    return (None if amount is None else str(amount), claim.currency, claim.valuation_basis)


def window(claim: Claim) -> tuple[date | None, date | None, date | None, str]:
    """``(event_date, opens_on, deadline, status)``."""
    return (claim.event_date, claim.opens_on, claim.deadline, claim.status)
