"""The claims engine (spec §2-3): what Amazon still owes the seller, and until when.

Pure functions over the normalized rows of ``connectors.amazon.models``. The caller merges
duplicate files first (``plugin.domain.inputs.merge_rows``) and passes the clock (``as_of``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

from connectors.amazon.models import (
    CostRow,
    InboundItem,
    InboundShipment,
    LedgerRow,
    OrderRow,
    RefundEvent,
    ReimbursementRow,
    ReturnRow,
    Source,
)
from plugin.domain import valuation
from plugin.domain.marketplaces import currency_of, normalize_marketplace
from plugin.domain.netting import Offset, net_losses
from plugin.domain.policy import (
    DEFAULT_POLICY,
    INBOUND_SHORTAGE,
    RETURN_DAMAGED_BY_AMAZON,
    RETURN_DISPUTED_GRADING,
    RETURN_NOT_RECEIVED,
    WAREHOUSE_DAMAGED,
    WAREHOUSE_LOST,
    PolicyTable,
)

CLAIMABLE = "claimable"
WAITING = "waiting"
EXPIRED = "expired"
REVIEW = "review"


@dataclass(frozen=True)
class ClaimInputs:
    """Everything the engine reads, already merged across files."""

    ledger: Sequence[LedgerRow] = ()
    reimbursements: Sequence[ReimbursementRow] = ()
    returns: Sequence[ReturnRow] = ()
    orders: Sequence[OrderRow] = ()
    refunds: Sequence[RefundEvent] = ()
    shipments: Sequence[InboundShipment] = ()
    items: Sequence[InboundItem] = ()
    costs: Mapping[str, CostRow] = field(default_factory=dict)  # by SKU


@dataclass(frozen=True)
class Claim:
    """One reimbursable finding (or a kind-6 flag), with the rows that prove it."""

    kind: str
    reference_id: str
    sku: str
    fnsku: str | None
    asin: str | None
    marketplace: str | None
    quantity: int
    event_date: date | None
    opens_on: date | None
    deadline: date | None
    status: str
    estimated_amount: Decimal | None
    currency: str | None
    valuation_basis: str | None
    evidence: tuple[Source, ...]
    status_reason: str | None = None

    @property
    def identity(self) -> tuple[str, str, str]:
        """Stable across re-runs on the same or more data: cases are recorded against it."""
        return (self.kind, self.reference_id, self.sku)


def find_claims(
    inputs: ClaimInputs, as_of: date, policy: PolicyTable = DEFAULT_POLICY
) -> list[Claim]:
    """Return every claim and flag in ``inputs`` with its status on ``as_of``.

    Sorted by identity (kind, reference_id, sku), so the output is stable.
    """
    context = _Context(inputs, as_of, policy)
    claims = [
        *_warehouse_claims(context, WAREHOUSE_LOST, {"M", "5"}, {LOST_WAREHOUSE}, found=True),
        *_warehouse_claims(context, WAREHOUSE_DAMAGED, {"E"}, {DAMAGED_WAREHOUSE}, found=False),
        *_order_claims(context),
        *_inbound_claims(context),
        *_grading_flags(context),
    ]
    return sorted(claims, key=lambda claim: claim.identity)


@dataclass(frozen=True)
class OrderNeeds:
    """The only All Orders rows that can change the claims: read these, skip millions."""

    order_ids: frozenset[str]  # orders whose sales channel may give a claim's marketplace
    skus: frozenset[str]  # SKUs whose claims may be valued at the average sale price


def find_order_needs(
    inputs: ClaimInputs, as_of: date, policy: PolicyTable = DEFAULT_POLICY
) -> OrderNeeds:
    """Which orders and SKUs the engine will look up in All Orders for these inputs.

    Inventory claims (kinds 1, 2, 5) are netted first, without orders: only SKUs that still
    have open units, no unit cost and a known marketplace need an average price. Order-based
    claims need the sales channel only when no refund names the marketplace, and flags always.
    """
    context = _Context(replace(inputs, orders=()), as_of, policy)
    inventory = [
        *_warehouse_claims(context, WAREHOUSE_LOST, {"M", "5"}, {LOST_WAREHOUSE}, found=True),
        *_warehouse_claims(context, WAREHOUSE_DAMAGED, {"E"}, {DAMAGED_WAREHOUSE}, found=False),
        *_inbound_claims(context),
    ]
    skus = {
        claim.sku
        for claim in inventory
        if claim.valuation_basis == valuation.UNKNOWN and claim.marketplace is not None
    }
    named: dict[str, str | None] = {}
    for event in sorted(inputs.refunds, key=lambda e: (e.posted_date, _position(e.source))):
        named.setdefault(event.order_id, normalize_marketplace(event.marketplace_name))
    order_ids = {order for order, market in named.items() if market is None}
    for row in inputs.returns:
        if row.disposition in DAMAGED_RETURN and named.get(row.order_id) is None:
            order_ids.add(row.order_id)
        elif row.disposition == "SELLABLE" and row.reason in DISPUTED_REASONS:
            order_ids.add(row.order_id)
    return OrderNeeds(frozenset(order_ids), frozenset(skus))


def status_on(as_of: date, opens_on: date, deadline: date) -> str:
    """``claimable`` inside the window (both ends count), ``waiting`` before, ``expired`` after."""
    if as_of < opens_on:
        return WAITING
    return CLAIMABLE if as_of <= deadline else EXPIRED


# Reimbursement reasons, compared after dropping case and punctuation ("Lost_Warehouse").
LOST_WAREHOUSE = "lostwarehouse"
DAMAGED_WAREHOUSE = "damagedwarehouse"
INBOUND_REASONS = frozenset({"lostinbound", "damagedinbound"})
REVERSAL = "reimbursementreversal"

DAMAGED_RETURN = frozenset({"DAMAGED", "CARRIER_DAMAGED"})
DISPUTED_REASONS = frozenset(
    {
        "DEFECTIVE",
        "DAMAGED_BY_FC",
        "DAMAGED_BY_CARRIER",
        "QUALITY_UNACCEPTABLE",
        "MISSING_PARTS",
        "SWITCHEROO",
    }
)

_LEDGER, _REIMBURSEMENT, _REVERSAL = 0, 1, 2


@functools.lru_cache(maxsize=4096)
def _reason(text: str) -> str:
    """Reimbursement reasons compared without case or punctuation (a handful of values)."""
    return "".join(char for char in text.lower() if char.isalnum())


def _position(source: Source) -> tuple[str, int, str]:
    return (source.file, source.line or 0, source.path or "")


@dataclass
class _Payout:
    """A reimbursement's units after reversals that name it (``original-reimbursement-id``)."""

    row: ReimbursementRow
    units: int


@dataclass(frozen=True)
class _Reversal:
    row: ReimbursementRow
    units: int  # units given back, > 0


class _Context:
    """Indexes shared by the claim kinds, built once per run."""

    def __init__(self, inputs: ClaimInputs, as_of: date, policy: PolicyTable):
        self.inputs = inputs
        self.as_of = as_of
        self.policy = policy
        self.prices = valuation.SalePrices(inputs.orders, _inventory_skus(inputs))
        self.payouts, self.reversals = _apply_reversals(inputs.reimbursements)
        self.catalog = _catalog(inputs)
        self.channels: dict[str, str] = {}
        for order in inputs.orders:
            self.channels.setdefault(order.order_id, order.sales_channel)

    def identify(self, sku: str, fnsku: str = "", asin: str = "") -> tuple[str | None, str | None]:
        known_fnsku, known_asin = self.catalog.get(sku, ("", ""))
        return (fnsku or known_fnsku or None, asin or known_asin or None)

    def window(
        self, kind: str, marketplace: str | None, event_date: date
    ) -> tuple[date, date, str]:
        window = self.policy.window(kind, marketplace, event_date)
        return (
            window.opens_on,
            window.deadline,
            status_on(self.as_of, window.opens_on, window.deadline),
        )

    def value_inventory(
        self, sku: str, quantity: int, marketplace: str | None
    ) -> valuation.Valuation:
        return valuation.value_inventory(
            sku,
            quantity,
            currency_of(marketplace),
            self.inputs.costs,
            self.prices,
            self.policy.unit_value_cap(marketplace),
        )


def _apply_reversals(rows: Sequence[ReimbursementRow]) -> tuple[list[_Payout], list[_Reversal]]:
    """Shrink reimbursements named by a reversal; return the reversals naming none in the data."""
    payouts = [
        _Payout(row, max(row.quantity_total, 0)) for row in rows if _reason(row.reason) != REVERSAL
    ]
    by_id: dict[str, list[_Payout]] = {}
    for payout in payouts:
        by_id.setdefault(payout.row.reimbursement_id, []).append(payout)
    unmatched: list[_Reversal] = []
    reversals = sorted(
        (row for row in rows if _reason(row.reason) == REVERSAL),
        key=lambda row: (row.approval_date, _position(row.source)),
    )
    for row in reversals:
        units = -row.quantity_total  # cash -1 / inventory +1 gives back nothing
        if units <= 0:
            continue
        originals = (
            by_id.get(row.original_reimbursement_id) if row.original_reimbursement_id else None
        )
        if not originals:
            unmatched.append(_Reversal(row, units))
            continue
        # Prefer the original's lines for the same unit when one reimbursement spans several.
        same_unit = [p for p in originals if p.row.fnsku == row.fnsku and p.row.sku == row.sku]
        for payout in same_unit + [p for p in originals if p not in same_unit]:
            taken = min(units, payout.units)
            payout.units -= taken
            units -= taken
    return payouts, unmatched


def _inventory_skus(inputs: ClaimInputs) -> set[str]:
    """SKUs whose claims may be valued at the average sale price (kinds 1, 2 and 5)."""
    skus = {row.msku for row in inputs.ledger if row.event_type == "adjustments"}
    return skus | {item.sku for item in inputs.items}


def shortage_shipments(
    shipments: Iterable[InboundShipment], items: Iterable[InboundItem]
) -> frozenset[str]:
    """CLOSED shipments with a SKU short: the only ones whose ledger Receipts rows matter."""
    closed = {s.shipment_id for s in shipments if s.status == "CLOSED"}
    balance: dict[tuple[str, str], int] = {}
    for item in items:
        if item.shipment_id in closed:
            key = (item.shipment_id, item.sku)
            balance[key] = balance.get(key, 0) + item.quantity_shipped - item.quantity_received
    return frozenset(shipment for (shipment, _), missing in balance.items() if missing > 0)


def _catalog(inputs: ClaimInputs) -> dict[str, tuple[str, str]]:
    """FNSKU and ASIN per SKU, from the first rows that name them."""
    catalog: dict[str, tuple[str, str]] = {}

    def learn(sku: str, fnsku: str, asin: str) -> None:
        if not sku:
            return
        known_fnsku, known_asin = catalog.get(sku, ("", ""))
        catalog[sku] = (known_fnsku or fnsku, known_asin or asin)

    # Only the ledger rows the engine reads: every other row (a Receipts row of a shipment with
    # no shortage, say) may be left out by the reader, and must not change the answer.
    clocks = shortage_shipments(inputs.shipments, inputs.items)
    for row in inputs.ledger:
        if row.event_type == "adjustments" or (
            row.event_type == "receipts" and row.reference_id in clocks
        ):
            learn(row.msku, row.fnsku, row.asin)
    for item in inputs.items:
        learn(item.sku, item.fnsku, "")
    for reimbursement in inputs.reimbursements:
        learn(reimbursement.sku, reimbursement.fnsku, reimbursement.asin)
    for returned in inputs.returns:
        learn(returned.sku, returned.fnsku, returned.asin)
    # All Orders is not a source here: it is read only where it can change a claim.
    return catalog


def _payout_offset(payout: _Payout) -> Offset:
    row = payout.row
    return Offset(
        row.approval_date, (_REIMBURSEMENT, *_position(row.source)), payout.units,
        _reason(row.reason),
    )  # fmt: skip


def _reversal_offset(reversal: _Reversal) -> Offset:
    row = reversal.row
    return Offset(
        row.approval_date, (_REVERSAL, *_position(row.source)), reversal.units,
        _reason(row.original_reimbursement_type), reopen=True,
    )  # fmt: skip


def _reimbursement_offsets(
    context: _Context, reasons: Collection[str], unit: Callable[[ReimbursementRow], str]
) -> dict[str, list[Offset]]:
    """Reimbursements of ``reasons`` and reversals of them, grouped by ``unit`` (FNSKU, SKU)."""
    offsets: dict[str, list[Offset]] = {}
    for payout in context.payouts:
        if payout.units > 0 and _reason(payout.row.reason) in reasons:
            offsets.setdefault(unit(payout.row), []).append(_payout_offset(payout))
    for reversal in context.reversals:
        if _reason(reversal.row.original_reimbursement_type) in reasons:
            offsets.setdefault(unit(reversal.row), []).append(_reversal_offset(reversal))
    return offsets


def _dated_claim(
    context: _Context,
    kind: str,
    reference_id: str,
    sku: str,
    ids: tuple[str | None, str | None],
    marketplace: str | None,
    quantity: int,
    event_date: date,
    value: valuation.Valuation,
    sources: Iterable[Source],
) -> Claim:
    """A money claim dated by its event: the policy table gives its window and status."""
    opens_on, deadline, status = context.window(kind, marketplace, event_date)
    return Claim(
        kind=kind,
        reference_id=reference_id,
        sku=sku,
        fnsku=ids[0],
        asin=ids[1],
        marketplace=marketplace,
        quantity=quantity,
        event_date=event_date,
        opens_on=opens_on,
        deadline=deadline,
        status=status,
        estimated_amount=value.amount,
        currency=value.currency,
        valuation_basis=value.basis,
        evidence=_evidence(sources),
    )


# --- kinds 1 and 2: lost or damaged in a fulfillment centre --------------------------------


def _warehouse_claims(
    context: _Context, kind: str, loss_reasons: set[str], payout_reasons: set[str], *, found: bool
) -> list[Claim]:
    losses: dict[str, list[LedgerRow]] = {}
    offsets: dict[str, list[Offset]] = {}
    for row in context.inputs.ledger:
        if row.event_type != "adjustments":
            continue
        unit = row.fnsku or row.msku
        if row.reason in loss_reasons and row.quantity < 0:
            losses.setdefault(unit, []).append(row)
        elif found and row.reason == "F" and row.quantity > 0:
            offsets.setdefault(unit, []).append(
                Offset(row.date, (_LEDGER, *_position(row.source)), row.quantity, "found")
            )
    for unit, found_units in _reimbursement_offsets(
        context, payout_reasons, lambda row: row.fnsku or row.sku
    ).items():
        offsets.setdefault(unit, []).extend(found_units)

    remaining: dict[tuple[str, str], list[tuple[LedgerRow, int]]] = {}
    for unit, rows in losses.items():
        rows.sort(key=lambda row: (row.date, _position(row.source)))
        still_open = net_losses(
            [row.date for row in rows], [-row.quantity for row in rows], offsets.get(unit, [])
        )
        for row, units in zip(rows, still_open, strict=True):
            if row.unreconciled_quantity is not None:
                # Amazon's own count already nets offsets outside these files.
                units = min(units, abs(row.unreconciled_quantity))
            if units > 0:
                remaining.setdefault((row.reference_id, row.msku), []).append((row, units))

    claims = []
    for (reference_id, sku), group in remaining.items():
        group.sort(key=lambda entry: (entry[0].date, _position(entry[0].source)))
        first = group[0][0]
        quantity = sum(units for _, units in group)
        marketplace = normalize_marketplace(first.country)
        claims.append(
            _dated_claim(
                context,
                kind,
                reference_id,
                sku,
                context.identify(sku, first.fnsku, first.asin),
                marketplace,
                quantity,
                first.date,
                context.value_inventory(sku, quantity, marketplace),
                (row.source for row, _ in group),
            )
        )
    return claims


# --- kinds 3 and 4: refunded but not returned; returned damaged by Amazon --------------------


@dataclass
class _OrderLine:
    """Everything known about one (order, SKU)."""

    refunded: int = 0
    principal: Decimal = Decimal(0)
    currency: str = ""
    refunds: list[RefundEvent] = field(default_factory=list)
    returned: int = 0
    returns: list[ReturnRow] = field(default_factory=list)
    damaged: list[ReturnRow] = field(default_factory=list)
    reimbursed: list[Offset] = field(default_factory=list)
    reimbursement_sources: list[Source] = field(default_factory=list)


def _open_order_lines(inputs: ClaimInputs) -> set[tuple[str, str]]:
    """(order, SKU) pairs that can hold a claim: refunded beyond returns, or returned damaged.

    Most refunded orders were returned in full; counting first keeps the detailed pass to
    the few that matter (a large seller has hundreds of thousands of order lines).
    """
    balance: dict[tuple[str, str], int] = {}
    for event in inputs.refunds:
        for item in event.items:
            key = (event.order_id, item.sku)
            balance[key] = balance.get(key, 0) + item.quantity
    damaged: set[tuple[str, str]] = set()
    for row in inputs.returns:
        key = (row.order_id, row.sku)
        balance[key] = balance.get(key, 0) - row.quantity
        if row.disposition in DAMAGED_RETURN:
            damaged.add(key)
    return damaged | {key for key, units in balance.items() if units > 0}


def _order_lines(context: _Context) -> dict[tuple[str, str], _OrderLine]:
    wanted = _open_order_lines(context.inputs)
    lines: dict[tuple[str, str], _OrderLine] = {}
    events = sorted(
        (e for e in context.inputs.refunds if any((e.order_id, i.sku) in wanted for i in e.items)),
        key=lambda event: (event.posted_date, _position(event.source)),
    )
    for event in events:
        for item in event.items:
            if (event.order_id, item.sku) not in wanted:
                continue
            line = lines.setdefault((event.order_id, item.sku), _OrderLine())
            line.refunded += item.quantity
            line.principal += item.principal
            line.currency = line.currency or item.currency
            if not line.refunds or line.refunds[-1] is not event:
                line.refunds.append(event)
    for returned in context.inputs.returns:
        if (returned.order_id, returned.sku) not in wanted:
            continue
        line = lines.setdefault((returned.order_id, returned.sku), _OrderLine())
        line.returned += returned.quantity
        line.returns.append(returned)
        if returned.disposition in DAMAGED_RETURN:
            line.damaged.append(returned)
    for payout in context.payouts:
        row = payout.row
        if row.amazon_order_id and payout.units > 0 and (row.amazon_order_id, row.sku) in wanted:
            line = lines.setdefault((row.amazon_order_id, row.sku), _OrderLine())
            line.reimbursed.append(_payout_offset(payout))
            line.reimbursement_sources.append(row.source)
    for reversal in context.reversals:
        row = reversal.row
        if row.amazon_order_id and (row.amazon_order_id, row.sku) in wanted:
            line = lines.setdefault((row.amazon_order_id, row.sku), _OrderLine())
            line.reimbursed.append(_reversal_offset(reversal))
            line.reimbursement_sources.append(row.source)
    return lines


def _reimbursed_units(offsets: list[Offset]) -> int:
    """Units reimbursed for an order line, whatever their dates, less what reversals took back."""
    held: dict[str, int] = {}
    for offset in sorted(offsets, key=lambda o: (o.day, o.order)):
        if offset.reopen:
            held[offset.kind] = max(0, held.get(offset.kind, 0) - offset.units)
        else:
            held[offset.kind] = held.get(offset.kind, 0) + offset.units
    return sum(held.values())


def _order_claims(context: _Context) -> list[Claim]:
    claims = []
    for (order_id, sku), line in _order_lines(context).items():
        reimbursed = _reimbursed_units(line.reimbursed)
        not_returned = max(0, line.refunded - line.returned)
        # Reimbursements for the order offset kind 3 first, what is left offsets kind 4.
        unreturned_open = max(0, not_returned - reimbursed)
        left_for_damaged = max(0, reimbursed - not_returned)
        damaged_open = max(0, sum(r.quantity for r in line.damaged) - left_for_damaged)
        refund = line.refunds[0] if line.refunds and line.refunded > 0 else None
        if damaged_open <= 0 and (refund is None or unreturned_open <= 0):
            continue  # most order lines: refunded and returned, or reimbursed
        marketplace = normalize_marketplace(refund.marketplace_name if refund else None)
        if marketplace is None:
            marketplace = normalize_marketplace(context.channels.get(order_id))
        row_ids = [(r.fnsku, r.asin) for r in line.returns if r.fnsku or r.asin]
        fnsku, asin = context.identify(sku, *(row_ids[0] if row_ids else ("", "")))
        refund_sources = [event.source for event in line.refunds]
        if refund is not None and unreturned_open > 0:
            claims.append(
                _order_claim(
                    context,
                    RETURN_NOT_RECEIVED,
                    order_id,
                    sku,
                    fnsku,
                    asin,
                    marketplace,
                    unreturned_open,
                    refund.posted_date,
                    line,
                    [
                        *refund_sources,
                        *(r.source for r in line.returns),
                        *line.reimbursement_sources,
                    ],
                )
            )
        if damaged_open > 0:
            event_date = (
                refund.posted_date
                if refund is not None
                else min(r.return_date for r in line.damaged)
            )
            claims.append(
                _order_claim(
                    context,
                    RETURN_DAMAGED_BY_AMAZON,
                    order_id,
                    sku,
                    fnsku,
                    asin,
                    marketplace,
                    damaged_open,
                    event_date,
                    line if refund is not None else None,
                    [
                        *(r.source for r in line.damaged),
                        *refund_sources,
                        *line.reimbursement_sources,
                    ],
                )
            )
    return claims


def _order_claim(
    context: _Context,
    kind: str,
    order_id: str,
    sku: str,
    fnsku: str | None,
    asin: str | None,
    marketplace: str | None,
    quantity: int,
    event_date: date,
    refunded: _OrderLine | None,
    sources: list[Source],
) -> Claim:
    value = valuation.NO_VALUE
    if refunded is not None:
        value = valuation.value_refund(
            quantity,
            refunded.principal,
            refunded.refunded,
            refunded.currency,
            context.policy.unit_value_cap(marketplace),
        )
    return _dated_claim(
        context, kind, order_id, sku, (fnsku, asin), marketplace, quantity, event_date, value,
        sources,
    )  # fmt: skip


# --- kind 5: shipped to Amazon, never received -------------------------------------------


def _inbound_claims(context: _Context) -> list[Claim]:
    closed = {s.shipment_id for s in context.inputs.shipments if s.status == "CLOSED"}
    shortages: dict[tuple[str, str], list[InboundItem]] = {}
    for item in context.inputs.items:
        if item.shipment_id in closed:
            shortages.setdefault((item.shipment_id, item.sku), []).append(item)
    clocks: dict[str, LedgerRow] = {}  # shipment -> its last Receipts row
    for row in context.inputs.ledger:
        if row.event_type == "receipts" and row.reference_id in closed:
            known = clocks.get(row.reference_id)
            if known is None or (row.date, _position(row.source)) > (
                known.date,
                _position(known.source),
            ):
                clocks[row.reference_id] = row

    by_sku: dict[str, list[tuple[str, int, list[InboundItem]]]] = {}
    for (shipment_id, sku), items in shortages.items():
        missing = sum(i.quantity_shipped for i in items) - sum(i.quantity_received for i in items)
        if missing > 0:
            by_sku.setdefault(sku, []).append((shipment_id, missing, items))

    offsets = _reimbursement_offsets(context, INBOUND_REASONS, lambda row: row.sku)

    claims = []
    for sku, entries in by_sku.items():
        # Oldest dated shortage first; undated ones last (they take what no dated one can).
        entries.sort(
            key=lambda e: (
                e[0] not in clocks,
                clocks[e[0]].date if e[0] in clocks else date.min,
                e[0],
            )
        )
        days = [clocks[e[0]].date if e[0] in clocks else None for e in entries]
        still_open = net_losses(days, [e[1] for e in entries], offsets.get(sku, []))
        for (shipment_id, _, items), units in zip(entries, still_open, strict=True):
            if units > 0:
                claims.append(
                    _inbound_claim(context, shipment_id, sku, units, items, clocks.get(shipment_id))
                )
    return claims


def _inbound_claim(
    context: _Context,
    shipment_id: str,
    sku: str,
    quantity: int,
    items: list[InboundItem],
    clock: LedgerRow | None,
) -> Claim:
    fnsku, asin = context.identify(sku, next((i.fnsku for i in items if i.fnsku), ""))
    sources = [item.source for item in items]
    if clock is None:
        value = context.value_inventory(sku, quantity, None)
        return Claim(
            kind=INBOUND_SHORTAGE,
            reference_id=shipment_id,
            sku=sku,
            fnsku=fnsku,
            asin=asin,
            marketplace=None,
            quantity=quantity,
            event_date=None,
            opens_on=None,
            deadline=None,
            status=WAITING,
            estimated_amount=value.amount,
            currency=value.currency,
            valuation_basis=value.basis,
            evidence=_evidence(sources),
            status_reason=(
                f"no ledger Receipts row names shipment {shipment_id}, so the "
                "claim window cannot be dated yet"
            ),
        )
    marketplace = normalize_marketplace(clock.country)
    return _dated_claim(
        context,
        INBOUND_SHORTAGE,
        shipment_id,
        sku,
        (fnsku, asin),
        marketplace,
        quantity,
        clock.date,
        context.value_inventory(sku, quantity, marketplace),
        [*sources, clock.source],
    )


# --- kind 6: graded sellable although the customer said it was damaged ---------------------


def _grading_flags(context: _Context) -> list[Claim]:
    flagged: dict[tuple[str, str], list[ReturnRow]] = {}
    for row in context.inputs.returns:
        if row.disposition == "SELLABLE" and row.reason in DISPUTED_REASONS:
            flagged.setdefault((row.order_id, row.sku), []).append(row)
    flags = []
    for (order_id, sku), rows in flagged.items():
        rows.sort(key=lambda row: (row.return_date, _position(row.source)))
        fnsku, asin = context.identify(sku, rows[0].fnsku, rows[0].asin)
        flags.append(
            Claim(
                kind=RETURN_DISPUTED_GRADING,
                reference_id=order_id,
                sku=sku,
                fnsku=fnsku,
                asin=asin,
                marketplace=normalize_marketplace(context.channels.get(order_id)),
                quantity=sum(row.quantity for row in rows),
                event_date=rows[0].return_date,
                opens_on=None,
                deadline=None,
                status=REVIEW,
                estimated_amount=None,
                currency=None,
                valuation_basis=None,
                evidence=_evidence(row.source for row in rows),
            )
        )
    return flags


def _evidence(sources: Iterable[Source]) -> tuple[Source, ...]:
    """Distinct sources in file order."""
    return tuple(sorted(set(sources), key=_position))
