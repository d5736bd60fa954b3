"""Estimated value of a claim (spec §3). An estimate, never what Amazon will pay."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from connectors.amazon.models import CostRow, OrderRow

MANUFACTURING_COST = "manufacturing_cost"
SALE_PRICE_ESTIMATE = "sale_price_estimate"
REFUNDED_PRINCIPAL = "refunded_principal"
UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Valuation:
    amount: Decimal | None
    currency: str | None
    basis: str


NO_VALUE = Valuation(None, None, UNKNOWN)


class SalePrices:
    """Average sale price per (SKU, currency) over the All Orders rows that count.

    ``skus`` limits the work to the SKUs that may need a price (the rest are never asked).
    """

    def __init__(self, orders: Iterable[OrderRow], skus: Collection[str] | None = None):
        # Decimal addition of prices with cents is exact; the division happens once, as Fraction.
        prices: dict[tuple[str, str], Decimal] = {}
        units: dict[tuple[str, str], int] = {}
        for row in orders:
            if row.quantity <= 0 or row.item_price is None:
                continue
            if skus is not None and row.sku not in skus:
                continue
            if row.item_status.strip().lower() == "cancelled":
                continue
            key = (row.sku, row.currency)
            prices[key] = prices.get(key, Decimal(0)) + row.item_price
            units[key] = units.get(key, 0) + row.quantity
        self._averages = {key: Fraction(prices[key]) / units[key] for key in prices}

    def average(self, sku: str, currency: str) -> Fraction | None:
        return self._averages.get((sku, currency))


def value_inventory(
    sku: str,
    quantity: int,
    currency: str | None,
    costs: Mapping[str, CostRow],
    prices: SalePrices,
    cap: Decimal | None,
) -> Valuation:
    """Lost before any customer order: the seller's unit cost, else the average sale price.

    ``currency`` is the claim marketplace's; the sale-price fallback only uses orders in it.
    """
    cost = costs.get(sku)
    if cost is not None:
        return _valued(quantity, Fraction(cost.unit_cost), cost.currency, MANUFACTURING_COST, cap)
    if currency is not None:
        average = prices.average(sku, currency)
        if average is not None:
            return _valued(quantity, average, currency, SALE_PRICE_ESTIMATE, cap)
    return NO_VALUE


def value_refund(
    quantity: int, principal: Decimal, refunded_units: int, currency: str, cap: Decimal | None
) -> Valuation:
    """After a customer order: the refunded principal per unit (an upper bound: fees ignored)."""
    if refunded_units <= 0 or not currency:
        return NO_VALUE
    unit = abs(Fraction(principal)) / refunded_units
    return _valued(quantity, unit, currency, REFUNDED_PRINCIPAL, cap)


def _valued(
    quantity: int, unit: Fraction, currency: str, basis: str, cap: Decimal | None
) -> Valuation:
    if cap is not None:
        unit = min(unit, Fraction(cap))
    return Valuation(round_cents(quantity * unit), currency, basis)


def round_cents(value: Fraction) -> Decimal:
    """Round once, half up (away from zero), to two decimals."""
    cents = abs(value) * 100
    whole = (2 * cents.numerator + cents.denominator) // (2 * cents.denominator)
    signed = -whole if value < 0 else whole
    return (Decimal(signed) / 100).quantize(Decimal("0.01"))
