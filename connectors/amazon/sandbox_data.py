"""The seller a sandbox serves: one folder of Amazon files, read with ``parse.py`` and written
back the way SP-API hands them out.

Files are recognised by shape, as ``claimdesk reconcile`` recognises them; every Inventory
Ledger row is kept (reconcile keeps only the event types the engine reads). Files that are not
Amazon's (the seller's costs, notes, unreadable copies) are left out with one log line each.
Several files of one kind are merged as reconcile merges them: a row counts as often as it
appears in the one file holding it most often, so a file and its copy count once.

Reports are written back as TSV in Amazon's download layout from the normalized rows, with
every column the engine reads; a report fetched through the sandbox and read with
``parse.read_report`` gives the rows the folder gave. JSON documents keep their original
elements (a row's ``identity`` is its element's canonical JSON).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, TypeVar

from connectors.amazon.models import (
    InboundItem,
    InboundShipment,
    LedgerRow,
    OrderRow,
    RefundEvent,
    ReimbursementRow,
    ReportKind,
    ReturnRow,
)
from connectors.amazon.parse import (
    ParsedReport,
    normalize_header,
    open_bytes,
    parse_day,
    read_report,
    sniff_kind,
)
from connectors.errors import ReportError

logger = logging.getLogger(__name__)

LEDGER_COLUMNS = (
    "Date", "FNSKU", "ASIN", "MSKU", "Title", "Event Type", "Reference ID", "Quantity",
    "Fulfillment Center", "Disposition", "Reason", "Country", "Reconciled Quantity",
    "Unreconciled Quantity",
)  # fmt: skip
REIMBURSEMENT_COLUMNS = (
    "approval-date", "reimbursement-id", "case-id", "amazon-order-id", "reason", "sku", "fnsku",
    "asin", "product-name", "condition", "currency-unit", "amount-per-unit", "amount-total",
    "quantity-reimbursed-cash", "quantity-reimbursed-inventory", "quantity-reimbursed-total",
    "original-reimbursement-id", "original-reimbursement-type",
)  # fmt: skip
RETURN_COLUMNS = (
    "return-date", "order-id", "sku", "asin", "fnsku", "product-name", "quantity",
    "fulfillment-center-id", "detailed-disposition", "reason", "status", "license-plate-number",
    "customer-comments",
)  # fmt: skip
ORDER_COLUMNS = (
    "amazon-order-id", "merchant-order-id", "purchase-date", "last-updated-date", "order-status",
    "fulfillment-channel", "sales-channel", "order-channel", "ship-service-level",
    "product-name", "sku", "asin", "item-status", "quantity", "currency", "item-price",
    "item-tax", "shipping-price", "shipping-tax", "gift-wrap-price", "gift-wrap-tax",
    "item-promotion-discount", "ship-promotion-discount", "ship-city", "ship-state",
    "ship-postal-code", "ship-country", "promotion-ids", "is-business-order",
    "purchase-order-number", "price-designation",
)  # fmt: skip

# Ledger event types as Amazon spells them, by their normalized name.
_EVENT_TYPES = {
    normalize_header(name): name
    for name in (
        "Adjustments",
        "CustomerReturns",
        "Receipts",
        "Shipments",
        "VendorReturns",
        "WhseTransfers",
    )
}

# Sales channel -> marketplace id (developer-docs "Marketplace IDs").
MARKETPLACE_IDS = {
    "amazon.com": "ATVPDKIKX0DER",
    "amazon.ca": "A2EUQ1WTGCTBG2",
    "amazon.com.mx": "A1AM78C64UM0Y8",
    "amazon.com.br": "A2Q3Y263D00KWC",
    "amazon.co.uk": "A1F83G8C2ARO7P",
    "amazon.de": "A1PA6795UKMFR9",
    "amazon.fr": "A13V1IB3VIYZZH",
    "amazon.it": "APJ6JRA9NG5V4",
    "amazon.es": "A1RKKUPIHCS9HS",
    "amazon.nl": "A1805IZSGTT6HS",
    "amazon.com.be": "AMEN7PMS3EDWL",
    "amazon.ie": "A28R8C7NBKEWEA",
    "amazon.se": "A2NODRKZP88ZB9",
    "amazon.pl": "A1C3SOZRARQ6R3",
    "amazon.com.tr": "A33AVAJ2PDY3EV",
    "amazon.co.jp": "A1VC38T7YXB528",
    "amazon.com.au": "A39IBJ37TRP1C6",
    "amazon.in": "A21TJRUUN4KGV",
    "amazon.sg": "A19VAU5U5O7RUS",
    "amazon.ae": "A2VIGQ35RCS4UG",
    "amazon.sa": "A17E79C6D8DWNP",
    "amazon.eg": "ARBP9OOSHTCHU",
    "amazon.co.za": "AE08WJ6YKNBMC",
}

# All Orders order-status (normalized) -> Orders 2026-01-01 FulfillmentStatus.
_FULFILLMENT_STATUS = {
    "pendingavailability": "PENDING_AVAILABILITY",
    "pending": "PENDING",
    "unshipped": "UNSHIPPED",
    "partiallyshipped": "PARTIALLY_SHIPPED",
    "shipping": "PARTIALLY_SHIPPED",
    "shipped": "SHIPPED",
    "cancelled": "CANCELLED",
    "canceled": "CANCELLED",
    "unfulfillable": "UNFULFILLABLE",
}

RowT = TypeVar("RowT")
_BREAKS = re.compile(r"[\t\r\n]")


@dataclass(frozen=True, slots=True)
class OrderLine:
    """An All Orders row with the columns the engine does not read but the API serves."""

    row: OrderRow
    purchased: datetime | None
    last_updated: datetime | None
    fields: Sequence[str] = ()  # the original line
    columns: Mapping[str, int] = field(default_factory=dict)  # normalized name -> position

    def key(self) -> tuple[object, ...]:
        return self.row.key()

    def get(self, column: str) -> str:
        """The original value of ``column`` (a normalized name), "" when absent."""
        position = self.columns.get(column)
        if position is None or position >= len(self.fields):
            return ""
        return self.fields[position].strip()


@dataclass(frozen=True, slots=True)
class Timed:
    """A JSON element as it was in its file, with the time the API selects it by."""

    element: dict[str, Any]
    moment: datetime
    identity: str

    def key(self) -> tuple[object, ...]:
        return (self.identity,)


@dataclass
class Seller:
    """Everything the sandbox serves, merged across files."""

    ledger: list[LedgerRow] = field(default_factory=list)
    reimbursements: list[ReimbursementRow] = field(default_factory=list)
    returns: list[ReturnRow] = field(default_factory=list)
    orders: list[OrderLine] = field(default_factory=list)
    refunds: list[Timed] = field(default_factory=list)  # Finances RefundEventList elements
    shipments: list[Timed] = field(default_factory=list)  # moment: last updated
    items: list[Timed] = field(default_factory=list)  # moment: the shipment's last update
    served: list[tuple[str, ReportKind, int]] = field(default_factory=list)
    left_out: list[tuple[str, str]] = field(default_factory=list)


# --- loading -------------------------------------------------------------------------------------


def list_files(directory: Path) -> list[Path]:
    """Every file under ``directory`` except hidden ones, as reconcile lists them."""
    found = []
    for path in sorted(directory.rglob("*")):
        if any(part.startswith(".") for part in path.relative_to(directory).parts):
            continue
        if path.is_file():
            found.append(path)
    return found


def _opener(path: Path) -> Callable[[], IO[bytes]]:
    return lambda: path.open("rb")


def load_seller(directory: Path) -> Seller:
    """Read the Amazon files of ``directory``; leave out the rest, saying why."""
    seller = Seller()
    by_kind: dict[ReportKind, list[ParsedReport]] = {kind: [] for kind in ReportKind}
    extras: dict[str, tuple[dict[str, int], dict[int, list[str]]]] = {}
    for path in list_files(directory):
        name = path.relative_to(directory).as_posix()
        try:
            kind = sniff_kind(_opener(path), name)
            if kind is ReportKind.COSTS:
                _leave_out(seller, name, "the seller's own costs file, not an Amazon report")
                continue
            report = read_report(_opener(path), name)
            if report.kind is ReportKind.ORDERS:
                extras[name] = _original_records(_opener(path), name)
        except ReportError as error:
            _leave_out(seller, name, f"not a usable Amazon file: {error.describe()}")
            continue
        except OSError as error:
            _leave_out(seller, name, f"cannot be read ({error.strerror or error})")
            continue
        by_kind[report.kind].append(report)
        seller.served.append((name, report.kind, len(report.rows)))

    def merged(kind: ReportKind) -> list[Any]:
        return merge([report.rows for report in by_kind[kind]])

    seller.ledger = merged(ReportKind.LEDGER)
    seller.reimbursements = merged(ReportKind.REIMBURSEMENTS)
    seller.returns = merged(ReportKind.RETURNS)
    seller.orders = merge(
        [
            [_order_line(row, extras[report.file]) for row in report.rows]
            for report in by_kind[ReportKind.ORDERS]
        ]
    )
    seller.refunds = merge(
        [[_refund(row) for row in report.rows] for report in by_kind[ReportKind.FINANCES]]
    )
    updated = _shipment_updates(seller)
    seller.shipments = merge(
        [
            [_shipment(row, updated) for row in report.rows]
            for report in by_kind[ReportKind.INBOUND_SHIPMENTS]
        ]
    )
    seller.items = merge(
        [
            [_item(row, updated) for row in report.rows]
            for report in by_kind[ReportKind.INBOUND_ITEMS]
        ]
    )
    return seller


def _leave_out(seller: Seller, name: str, reason: str) -> None:
    logger.warning("left out %s: %s", name, reason)
    seller.left_out.append((name, reason))


def merge(files: Sequence[Sequence[RowT]]) -> list[RowT]:
    """Reconcile's merge (plugin.domain.inputs.merge_rows): a row counts as many times as it
    appears in the one file holding it most often; the first such file's rows are kept.
    """
    if len(files) == 1:
        return list(files[0])
    best: dict[Any, list[RowT]] = {}
    for rows in files:
        groups: dict[Any, list[RowT]] = {}
        for row in rows:
            groups.setdefault(row.key(), []).append(row)  # type: ignore[attr-defined]
        for key, group in groups.items():
            if len(group) > len(best.get(key, ())):
                best[key] = group
    return [row for group in best.values() for row in group]


def _original_records(
    opener: Callable[[], IO[bytes]], name: str
) -> tuple[dict[str, int], dict[int, list[str]]]:
    """The columns (normalized name -> position) and every record of a text report by its
    first physical line.

    ``read_report`` keeps only what the engine reads; the Orders API also serves the purchase
    date, status and channel, so those come from here, matched on the row's line. Quoting is
    read as ``parse.py`` reads it: Amazon's tab downloads are unquoted (a ``"`` is an inch
    mark); comma files and tab files with a quoted header follow CSV rules.
    """
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            with open_bytes(opener, name) as stream:
                text = io.TextIOWrapper(stream, encoding=encoding, newline="")
                header_line = text.readline()
                delimiter = "\t" if "\t" in header_line else ","
                quoted = delimiter == "," or '"' in header_line
                line = header_line.rstrip("\r\n")
                header = (
                    next(csv.reader([line], delimiter=delimiter))
                    if quoted
                    else line.split(delimiter)
                )
                columns: dict[str, int] = {}
                for position, column in enumerate(header):
                    columns.setdefault(normalize_header(column), position)
                records = _quoted_records(text, delimiter) if quoted else _plain_records(text)
                return columns, {start: fields for start, fields in records if fields}
        except UnicodeDecodeError:
            continue
    return {}, {}


def _plain_records(lines: Iterable[str]) -> Iterator[tuple[int, list[str]]]:
    for number, line in enumerate(lines, start=2):  # the header is line 1
        if line.strip():
            yield number, line.rstrip("\r\n").split("\t")


def _quoted_records(text: io.TextIOWrapper, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(text, delimiter=delimiter)
    while True:
        start = reader.line_num + 2  # the header is line 1
        try:
            fields = next(reader)
        except StopIteration:
            return
        yield start, fields


def _moment(text: str) -> datetime | None:
    """An ISO-8601 time (UTC when it has no zone), or the start of a date; None if neither."""
    value = text.strip()
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        try:
            return datetime.combine(parse_day(value, "date"), time(), UTC)
        except ValueError:
            return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def day_start(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)


def _order_line(row: OrderRow, original: tuple[dict[str, int], dict[int, list[str]]]) -> OrderLine:
    columns, records = original
    line = OrderLine(row, None, None, records.get(row.source.line or 0, ()), columns)
    purchased = _moment(line.get("purchasedate"))
    updated = _moment(line.get("lastupdateddate")) or purchased
    if purchased is None:
        logger.warning(
            "%s line %s: order %s has no readable purchase-date; reports with a date range "
            "leave it out",
            row.source.file,
            row.source.line,
            row.order_id,
        )
    return OrderLine(row, purchased, updated, line.fields, columns)


def _refund(row: RefundEvent) -> Timed:
    # The sandbox reads with refund identities on: each is the element's canonical JSON.
    assert row.identity is not None
    element = json.loads(row.identity)
    moment = _moment(str(element.get("PostedDate", ""))) or day_start(row.posted_date)
    return Timed(element, moment, row.identity)


def _shipment_updates(seller: Seller) -> dict[str, datetime]:
    """When each inbound shipment last changed: its latest ledger Receipt, else the data's
    last day (shipments carry no update time of their own)."""
    latest: dict[str, date] = {}
    last_day = date(1970, 1, 1)
    for row in seller.ledger:
        last_day = max(last_day, row.date)
        if row.event_type == "receipts" and row.reference_id:
            known = latest.get(row.reference_id)
            if known is None or row.date > known:
                latest[row.reference_id] = row.date
    updated = {shipment: day_start(day) for shipment, day in latest.items()}
    updated[""] = day_start(last_day)
    return updated


def _shipment(row: InboundShipment, updated: dict[str, datetime]) -> Timed:
    moment = updated.get(row.shipment_id, updated[""])
    return Timed(json.loads(row.identity), moment, row.identity)


def _item(row: InboundItem, updated: dict[str, datetime]) -> Timed:
    moment = updated.get(row.shipment_id, updated[""])
    return Timed(json.loads(row.identity), moment, row.identity)


# --- reports as Amazon writes them ---------------------------------------------------------------


def _tsv(columns: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """Amazon's layout: tab-separated, unquoted, LF. A value holding a tab or a line break
    cannot be written that way; then every field is quoted (a quoted header tells readers)."""
    table = [list(columns), *(list(row) for row in rows)]
    if any(_BREAKS.search(value) for row in table for value in row):
        out = io.StringIO()
        csv.writer(out, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_ALL).writerows(table)
        return out.getvalue()
    return "".join("\t".join(row) + "\n" for row in table)


def _number(value: Decimal | int | None) -> str:
    return "" if value is None else str(value)


def _stamp(day: date) -> str:
    return f"{day.isoformat()}T00:00:00+00:00"


def ledger_tsv(rows: Iterable[LedgerRow]) -> str:
    """GET_LEDGER_DETAIL_VIEW_DATA: ``Date`` as MM/DD/YYYY, reasons as ledger codes."""
    return _tsv(
        LEDGER_COLUMNS,
        (
            (
                f"{r.date.month:02d}/{r.date.day:02d}/{r.date.year}",
                r.fnsku,
                r.asin,
                r.msku,
                "",
                _EVENT_TYPES.get(r.event_type, r.event_type),
                r.reference_id,
                str(r.quantity),
                r.fulfillment_center,
                r.disposition,
                r.reason,
                r.country,
                "",
                _number(r.unreconciled_quantity),
            )
            for r in rows
        ),
    )


def reimbursements_tsv(rows: Iterable[ReimbursementRow]) -> str:
    """GET_FBA_REIMBURSEMENTS_DATA."""
    return _tsv(
        REIMBURSEMENT_COLUMNS,
        (
            (
                _stamp(r.approval_date),
                r.reimbursement_id,
                r.case_id,
                r.amazon_order_id,
                r.reason,
                r.sku,
                r.fnsku,
                r.asin,
                "",
                "",
                r.currency,
                _number(r.amount_per_unit),
                _number(r.amount_total),
                _number(r.quantity_cash),
                _number(r.quantity_inventory),
                str(r.quantity_total),
                r.original_reimbursement_id,
                r.original_reimbursement_type,
            )
            for r in rows
        ),
    )


def returns_tsv(rows: Iterable[ReturnRow]) -> str:
    """GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA."""
    return _tsv(
        RETURN_COLUMNS,
        (
            (
                _stamp(r.return_date),
                r.order_id,
                r.sku,
                r.asin,
                r.fnsku,
                "",
                str(r.quantity),
                r.fulfillment_center,
                r.disposition,
                r.reason,
                r.status,
                r.license_plate_number,
                "",
            )
            for r in rows
        ),
    )


def orders_tsv(lines: Iterable[OrderLine]) -> str:
    """GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL: the engine's columns from the
    normalized row, the others as they were in the file."""

    def fields(line: OrderLine) -> list[str]:
        row = line.row
        known = {
            "amazon-order-id": row.order_id,
            "sku": row.sku,
            "asin": row.asin,
            "quantity": str(row.quantity),
            "currency": row.currency,
            "item-price": _number(row.item_price),
            "item-status": row.item_status,
            "sales-channel": row.sales_channel,
        }
        return [known[c] if c in known else line.get(normalize_header(c)) for c in ORDER_COLUMNS]

    return _tsv(ORDER_COLUMNS, (fields(line) for line in lines))


# --- Orders 2026-01-01 ---------------------------------------------------------------------------


def group_orders(lines: Iterable[OrderLine]) -> dict[str, list[OrderLine]]:
    """Order lines by order id, in first-seen order."""
    grouped: dict[str, list[OrderLine]] = {}
    for line in lines:
        grouped.setdefault(line.row.order_id, []).append(line)
    return grouped


def fulfillment_status(lines: Sequence[OrderLine]) -> str:
    status = normalize_header(lines[0].get("orderstatus"))
    if status in _FULFILLMENT_STATUS:
        return _FULFILLMENT_STATUS[status]
    shipped = [normalize_header(line.row.item_status) == "shipped" for line in lines]
    return "SHIPPED" if all(shipped) else "PARTIALLY_SHIPPED" if any(shipped) else "PENDING"


def fulfilled_by(lines: Sequence[OrderLine]) -> str:
    channel = normalize_header(lines[0].get("fulfillmentchannel"))
    return "MERCHANT" if channel in ("merchant", "mfn", "sellerfulfilled") else "AMAZON"


def marketplace_id(lines: Sequence[OrderLine]) -> str | None:
    return MARKETPLACE_IDS.get(lines[0].row.sales_channel.strip().lower())


def order_times(lines: Sequence[OrderLine]) -> tuple[datetime | None, datetime | None]:
    """(created, last updated) of an order from its lines."""
    created = min((line.purchased for line in lines if line.purchased), default=None)
    updated = max((line.last_updated for line in lines if line.last_updated), default=created)
    return created, updated


def _order_item_id(order_id: str, index: int) -> str:
    digest = hashlib.sha256(f"{order_id}:{index}".encode()).hexdigest()
    return f"{int(digest[:15], 16) % 10**14:014d}"


def _money(amount: Decimal, currency: str) -> dict[str, str]:
    return {"amount": str(amount.quantize(Decimal("0.01"))), "currencyCode": currency}


def order_json(
    order_id: str,
    lines: Sequence[OrderLine],
    included: Iterable[str],
    now: datetime | None = None,
) -> dict[str, Any]:
    """An Orders 2026-01-01 ``Order`` built from the order's All Orders lines; ``now`` (the
    sandbox clock) sets where its parcels are."""
    wanted = set(included)
    created, updated = order_times(lines)
    channel = lines[0].row.sales_channel.strip()
    sales_channel: dict[str, Any] = {
        "channelName": "NON_AMAZON" if normalize_header(channel) == "nonamazon" else "AMAZON"
    }
    market = marketplace_id(lines)
    if market:
        sales_channel["marketplaceId"] = market
    if channel:
        sales_channel["marketplaceName"] = channel
    items = []
    total = Decimal(0)
    currency = ""
    for index, line in enumerate(lines):
        row = line.row
        product: dict[str, Any] = {"sellerSku": row.sku}
        if row.asin:
            product["asin"] = row.asin
        if line.get("productname"):
            product["title"] = line.get("productname")
        if row.item_price is not None and row.currency:
            unit = row.item_price / row.quantity if row.quantity else row.item_price
            product["price"] = {"unitPrice": _money(unit, row.currency)}
            total += row.item_price
            currency = currency or row.currency
        item: dict[str, Any] = {
            "orderItemId": _order_item_id(order_id, index),
            "quantityOrdered": row.quantity,
            "product": product,
        }
        if "FULFILLMENT" in wanted:
            done = row.quantity if normalize_header(row.item_status) == "shipped" else 0
            item["fulfillment"] = {
                "quantityFulfilled": done,
                "quantityUnfulfilled": row.quantity - done,
            }
        if "PROCEEDS" in wanted and row.item_price is not None and row.currency:
            item["proceeds"] = {"proceedsTotal": _money(row.item_price, row.currency)}
        items.append(item)
    order: dict[str, Any] = {
        "orderId": order_id,
        "createdTime": _iso(created),
        "lastUpdatedTime": _iso(updated or created),
        "salesChannel": sales_channel,
    }
    if "BUYER" in wanted:
        order["buyer"] = buyer_json(order_id)
    order["orderItems"] = items
    if "FULFILLMENT" in wanted:
        order["fulfillment"] = {
            "fulfillmentStatus": fulfillment_status(lines),
            "fulfilledBy": fulfilled_by(lines),
        }
        if lines[0].get("shipservicelevel"):
            order["fulfillment"]["fulfillmentServiceLevel"] = lines[0].get("shipservicelevel")
        window = promised_window(order_id, lines)
        if window is not None and order["fulfillment"]["fulfillmentStatus"] == "SHIPPED":
            order["fulfillment"]["deliverByWindow"] = window
    if "PROCEEDS" in wanted and currency:
        order["proceeds"] = {"grandTotal": _money(total, currency)}
    if "PACKAGES" in wanted:
        packages = packages_json(order_id, lines, now or datetime.now(UTC))
        if packages:
            order["packages"] = packages
    return order


def _iso(moment: datetime | None) -> str:
    if moment is None:  # an order without a readable purchase-date: the epoch, never "now"
        moment = datetime(1970, 1, 1, tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iter_windowed(
    items: Iterable[RowT], moment: Callable[[RowT], datetime | None], start: datetime | None,
    end: datetime | None,
) -> Iterator[RowT]:  # fmt: skip
    """Items whose moment falls in [start, end); with no bounds, every item."""
    for item in items:
        if start is None and end is None:
            yield item
            continue
        when = moment(item)
        if when is None:
            continue
        if start is not None and when < start:
            continue
        if end is not None and when >= end:
            continue
        yield item


# Buyers: Amazon shows sellers an anonymised relay address and a name; the sandbox derives
# both from the order id, so the Zendesk sandbox's tickets can name the same customer.
_FIRST_NAMES = (
    "Emma", "Liam", "Olivia", "Noah", "Ava", "Lucas", "Mia", "Léa", "Hugo", "Chloé",
    "Jonas", "Lena", "Sofía", "Mateo", "Giulia", "Marco", "Yuki", "Haruto", "Wei", "Mei",
)  # fmt: skip
_LAST_NAMES = (
    "Smith", "Johnson", "Garcia", "Martin", "Bernard", "Müller", "Schmidt", "Rossi",
    "Fernández", "Tanaka", "Sato", "Wang", "Li", "O'Brien", "Nguyen", "Dubois",
)  # fmt: skip


def buyer_email(order_id: str) -> str:
    """The order's buyer address as Amazon relays it: ``<token>@marketplace.amazon.com``."""
    token = hashlib.sha256(f"buyer:{order_id}".encode()).hexdigest()[:14]
    return f"{token}@marketplace.amazon.com"


def buyer_name(order_id: str) -> str:
    """A plausible buyer name, the same for the same order id."""
    digest = hashlib.sha256(f"name:{order_id}".encode()).digest()
    return (
        f"{_FIRST_NAMES[digest[0] % len(_FIRST_NAMES)]} {_LAST_NAMES[digest[1] % len(_LAST_NAMES)]}"
    )


# --- Packages (Orders 2026-01-01 includedData=PACKAGES) ----------------------------------------
#
# A shipped order has one package (two for some orders of several lines), each with a carrier
# as Amazon names it, a tracking number valid for that carrier (check digits computed), a ship
# time a few hours after the purchase, and a status that follows the sandbox clock: picked up,
# in transit for a few days, out for delivery, then delivered. A few parcels (by their order
# id) never arrive: they stay at the destination centre, or go back to the seller.

US_MARKETPLACE_ID = "ATVPDKIKX0DER"
STUCK_IN_TRANSIT = "stuck"
RETURNED = "returned"
DELIVERS = "delivers"
_US_FBA_CARRIERS = ("AMZN_US", "AMZN_US", "UPS", "USPS")
_US_FBM_CARRIERS = ("UPS", "USPS", "FedEx")
_SERVICES = {
    "UPS": ("UPS Ground", "UPS 2nd Day Air"),
    "USPS": ("USPS Ground Advantage", "USPS Priority Mail"),
    "FedEx": ("FedEx Home Delivery", "FedEx 2Day"),
    "DHL": ("DHL Express Worldwide", "DHL Express 12:00"),
    "AMZN": ("Amazon Standard", "Amazon Expedited"),
}
_ALPHANUMERIC = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"


def _digest(order_id: str, purpose: str) -> bytes:
    return hashlib.sha256(f"{purpose}:{order_id}".encode()).digest()


def _digits(digest: bytes, count: int) -> str:
    return f"{int.from_bytes(digest, 'big') % 10**count:0{count}d}"


def ups_check_digit(body: str) -> int:
    """UPS 1Z check digit of the 15 characters after ``1Z``: letters count as (code - 3) mod
    10, odd positions once and even positions twice, then the complement to 10."""
    total = 0
    for position, char in enumerate(body):
        value = int(char) if char.isdigit() else (ord(char.upper()) - 3) % 10
        total += value * (2 if position % 2 else 1)
    return (10 - total % 10) % 10


def mod10_check_digit(body: str) -> int:
    """GS1 mod 10 (USPS IMpb): from the right, digits weigh 3, 1, 3 …; complement to 10."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def fedex_check_digit(body: str) -> int:
    """FedEx 12-digit check digit of 11 digits: weights 1, 3, 7 from the right, mod 11, mod 10."""
    weights = (1, 3, 7)
    total = sum(int(d) * weights[i % 3] for i, d in enumerate(reversed(body)))
    return total % 11 % 10


def tracking_number(carrier: str, order_id: str, index: int = 0) -> str:
    """A valid tracking number for ``carrier`` (Amazon's name), the same for the same order."""
    digest = _digest(order_id, f"tracking:{index}")
    if carrier == "UPS":
        # Six characters of shipper account (Amazon ships FBA parcels on many), service, package.
        shipper = "".join(_ALPHANUMERIC[b % len(_ALPHANUMERIC)] for b in digest[10:16])
        body = shipper + ("03" if digest[0] % 3 else "02") + _digits(digest[1:10], 7)
        return f"1Z{body}{ups_check_digit(body)}"
    if carrier == "USPS":
        body = "9400111" + _digits(digest, 14)
        return f"{body}{mod10_check_digit(body)}"
    if carrier == "FedEx":
        body = str(1 + digest[0] % 9) + _digits(digest[1:], 10)
        return f"{body}{fedex_check_digit(body)}"
    if carrier == "DHL":
        serial = str(1 + digest[0] % 9) + _digits(digest[1:], 8)
        return f"{serial}{int(serial) % 7}"
    return "TBA" + _digits(digest, 12)  # Amazon Logistics: no check digit


def _carrier(order_id: str, lines: Sequence[OrderLine], index: int) -> str:
    digest = _digest(order_id, f"carrier:{index}")
    market = marketplace_id(lines)
    if market not in (None, US_MARKETPLACE_ID):
        tld = lines[0].row.sales_channel.strip().lower().rsplit(".", 1)[-1].upper()
        return "DHL" if digest[0] % 2 else f"AMZN_{'UK' if tld == 'UK' else tld}"
    choices = _US_FBM_CARRIERS if fulfilled_by(lines) == "MERCHANT" else _US_FBA_CARRIERS
    return choices[digest[0] % len(choices)]


def package_fate(order_id: str) -> str:
    """What becomes of an order's parcels: most arrive; 1 in 25 sticks, 1 in 40 goes back."""
    value = int.from_bytes(_digest(order_id, "fate")[:4], "big") % 1000
    return STUCK_IN_TRANSIT if value < 40 else RETURNED if value < 65 else DELIVERS


def ship_time(order_id: str, lines: Sequence[OrderLine]) -> datetime | None:
    """When the order's parcels left: 4 to 36 hours after the purchase."""
    created, _ = order_times(lines)
    if created is None:
        return None
    hours = 4 + _digest(order_id, "ship")[0] % 33
    return created + timedelta(hours=hours)


def transit_hours(order_id: str) -> int:
    """Hours from ship time to delivery: two to five days."""
    return 48 + _digest(order_id, "transit")[0] % 73


def package_status(order_id: str, shipped: datetime, now: datetime) -> dict[str, str]:
    """The ``PackageStatus`` of a parcel shipped at ``shipped``, seen at ``now``."""
    hours = (now - shipped).total_seconds() / 3600
    transit = transit_hours(order_id)
    fate = package_fate(order_id)
    if hours < 0:
        return {"status": "PENDING", "detailedStatus": "PENDING_PICK_UP"}
    if hours < 6:
        return {"status": "SHIPPED", "detailedStatus": "PICKED_UP"}
    if fate == STUCK_IN_TRANSIT and hours >= transit / 2:
        return {"status": "IN_TRANSIT", "detailedStatus": "AT_DESTINATION_FC"}
    if hours < transit / 2:
        return {"status": "IN_TRANSIT", "detailedStatus": "AT_ORIGIN_FC"}
    if hours < transit - 8:
        return {"status": "IN_TRANSIT", "detailedStatus": "AT_DESTINATION_FC"}
    if hours < transit:
        return {"status": "IN_TRANSIT", "detailedStatus": "OUT_FOR_DELIVERY"}
    if fate == RETURNED:
        back = "RETURNED_TO_SELLER" if hours >= transit + 7 * 24 else "RETURNING_TO_SELLER"
        return {"status": "UNDELIVERABLE", "detailedStatus": back}
    return {"status": "DELIVERED", "detailedStatus": "DELIVERED"}


def promised_window(order_id: str, lines: Sequence[OrderLine]) -> dict[str, str] | None:
    """``fulfillment.deliverByWindow`` of a shipped order: around its parcels' arrival."""
    shipped = ship_time(order_id, lines)
    if shipped is None:
        return None
    arrival = shipped + timedelta(hours=transit_hours(order_id))
    return {
        "earliestDateTime": _iso(arrival - timedelta(days=1)),
        "latestDateTime": _iso(arrival + timedelta(days=1)),
    }


def packages_json(order_id: str, lines: Sequence[OrderLine], now: datetime) -> list[dict[str, Any]]:
    """The ``packages`` of an order (none until it ships)."""
    if fulfillment_status(lines) not in ("SHIPPED", "PARTIALLY_SHIPPED"):
        return []
    shipped = ship_time(order_id, lines)
    if shipped is None:
        return []
    indexed = list(enumerate(lines))
    if fulfillment_status(lines) == "PARTIALLY_SHIPPED":
        indexed = [
            (i, line) for i, line in indexed if normalize_header(line.row.item_status) == "shipped"
        ] or indexed[:1]
    count = 2 if len(indexed) > 1 and _digest(order_id, "split")[0] % 3 == 0 else 1
    packages = []
    for number in range(count):
        carrier = _carrier(order_id, lines, number)
        family = "AMZN" if carrier.startswith("AMZN") else carrier
        services = _SERVICES[family]
        package: dict[str, Any] = {
            "packageReferenceId": str(number + 1),
            "createdTime": _iso(shipped - timedelta(hours=2)),
            "packageStatus": package_status(order_id, shipped, now),
            "carrier": carrier,
            "shipTime": _iso(shipped),
            "shippingService": services[_digest(order_id, f"service:{number}")[0] % 2],
            "trackingNumber": tracking_number(carrier, order_id, number),
            "packageItems": [
                {"orderItemId": _order_item_id(order_id, i), "quantity": line.row.quantity}
                for i, line in indexed[number::count]
            ],
        }
        packages.append(package)
    return packages


def buyer_json(order_id: str) -> dict[str, str]:
    """``includedData=BUYER``: the relay address and the buyer's name."""
    return {"buyerName": buyer_name(order_id), "buyerEmail": buyer_email(order_id)}
