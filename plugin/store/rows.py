"""Ingested rows in and out of their tables, and the duplicate rule of spec §1.

The rule: a row counts as many times as it appears in the one document that holds it most
often. Two documents with the same row (a re-download, overlapping dates) count it once; two
identical lines in one document count twice.

How the store keeps it:

- ``row_hash`` is a stable hash of the row's ``key()`` (the values the engine reads).
- A document holding ``n`` copies of a key supplies occurrences ``1..n`` of it; the table is
  unique on ``(installation_id, row_hash, occurrence)``. Re-ingesting it, or a document with
  fewer copies, adds nothing; a document with more copies adds the missing occurrences.
- The stored copies of a key always come from one document: each occurrence records the
  ``copies`` of the document that supplied it, and a document with more copies takes over
  occurrences ``1..n`` (``ON CONFLICT … DO UPDATE … WHERE copies < excluded.copies``). Ties
  keep the first document, as ``plugin.domain.inputs.merge_rows`` keeps the first file.

So after ingesting documents in any order, each key is stored ``max(copies per document)``
times, and ingesting in file order gives the very rows (sources included) that
``merge_rows`` gives.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from datetime import date
from decimal import Decimal
from typing import Any

from connectors.amazon.models import (
    InboundItem,
    InboundShipment,
    LedgerRow,
    OrderRow,
    RefundEvent,
    RefundItem,
    ReimbursementRow,
    ReportKind,
    ReturnRow,
    Source,
)
from plugin.store.models import (
    InboundItemRecord,
    InboundShipmentRecord,
    LedgerRecord,
    OrderRowRecord,
    RefundEventRecord,
    ReimbursementRecord,
    ReturnRecord,
    RowColumns,
)


def row_hash(key: Sequence[object]) -> str:
    """A stable 128-bit hex hash of a row's ``key()``: equal keys, equal hashes.

    Decimals hash by value (``1.5`` and ``1.50`` are equal keys in Python, so here too).
    Stored rows carry these hashes: changing this function needs a migration that rehashes.
    """
    text = repr(tuple(_canonical(value) for value in key))  # repr of str/int/None: exact
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def _canonical(value: object) -> object:
    kind = type(value)
    if kind is str or kind is int or value is None:
        return value
    if kind is date:
        return ("d", value.isoformat())  # type: ignore[attr-defined]
    if kind is Decimal:
        return ("n", "0" if value == 0 else str(value.normalize()))  # type: ignore[attr-defined]
    raise TypeError(f"cannot hash a {kind.__name__} in a row key")


@dataclass(frozen=True)
class RowTable:
    """How one kind of row is stored: its table, and its dataclass's columns."""

    kind: ReportKind
    model: type[RowColumns]
    row_type: type[Any]
    to_column: dict[str, Callable[[Any], Any]]  # fields that need converting to store
    from_column: dict[str, Callable[[Any], Any]]  # … and back
    columns: tuple[str, ...] = field(init=False)  # the dataclass's fields but ``source``

    def __post_init__(self) -> None:
        names = tuple(f.name for f in fields(self.row_type) if f.name != "source")
        object.__setattr__(self, "columns", names)

    def values(self, row: Any) -> dict[str, Any]:
        """A row's column values (without bookkeeping)."""
        values = {name: getattr(row, name) for name in self.columns}
        for name, convert in self.to_column.items():
            values[name] = convert(values[name])
        return values

    def build(self, record: Any) -> Any:
        """The dataclass back from a result row holding ``columns`` and the source columns."""
        values = {name: getattr(record, name) for name in self.columns}
        for name, convert in self.from_column.items():
            values[name] = convert(values[name])
        source = Source(record.source_file, record.source_line, record.source_path)
        return self.row_type(**values, source=source)


def _items_to_json(items: tuple[RefundItem, ...]) -> list[dict[str, Any]]:
    return [
        {
            "sku": item.sku,
            "quantity": item.quantity,
            "principal": str(item.principal),
            "currency": item.currency,
        }
        for item in items
    ]


def _items_from_json(items: list[dict[str, Any]]) -> tuple[RefundItem, ...]:
    return tuple(
        RefundItem(
            sku=item["sku"],
            quantity=item["quantity"],
            principal=Decimal(item["principal"]),
            currency=item["currency"],
        )
        for item in items
    )


ROW_TABLES: dict[ReportKind, RowTable] = {
    table.kind: table
    for table in (
        RowTable(ReportKind.LEDGER, LedgerRecord, LedgerRow, {}, {}),
        RowTable(ReportKind.REIMBURSEMENTS, ReimbursementRecord, ReimbursementRow, {}, {}),
        RowTable(ReportKind.RETURNS, ReturnRecord, ReturnRow, {}, {}),
        RowTable(ReportKind.ORDERS, OrderRowRecord, OrderRow, {}, {}),
        RowTable(
            ReportKind.FINANCES,
            RefundEventRecord,
            RefundEvent,
            {"items": _items_to_json},
            {"items": _items_from_json},
        ),
        RowTable(ReportKind.INBOUND_SHIPMENTS, InboundShipmentRecord, InboundShipment, {}, {}),
        RowTable(ReportKind.INBOUND_ITEMS, InboundItemRecord, InboundItem, {}, {}),
    )
}


def occurrences(rows: Sequence[Any]) -> list[tuple[str, int, int, Any]]:
    """``(row_hash, occurrence, copies, row)`` for each row of one document, in its order."""
    copies = Counter(row.key() for row in rows)
    hashes = {key: row_hash(key) for key in copies}
    seen: Counter[tuple[object, ...]] = Counter()
    out = []
    for row in rows:
        key = row.key()
        seen[key] += 1
        out.append((hashes[key], seen[key], copies[key], row))
    return out
