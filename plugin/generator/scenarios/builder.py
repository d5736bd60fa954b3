"""Building blocks of the planted scenarios: rows dated back from ``as_of``, and what to expect.

A scenario states its expected claims by hand (quantity, reference, dates), from its own
design; nothing here nets or offsets anything. Valuation and windows are applied afterwards by
``plugin.generator.planted`` from the spec's formulas.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from plugin.generator.catalog import MARKETS, Catalog, Market, Product
from plugin.generator.identifiers import PLANTED_START, Identifiers
from plugin.generator.records import (
    Charge,
    LedgerEntry,
    OrderLine,
    Refund,
    RefundItem,
    Reimbursement,
    ReturnLine,
    Shipment,
    ShipmentItem,
)
from plugin.generator.valuation import marketplace_code

# The ledger's reconciled/unreconciled columns: "full" writes the row's own quantity.
FULL = "full"


@dataclass(frozen=True)
class RefundValue:
    """What a refunded (order, SKU) is worth: spec §3 for kinds 3 and 4."""

    principal_cents: int  # absolute sum of the Principal charges
    units: int  # refunded units
    currency: str


@dataclass(frozen=True)
class Expectation:
    """One claim a scenario plants, before windows and valuation are applied."""

    kind: str
    reference_id: str
    product: Product
    marketplace: str | None
    quantity: int
    event_date: date | None
    refund: RefundValue | None = None
    status_reason: str | None = None


@dataclass
class Scenario:
    name: str
    kind: str
    tests: str
    expectations: list[Expectation] = field(default_factory=list)

    def expect(self, expectation: Expectation) -> None:
        self.expectations.append(expectation)


@dataclass
class Plan:
    """Everything the scenarios plant, as rows not yet spelled by a layout."""

    as_of: date
    ledger: list[LedgerEntry] = field(default_factory=list)
    orders: list[OrderLine] = field(default_factory=list)
    returns: list[ReturnLine] = field(default_factory=list)
    refunds: list[Refund] = field(default_factory=list)
    reimbursements: list[Reimbursement] = field(default_factory=list)
    shipments: list[Shipment] = field(default_factory=list)
    scenarios: list[Scenario] = field(default_factory=list)

    @property
    def first_day(self) -> date:
        days = [row.day for row in self.ledger] + [line.purchased for line in self.orders]
        return min(days, default=self.as_of - timedelta(days=1))

    @property
    def expectations(self) -> list[Expectation]:
        return [e for scenario in self.scenarios for e in scenario.expectations]


class PlanBuilder:
    """Adds rows to a plan, dated in days before ``as_of``."""

    def __init__(self, catalog: Catalog, as_of: date, rng: random.Random) -> None:
        self.catalog = catalog
        self.as_of = as_of
        self.rng = rng
        self.ids = Identifiers(PLANTED_START, rng)
        self.plan = Plan(as_of)
        self._next_seller: dict[str, int] = {}

    # -- dates and products -------------------------------------------------------------

    def ago(self, days: int) -> date:
        return self.as_of - timedelta(days=days)

    def role(self, name: str) -> Product:
        return self.catalog.role(name)

    def seller(self, market: str) -> Product:
        """The next product sold in ``market``, round robin (order scenarios share freely)."""
        sellers = self.catalog.sellers[market]
        index = self._next_seller.get(market, 0)
        self._next_seller[market] = index + 1
        return sellers[index % len(sellers)]

    def scenario(self, name: str, kind: str, tests: str) -> Scenario:
        scenario = Scenario(name, kind, tests)
        self.plan.scenarios.append(scenario)
        return scenario

    # -- ledger -------------------------------------------------------------------------

    def ledger(
        self,
        product: Product,
        when: int | date,
        event_type: str,
        quantity: int,
        *,
        reason: str = "",
        market: str = "US",
        fc: str | None = None,
        country: str | None = None,
        disposition: str = "SELLABLE",
        reference: str | None = None,
        reconciled: str = "",
        unreconciled: str = "",
    ) -> LedgerEntry:
        where = MARKETS[market]
        day = when if isinstance(when, date) else self.ago(when)
        entry = LedgerEntry(
            day=day,
            product=product,
            event_type=event_type,
            reference_id=reference or self.ids.adjustment_id(),
            quantity=quantity,
            fc=fc or where.fcs[0],
            disposition=disposition,
            reason=reason,
            country=country or where.countries[0],
            reconciled=str(quantity) if reconciled == FULL else reconciled,
            unreconciled=str(quantity) if unreconciled == FULL else unreconciled,
        )
        self.plan.ledger.append(entry)
        return entry

    def adjust(
        self,
        product: Product,
        when: int | date,
        quantity: int,
        reason: str,
        **options: str,
    ) -> LedgerEntry:
        """An ``Adjustments`` row; options as for ``ledger``."""
        return self.ledger(product, when, "Adjustments", quantity, reason=reason, **options)

    def damage(
        self, product: Product, when: int | date, quantity: int, **options: str
    ) -> LedgerEntry:
        """``E`` (a sellable unit damaged in the FC) and the ``P`` that follows it."""
        row = self.adjust(product, when, quantity, "E", **options)
        where = {k: v for k, v in options.items() if k in ("market", "fc", "country")}
        self.adjust(product, when, -quantity, "P", disposition="WAREHOUSE_DAMAGED",
                    reference=row.reference_id, **where)  # fmt: skip
        return row

    def duplicate(self, entry: LedgerEntry) -> None:
        """The same line once more in the same download."""
        self.plan.ledger.append(entry)

    def expect_row(
        self, scenario: Scenario, kind: str, entry: LedgerEntry, quantity: int
    ) -> Expectation:
        """Expect a claim for a ledger loss row (kinds 1 and 2): its Country, its date."""
        expectation = Expectation(
            kind, entry.reference_id, entry.product, marketplace_code(entry.country),
            quantity, entry.day,
        )  # fmt: skip
        scenario.expect(expectation)
        return expectation

    # -- reimbursements -----------------------------------------------------------------

    def reimburse(
        self,
        product: Product,
        days_ago: int,
        reason: str,
        cash: int,
        inventory: int = 0,
        *,
        order_id: str = "",
        market: str = "US",
        case: bool = False,
    ) -> Reimbursement:
        where = MARKETS[market]
        unit = product.prices[market] * 55 // 100
        row = Reimbursement(
            day=self.ago(days_ago),
            seconds=25_200 + self.rng.randrange(3_600),
            reimbursement_id=self.ids.reimbursement_id(),
            case_id=self.ids.case_id() if case else "",
            order_id=order_id,
            reason=reason,
            product=product,
            currency=where.currency,
            per_unit_cents=unit,
            cash=cash,
            inventory=inventory,
        )
        self.plan.reimbursements.append(row)
        return row

    def reverse(
        self,
        original: Reimbursement | None,
        product: Product,
        days_ago: int,
        *,
        original_type: str,
        cash: int,
        inventory: int = 0,
        order_id: str = "",
        market: str = "US",
    ) -> Reimbursement:
        """A ``Reimbursement_Reversal``; ``original`` None names an ID that is in no file."""
        where = MARKETS[market]
        original_id = original.reimbursement_id if original else self.ids.reimbursement_id()
        unit = original.per_unit_cents if original else product.prices[market] * 55 // 100
        row = Reimbursement(
            day=self.ago(days_ago),
            seconds=25_200 + self.rng.randrange(3_600),
            reimbursement_id=self.ids.reimbursement_id(),
            case_id="",
            order_id=order_id,
            reason="Reimbursement_Reversal",
            product=product,
            currency=where.currency,
            per_unit_cents=unit,
            cash=cash,
            inventory=inventory,
            original_id=original_id,
            original_type=original_type,
        )
        self.plan.reimbursements.append(row)
        return row

    # -- orders, refunds, returns -------------------------------------------------------

    def order(
        self,
        product: Product,
        market: str,
        days_ago: int,
        quantity: int = 1,
        *,
        unit_cents: int | None = None,
        discount_cents: int = 0,
        order_id: str | None = None,
        status: str = "Shipped",
        item_status: str | None = None,
        price_cents: int | None = -1,
    ) -> OrderLine:
        """An All Orders row; a shipped one also leaves a ``Shipments`` ledger row."""
        where = MARKETS[market]
        unit = product.prices[market] if unit_cents is None else unit_cents
        line_cents = unit * quantity if price_cents == -1 else price_cents
        line = OrderLine(
            order_id=order_id or self.ids.order_id(where),
            purchased=self.ago(days_ago),
            seconds=self.rng.randrange(86_400),
            order_status=status,
            item_status=item_status or status,
            market=where,
            product=product,
            quantity=quantity,
            price_cents=line_cents,
            tax_cents=None if line_cents is None else line_cents * where.tax_percent // 100,
            service=self.rng.choice(("Standard", "Expedited")),
            address=self.rng.choice(where.addresses),
            business=False,
            discount_cents=discount_cents,
        )
        self.plan.orders.append(line)
        if status == "Shipped" and quantity > 0:
            self.ledger(
                product, max(days_ago - 1, 1), "Shipments", -quantity, market=market,
                fc=self.rng.choice(where.fcs), reference=self.ids.outbound_id(),
            )  # fmt: skip
        return line

    def refund_item(
        self, product: Product, units: int, principal_cents: int, *extra: Charge
    ) -> RefundItem:
        """A refunded item: ``principal_cents`` is the (positive) principal refunded."""
        tax = principal_cents * 8 // 100
        commission = principal_cents * 15 // 100
        charges = (Charge("Principal", -principal_cents), *extra, Charge("Tax", -tax))
        fees = (
            Charge("Commission", commission),
            Charge("RefundCommission", -min(commission // 5, 500)),
        )
        return RefundItem(product, self.ids.item_id(), units, charges, fees)

    def refund(
        self,
        order: OrderLine,
        days_ago: int,
        items: tuple[RefundItem, ...] | None = None,
        *,
        marketplace_name: str | None = "",
    ) -> Refund:
        """A RefundEvent for ``order`` (the whole line by default); name None leaves it out."""
        if items is None:
            assert order.price_cents is not None
            items = (self.refund_item(order.product, order.quantity, order.price_cents),)
        refund = Refund(
            order_id=order.order_id,
            marketplace_name=order.market.channel if marketplace_name == "" else marketplace_name,
            day=self.ago(days_ago),
            seconds=self.rng.randrange(86_400),
            currency=order.market.currency,
            items=items,
        )
        self.plan.refunds.append(refund)
        return refund

    def customer_return(
        self,
        order: OrderLine,
        days_ago: int,
        quantity: int,
        disposition: str,
        reason: str,
        *,
        product: Product | None = None,
        comment: str = "",
        legacy: bool = False,
    ) -> ReturnLine:
        """A Customer Returns row, and the ledger's ``CustomerReturns`` receipt of it."""
        item = product or order.product
        fc = self.rng.choice(order.market.fcs)
        line = ReturnLine(
            day=self.ago(days_ago),
            seconds=self.rng.randrange(86_400),
            order_id=order.order_id,
            product=item,
            quantity=quantity,
            fc=fc,
            disposition=disposition,
            reason=reason,
            status="Unit returned to inventory",
            lpn=self.ids.lpn(),
            comment=comment,
            legacy=legacy,
        )
        self.plan.returns.append(line)
        self.ledger(
            item, days_ago, "CustomerReturns", quantity, market=order.market.code, fc=fc,
            disposition=disposition if disposition != "DAMAGED" else "WAREHOUSE_DAMAGED",
            reference=order.order_id,
        )  # fmt: skip
        return line

    def expect_order(
        self,
        scenario: Scenario,
        kind: str,
        order: OrderLine,
        quantity: int,
        event_days_ago: int,
        *,
        marketplace: str | None = None,
        refund: RefundValue | None = None,
        product: Product | None = None,
    ) -> Expectation:
        """Expect a claim or flag on an order (kinds 3, 4, 6), all values stated by hand."""
        expectation = Expectation(
            kind=kind,
            reference_id=order.order_id,
            product=product or order.product,
            marketplace=marketplace or order.market.code,
            quantity=quantity,
            event_date=self.ago(event_days_ago),
            refund=refund,
        )
        scenario.expect(expectation)
        return expectation

    # -- inbound ------------------------------------------------------------------------

    def shipment(
        self,
        market: str,
        status: str,
        items: list[tuple[Product, int, int]],
        receipts: list[tuple[Product, int, int]],
        *,
        created_ago: int,
        fc: str | None = None,
    ) -> Shipment:
        """An inbound shipment, its items (shipped, received) and its ``Receipts`` rows."""
        where = MARKETS[market]
        destination = fc or self.rng.choice(where.fcs)
        shipment_id = self.ids.shipment_id()
        created = self.ago(created_ago)
        shipment = Shipment(
            shipment_id=shipment_id,
            name=f"FBA STA ({created:%m/%d/%Y} {self.rng.randrange(8, 18):02d}:"
            f"{self.rng.randrange(60):02d})-{destination}",
            market=where,
            fc=destination,
            status=status,
            created=created,
            items=tuple(
                ShipmentItem(product, shipped, received, case_size(shipped))
                for product, shipped, received in items
            ),
        )
        self.plan.shipments.append(shipment)
        for product, days_ago, quantity in receipts:
            self.ledger(
                product, days_ago, "Receipts", quantity, market=market, fc=destination,
                reference=shipment_id,
            )  # fmt: skip
        return shipment


def case_size(shipped: int) -> int:
    """The largest case of at most 12 units that packs ``shipped`` exactly."""
    return next(size for size in range(min(12, max(shipped, 1)), 0, -1) if shipped % size == 0)


def market_of(code: str) -> Market:
    return MARKETS[code]
