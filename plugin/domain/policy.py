"""Claim windows and value caps: one dated table, per marketplace.

Sources: spec §2, research fba.md §1.2-1.3.

Amazon changes these rules by announcement, not by API, and several are unconfirmed for some
marketplaces ([U] in the research). So the numbers live here as data: each rule names its
claim kind, the marketplaces it covers (``None`` = all, including unknown), the event dates it
applies to, and where it comes from. Configuration adds rules on top (``extend``); the most
specific, latest-added rule wins.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from plugin.domain.marketplaces import EUROPE

WAREHOUSE_LOST = "warehouse_lost"
WAREHOUSE_DAMAGED = "warehouse_damaged"
RETURN_NOT_RECEIVED = "return_not_received"
RETURN_DAMAGED_BY_AMAZON = "return_damaged_by_amazon"
INBOUND_SHORTAGE = "inbound_shortage"
RETURN_DISPUTED_GRADING = "return_disputed_grading"

KINDS: tuple[str, ...] = (
    WAREHOUSE_LOST,
    WAREHOUSE_DAMAGED,
    RETURN_NOT_RECEIVED,
    RETURN_DAMAGED_BY_AMAZON,
    INBOUND_SHORTAGE,
    RETURN_DISPUTED_GRADING,
)

# The day Amazon's short FC-operations windows took effect (US forum post, EU repost).
SHORT_WINDOWS_FROM = date(2024, 10, 23)


class PolicyError(ValueError):
    """A policy override that cannot be used."""


@dataclass(frozen=True, slots=True)
class WindowRule:
    """When a claim of ``kind`` may be filed, counted from its event date."""

    kind: str
    opens_after_days: int
    deadline_days: int | None = None
    deadline_months: int | None = None
    marketplaces: frozenset[str] | None = None
    valid_from: date | None = None  # applies to events on or after this date
    valid_until: date | None = None  # ... and before this date
    source: str = ""

    def covers(self, kind: str, marketplace: str | None, event_date: date) -> bool:
        if kind != self.kind:
            return False
        if self.marketplaces is not None and marketplace not in self.marketplaces:
            return False
        if self.valid_from is not None and event_date < self.valid_from:
            return False
        return self.valid_until is None or event_date < self.valid_until

    def deadline_for(self, event_date: date) -> date:
        if self.deadline_months is not None:
            return add_months(event_date, self.deadline_months)
        assert self.deadline_days is not None
        return event_date + timedelta(days=self.deadline_days)


@dataclass(frozen=True, slots=True)
class Window:
    opens_on: date
    deadline: date


@dataclass(frozen=True)
class PolicyTable:
    """The dated window rules and the per-unit value caps per marketplace."""

    rules: tuple[WindowRule, ...]
    unit_value_caps: Mapping[str, Decimal] = field(default_factory=dict)

    def window(self, kind: str, marketplace: str | None, event_date: date) -> Window:
        """Return the filing window for an event; raise PolicyError when no rule covers it."""
        best: WindowRule | None = None
        for rule in self.rules:  # later rules override earlier ones of equal specificity
            if rule.covers(kind, marketplace, event_date):
                if best is None or (rule.marketplaces is not None) >= (
                    best.marketplaces is not None
                ):
                    best = rule
        if best is None:
            raise PolicyError(
                f"no claim window for {kind} in {marketplace or 'unknown'} "
                f"on {event_date.isoformat()}"
            )
        return Window(
            event_date + timedelta(days=best.opens_after_days), best.deadline_for(event_date)
        )

    def unit_value_cap(self, marketplace: str | None) -> Decimal | None:
        return self.unit_value_caps.get(marketplace) if marketplace else None

    def extend(
        self, rules: Iterable[WindowRule], caps: Mapping[str, Decimal] | None = None
    ) -> PolicyTable:
        """Return a table with ``rules`` added after these (so they win) and caps replaced."""
        merged_caps = dict(self.unit_value_caps)
        merged_caps.update(caps or {})
        return PolicyTable(self.rules + tuple(rules), merged_caps)


def add_months(day: date, months: int) -> date:
    """Same day ``months`` later, or that month's last day: 2024-08-31 + 18 = 2026-02-28."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


_FC_OPS = "Amazon forum 2024-07-24/2024-10-23 (research fba.md §1.2, P2/P5)"
_RETURNS = "FBA customer returns policy, US P1/P2 and EU repost P5 (fba.md §1.2)"
_INBOUND = "[U] no current US statement; EU page P13 says 6 months (fba.md §1.2)"

DEFAULT_POLICY = PolicyTable(
    rules=(
        WindowRule(
            WAREHOUSE_LOST,
            30,
            deadline_months=18,
            valid_until=SHORT_WINDOWS_FROM,
            source="pre-2024-10-23 rule: 30 days to 18 months (P11)",
        ),
        WindowRule(
            WAREHOUSE_LOST, 30, deadline_days=60, valid_from=SHORT_WINDOWS_FROM, source=_FC_OPS
        ),
        WindowRule(
            WAREHOUSE_DAMAGED,
            30,
            deadline_months=18,
            valid_until=SHORT_WINDOWS_FROM,
            source="pre-2024-10-23 rule: 30 days to 18 months (P11)",
        ),
        WindowRule(
            WAREHOUSE_DAMAGED, 30, deadline_days=60, valid_from=SHORT_WINDOWS_FROM, source=_FC_OPS
        ),
        WindowRule(RETURN_NOT_RECEIVED, 60, deadline_days=120, source=_RETURNS),
        WindowRule(
            RETURN_NOT_RECEIVED, 45, deadline_days=105, marketplaces=EUROPE, source=_RETURNS
        ),
        WindowRule(RETURN_DAMAGED_BY_AMAZON, 60, deadline_days=120, source=_RETURNS),
        WindowRule(
            RETURN_DAMAGED_BY_AMAZON, 45, deadline_days=105, marketplaces=EUROPE, source=_RETURNS
        ),
        WindowRule(INBOUND_SHORTAGE, 15, deadline_days=180, source=_INBOUND),
    ),
    unit_value_caps={"US": Decimal("5000")},
)


def parse_overrides(document: Mapping[str, Any]) -> tuple[list[WindowRule], dict[str, Decimal]]:
    """Read policy overrides from configuration (a JSON object).

    ``{"windows": [{"kind": "inbound_shortage", "marketplaces": ["US"], "valid_from": "2025-01-01",
    "opens_after_days": 15, "deadline_days": 270}], "unit_value_caps": {"BR": "19250"}}``
    """
    rules: list[WindowRule] = []
    for number, entry in enumerate(document.get("windows", []), start=1):
        try:
            kind = str(entry["kind"])
            if kind not in KINDS:
                raise PolicyError(f"unknown kind {kind!r}")
            markets = entry.get("marketplaces")
            rule = WindowRule(
                kind=kind,
                opens_after_days=int(entry["opens_after_days"]),
                deadline_days=_optional_int(entry.get("deadline_days")),
                deadline_months=_optional_int(entry.get("deadline_months")),
                marketplaces=frozenset(str(m).upper() for m in markets) if markets else None,
                valid_from=_optional_date(entry.get("valid_from")),
                valid_until=_optional_date(entry.get("valid_until")),
                source=str(entry.get("source", "configuration")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise PolicyError(f"policy window #{number}: {exc}") from exc
        if (rule.deadline_days is None) == (rule.deadline_months is None):
            raise PolicyError(f"policy window #{number}: give deadline_days or deadline_months")
        rules.append(rule)
    caps = {}
    for market, cap in dict(document.get("unit_value_caps", {})).items():
        try:
            caps[str(market).upper()] = Decimal(str(cap))
        except ArithmeticError as exc:
            raise PolicyError(f"unit value cap for {market}: {cap!r} is not a number") from exc
    return rules, caps


def _optional_int(value: object) -> int | None:
    return None if value is None else int(str(value))


def _optional_date(value: object) -> date | None:
    return None if value is None else date.fromisoformat(str(value))
