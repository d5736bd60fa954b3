"""First-in, first-out netting of losses against offsets (spec §2 "Offsets").

Losses are open units with a date. Offsets (found units, reimbursements) arrive in date order
and each unit cancels the oldest loss still open and dated on or before it. A reversal
re-opens, on its own date, the units most recently closed by offsets of one type.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class Offset:
    """Units that cancel losses (``reopen=False``) or re-open closed ones (``reopen=True``).

    ``order`` sorts offsets of one date: ledger rows before reimbursements before reversals,
    then by source position. ``kind`` names the offset type a reversal undoes.
    """

    day: date
    order: tuple[object, ...]
    units: int
    kind: str
    reopen: bool = False


def net_losses(
    days: Sequence[date | None], units: Sequence[int], offsets: Sequence[Offset]
) -> list[int]:
    """Return the units still open per loss after every offset.

    ``days`` must be sorted oldest first, with undated losses (``None``) last: an offset that
    finds no dated loss open on or before its day goes to the first open undated loss, else it
    is dropped.
    """
    open_units = list(units)
    closed: dict[str, list[list[int]]] = {}  # offset kind -> stack of [loss index, units]
    for offset in sorted(offsets, key=lambda o: (o.day, o.order)):
        if offset.reopen:
            _reopen(open_units, closed.get(offset.kind, []), offset.units)
        else:
            _cancel(open_units, days, offset, closed.setdefault(offset.kind, []))
    return open_units


def _cancel(
    open_units: list[int], days: Sequence[date | None], offset: Offset, closed: list[list[int]]
) -> None:
    remaining = offset.units
    for index, day in enumerate(days):
        if remaining <= 0:
            return
        if day is not None and day > offset.day:
            continue  # younger than the offset; losses are sorted, so only undated ones follow
        if open_units[index] <= 0:
            continue
        taken = min(remaining, open_units[index])
        open_units[index] -= taken
        remaining -= taken
        if closed and closed[-1][0] == index:
            closed[-1][1] += taken
        else:
            closed.append([index, taken])


def _reopen(open_units: list[int], closed: list[list[int]], units: int) -> None:
    while units > 0 and closed:
        index, taken = closed[-1]
        back = min(units, taken)
        open_units[index] += back
        units -= back
        if back == taken:
            closed.pop()
        else:
            closed[-1][1] -= back
