"""Windows, statuses and amounts of the planted claims, computed from the spec alone.

Written apart from the engine on purpose (nothing here imports ``plugin.domain``): the planted
claims are the answer key the engine is tested against, so they must not share its code.
Amounts are exact fractions rounded once, half up, to cents (spec §3).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction

from plugin.generator.records import OrderLine

WAREHOUSE_LOST = "warehouse_lost"
WAREHOUSE_DAMAGED = "warehouse_damaged"
RETURN_NOT_RECEIVED = "return_not_received"
RETURN_DAMAGED_BY_AMAZON = "return_damaged_by_amazon"
INBOUND_SHORTAGE = "inbound_shortage"
RETURN_DISPUTED_GRADING = "return_disputed_grading"

CLAIMABLE, WAITING, EXPIRED, REVIEW = "claimable", "waiting", "expired", "review"

SHORT_WINDOWS_FROM = date(2024, 10, 23)
US_UNIT_CAP = Fraction(5000)

_EUROPE = frozenset({
    "GB", "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE",
    "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
})  # fmt: skip
_CURRENCIES = {"US": "USD", "GB": "GBP", "DE": "EUR", "FR": "EUR"}
_CHANNELS = {"amazon.com": "US", "amazon.co.uk": "GB", "amazon.de": "DE", "amazon.fr": "FR"}


def marketplace_code(value: str | None) -> str | None:
    """``Amazon.co.uk`` -> ``GB``, ``UK`` -> ``GB``, ``DE`` -> ``DE``; unknown -> None."""
    if not value:
        return None
    if value.lower() in _CHANNELS:
        return _CHANNELS[value.lower()]
    code = value.upper()
    return "GB" if code == "UK" else code


def currency_of(marketplace: str | None) -> str | None:
    return _CURRENCIES.get(marketplace) if marketplace else None


def window(kind: str, marketplace: str | None, event: date) -> tuple[date, date]:
    """Return (opens_on, deadline) of a claim of ``kind`` dated ``event``."""
    if kind in (WAREHOUSE_LOST, WAREHOUSE_DAMAGED):
        if event >= SHORT_WINDOWS_FROM:
            return event + timedelta(days=30), event + timedelta(days=60)
        return event + timedelta(days=30), add_months(event, 18)
    if kind in (RETURN_NOT_RECEIVED, RETURN_DAMAGED_BY_AMAZON):
        if marketplace in _EUROPE:
            return event + timedelta(days=45), event + timedelta(days=105)
        return event + timedelta(days=60), event + timedelta(days=120)
    if kind == INBOUND_SHORTAGE:
        return event + timedelta(days=15), event + timedelta(days=180)
    raise ValueError(f"{kind} has no window")


def add_months(day: date, months: int) -> date:
    """Same day of the month ``months`` later, or that month's last day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def status_on(as_of: date, opens_on: date, deadline: date) -> str:
    if as_of < opens_on:
        return WAITING
    return EXPIRED if as_of > deadline else CLAIMABLE


def amount_text(quantity: int, unit: Fraction, marketplace: str | None) -> str:
    """``quantity × unit``, the unit capped in the US, rounded once half up: ``"17.80"``."""
    if marketplace == "US":
        unit = min(unit, US_UNIT_CAP)
    cents = quantity * unit * 100
    rounded = (cents.numerator * 2 + cents.denominator) // (cents.denominator * 2)
    return f"{rounded // 100}.{rounded % 100:02d}"


def cost_fraction(text: str) -> Fraction:
    return Fraction(text)


@dataclass
class PriceBook:
    """Sums of All Orders rows per (SKU, currency): the average sale price of spec §3.

    Every order row written goes through ``add``, background included, so a claim valued
    at the average sale price matches what the engine reads from the files.
    """

    cents: dict[tuple[str, str], int]
    units: dict[tuple[str, str], int]

    @classmethod
    def empty(cls) -> PriceBook:
        return cls({}, {})

    def add(self, line: OrderLine) -> None:
        if line.quantity <= 0 or line.price_cents is None or line.item_status == "Cancelled":
            return
        key = (line.product.sku, line.market.currency)
        self.cents[key] = self.cents.get(key, 0) + line.price_cents
        self.units[key] = self.units.get(key, 0) + line.quantity

    def average(self, sku: str, currency: str) -> Fraction | None:
        units = self.units.get((sku, currency), 0)
        if units == 0:
            return None
        return Fraction(self.cents[(sku, currency)], 100 * units)
