"""How rows from several files of one kind become one set (spec §1), and what to read of orders."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from connectors.amazon.models import (
    CostRow,
    InboundItem,
    LedgerRow,
    RefundEvent,
    ReturnRow,
)


class Keyed(Protocol):
    def key(self) -> tuple[object, ...]: ...


RowT = TypeVar("RowT", bound=Keyed)

# The ledger event types the engine reads; the reader drops every other row early. Of the
# Receipts rows it needs only those of shipments with a shortage (claims.shortage_shipments).
LEDGER_EVENTS = frozenset({"adjustments", "receipts"})
# Ledger reasons whose losses the engine values (lost M/5, damaged E).
LOSS_REASONS = frozenset({"M", "5", "E"})


def merge_rows(files: Sequence[Sequence[RowT]]) -> list[RowT]:
    """Merge the rows of several files of one kind.

    A row counts as many times as it appears in the one file that holds it most often: a file
    and its copy, or two downloads with overlapping dates, count once; two identical lines in
    one file count twice. The rows kept are those of the first file holding the most copies.
    """
    if len(files) == 1:
        return list(files[0])
    best: dict[Hashable, list[RowT]] = {}
    for rows in files:
        groups: dict[Hashable, list[RowT]] = {}
        for row in rows:
            groups.setdefault(row.key(), []).append(row)
        for key, group in groups.items():
            if len(group) > len(best.get(key, ())):
                best[key] = group
    return [row for group in best.values() for row in group]


def merge_costs(
    files: Iterable[Sequence[CostRow]], override: Sequence[CostRow] = ()
) -> dict[str, CostRow]:
    """Unit costs by SKU: later files win over earlier ones, and ``override`` over all."""
    costs: dict[str, CostRow] = {}
    for rows in (*files, override):
        for row in rows:
            costs[row.sku] = row
    return costs


@dataclass(frozen=True)
class OrderNeeds:
    """What the engine can use from All Orders: only these orders and SKUs matter."""

    order_ids: frozenset[str]
    skus: frozenset[str]


def find_order_needs(
    ledger: Iterable[LedgerRow],
    returns: Iterable[ReturnRow],
    refunds: Iterable[RefundEvent],
    items: Iterable[InboundItem],
    costs: dict[str, CostRow],
) -> OrderNeeds:
    """Orders whose sales channel may date a claim, and SKUs that may need an average price.

    A superset is fine (the engine ignores the rest); it keeps millions of order lines that
    could change nothing out of memory.
    """
    order_ids = {row.order_id for row in returns} | {event.order_id for event in refunds}
    skus = {
        row.msku
        for row in ledger
        if row.event_type == "adjustments" and row.quantity < 0 and row.reason in LOSS_REASONS
    }
    skus |= {item.sku for item in items if item.quantity_shipped > item.quantity_received}
    return OrderNeeds(frozenset(order_ids), frozenset(skus - costs.keys()))
