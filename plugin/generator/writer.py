"""The only module that touches the disk.

Everything is written into a hidden staging folder next to the target and moved into place at
the end, so a failure leaves nothing half-written. Big files are streamed a day at a time.
Compressed files carry no name and no timestamp, so the same seed gives the same bytes.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import shutil
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from datetime import date, timedelta
from pathlib import Path
from types import TracebackType
from typing import IO, Any, cast

from plugin.generator import documents, tables
from plugin.generator.layouts import LEGACY_ENCODING, Layout
from plugin.generator.records import Refund, Reimbursement, Shipment
from plugin.generator.tables import RowFormatter
from plugin.generator.timeline import DayBatch

PLANTED_FOLDER = ".planted"
MARKER = f"{PLANTED_FOLDER}/claims.json"
LEDGER_A_UNTIL = 150  # the older download ends this many days before as_of
LEDGER_B_FROM = 200  # the newer one starts here: 50 days are in both
RECENT_REFUNDS = 25  # the last pull of finance events repeats this many days
_REFUND_LAG = timedelta(days=10)  # background refunds post at most 5 days before the return
_GZIP_LEVEL = 3


class FolderWriter:
    """Writes one seller folder; replaces the target only if the generator wrote it before."""

    def __init__(self, target: Path, layout: Layout) -> None:
        self.target = target
        self.layout = layout
        self.files: list[str] = []
        self._staging: Path | None = None

    def __enter__(self) -> FolderWriter:
        if self.target.exists():
            if not self.target.is_dir():
                raise FileExistsError(f"{self.target} exists and is not a folder")
            if any(self.target.iterdir()) and not (self.target / MARKER).is_file():
                raise FileExistsError(
                    f"{self.target} is not empty and was not written by the generator; "
                    "choose an empty or new folder"
                )
        self.target.parent.mkdir(parents=True, exist_ok=True)
        staging = self.target.parent / f".{self.target.name}.generating-{os.getpid()}"
        if staging.exists():  # left by a run of this process that was killed
            shutil.rmtree(staging)
        staging.mkdir()
        self._staging = staging
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        staging, self._staging = self._staging, None
        assert staging is not None
        if kind is not None:
            shutil.rmtree(staging, ignore_errors=True)
            return
        if self.target.exists():
            shutil.rmtree(self.target)
        staging.rename(self.target)
        self.files.sort()

    def _path(self, name: str) -> Path:
        assert self._staging is not None, "write inside the with block"
        self.files.append(name)
        path = self._staging / name
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    @contextmanager
    def text(
        self, name: str, *, encoding: str = "utf-8", plain: bool = False, bom: bool = True
    ) -> Iterator[IO[str]]:
        """A text file; in the csv layout compressed and with a BOM unless ``plain``."""
        with ExitStack() as stack:
            raw: IO[bytes] = stack.enter_context(self._path(name).open("wb"))
            if self.layout.compressed and not plain:
                # No file name and no timestamp in the header: same seed, same bytes.
                compressed = gzip.GzipFile(
                    filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=_GZIP_LEVEL
                )
                raw = cast(IO[bytes], stack.enter_context(compressed))
            stream = stack.enter_context(
                io.TextIOWrapper(raw, encoding=encoding, newline="", write_through=False)
            )
            if bom and self.layout.bom and not plain and encoding == "utf-8":
                stream.write("\ufeff")
            yield stream

    def table(self, stem: str, header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
        """A small report in this layout; returns its file name."""
        name = self.layout.text_name(stem)
        line = self.layout.line
        with self.text(name) as stream:
            stream.write(line(header))
            stream.writelines(line(row) for row in rows)
        return name

    def json(self, stem: str, document: Any, *, plain: bool = False) -> None:
        name = stem + ".json" if plain else self.layout.json_name(stem)
        with self.text(name, plain=plain, bom=False) as stream:  # no API answers with a BOM
            json.dump(document, stream, ensure_ascii=False, indent=2)
            stream.write("\n")

    def plain_text(self, name: str, content: str) -> None:
        with self.text(name, plain=True) as stream:
            stream.write(content)

    def copy(self, name: str, copy_name: str) -> None:
        """An exact copy, as when the same report is downloaded twice."""
        assert self._staging is not None
        shutil.copyfile(self._staging / name, self._path(copy_name))


def write_history(
    out: FolderWriter, days: Iterable[DayBatch], *, first_day: date, as_of: date
) -> int:
    """Stream the ledger (two overlapping downloads), orders, returns and refunds.

    Returns the number of ledger rows (a row in both downloads counts once).
    """
    layout = out.layout
    line = layout.line
    fmt = RowFormatter(layout.download_columns)
    a_until = as_of - timedelta(days=LEDGER_A_UNTIL)
    b_from = as_of - timedelta(days=LEDGER_B_FROM)
    last = as_of - timedelta(days=1)
    refunds = _RefundFiles(out, as_of)
    ledger_rows = 0
    with ExitStack() as stack:
        older = stack.enter_context(out.text(layout.text_name(_ledger_stem(first_day, a_until))))
        newer = stack.enter_context(out.text(layout.text_name(_ledger_stem(b_from, last))))
        orders = stack.enter_context(out.text(layout.text_name("all-orders")))
        returns = stack.enter_context(out.text(layout.text_name("fba-customer-returns")))
        legacy = returns
        if layout.compressed:  # the csv layout's one cp1252 file: an Excel export
            legacy = stack.enter_context(
                out.text("customer-returns-export.csv", encoding=LEGACY_ENCODING, plain=True)
            )
            legacy.write(line(layout.header(tables.RETURNS, returns=True)))
        ledger_header = line(layout.header(tables.LEDGER))
        older.write(ledger_header)
        newer.write(ledger_header)
        orders.write(line(layout.header(tables.ORDERS)))
        returns.write(line(layout.header(tables.RETURNS, returns=True)))
        for batch in days:
            chunk = "".join([line(fmt.ledger(entry)) for entry in batch.ledger])
            ledger_rows += len(batch.ledger)
            if batch.day <= a_until:
                older.write(chunk)
            if batch.day >= b_from:
                newer.write(chunk)
            orders.write("".join([line(fmt.order(order)) for order in batch.orders]))
            for item in batch.returns:
                (legacy if item.legacy else returns).write(line(fmt.customer_return(item)))
            refunds.add(batch.day, batch.refunds)
    refunds.close()
    return ledger_rows


def _ledger_stem(start: date, end: date) -> str:
    return f"inventory-ledger-{start.isoformat()}-to-{end.isoformat()}"


class _RefundFiles:
    """Finance events, one file per month of PostedDate, plus a recent pull that overlaps."""

    def __init__(self, out: FolderWriter, as_of: date) -> None:
        self._out = out
        self._recent_from = as_of - timedelta(days=RECENT_REFUNDS)
        self._months: dict[tuple[int, int], list[tuple[date, int, str, str]]] = {}
        self._recent: list[tuple[date, int, str, str]] = []

    def add(self, today: date, refunds: Iterable[Refund]) -> None:
        for refund in refunds:
            text = json.dumps(documents.refund_event(refund), ensure_ascii=False)
            entry = (refund.day, refund.seconds, refund.order_id, text)
            self._months.setdefault((refund.day.year, refund.day.month), []).append(entry)
            if refund.day >= self._recent_from:
                self._recent.append(entry)
        for month in sorted(self._months):
            if today - _month_end(month) > _REFUND_LAG:
                self._write(f"financial-events-{month[0]}-{month[1]:02d}", month,
                            self._months.pop(month))  # fmt: skip

    def close(self) -> None:
        for month in sorted(self._months):
            self._write(f"financial-events-{month[0]}-{month[1]:02d}", month,
                        self._months.pop(month))  # fmt: skip
        if self._recent:
            self._write("financial-events-recent", (0, 0), self._recent)

    def _write(
        self, stem: str, month: tuple[int, int], entries: list[tuple[date, int, str, str]]
    ) -> None:
        entries.sort()
        head, tail = documents.finances_wrapper((month[0] * 12 + month[1]) % 3)
        with self._out.text(self._out.layout.json_name(stem), bom=False) as stream:
            stream.write(head)
            stream.write(",\n".join(entry[3] for entry in entries))
            stream.write(tail)


def _month_end(month: tuple[int, int]) -> date:
    year, number = month
    following = date(year + number // 12, number % 12 + 1, 1)
    return following - timedelta(days=1)


def write_reimbursements(out: FolderWriter, rows: list[Reimbursement]) -> None:
    """The reimbursements report, and the same download saved a second time."""
    fmt = RowFormatter(out.layout.download_columns)
    rows = sorted(rows, key=lambda r: (r.day, r.seconds, r.reimbursement_id))
    name = out.table("reimbursements", out.layout.header(tables.REIMBURSEMENTS),
                     (fmt.reimbursement(row) for row in rows))  # fmt: skip
    out.copy(name, out.layout.text_name("Reimbursements (1)"))


def write_inbound(out: FolderWriter, planted: list[Shipment], background: list[Shipment]) -> None:
    """getShipments per region; items per planted shipment, and all of them grouped.

    The first planted shipment is in both an items file of its own and the grouped one: the
    same ItemData element twice counts once.
    """
    shipments = planted + background
    us = [s for s in shipments if s.market.code == "US"]
    eu = [s for s in shipments if s.market.code != "US"]
    out.json("inbound-shipments-us", documents.shipments_response(us))
    if eu:
        out.json("inbound-shipments-eu", documents.shipments_response(eu))
    for shipment in planted:
        out.json(f"inbound-items-{shipment.shipment_id}", documents.items_response([shipment]))
    out.json("inbound-items", documents.items_response(planted[:1] + background))


def write_costs(out: FolderWriter, rows: list[list[str]]) -> None:
    """The seller's costs: plain comma CSV in every layout."""
    content = ",".join(tables.COSTS) + "\n" + "".join(",".join(row) + "\n" for row in rows)
    out.plain_text("costs.csv", content)
