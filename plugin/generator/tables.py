"""Columns of each report and the text of each field, in Amazon's value formats.

Layouts only change how a row is spelled (headers, quoting, encoding); the values are the
same in both, so the same seed plants the same claims whatever the layout.
"""

from __future__ import annotations

from datetime import date, timedelta

from plugin.generator.catalog import MARKETS, Market
from plugin.generator.records import LedgerEntry, OrderLine, Reimbursement, ReturnLine

LEDGER = (
    "Date", "FNSKU", "ASIN", "MSKU", "Title", "Event Type", "Reference ID", "Quantity",
    "Fulfillment Center", "Disposition", "Reason", "Country", "Reconciled Quantity",
    "Unreconciled Quantity", "Date and Time", "Store",
)  # fmt: skip
LEDGER_DOWNLOAD_ONLY = 2  # "Date and Time" and "Store" are in downloaded files only
REIMBURSEMENTS = (
    "approval-date", "reimbursement-id", "case-id", "amazon-order-id", "reason", "sku", "fnsku",
    "asin", "product-name", "condition", "currency-unit", "amount-per-unit", "amount-total",
    "quantity-reimbursed-cash", "quantity-reimbursed-inventory", "quantity-reimbursed-total",
    "original-reimbursement-id", "original-reimbursement-type",
)  # fmt: skip
RETURNS = (
    "return-date", "order-id", "sku", "asin", "fnsku", "product-name", "quantity",
    "fulfillment-center-id", "detailed-disposition", "reason", "status", "license-plate-number",
    "customer-comments",
)  # fmt: skip
ORDERS = (
    "amazon-order-id", "merchant-order-id", "purchase-date", "last-updated-date", "order-status",
    "fulfillment-channel", "sales-channel", "order-channel", "ship-service-level",
    "product-name", "sku", "asin", "item-status", "quantity", "currency", "item-price",
    "item-tax", "shipping-price", "shipping-tax", "gift-wrap-price", "gift-wrap-tax",
    "item-promotion-discount", "ship-promotion-discount", "ship-city", "ship-state",
    "ship-postal-code", "ship-country", "promotion-ids", "cpf", "is-business-order",
    "purchase-order-number", "price-designation",
)  # fmt: skip
COSTS = ("sku", "unit_cost", "currency")

_TWO_DAYS = timedelta(days=2)
_COUNTRY_MARKET = {"US": "US", "DE": "DE", "FR": "FR", "UK": "GB", "GB": "GB"}


def money(cents: int) -> str:
    """Cents as Amazon writes amounts: ``-12.60``."""
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"


def clock(seconds: int) -> str:
    """``HH:MM:SS`` of a time of day given in seconds."""
    return _CLOCK[seconds]


_CLOCK = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(86_400)]


class RowFormatter:
    """Turns records into field lists; caches the per-day strings a big ledger repeats."""

    def __init__(self, with_download_columns: bool) -> None:
        self._with_time = with_download_columns
        self._us_dates: dict[date, str] = {}
        self._stamps: dict[tuple[date, str], str] = {}
        self._isos: dict[date, str] = {}
        self._order_dates: dict[date, tuple[str, str]] = {}

    def _iso(self, day: date) -> str:
        text = self._isos.get(day)
        if text is None:
            text = self._isos[day] = day.isoformat()
        return text

    def ledger(self, e: LedgerEntry) -> list[str]:
        day, p = e.day, e.product
        us_date = self._us_dates.get(day)
        if us_date is None:
            us_date = self._us_dates[day] = f"{day.month:02d}/{day.day:02d}/{day.year}"
        fields = [
            us_date, p.fnsku, p.asin, p.sku, p.title, e.event_type, e.reference_id,
            str(e.quantity), e.fc, e.disposition, e.reason, e.country, e.reconciled,
            e.unreconciled,
        ]  # fmt: skip
        if self._with_time:
            stamp = self._stamps.get((day, e.country))
            if stamp is None:
                market = MARKETS[_COUNTRY_MARKET.get(e.country, "US")]
                stamp = self._stamps[(day, e.country)] = (
                    f"{day.isoformat()}T00:00:00{_offset(market, day)}"
                )
            fields.append(stamp)
            fields.append("")
        return fields

    def order(self, o: OrderLine) -> list[str]:
        # Unpacked once: the background writes a million of these.
        (order_id, day, seconds, order_status, item_status, m, p, quantity, price, tax, service,
         (city, state, postal), business, discount) = o  # fmt: skip
        dates = self._order_dates.get(day)
        if dates is None:  # purchased, and last updated when it shipped two days later
            dates = self._order_dates[day] = (day.isoformat(), (day + _TWO_DAYS).isoformat())
        time = _CLOCK[seconds]
        purchased = f"{dates[0]}T{time}+00:00"
        updated = f"{dates[1]}T{time}+00:00" if order_status == "Shipped" else purchased
        if price is None:
            money_fields = ["", "", "", "", "", "", "", ""]
        else:
            money_fields = [
                f"{price // 100}.{price % 100:02d}", money(tax) if tax is not None else "",
                "0.00", "0.00", "", "", money(-discount) if discount else "0.00", "0.00",
            ]  # fmt: skip
        return [
            order_id, "", purchased, updated, order_status, "Amazon", m.channel, "", service,
            p.title, p.sku, p.asin, item_status, str(quantity), m.currency, *money_fields,
            city, state, postal, m.code, "Coupon SAVE10" if discount else "", "",
            "true" if business else "false", "", "",
        ]  # fmt: skip

    def customer_return(self, r: ReturnLine) -> list[str]:
        p = r.product
        return [
            f"{self._iso(r.day)}T{_CLOCK[r.seconds]}+00:00", r.order_id, p.sku, p.asin, p.fnsku,
            p.title, str(r.quantity), r.fc, r.disposition, r.reason, r.status, r.lpn, r.comment,
        ]  # fmt: skip

    def reimbursement(self, r: Reimbursement) -> list[str]:
        p = r.product
        return [
            f"{r.day.isoformat()}T{clock(r.seconds)}+00:00", r.reimbursement_id, r.case_id,
            r.order_id, r.reason, p.sku, p.fnsku, p.asin, p.title, "New", r.currency,
            money(r.per_unit_cents), money(r.per_unit_cents * r.cash), str(r.cash),
            str(r.inventory), str(r.total), r.original_id, r.original_type,
        ]  # fmt: skip


def _offset(market: Market, day: date) -> str:
    """The marketplace's local UTC offset on ``day`` (daylight saving by its own calendar)."""
    if market.dst == "us":  # second Sunday of March to the first Sunday of November
        start, end = _sunday(day.year, 3, 2), _sunday(day.year, 11, 1)
    else:  # last Sunday of March to the last Sunday of October
        start, end = _sunday(day.year, 3, -1), _sunday(day.year, 10, -1)
    return market.summer_offset if start <= day < end else market.winter_offset


def _sunday(year: int, month: int, nth: int) -> date:
    """The ``nth`` Sunday of the month (-1: the last)."""
    if nth > 0:
        first = date(year, month, 1)
        return first + timedelta(days=(6 - first.weekday()) % 7 + 7 * (nth - 1))
    following = date(year + month // 12, month % 12 + 1, 1)
    last = following - timedelta(days=1)
    return last - timedelta(days=(last.weekday() + 1) % 7)
