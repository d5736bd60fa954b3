"""Everyday business around the planted scenarios, made one day at a time.

The background must never create, change or offset a claim, so the planted claims stay the
whole answer. The rules it keeps (spec §2):

- ``M``, ``5``, ``E`` and ``F`` adjustments only on regular products (never a scenario's), the
  losses written with Unreconciled Quantity 0 and followed by a find or a reimbursement.
  Scenario products get only the neutral reasons (``Q``/``P``, ``D``, ``G``, ``3``/``4``,
  ``6``/``7``/``H``/``K``/``U`` with their ``P``).
- Every refund is for units that came back, graded ``SELLABLE`` (only with reasons nobody
  disputes), ``CUSTOMER_DAMAGED``, ``DEFECTIVE`` or ``EXPIRED``; never ``DAMAGED``.
- An inbound shipment is ``CLOSED`` only when every item was received in full (or over).
- Reimbursements name only regular products and background orders.

Rows are made in proportions close to a real ledger (Shipments ~55%, WhseTransfers ~18%,
Receipts ~15%, CustomerReturns ~5%, Adjustments ~5%, VendorReturns ~2%) and the total is
exactly the budget, so a 2,000,000-row ledger is streamed, never held.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import date, timedelta

from plugin.generator.catalog import MARKETS, Catalog, Market, Product
from plugin.generator.identifiers import BACKGROUND_START, Identifiers
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

RECENT_SHIPMENTS = 40  # the background shipments the inbound JSON lists (the latest ones)

# Events, not rows: each is picked with these odds, then makes its own rows.
_SHIP, _TRANSFER, _INBOUND, _ADJUST = 0.775, 0.902, 0.930, 0.972  # else a vendor return
_RETURN_ODDS = 0.091  # a shipped order comes back (5% of the ledger's rows)
_RETURN_DELAYS = tuple(timedelta(days=n) for n in range(7, 46))  # shipped to back at the FC
_TRANSIT = tuple(timedelta(days=n) for n in range(4))  # between two FCs

_SELLABLE_REASONS = (
    "UNWANTED_ITEM", "ORDERED_WRONG_ITEM", "FOUND_BETTER_PRICE", "NO_REASON_GIVEN",
    "MISORDERED", "NOT_AS_DESCRIBED", "DID_NOT_LIKE_COLOR", "MISSED_ESTIMATED_DELIVERY",
    "UNDELIVERABLE_REFUSED", "UNAUTHORIZED_PURCHASE", "NOT_COMPATIBLE",
)  # fmt: skip
_GRADES: tuple[tuple[float, str, tuple[str, ...]], ...] = (
    (0.62, "SELLABLE", _SELLABLE_REASONS),
    (0.82, "CUSTOMER_DAMAGED", ("UNWANTED_ITEM", "DEFECTIVE", "DAMAGED_BY_CARRIER",
                                "QUALITY_UNACCEPTABLE", "NOT_AS_DESCRIBED")),
    (0.96, "DEFECTIVE", ("DEFECTIVE", "QUALITY_UNACCEPTABLE", "MISSING_PARTS")),
    (1.00, "EXPIRED", ("UNWANTED_ITEM", "QUALITY_UNACCEPTABLE")),
)  # fmt: skip
RETURN_COMMENTS = (
    "", "", "", "", "", "Item arrived late", "Didn't fit, ordered the wrong size",
    'Box says 12" but it is smaller', "Trop petit – retour", "Farbe gefällt mir nicht",
    "no longer needed", "Gift, recipient already had one",
)  # fmt: skip
_DAMAGE = (("6", "CARRIER_DAMAGED"), ("7", "EXPIRED"), ("H", "CUSTOMER_DAMAGED"),
           ("K", "DEFECTIVE"), ("U", "DISTRIBUTOR_DAMAGED"))  # fmt: skip


@dataclass
class DayNoise:
    """What the background adds on one day."""

    ledger: list[LedgerEntry] = field(default_factory=list)
    orders: list[OrderLine] = field(default_factory=list)
    returns: list[ReturnLine] = field(default_factory=list)
    refunds: list[Refund] = field(default_factory=list)


class Background:
    """Generates the background, day by day, for ``days`` days before ``as_of``."""

    def __init__(
        self, catalog: Catalog, *, as_of: date, days: int, rows: int, rng: random.Random
    ) -> None:
        self.first_day = as_of - timedelta(days=days)
        self.last_day = as_of - timedelta(days=1)
        self.days = days
        self.rows = rows
        self.made = 0
        self.reimbursements: list[Reimbursement] = []
        self.shipments: deque[Shipment] = deque(maxlen=RECENT_SHIPMENTS)
        self._rng = rng
        self._ids = Identifiers(BACKGROUND_START, rng)
        self._products = catalog.products
        self._regular = catalog.regular
        self._sellers = {code: list(products) for code, products in catalog.sellers.items()}
        self._market_odds, self._markets = _market_odds(catalog)
        self._yesterday = self._pending_from = self.last_day - timedelta(days=1)
        self._later: defaultdict[date, list[LedgerEntry]] = defaultdict(list)
        self._returns_due: defaultdict[date, list[tuple[OrderLine, int]]] = defaultdict(list)

    def day(self, day: date) -> DayNoise:
        """The background rows of ``day`` (nothing before the first day)."""
        out = DayNoise()
        if day < self.first_day or day > self.last_day:
            return out
        self._yesterday = day - timedelta(days=1)
        if day == self.first_day:
            self._open_stock(day, out)
        out.ledger.extend(self._later.pop(day, ()))
        for order, quantity in self._returns_due.pop(day, ()):
            self._return(day, order, quantity, out)
        target = self.rows * ((day - self.first_day).days + 1) // self.days
        roll = self._rng.random
        while self.made < target:
            pick = roll()
            if pick < _SHIP:
                self._ship(day, out)
            elif pick < _TRANSFER:
                self._transfer(day, out)
            elif pick < _INBOUND:
                self._inbound(day, out)
            elif pick < _ADJUST:
                self._adjust(day, out)
            else:
                self._vendor_return(day, out)
        if day == self.last_day:
            self._add_unreceived_shipments(day)
        return out

    # -- events -------------------------------------------------------------------------

    def _open_stock(self, day: date, out: DayNoise) -> None:
        """One receipt per product, so every SKU appears in the ledger with its FNSKU."""
        references = {code: self._ids.shipment_id() for code in MARKETS}
        for product in self._products:
            market = product.home
            out.ledger.append(LedgerEntry(
                day, product, "Receipts", references[market.code], self._rng.randint(20, 200),
                market.fcs[0], "SELLABLE", "", market.countries[0],
            ))  # fmt: skip
            self.made += 1

    def _ship(self, day: date, out: DayNoise) -> None:
        """A customer order shipped from an FC; now and then it comes back later."""
        chance = self._rng.random
        market = self._market()
        code = market.code
        sellers = self._sellers[code]
        product = sellers[int(chance() * len(sellers))]
        roll = chance()
        quantity = 1 if roll < 0.86 else 2 if roll < 0.97 else 3
        unit = product.prices[code]
        if chance() < 0.2:
            unit -= unit // 10  # a sale week
        price = unit * quantity
        order = OrderLine(
            self._ids.order_id(market), self._yesterday if chance() < 0.5 else day,
            int(chance() * 86_400), "Shipped", "Shipped", market, product, quantity, price,
            price * market.tax_percent // 100, "Standard" if roll < 0.7 else "Expedited",
            market.addresses[int(chance() * len(market.addresses))], roll > 0.95,
        )  # fmt: skip
        out.orders.append(order)
        countries = market.countries
        out.ledger.append(LedgerEntry(
            day, product, "Shipments", self._ids.outbound_id(), -quantity,
            market.fcs[int(chance() * len(market.fcs))], "SELLABLE", "",
            countries[0] if len(countries) == 1 or chance() < 0.8 else countries[1],
        ))  # fmt: skip
        self.made += 1
        if chance() < 0.015:
            out.orders.append(order._replace(
                order_id=self._ids.order_id(market), order_status="Cancelled",
                item_status="Cancelled", quantity=0, price_cents=None, tax_cents=None,
            ))  # fmt: skip
        if day >= self._pending_from and chance() < 0.3:
            out.orders.append(order._replace(
                order_id=self._ids.order_id(market), purchased=day, order_status="Pending",
                item_status="Unshipped", price_cents=None, tax_cents=None,
            ))  # fmt: skip
        if self.made < self.rows and chance() < _RETURN_ODDS:
            back = day + _RETURN_DELAYS[int(chance() * len(_RETURN_DELAYS))]
            if back <= self.last_day:
                self._returns_due[back].append((order, quantity if chance() < 0.8 else 1))
                self.made += 1

    def _return(self, day: date, order: OrderLine, quantity: int, out: DayNoise) -> None:
        """A return of a background order, and the refund of exactly the units returned."""
        rng = self._rng
        roll = rng.random()
        grade, reasons = next((g, r) for odds, g, r in _GRADES if roll <= odds)
        market, product = order.market, order.product
        fc = rng.choice(market.fcs)
        status = "Repackaged Successfully" if grade == "SELLABLE" and roll < 0.08 else (
            "Unit returned to inventory")  # fmt: skip
        out.returns.append(ReturnLine(
            day, rng.randrange(86_400), order.order_id, product, quantity, fc, grade,
            rng.choice(reasons), status, self._ids.lpn(), rng.choice(RETURN_COMMENTS),
            rng.random() < 0.01,
        ))  # fmt: skip
        out.ledger.append(LedgerEntry(
            day, product, "CustomerReturns", order.order_id, quantity, fc, grade, "",
            self._country(market),
        ))  # fmt: skip
        assert order.price_cents is not None and order.tax_cents is not None
        principal = order.price_cents // order.quantity * quantity
        tax = order.tax_cents * quantity // order.quantity
        commission = principal * 15 // 100
        posted = max(order.purchased + timedelta(days=1), day - timedelta(days=rng.randint(0, 5)))
        out.refunds.append(Refund(
            order.order_id, market.channel, posted, rng.randrange(86_400), market.currency,
            (RefundItem(product, self._ids.item_id(), quantity,
                        (Charge("Principal", -principal), Charge("Tax", -tax)),
                        (Charge("Commission", commission),
                         Charge("RefundCommission", -min(commission // 5, 500)))),),
        ))  # fmt: skip
        if product.role is None and rng.random() < 0.005:
            # Amazon sometimes pays a goodwill reimbursement on an order that did come back.
            self._reimburse(day + timedelta(days=rng.randint(3, 20)), product, market,
                            "CustomerServiceIssue", quantity, order.order_id)  # fmt: skip

    def _transfer(self, day: date, out: DayNoise) -> None:
        if self.rows - self.made < 2:
            self._ship(day, out)
            return
        chance = self._rng.random
        product = self._products[int(chance() * len(self._products))]
        market = product.home
        fcs = market.fcs
        source = int(chance() * len(fcs))
        destination = (source + 1 + int(chance() * (len(fcs) - 1))) % len(fcs)
        quantity = 1 + int(chance() * 12)
        reference = self._ids.outbound_id()
        country = self._country(market)
        out.ledger.append(LedgerEntry(
            day, product, "WhseTransfers", reference, -quantity, fcs[source], "SELLABLE", "",
            country,
        ))  # fmt: skip
        arrives = min(day + _TRANSIT[int(chance() * len(_TRANSIT))], self.last_day)
        self._add(out, day, arrives, LedgerEntry(
            arrives, product, "WhseTransfers", reference, quantity, fcs[destination], "SELLABLE",
            "", country,
        ))  # fmt: skip
        self.made += 2

    def _inbound(self, day: date, out: DayNoise) -> None:
        """A shipment received over a few days; CLOSED only when every unit arrived."""
        rng = self._rng
        market = self._market()
        fc = rng.choice(market.fcs)
        country = self._country(market)
        sellers = self._sellers[market.code]
        shipment_id = self._ids.shipment_id()
        items: list[ShipmentItem] = []
        for product in rng.sample(sellers, min(rng.randint(1, 5), len(sellers))):
            if self.made >= self.rows:
                break
            in_case = rng.choice((6, 8, 10, 12, 24))
            shipped = in_case * rng.randint(1, 6)
            parts = _split(rng, shipped + (1 if rng.random() < 0.04 else 0), rng.randint(1, 3))
            received = 0
            for offset, quantity in enumerate(parts):
                when = day + timedelta(days=offset)
                if when > self.last_day or self.made >= self.rows:
                    break
                self._add(out, day, when, LedgerEntry(
                    when, product, "Receipts", shipment_id, quantity, fc, "SELLABLE", "", country,
                ))  # fmt: skip
                received += quantity
                self.made += 1
            items.append(ShipmentItem(product, shipped, received, in_case))
        if not items:
            return
        complete = all(item.received >= item.shipped for item in items)
        created = day - timedelta(days=rng.randint(5, 15))
        self.shipments.append(Shipment(
            shipment_id, f"FBA STA ({created:%m/%d/%Y} {rng.randint(8, 18):02d}:"
            f"{rng.randrange(60):02d})-{fc}", market, fc, "CLOSED" if complete else "RECEIVING",
            created, tuple(items),
        ))  # fmt: skip

    def _adjust(self, day: date, out: DayNoise) -> None:
        rng = self._rng
        roll = rng.random()
        if self.rows - self.made < 2:
            roll = 0.99  # a single-row adjustment: disposal
        if roll < 0.34:  # disposition change, Q then P
            product = self._products[int(rng.random() * len(self._products))]
            self._pair(day, out, product, "Q", "SELLABLE", rng.choice(("EXPIRED", "DEFECTIVE")))
        elif roll < 0.50:  # damaged from an unsellable disposition, then P
            product = self._products[int(rng.random() * len(self._products))]
            reason, disposition = rng.choice(_DAMAGE)
            self._pair(day, out, product, reason, disposition, "WAREHOUSE_DAMAGED")
        elif roll < 0.55:  # product redefinition: 4 out of one SKU, 3 into another
            first, second = rng.sample(self._products, 2)
            reference = self._ids.adjustment_id()
            taken = self._row(day, out, first, -1, "4", "SELLABLE", reference)
            self._follow(out, taken._replace(product=second, quantity=1, reason="3"))
        elif roll < 0.69:  # lost, then found (regular products only)
            self._lost_then_found(day, out)
        elif roll < 0.75:  # lost, then reimbursed
            product = self._regular[int(rng.random() * len(self._regular))]
            quantity = rng.randint(1, 2)
            self._row(day, out, product, -quantity, "M", "SELLABLE", None, str(-quantity), "0")
            self._reimburse(day + timedelta(days=rng.randint(5, 40)), product, product.home,
                            "Lost_Warehouse", quantity, "")  # fmt: skip
        elif roll < 0.85:  # damaged in the FC, then P and a reimbursement
            product = self._regular[int(rng.random() * len(self._regular))]
            reference = self._ids.adjustment_id()
            damaged = self._row(day, out, product, -1, "E", "SELLABLE", reference, "-1", "0")
            self._follow(out, damaged._replace(
                quantity=1, reason="P", disposition="WAREHOUSE_DAMAGED", reconciled="",
                unreconciled="",
            ))  # fmt: skip
            self._reimburse(day + timedelta(days=rng.randint(3, 30)), product, product.home,
                            "Damaged_Warehouse", 1, "")  # fmt: skip
        elif roll < 0.88:  # donated
            product = self._products[int(rng.random() * len(self._products))]
            self._row(day, out, product, -rng.randint(1, 3), "G", "SELLABLE", None)
        else:  # disposed of at the seller's request
            product = self._products[int(rng.random() * len(self._products))]
            self._row(
                day,
                out,
                product,
                -rng.randint(1, 4),
                "D",
                rng.choice(("CUSTOMER_DAMAGED", "DEFECTIVE", "EXPIRED")),
                None,
            )

    def _lost_then_found(self, day: date, out: DayNoise) -> None:
        rng = self._rng
        product = self._regular[int(rng.random() * len(self._regular))]
        market = product.home
        quantity = rng.randint(1, 3)
        reason = "M" if rng.random() < 0.8 else "5"
        self._row(day, out, product, -quantity, reason, "SELLABLE", None, str(-quantity), "0")
        found = day + timedelta(days=rng.randint(1, 20))
        if found <= self.last_day:
            self._add(out, day, found, LedgerEntry(
                found, product, "Adjustments", self._ids.adjustment_id(), quantity,
                rng.choice(market.fcs), "SELLABLE", "F", self._country(market),
            ))  # fmt: skip
            self.made += 1

    def _vendor_return(self, day: date, out: DayNoise) -> None:
        rng = self._rng
        product = self._products[int(rng.random() * len(self._products))]
        market = product.home
        out.ledger.append(LedgerEntry(
            day, product, "VendorReturns", self._ids.removal_id(), -rng.randint(1, 10),
            rng.choice(market.fcs), rng.choice(("SELLABLE", "SELLABLE", "CUSTOMER_DAMAGED")), "",
            self._country(market),
        ))  # fmt: skip
        self.made += 1

    def _add_unreceived_shipments(self, day: date) -> None:
        """Shipments still on their way at ``as_of``: listed by the API, no receipts yet."""
        for status in ("WORKING", "SHIPPED", "IN_TRANSIT"):
            market = self._market()
            fc = self._rng.choice(market.fcs)
            sellers = self._sellers[market.code]
            product = sellers[int(self._rng.random() * len(sellers))]
            shipped = 12 * self._rng.randint(1, 4)
            created = day - timedelta(days=self._rng.randint(1, 6))
            self.shipments.append(Shipment(
                self._ids.shipment_id(), f"FBA STA ({created:%m/%d/%Y} 09:30)-{fc}", market, fc,
                status, created, (ShipmentItem(product, shipped, 0, 12),),
            ))  # fmt: skip

    # -- helpers ------------------------------------------------------------------------

    def _pair(
        self, day: date, out: DayNoise, product: Product, reason: str, before: str, after: str
    ) -> None:
        removed = self._row(day, out, product, -1, reason, before, self._ids.adjustment_id())
        self._follow(out, removed._replace(quantity=1, reason="P", disposition=after))

    def _follow(self, out: DayNoise, entry: LedgerEntry) -> None:
        """The second row of a pair: same transaction, FC and Country as the first."""
        out.ledger.append(entry)
        self.made += 1

    def _row(
        self,
        day: date,
        out: DayNoise,
        product: Product,
        quantity: int,
        reason: str,
        disposition: str,
        reference: str | None,
        reconciled: str = "",
        unreconciled: str = "",
    ) -> LedgerEntry:
        market = product.home
        entry = LedgerEntry(
            day, product, "Adjustments", reference or self._ids.adjustment_id(), quantity,
            market.fcs[int(self._rng.random() * len(market.fcs))], disposition, reason,
            self._country(market), reconciled, unreconciled,
        )  # fmt: skip
        out.ledger.append(entry)
        self.made += 1
        return entry

    def _reimburse(
        self, day: date, product: Product, market: Market, reason: str, units: int, order: str
    ) -> None:
        if day > self.last_day:
            return
        self.reimbursements.append(Reimbursement(
            day, 25_200 + self._rng.randrange(3_600), self._ids.reimbursement_id(), "", order,
            reason, product, market.currency, product.prices[market.code] * 55 // 100, units, 0,
        ))  # fmt: skip

    def _add(self, out: DayNoise, today: date, when: date, entry: LedgerEntry) -> None:
        if when == today:
            out.ledger.append(entry)
        else:
            self._later[when].append(entry)

    def _market(self) -> Market:
        return self._markets[bisect_right(self._market_odds, self._rng.random())]

    def _country(self, market: Market) -> str:
        countries = market.countries
        if len(countries) == 1:
            return countries[0]
        return countries[0] if self._rng.random() < 0.8 else countries[1]


def _market_odds(catalog: Catalog) -> tuple[list[float], list[Market]]:
    """Cumulative odds of each marketplace that has products to sell, and the marketplaces."""
    markets = [m for code, m in MARKETS.items() if catalog.sellers[code]]
    total = sum(m.share for m in markets)
    odds, running = [], 0
    for market in markets:
        running += market.share
        odds.append(running / total)
    odds[-1] = 2.0  # rounding never leaves a roll without a marketplace
    return odds, markets


def _split(rng: random.Random, total: int, parts: int) -> list[int]:
    """``total`` in ``parts`` positive pieces (fewer when ``total`` is smaller)."""
    parts = max(1, min(parts, total))
    cuts = sorted(rng.sample(range(1, total), parts - 1)) if parts > 1 else []
    edges = [0, *cuts, total]
    return [edges[i + 1] - edges[i] for i in range(parts)]
