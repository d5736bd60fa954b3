"""Pick the wanted rows of a large unquoted report with Apache Arrow's CSV reader.

A ledger or All Orders download runs to millions of lines of which the engine needs a few
percent. Arrow's reader (C++, multi-threaded) loads just the columns we name and chooses rows
with vectorised compute, so Python only ever sees the rows it keeps. It only selects: the
chosen fields go through the same row readers (and the same validation) as any other line.

Used only where it is exact: a plain (not gzip) file without quoting, so that row *n* is
physical line *n* + 2. Anything Arrow refuses (bad UTF-8, a ragged or blank line) returns
None and the caller reads the file the ordinary way. Without pyarrow installed, likewise.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import IO, Any

logger = logging.getLogger(__name__)

try:  # optional: the pure-Python reader gives the same rows, only slower
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pv
except ImportError:  # pragma: no cover - exercised only where pyarrow is absent
    pa = None

# Below this size the ordinary reader is as fast and Arrow's start-up is not worth it.
MIN_BYTES = 8 * 2**20


@dataclass(frozen=True)
class LedgerFilter:
    events: frozenset[str]  # canonical single-word event types, e.g. "adjustments"
    receipts_of: frozenset[str] | None  # Receipts rows only of these shipments (None: all)


@dataclass(frozen=True)
class OrderFilterSpec:
    order_ids: frozenset[str]
    skus: frozenset[str]


RowFilter = LedgerFilter | OrderFilterSpec

_LEDGER_COLUMNS = (
    "date", "fnsku", "asin", "msku", "eventtype", "referenceid", "quantity", "fulfillmentcenter",
    "disposition", "reason", "country", "unreconciledquantity",
)  # fmt: skip
_ORDER_COLUMNS = (
    "amazonorderid", "sku", "asin", "quantity", "currency", "itemprice", "itemstatus",
    "saleschannel",
)  # fmt: skip


def pick_rows(
    opener: Callable[[], IO[bytes]],
    columns: Sequence[str],
    delimiter: str,
    wanted: RowFilter | None,
) -> list[tuple[int, list[str]]] | None:
    """(physical line number, fields) of the wanted rows, or None to read the usual way."""
    if pa is None or wanted is None:
        return None
    names = [f"c{position}" for position in range(len(columns))]
    needed = _LEDGER_COLUMNS if isinstance(wanted, LedgerFilter) else _ORDER_COLUMNS
    keep = sorted({columns.index(column) for column in needed if column in columns})
    present = [column for column in needed if column in columns]
    picked: list[tuple[int, list[str]]] = []
    width, first = len(columns), 2  # line 1 is the header
    try:
        with opener() as raw:
            if raw.seek(0, 2) < MIN_BYTES:
                return None
            raw.seek(0)
            batches = pv.open_csv(
                raw,
                read_options=pv.ReadOptions(skip_rows=1, column_names=names, block_size=1 << 23),
                parse_options=pv.ParseOptions(
                    delimiter=delimiter, quote_char=False, ignore_empty_lines=False
                ),
                convert_options=pv.ConvertOptions(
                    column_types={names[i]: pa.string() for i in keep},
                    include_columns=[names[i] for i in keep],
                    strings_can_be_null=False,
                ),
            )
            # Batch by batch, so memory stays at one block however large the file.
            for batch in batches:
                column = {c: batch.column(f"c{columns.index(c)}") for c in present}
                indices = pc.indices_nonzero(_mask(wanted, column))
                if len(indices):
                    chosen = batch.take(indices)
                    values = {i: chosen.column(f"c{i}").to_pylist() for i in keep}
                    for row, index in enumerate(indices.to_pylist()):
                        fields = [""] * width
                        for i in keep:
                            fields[i] = values[i][row]
                        picked.append((first + index, fields))
                first += batch.num_rows
    except (pa.ArrowException, OSError) as exc:
        logger.info("reading without Arrow (%s)", exc)
        return None
    return picked


def _mask(wanted: RowFilter, column: dict[str, Any]) -> Any:
    def cells(name: str) -> Any:
        return pc.utf8_trim_whitespace(column[name])

    def among(values: frozenset[str]) -> Any:
        return pa.array(sorted(values), type=pa.string())

    if isinstance(wanted, LedgerFilter):
        events = pc.utf8_lower(cells("eventtype"))
        if wanted.receipts_of is None:
            return pc.is_in(events, value_set=among(wanted.events))
        always = pc.is_in(events, value_set=among(wanted.events - {"receipts"}))
        if "receipts" not in wanted.events:
            return always
        receipts = pc.and_(
            pc.equal(events, "receipts"),
            pc.is_in(cells("referenceid"), value_set=among(wanted.receipts_of)),
        )
        return pc.or_(always, receipts)
    return pc.or_(
        pc.is_in(cells("amazonorderid"), value_set=among(wanted.order_ids)),
        pc.is_in(cells("sku"), value_set=among(wanted.skus)),
    )
