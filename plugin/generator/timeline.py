"""The seller's history, day by day: planted rows merged into the background.

One pass over the days feeds every streamed file at once, and every order row goes through the
price book on its way out, so the average sale prices the planted claims are valued at are
those of exactly the rows written.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TypeVar

from plugin.generator.noise import Background
from plugin.generator.records import LedgerEntry, OrderLine, Refund, ReturnLine
from plugin.generator.scenarios import Plan
from plugin.generator.valuation import PriceBook

T = TypeVar("T")


@dataclass
class DayBatch:
    day: date
    ledger: list[LedgerEntry]
    orders: list[OrderLine]
    returns: list[ReturnLine]
    refunds: list[Refund]


def iterate_days(
    plan: Plan, background: Background, prices: PriceBook, rng: random.Random
) -> Iterator[DayBatch]:
    """Yield each day from the oldest row to the day before ``as_of``."""
    ledger = _by_day(plan.ledger, lambda row: row.day)
    orders = _by_day(plan.orders, lambda line: line.purchased)
    returns = _by_day(plan.returns, lambda line: line.day)
    refunds = _by_day(plan.refunds, lambda refund: refund.day)
    first = min(plan.first_day, background.first_day)
    day, last = first, plan.as_of - timedelta(days=1)
    while day <= last:
        noise = background.day(day)
        rows = noise.ledger
        for entry in ledger.pop(day, ()):
            rows.insert(rng.randrange(len(rows) + 1), entry)
        day_orders = noise.orders + orders.pop(day, [])
        for line in day_orders:
            prices.add(line)
        yield DayBatch(
            day,
            rows,
            day_orders,
            noise.returns + returns.pop(day, []),
            noise.refunds + refunds.pop(day, []),
        )
        day += timedelta(days=1)
    assert not (ledger or orders or returns or refunds), "planted rows outside the history"


def _by_day(rows: list[T], day_of: Callable[[T], date]) -> defaultdict[date, list[T]]:
    grouped: defaultdict[date, list[T]] = defaultdict(list)
    for row in rows:
        grouped[day_of(row)].append(row)
    return grouped
