"""Read the files a seller gets from Amazon (and their own unit costs) into normalized rows.

Files are recognised by their header or JSON shape, never by name (spec §1). Text may be
tab- or comma-separated, quoted or not, gzip-compressed or not, UTF-8 with or without BOM
(falling back to cp1252), with LF or CRLF line ends. Headers are matched after normalisation
(research fba.md §2.13): ``Event Type``, ``Event type`` and ``EventType`` are one column.

A file is read whole or not at all: the first problem raises ``ReportError`` naming the line,
so a half-read report never reaches the engine.

The hot path is the Inventory Ledger, which runs to millions of rows of which the engine needs
only a few event types. Callers name those (``ledger_events``); a line that cannot hold one of
them is dropped before it is split, and unquoted lines are split with ``str.split`` rather than
the csv module. Quoted lines (and quoted fields spanning lines) go through ``csv``.
"""

from __future__ import annotations

import csv
import gzip
import io
import itertools
import json
import operator
import re
import zlib
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from connectors.amazon import arrow
from connectors.amazon.models import (
    CostRow,
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
from connectors.errors import ReportError

Opener = Callable[[], IO[bytes]]

_GZIP_MAGIC = b"\x1f\x8b"
_SNIFF_BYTES = 64 * 1024


@dataclass(frozen=True)
class ParsedReport:
    """The rows of one file, all of one kind."""

    file: str
    kind: ReportKind
    rows: list[Any]


@dataclass(frozen=True)
class OrderFilter:
    """Keep an All Orders row when its order or its SKU is wanted (memory: orders are big)."""

    order_ids: Collection[str]
    skus: Collection[str]

    def wants(self, order_id: str, sku: str) -> bool:
        return order_id in self.order_ids or sku in self.skus


# --- headers -----------------------------------------------------------------------------


def normalize_header(name: str) -> str:
    """Lower-case alphanumerics only: ``Event Type``, ``event-type``, ``EventType`` are one."""
    return re.sub(r"[^a-z0-9]", "", name.replace("\ufeff", "").lower())


# Variant spellings (after normalize_header) -> the canonical column name.
_ALIASES = {
    "fulfillmentnetworkskufnsku": "fnsku",
    "fulfillmentnetworksku": "fnsku",
    "fnksu": "fnsku",  # a typo on Amazon's own help page
    "merchantsku": "msku",
    "sellersku": "msku",
    "fc": "fulfillmentcenter",
    "fulfilmentcentre": "fulfillmentcenter",
    "fulfillmentcentre": "fulfillmentcenter",
    "adjusteddate": "adjustmentdate",
}

_LEDGER_REQUIRED = {"date": "Date", "msku": "MSKU", "quantity": "Quantity", "reason": "Reason"}
_REIMBURSEMENT_REQUIRED = {
    "approvaldate": "approval-date",
    "reason": "reason",
    "sku": "sku",
    "fnsku": "fnsku",
}
_RETURNS_REQUIRED = {"returndate": "return-date", "sku": "sku", "quantity": "quantity"}
_ORDERS_REQUIRED = {"sku": "sku", "quantity": "quantity"}
_COST_COLUMNS = {"sku", "unitcost", "currency"}

_KIND_LABELS = {
    ReportKind.LEDGER: "Inventory Ledger",
    ReportKind.REIMBURSEMENTS: "FBA Reimbursements report",
    ReportKind.RETURNS: "FBA Customer Returns report",
    ReportKind.ORDERS: "All Orders report",
    ReportKind.COSTS: "seller costs file",
}


def classify_columns(columns: Sequence[str]) -> ReportKind:
    """Recognise a text report by its normalized header; raise ValueError saying why not."""
    present = set(columns)
    if {"fnsku", "eventtype", "referenceid"} <= present:
        _require(ReportKind.LEDGER, present, _LEDGER_REQUIRED)
        return ReportKind.LEDGER
    if "reimbursementid" in present:
        _require(ReportKind.REIMBURSEMENTS, present, _REIMBURSEMENT_REQUIRED)
        if (
            "quantityreimbursedtotal" not in present
            and not {"quantityreimbursedcash", "quantityreimbursedinventory"} <= present
        ):
            raise ValueError(
                f"{_KIND_LABELS[ReportKind.REIMBURSEMENTS]} without "
                "quantity-reimbursed-total (or -cash and -inventory)"
            )
        return ReportKind.REIMBURSEMENTS
    if {"detaileddisposition", "licenseplatenumber"} <= present:
        if not present & {"orderid", "amazonorderid"}:
            raise ValueError(f"{_KIND_LABELS[ReportKind.RETURNS]} without an order-id column")
        _require(ReportKind.RETURNS, present, _RETURNS_REQUIRED)
        return ReportKind.RETURNS
    if {"amazonorderid", "purchasedate", "itemprice"} <= present:
        _require(ReportKind.ORDERS, present, _ORDERS_REQUIRED)
        return ReportKind.ORDERS
    if present == _COST_COLUMNS and len(columns) == 3:
        return ReportKind.COSTS
    raise ValueError("not a recognised report (no known header)")


def _require(kind: ReportKind, present: set[str], required: dict[str, str]) -> None:
    missing = [label for key, label in required.items() if key not in present]
    if missing:
        raise ValueError(f"{_KIND_LABELS[kind]} without required column {', '.join(missing)}")


# --- values ------------------------------------------------------------------------------


def parse_int(text: str, column: str) -> int:
    try:
        return int(text)  # int() ignores surrounding white space
    except ValueError:
        pass
    value = text.strip()
    try:  # "3.0" is a whole number written by a spreadsheet
        number = Decimal(value)
    except InvalidOperation:
        number = None
    if number is not None and number.is_finite() and number == number.to_integral_value():
        return int(number)
    if not value:
        raise ValueError(f"{column} is empty")
    raise ValueError(f"{column} {value!r} is not a whole number")


def parse_optional_int(text: str, column: str) -> int | None:
    return parse_int(text, column) if text.strip() else None


def parse_decimal(text: str, column: str) -> Decimal | None:
    """Parse an amount; empty is None. Accepts ``1,234.50`` and the European ``12,99``."""
    value = text.strip()
    if not value:
        return None
    if "," in value:
        if "." in value:
            value = value.replace(",", "")
        elif re.fullmatch(r"-?\d+,\d{1,2}", value):
            value = value.replace(",", ".")
        else:
            value = value.replace(",", "")
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise ValueError(f"{column} {text.strip()!r} is not a number") from None
    if not number.is_finite():
        raise ValueError(f"{column} {text.strip()!r} is not a number")
    return number


_ISO_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_US_DAY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_EU_DAY = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")


def parse_day(text: str, column: str) -> date:
    """The calendar date a value starts with: ``YYYY-MM-DD…``, ``MM/DD/YYYY…`` or ``DD.MM.YYYY…``.

    Amazon's reports give the marketplace's local date; the spec counts windows from the
    date part as written, so no time-zone conversion happens here.
    """
    value = text.strip()
    try:
        if match := _ISO_DAY.match(value):
            return date(int(match[1]), int(match[2]), int(match[3]))
        if match := _US_DAY.match(value):
            return date(int(match[3]), int(match[1]), int(match[2]))
        if match := _EU_DAY.match(value):
            return date(int(match[3]), int(match[2]), int(match[1]))
    except ValueError:
        pass
    if not value:
        raise ValueError(f"{column} is empty")
    raise ValueError(f"{column} {value!r} is not a date")


def parse_utc_day(value: object, column: str) -> date:
    """The UTC date of an ISO-8601 timestamp (Finances ``PostedDate``)."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{column} is missing")
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"{column} {value!r} is not an ISO-8601 time") from None
    if moment.tzinfo is None:  # Amazon always sends UTC; a bare time is taken as UTC
        return moment.date()
    return moment.astimezone(UTC).date()


# Ledger reasons as the online view writes them -> the download's codes (fba.md §2.2).
_REASON_CODES = frozenset("1234567ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_DAMAGED_AT_FC_BY_DISPOSITION = {
    "sellable": "E",
    "carrierdamaged": "6",
    "expired": "7",
    "customerdamaged": "H",
    "defective": "K",
    "distributordamaged": "U",
}
_REASON_DESCRIPTIONS = {
    "inventoryfound": "F",
    "inventorymisplaced": "M",
    "inventorydisposedof": "D",
    "inventorycorrection": "O",
    "productredefinitiontransferin": "3",
    "productredefinitiontransferout": "4",
}


def ledger_reason_code(reason: str, disposition: str, quantity: int) -> str:
    """Map a ledger reason (code or online-view description) to its code; unknown stays raw."""
    raw = reason.strip()
    if len(raw) == 1 and raw.upper() in _REASON_CODES:
        return raw.upper()
    text = normalize_header(raw)
    if text in _REASON_DESCRIPTIONS:
        return _REASON_DESCRIPTIONS[text]
    if text in ("damagedatamazonfulfillmentcenter", "damagedatamazonfulfilmentcentre"):
        return _DAMAGED_AT_FC_BY_DISPOSITION.get(normalize_header(disposition), raw)
    if text == "inventorydispositionchange":
        return "P" if quantity > 0 else "Q"
    return raw


# --- text reading ------------------------------------------------------------------------


def open_bytes(opener: Opener, name: str) -> IO[bytes]:
    """Open the raw stream, transparently gunzipping; refuse empty and binary files."""
    raw = opener()
    head = raw.read(2)
    raw.seek(0)
    if not head:
        raw.close()
        raise ReportError(name, "empty file")
    stream: IO[bytes] = (
        gzip.GzipFile(fileobj=raw, mode="rb") if head == _GZIP_MAGIC else raw  # type: ignore[assignment]
    )
    try:
        sample = stream.read(_SNIFF_BYTES)
        stream.seek(0)
    except (OSError, EOFError, zlib.error) as exc:
        stream.close()
        raise _gzip_error(opener, name, exc) from None
    if not sample.strip():
        stream.close()
        raise ReportError(name, "empty file" + (" (inside gzip)" if head == _GZIP_MAGIC else ""))
    if b"\x00" in sample:
        stream.close()
        raise ReportError(
            name,
            f"binary file (NUL byte at offset {sample.index(0)}), "
            "not a text report or JSON document",
        )
    return stream


def _gzip_error(opener: Opener, name: str, exc: BaseException) -> ReportError:
    """Say where broken gzip data stops: the line it cuts, counted from the start."""
    lines = 0
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    with opener() as raw:
        try:
            while chunk := raw.read(1 << 16):
                lines += inflater.decompress(chunk).count(b"\n")
        except zlib.error:
            pass
    if isinstance(exc, EOFError):
        reason = "gzip data ends early: the file was cut short"
    else:
        reason = f"gzip data is corrupt ({exc})"
    return ReportError(name, reason, line=lines + 1)


def read_report(
    opener: Opener,
    name: str,
    *,
    ledger_events: Collection[str] | None = None,
    receipts_of: Collection[str] | None = None,
    orders: OrderFilter | None = None,
    refund_identities: bool = True,
) -> ParsedReport:
    """Read one file whole: recognise it, then return every row (or raise ReportError).

    ``ledger_events`` keeps only ledger rows of those canonical event types (``"adjustments"``)
    and ``receipts_of`` only the Receipts rows of those shipments; ``orders`` keeps only the
    All Orders rows it wants. Rows left out are never split, which is what makes a
    million-row ledger cheap. ``refund_identities=False`` leaves ``RefundEvent.identity``
    None, for a caller that computes it only where files overlap.
    """
    wanted = _Wanted(ledger_events, receipts_of, orders, refund_identities)
    try:
        return _read(opener, name, "utf-8-sig", wanted)
    except UnicodeDecodeError:
        pass  # not UTF-8: Excel on Windows saves cp1252; read it again from the start
    try:
        return _read(opener, name, "cp1252", wanted)
    except UnicodeDecodeError as exc:
        raise ReportError(name, f"text is neither UTF-8 nor cp1252 (byte {exc.start})") from None


def sniff_kind(opener: Opener, name: str) -> ReportKind | None:
    """Recognise a text file from its header line; ``None`` for a JSON document.

    A JSON document's kind is only known once it is parsed, which ``read_report`` does.
    """
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            with open_bytes(opener, name) as stream:
                text = io.TextIOWrapper(stream, encoding=encoding, newline="")
                if _first_char(text, name) in "{[":
                    return None
                return _classify_line(text.readline(), name)[0]
        except UnicodeDecodeError:
            continue
        except (OSError, EOFError, zlib.error) as exc:
            raise _gzip_error(opener, name, exc) from None
    raise ReportError(name, "text is neither UTF-8 nor cp1252")


def _first_char(text: io.TextIOWrapper, name: str) -> str:
    """The first non-blank character; leaves the stream at its start."""
    while True:
        char = text.read(1)
        if not char:
            raise ReportError(name, "empty file (no text)")
        if not char.isspace():
            text.seek(0)  # utf-8-sig skips the BOM again after a rewind
            return char


def _classify_line(header_line: str, name: str) -> tuple[ReportKind, list[str], str, bool]:
    """Recognise the header; also say how the file is written: delimiter and quoting.

    Amazon's tab-separated downloads are not quoted: a ``"`` in them is a literal inch mark
    (``Mug 12" wide``). Comma-separated files, and tab files whose header is quoted, follow
    CSV quoting rules.
    """
    delimiter = "\t" if "\t" in header_line else ","
    quoted = delimiter == "," or '"' in header_line
    line = header_line.rstrip("\r\n")
    if quoted:
        header = next(csv.reader([line], delimiter=delimiter), [])
    else:
        header = line.split(delimiter)
    columns = [_ALIASES.get(c, c) for c in (normalize_header(h) for h in header)]
    try:
        kind = classify_columns(columns)
    except ValueError as exc:
        raise ReportError(name, str(exc), line=1) from None
    return kind, columns, delimiter, quoted


@dataclass(frozen=True)
class _Wanted:
    """What the caller wants of the file (None: everything)."""

    ledger_events: Collection[str] | None
    receipts_of: Collection[str] | None
    orders: OrderFilter | None
    refund_identities: bool = True

    def wants_ledger(self, event_type: str, reference_id: str) -> bool:
        if self.ledger_events is not None and event_type not in self.ledger_events:
            return False
        return (
            event_type != "receipts" or self.receipts_of is None or reference_id in self.receipts_of
        )

    def line_test(
        self, kind: ReportKind, columns: Sequence[str], delimiter: str
    ) -> Callable[[str], bool] | None:
        """A cheap test on a record's raw text; False means the record cannot be wanted."""
        if kind is ReportKind.LEDGER:
            return self._ledger_test()
        if kind is ReportKind.ORDERS:
            return _order_test(columns, delimiter, self.orders)
        return None

    def line_chooser(
        self, kind: ReportKind, columns: Sequence[str], delimiter: str
    ) -> Callable[[list[str]], Iterable[int]] | None:
        """For an unquoted file: the indices of the wanted lines of a block, found in C."""
        if kind is ReportKind.LEDGER and self.ledger_events is not None:
            if "eventtype" not in columns or "referenceid" not in columns:
                return None
            if any(not event.isalnum() for event in self.ledger_events):
                return None
            i_event, i_reference = columns.index("eventtype"), columns.index("referenceid")
            events = frozenset(self.ledger_events)
            if self.receipts_of is None:
                return lambda lines: itertools.compress(
                    range(len(lines)),
                    map(events.__contains__, map(str.lower, _cells(lines, delimiter, i_event)[0])),
                )
            always = events - {"receipts"}
            receipts = "receipts" in events
            shipments = frozenset(self.receipts_of)
            words = sorted(events)

            def choose_ledger(lines: list[str]) -> Iterable[int]:
                # First in C: does the lower-cased line hold one of the event words at all?
                # Only those few lines are split to look at their event type and reference.
                lowered = list(map(str.lower, lines))
                found = map(operator.contains, lowered, itertools.repeat(words[0]))
                for word in words[1:]:
                    more = map(operator.contains, lowered, itertools.repeat(word))
                    found = map(operator.or_, found, more)
                candidates = list(itertools.compress(range(len(lines)), found))
                some = [lines[index] for index in candidates]
                event_cells, reference_cells = _cells(some, delimiter, i_event, i_reference)
                types = list(map(str.lower, event_cells))
                named = map(shipments.__contains__, reference_cells)
                is_receipt = map(("receipts" if receipts else "\0").__eq__, types)
                wanted = map(
                    operator.or_,
                    map(always.__contains__, types),
                    map(operator.and_, is_receipt, named),
                )
                return itertools.compress(candidates, wanted)

            return choose_ledger
        if kind is ReportKind.ORDERS and self.orders is not None:
            if "amazonorderid" not in columns or "sku" not in columns:
                return None
            i_order, i_sku = columns.index("amazonorderid"), columns.index("sku")
            order_ids, skus = frozenset(self.orders.order_ids), frozenset(self.orders.skus)

            def choose_orders(lines: list[str]) -> Iterable[int]:
                order_cells, sku_cells = _cells(lines, delimiter, i_order, i_sku)
                return itertools.compress(
                    range(len(lines)),
                    map(
                        operator.or_,
                        map(order_ids.__contains__, order_cells),
                        map(skus.__contains__, sku_cells),
                    ),
                )

            return choose_orders
        return None

    def arrow_filter(self, kind: ReportKind) -> arrow.RowFilter | None:
        """The same choice as ``line_chooser``, for the vectorised reader."""
        if kind is ReportKind.LEDGER and self.ledger_events is not None:
            return arrow.LedgerFilter(
                frozenset(self.ledger_events),
                frozenset(self.receipts_of) if self.receipts_of is not None else None,
            )
        if kind is ReportKind.ORDERS and self.orders is not None:
            return arrow.OrderFilterSpec(
                frozenset(self.orders.order_ids), frozenset(self.orders.skus)
            )
        return None

    def _ledger_test(self) -> Callable[[str], bool] | None:
        # Event types are single words (``Adjustments``); a line holding none of their
        # spellings (as written, lower or upper case) cannot be wanted.
        events = self.ledger_events
        if events is None or any(not event.isalnum() for event in events):
            return None
        receipts_of = tuple(self.receipts_of) if self.receipts_of is not None else None
        always = tuple(
            spelling
            for event in sorted(events)
            if event != "receipts" or receipts_of is None
            for spelling in (event, event.upper(), event.capitalize())
        )
        receipts = ("receipts", "RECEIPTS", "Receipts") if receipts_of is not None else ()
        shipments = receipts_of or ()

        def test(text: str) -> bool:
            for spelling in always:
                if spelling in text:
                    return True
            for spelling in receipts:
                if spelling in text:
                    return any(shipment in text for shipment in shipments)
            return False

        return test


def _read(opener: Opener, name: str, encoding: str, wanted: _Wanted) -> ParsedReport:
    records: _Records | _Select | _Picked | None = None
    try:
        with open_bytes(opener, name) as stream:
            text = io.TextIOWrapper(stream, encoding=encoding, newline="")
            if _first_char(text, name) in "{[":
                return _read_json(text, name, wanted.refund_identities)
            kind, columns, delimiter, quoted = _classify_line(text.readline(), name)
            choose = None if quoted else wanted.line_chooser(kind, columns, delimiter)
            picked = None
            if choose is not None and stream is not None and not isinstance(stream, gzip.GzipFile):
                picked = arrow.pick_rows(opener, columns, delimiter, wanted.arrow_filter(kind))
            if picked is not None:
                records = _Picked(picked)
            elif choose is not None:
                records = _Select(text, delimiter, choose)
            else:
                records = _Records(
                    text, delimiter, quoted, wanted.line_test(kind, columns, delimiter)
                )
            rows = _ROW_READERS[kind](records, columns, name, wanted)
            if not records.seen_any:
                raise ReportError(name, "header only, no data rows", line=1)
            return ParsedReport(name, kind, rows)
    except (OSError, EOFError, zlib.error) as exc:
        raise _gzip_error(opener, name, exc) from None
    except csv.Error as exc:
        line = records.line if records else None
        raise ReportError(name, f"malformed quoting ({exc})", line=line) from None
    except _UnclosedQuote as exc:
        raise ReportError(name, "a quoted field is never closed", line=exc.line) from None


def _order_test(
    columns: Sequence[str], delimiter: str, wanted: OrderFilter | None
) -> Callable[[str], bool] | None:
    """Decide on an All Orders record from its order and SKU cells alone.

    Millions of order lines can matter to no claim; splitting only up to the cells we test
    (``maxsplit``) costs a fraction of splitting all thirty-odd columns.
    """
    if wanted is None or "amazonorderid" not in columns or "sku" not in columns:
        return None
    i_order, i_sku = columns.index("amazonorderid"), columns.index("sku")
    last = max(i_order, i_sku)
    order_ids, skus = wanted.order_ids, wanted.skus

    def test(text: str) -> bool:
        cells = text.split(delimiter, last + 1)
        if len(cells) <= last or '"' in text:
            return True  # short or quoted: let the full reader decide
        return cells[i_order].strip() in order_ids or cells[i_sku].strip() in skus

    return test


class _UnclosedQuote(Exception):
    def __init__(self, line: int):
        self.line = line


class _Records:
    """Iterate (first physical line number, fields) over the records after the header.

    Unquoted lines are split with ``str.split`` (several times faster than ``csv``); in a
    quoted file, a line with quotes, and a quoted field that runs over several lines, goes
    through ``csv``. ``test`` drops a complete record, before it is split, when its raw
    text shows it cannot be wanted.
    """

    def __init__(
        self,
        lines: Iterable[str],
        delimiter: str,
        quoted: bool,
        test: Callable[[str], bool] | None,
    ):
        self.lines = lines
        self.delimiter = delimiter
        self.quoted = quoted
        self.test = test
        self.seen_any = False
        self.line = 1

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        delimiter, quoted, test = self.delimiter, self.quoted, self.test
        pending: list[str] = []
        start = number = self.line
        for line in self.lines:
            number += 1
            if pending:
                pending.append(line)
                if sum(part.count('"') for part in pending) % 2:
                    continue  # the quoted field goes on
                record, pending = "".join(pending), []
            elif not quoted or '"' not in line:
                if not self.seen_any and line.strip():
                    self.seen_any = True
                if test is not None and not test(line):
                    continue
                fields = line.rstrip("\r\n").split(delimiter)
                if len(fields) == 1 and not fields[0].strip():
                    continue  # a blank line
                self.line = number
                yield number, fields
                continue
            else:
                self.seen_any = True
                start = number
                if line.count('"') % 2:
                    pending = [line]
                    continue
                record = line
            if test is None or test(record):
                self.line = number
                yield start, next(csv.reader([record], delimiter=delimiter, strict=True))
        self.line = number
        if pending:
            raise _UnclosedQuote(start)


class _Picked:
    """Records chosen by the vectorised reader: (line number, fields), already in order."""

    def __init__(self, picked: list[tuple[int, list[str]]]):
        self.picked = picked
        self.seen_any = True  # the reader refuses a file without data rows
        self.line = picked[-1][0] if picked else 1

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        return iter(self.picked)


class _Select:
    """Pick the wanted lines of an unquoted file a block at a time, the tests running in C.

    A ledger or an All Orders file has millions of lines and the engine wants a few percent.
    Each 4 MiB block is split into lines; ``choose`` returns the indices of the wanted ones,
    computed with ``map``/``itemgetter``/``set.__contains__``/``compress`` only, so the
    per-line work never enters the interpreter loop. The chosen lines come out in file order
    with their physical line numbers, like ``_Records``.
    """

    BLOCK = 1 << 22

    def __init__(
        self,
        text: IO[str],
        delimiter: str,
        choose: Callable[[list[str]], Iterable[int]],
    ):
        self.text = text
        self.delimiter = delimiter
        self.choose = choose
        self.seen_any = False
        self.line = 1

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        delimiter = self.delimiter
        carry = ""
        first = self.line + 1  # physical number of the block's first line
        while True:
            chunk = self.text.read(self.BLOCK)
            block = carry + chunk
            if chunk:
                cut = block.rfind("\n") + 1
                block, carry = block[:cut], block[cut:]
            if not block:
                if not chunk:
                    break
                continue
            if not self.seen_any and block.strip():
                self.seen_any = True
            lines = block.split("\n")
            if lines[-1] == "":
                lines.pop()
            for index in self.choose(lines):
                self.line = number = first + index
                yield number, lines[index].rstrip("\r").split(delimiter)
            first += len(lines)
            if not chunk:
                break


def _cells(lines: list[str], delimiter: str, *positions: int) -> list[list[str]]:
    """The stripped cells at ``positions`` of every line, split in C (short lines read empty)."""
    width = max(positions) + 1
    split = list(map(operator.methodcaller("split", delimiter, width), lines))
    try:
        return [list(map(str.strip, map(operator.itemgetter(p), split))) for p in positions]
    except IndexError:  # a blank or short line in this block: take the slow road for it
        return [
            [(cells[p].strip() if len(cells) > p else "") for cells in split] for p in positions
        ]


class _Columns:
    """Positions of the canonical columns in a header; an absent column reads as empty.

    Rows are padded to ``width`` so readers index fields directly (this is the hot loop).
    """

    def __init__(self, columns: Sequence[str]):
        self.positions: dict[str, int] = {}
        for position, column in enumerate(columns):
            self.positions.setdefault(column, position)
        self.missing = len(columns)  # index of the padding cell
        self.width = len(columns) + 1

    def __getitem__(self, column: str) -> int:
        return self.positions.get(column, self.missing)

    def pad(self, fields: list[str]) -> list[str]:
        if len(fields) < self.width:
            fields.extend([""] * (self.width - len(fields)))
        return fields


class _Cache(dict[str, Any]):
    """Memoize a parser over the few distinct values a column repeats (dates, codes)."""

    def __init__(self, parse: Callable[[str], Any]):
        super().__init__()
        self.parse = parse

    def __missing__(self, text: str) -> Any:
        value = self[text] = self.parse(text)
        return value


class _ReasonCache(dict[tuple[str, str, bool], str]):
    """``ledger_reason_code`` memoized on (reason, disposition, increase?)."""

    def __missing__(self, key: tuple[str, str, bool]) -> str:
        reason, disposition, increase = key
        value = self[key] = ledger_reason_code(reason, disposition, 1 if increase else -1)
        return value


def _fail(name: str, line: int, exc: ValueError) -> ReportError:
    return ReportError(name, str(exc), line=line)


def _read_ledger(
    records: Iterable[tuple[int, list[str]]],
    columns: Sequence[str],
    name: str,
    wanted: _Wanted,
) -> list[LedgerRow]:
    at = _Columns(columns)
    i_date, i_fnsku, i_asin, i_msku = at["date"], at["fnsku"], at["asin"], at["msku"]
    i_event, i_reference, i_quantity = at["eventtype"], at["referenceid"], at["quantity"]
    i_fc, i_disposition, i_reason = at["fulfillmentcenter"], at["disposition"], at["reason"]
    i_country, i_unreconciled = at["country"], at["unreconciledquantity"]
    event_types = _Cache(normalize_header)
    days = _Cache(lambda text: parse_day(text, "Date"))
    reasons = _ReasonCache()
    rows: list[LedgerRow] = []
    append = rows.append
    for line, fields in records:
        at.pad(fields)
        try:
            event_type = event_types[fields[i_event].strip()]
            if not wanted.wants_ledger(event_type, fields[i_reference].strip()):
                continue
            quantity = parse_int(fields[i_quantity], "Quantity")
            disposition = fields[i_disposition].strip()
            unreconciled = fields[i_unreconciled]
            append(
                LedgerRow(
                    date=days[fields[i_date].strip()],
                    fnsku=fields[i_fnsku].strip(),
                    asin=fields[i_asin].strip(),
                    msku=fields[i_msku].strip(),
                    event_type=event_type,
                    reference_id=fields[i_reference].strip(),
                    quantity=quantity,
                    fulfillment_center=fields[i_fc].strip(),
                    disposition=disposition,
                    reason=reasons[fields[i_reason], disposition, quantity > 0],
                    country=fields[i_country].strip(),
                    unreconciled_quantity=parse_int(unreconciled, "Unreconciled Quantity")
                    if unreconciled.strip()
                    else None,
                    source=Source(name, line),
                )
            )
        except ValueError as exc:
            raise _fail(name, line, exc) from None
    return rows


def _read_reimbursements(
    records: Iterable[tuple[int, list[str]]],
    columns: Sequence[str],
    name: str,
    _wanted: _Wanted,
) -> list[ReimbursementRow]:
    at = _Columns(columns)
    has_total = "quantityreimbursedtotal" in at.positions
    rows: list[ReimbursementRow] = []
    for line, fields in records:
        at.pad(fields)

        def get(column: str, fields: list[str] = fields) -> str:
            return fields[at[column]].strip()

        try:
            cash = parse_optional_int(get("quantityreimbursedcash"), "quantity-reimbursed-cash")
            inventory = parse_optional_int(
                get("quantityreimbursedinventory"), "quantity-reimbursed-inventory"
            )
            if has_total:
                total = parse_int(get("quantityreimbursedtotal"), "quantity-reimbursed-total")
            else:
                total = (cash or 0) + (inventory or 0)
            rows.append(
                ReimbursementRow(
                    approval_date=parse_day(get("approvaldate"), "approval-date"),
                    reimbursement_id=get("reimbursementid"),
                    case_id=get("caseid"),
                    amazon_order_id=get("amazonorderid"),
                    reason=get("reason"),
                    sku=get("sku"),
                    fnsku=get("fnsku"),
                    asin=get("asin"),
                    currency=get("currencyunit").upper(),
                    amount_per_unit=parse_decimal(get("amountperunit"), "amount-per-unit"),
                    amount_total=parse_decimal(get("amounttotal"), "amount-total"),
                    quantity_cash=cash,
                    quantity_inventory=inventory,
                    quantity_total=total,
                    original_reimbursement_id=get("originalreimbursementid"),
                    original_reimbursement_type=get("originalreimbursementtype"),
                    source=Source(name, line),
                )
            )
        except ValueError as exc:
            raise _fail(name, line, exc) from None
    return rows


def _read_returns(
    records: Iterable[tuple[int, list[str]]],
    columns: Sequence[str],
    name: str,
    _wanted: _Wanted,
) -> list[ReturnRow]:
    at = _Columns(columns)
    i_order = at["orderid"] if "orderid" in at.positions else at["amazonorderid"]
    i_date, i_sku, i_asin, i_fnsku = at["returndate"], at["sku"], at["asin"], at["fnsku"]
    i_quantity, i_fc = at["quantity"], at["fulfillmentcenterid"]
    i_disposition, i_reason, i_status = at["detaileddisposition"], at["reason"], at["status"]
    i_lpn = at["licenseplatenumber"]
    days = _Cache(lambda text: parse_day(text, "return-date"))
    rows: list[ReturnRow] = []
    for line, fields in records:
        at.pad(fields)
        try:
            rows.append(
                ReturnRow(
                    return_date=days[fields[i_date].strip()[:10]],
                    order_id=fields[i_order].strip(),
                    sku=fields[i_sku].strip(),
                    asin=fields[i_asin].strip(),
                    fnsku=fields[i_fnsku].strip(),
                    quantity=parse_int(fields[i_quantity], "quantity"),
                    fulfillment_center=fields[i_fc].strip(),
                    disposition=fields[i_disposition].strip().upper(),
                    reason=fields[i_reason].strip().upper(),
                    status=fields[i_status].strip(),
                    license_plate_number=fields[i_lpn].strip(),
                    source=Source(name, line),
                )
            )
        except ValueError as exc:
            raise _fail(name, line, exc) from None
    return rows


def _read_orders(
    records: Iterable[tuple[int, list[str]]],
    columns: Sequence[str],
    name: str,
    filters: _Wanted,
) -> list[OrderRow]:
    at = _Columns(columns)
    i_order, i_sku, i_asin, i_quantity = at["amazonorderid"], at["sku"], at["asin"], at["quantity"]
    i_currency, i_price, i_status = at["currency"], at["itemprice"], at["itemstatus"]
    i_channel = at["saleschannel"]
    wanted = filters.orders
    order_ids = wanted.order_ids if wanted is not None else None
    skus = wanted.skus if wanted is not None else None
    rows: list[OrderRow] = []
    for line, fields in records:
        at.pad(fields)
        order_id, sku = fields[i_order].strip(), fields[i_sku].strip()
        if order_ids is not None and order_id not in order_ids and sku not in skus:  # type: ignore[operator]
            continue
        try:
            rows.append(
                OrderRow(
                    order_id=order_id,
                    sku=sku,
                    asin=fields[i_asin].strip(),
                    quantity=parse_int(fields[i_quantity], "quantity"),
                    currency=fields[i_currency].strip().upper(),
                    item_price=parse_decimal(fields[i_price], "item-price"),
                    item_status=fields[i_status].strip(),
                    sales_channel=fields[i_channel].strip(),
                    source=Source(name, line),
                )
            )
        except ValueError as exc:
            raise _fail(name, line, exc) from None
    return rows


def _read_costs(
    records: Iterable[tuple[int, list[str]]],
    columns: Sequence[str],
    name: str,
    _wanted: _Wanted,
) -> list[CostRow]:
    at = _Columns(columns)
    i_sku, i_cost, i_currency = at["sku"], at["unitcost"], at["currency"]
    rows: list[CostRow] = []
    for line, fields in records:
        at.pad(fields)
        try:
            sku = fields[i_sku].strip()
            if not sku:
                raise ValueError("sku is empty")
            cost = parse_decimal(fields[i_cost], "unit_cost")
            if cost is None or cost < 0:
                raise ValueError(f"unit_cost {fields[i_cost].strip()!r} is not a positive amount")
            currency = fields[i_currency].strip().upper()
            if not re.fullmatch(r"[A-Z]{3}", currency):
                raise ValueError(f"currency {fields[i_currency].strip()!r} is not an ISO code")
            rows.append(CostRow(sku, cost, currency, Source(name, line)))
        except ValueError as exc:
            raise _fail(name, line, exc) from None
    return rows


_ROW_READERS: dict[ReportKind, Callable[..., list[Any]]] = {
    ReportKind.LEDGER: _read_ledger,
    ReportKind.REIMBURSEMENTS: _read_reimbursements,
    ReportKind.RETURNS: _read_returns,
    ReportKind.ORDERS: _read_orders,
    ReportKind.COSTS: _read_costs,
}


# --- JSON documents ----------------------------------------------------------------------


def _read_json(text: io.TextIOWrapper, name: str, refund_identities: bool = True) -> ParsedReport:
    try:
        document = json.load(text)
    except json.JSONDecodeError as exc:
        raise ReportError(
            name, f"invalid JSON ({exc.msg}, column {exc.colno})", line=exc.lineno
        ) from None
    return parse_document(document, name, refund_identities)


def parse_document(document: object, name: str, refund_identities: bool = True) -> ParsedReport:
    """Recognise an SP-API JSON document (Finances refunds, inbound shipments or items)."""
    try:
        return _parse_document(document, name, refund_identities)
    except ValueError as exc:
        raise ReportError(name, str(exc)) from None


def _parse_document(document: object, name: str, refund_identities: bool) -> ParsedReport:
    found = _locate(
        document, "RefundEventList", (("payload", "FinancialEvents"), ("FinancialEvents",), ())
    )
    if found is not None:
        path, elements = found
        return ParsedReport(
            name,
            ReportKind.FINANCES,
            _elements(elements, name, path, _refund_event, identities=refund_identities),
        )
    found = _locate(document, "ShipmentData", (("payload",), ()))
    if found is not None:
        path, elements = found
        return ParsedReport(
            name, ReportKind.INBOUND_SHIPMENTS, _elements(elements, name, path, _inbound_shipment)
        )
    found = _locate(document, "ItemData", (("payload",), ()))
    if found is not None:
        path, elements = found
        return ParsedReport(
            name, ReportKind.INBOUND_ITEMS, _elements(elements, name, path, _inbound_item)
        )
    raise ReportError(
        name,
        "JSON is not a recognised document (expected a Finances "
        "RefundEventList, payload.ShipmentData or payload.ItemData)",
    )


def _locate(
    document: object, key: str, prefixes: Sequence[tuple[str, ...]]
) -> tuple[str, list[Any]] | None:
    for prefix in prefixes:
        node = document
        for step in prefix:
            node = node.get(step) if isinstance(node, dict) else None
        if isinstance(node, dict) and key in node:
            value = node[key]
            path = ".".join((*prefix, key))
            if not isinstance(value, list):
                raise ValueError(f"{path} is not a list")
            return path, value
    return None


def _elements(
    elements: list[Any],
    name: str,
    path: str,
    build: Callable[[dict[str, Any], Source, str | None], Any],
    *,
    identities: bool = True,
) -> list[Any]:
    rows = []
    for position, element in enumerate(elements):
        where = f"{path}[{position}]"
        if not isinstance(element, dict):
            raise ReportError(name, "is not an object", path=where)
        identity = (
            json.dumps(element, sort_keys=True, separators=(",", ":")) if identities else None
        )
        try:
            rows.append(build(element, Source(name, path=where), identity))
        except (ValueError, TypeError, ArithmeticError) as exc:
            raise ReportError(name, str(exc), path=where) from None
    return rows


def refund_identities(opener: Opener, name: str, paths: Collection[str]) -> dict[str, str]:
    """The canonical JSON of the refund events at ``paths`` in one Finances document."""
    with open_bytes(opener, name) as stream:
        try:
            document = json.load(io.TextIOWrapper(stream, encoding="utf-8-sig"))
        except UnicodeDecodeError:
            stream.seek(0)
            document = json.load(io.TextIOWrapper(stream, encoding="cp1252"))
    found = _locate(
        document, "RefundEventList", (("payload", "FinancialEvents"), ("FinancialEvents",), ())
    )
    if found is None:
        raise ReportError(name, "no longer holds a RefundEventList")
    path, elements = found
    identities = {}
    for position, element in enumerate(elements):
        where = f"{path}[{position}]"
        if where in paths:
            identities[where] = json.dumps(element, sort_keys=True, separators=(",", ":"))
    return identities


def _text(element: dict[str, Any], key: str, *, required: bool = False) -> str:
    value = element.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ValueError(f"{key} is missing")
        return ""
    if not isinstance(value, str | int):
        raise ValueError(f"{key} is not text")
    return str(value).strip()


def _count(element: dict[str, Any], key: str, *, default: int | None = None) -> int:
    value = element.get(key)
    if value is None and default is not None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"{key} {value!r} is not a whole number")
    return parse_int(str(value), key)


def _refund_event(element: dict[str, Any], source: Source, identity: str | None) -> RefundEvent:
    items = []
    for entry in element.get("ShipmentItemAdjustmentList") or ():
        if not isinstance(entry, dict):
            raise ValueError("ShipmentItemAdjustmentList holds a non-object")
        principal = Decimal(0)
        currency = ""
        for charge in entry.get("ItemChargeAdjustmentList") or ():
            if not isinstance(charge, dict) or charge.get("ChargeType") != "Principal":
                continue
            amount = charge.get("ChargeAmount") or {}
            value = amount.get("CurrencyAmount")
            if value is None:
                continue
            number = parse_decimal(str(value), "CurrencyAmount")
            principal += number or 0
            currency = currency or str(amount.get("CurrencyCode") or "").upper()
        sku = entry.get("SellerSKU")
        items.append(
            RefundItem(
                sku=sku.strip()
                if isinstance(sku, str) and sku.strip()
                else _text(entry, "SellerSKU", required=True),
                quantity=_count(entry, "QuantityShipped", default=0),
                principal=principal,
                currency=currency,
            )
        )
    order_id = element.get("AmazonOrderId")
    marketplace = element.get("MarketplaceName")
    return RefundEvent(
        order_id=order_id.strip()
        if isinstance(order_id, str) and order_id.strip()
        else _text(element, "AmazonOrderId", required=True),
        marketplace_name=marketplace.strip()
        if isinstance(marketplace, str)
        else _text(element, "MarketplaceName"),
        posted_date=parse_utc_day(element.get("PostedDate"), "PostedDate"),
        items=tuple(items),
        identity=identity,
        source=source,
    )


def _inbound_shipment(
    element: dict[str, Any], source: Source, identity: str | None
) -> InboundShipment:
    assert identity is not None
    return InboundShipment(
        shipment_id=_text(element, "ShipmentId", required=True),
        status=_text(element, "ShipmentStatus").upper(),
        destination_fc=_text(element, "DestinationFulfillmentCenterId"),
        identity=identity,
        source=source,
    )


def _inbound_item(element: dict[str, Any], source: Source, identity: str | None) -> InboundItem:
    assert identity is not None
    return InboundItem(
        shipment_id=_text(element, "ShipmentId", required=True),
        sku=_text(element, "SellerSKU", required=True),
        fnsku=_text(element, "FulfillmentNetworkSKU"),
        quantity_shipped=_count(element, "QuantityShipped"),
        quantity_received=_count(element, "QuantityReceived", default=0),
        identity=identity,
        source=source,
    )
