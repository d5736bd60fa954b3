"""How the reimbursements view writes things: translated strings, money, deadline badges.

Strings live in ``translations/<language>.json`` (English first; a missing French string
falls back to English). Money is formatted from ``Decimal`` with the currency's own minor
units, rounded half up once, here at the edge.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path
from typing import Any

LANGUAGES = ("en", "fr")
DEFAULT_LANGUAGE = "en"
_FOLDER = Path(__file__).parent / "translations"

# Currencies whose amounts have no minor unit.
_NO_CENTS = frozenset({"JPY", "KRW", "CLP", "VND", "ISK", "HUF"})
_SYMBOLS = {
    "en": {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CAD": "CA$", "AUD": "A$", "MXN": "MX$"},
    "fr": {"USD": "$ US", "EUR": "€", "GBP": "£", "JPY": "¥", "CAD": "$ CA", "AUD": "$ AU"},
}
NBSP = "\u00a0"
NARROW_NBSP = "\u202f"


@cache
def _strings(language: str) -> dict[str, str]:
    found: dict[str, str] = json.loads((_FOLDER / f"{language}.json").read_text("utf-8"))
    return found


def pick_language(asked: str | None, accept: list[str] | None = None) -> str:
    """``asked`` if we speak it, else the first of ``accept`` we speak, else English."""
    for candidate in [asked or "", *(accept or [])]:
        code = candidate.strip().lower().replace("_", "-").split("-")[0]
        if code in LANGUAGES:
            return code
    return DEFAULT_LANGUAGE


@dataclass(frozen=True)
class Translator:
    """``t("summary.units", count=3)`` in one language."""

    language: str

    def __call__(self, key: str, **values: Any) -> str:
        text = _strings(self.language).get(key) or _strings(DEFAULT_LANGUAGE).get(key, key)
        return text.format(**values) if values else text

    def kind(self, kind: str) -> str:
        label = self(f"kind.{kind}")
        return kind if label == f"kind.{kind}" else label

    def month(self, label: str) -> str:
        """``"2026-03"`` -> ``"Mar"`` (``"mars"``)."""
        names = self("chart.months").split(",")
        return names[int(label[5:7]) - 1]

    def day(self, value: date | None) -> str:
        if value is None:
            return "—"
        return value.isoformat() if self.language == "en" else value.strftime("%d/%m/%Y")

    def money(self, amount: Decimal | None, currency: str | None) -> str:
        return format_money(amount, currency, self.language)

    def number(self, value: int) -> str:
        text = f"{value:,}"
        return text.replace(",", NARROW_NBSP) if self.language == "fr" else text


def format_money(amount: Decimal | None, currency: str | None, language: str) -> str:
    """``Decimal("1234.5"), "USD"`` -> ``"$1,234.50"`` (en) or ``"1 234,50 $ US"`` (fr)."""
    if amount is None or currency is None:
        return "—"
    places = Decimal("1") if currency in _NO_CENTS else Decimal("0.01")
    rounded = amount.quantize(places, rounding=ROUND_HALF_UP)
    sign = "-" if rounded < 0 else ""
    digits = f"{abs(rounded):,.{0 if places == 1 else 2}f}"
    symbol = _SYMBOLS.get(language, {}).get(currency)
    if language == "fr":
        digits = digits.replace(",", NARROW_NBSP).replace(".", ",")
        return f"{sign}{digits}{NBSP}{symbol or currency}"
    if symbol is None:
        return f"{sign}{currency}{NBSP}{digits}"
    return f"{sign}{symbol}{digits}"


@dataclass(frozen=True)
class Badge:
    """A deadline badge: its text and its tone (a CSS class)."""

    text: str
    tone: str  # urgent, soon, ok, waiting, expired, none


def deadline_badge(
    t: Translator, status: str, days_left: int | None, days_to_open: int | None
) -> Badge:
    """Days left until the deadline, or how long ago it passed, or when the window opens."""
    if days_left is None:
        return Badge(t("badge.none"), "none")
    if days_left < 0:
        return Badge(t("badge.expired", days=-days_left), "expired")
    if status == "waiting" and days_to_open is not None and days_to_open > 0:
        return Badge(t("badge.opens_in", days=days_to_open), "waiting")
    if days_left == 0:
        return Badge(t("badge.today"), "urgent")
    text = t("badge.one_day_left") if days_left == 1 else t("badge.days_left", days=days_left)
    if days_left <= 7:
        return Badge(text, "urgent")
    return Badge(text, "soon" if days_left <= 30 else "ok")
