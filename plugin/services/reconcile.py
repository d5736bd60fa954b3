"""Reconcile a folder of seller files: read what can be read, then run the claims engine.

A file that cannot be used is skipped whole, with its reason; the others still count.
"""

from __future__ import annotations

import contextlib
import gc
import gzip
import logging
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import IO, Any

from connectors.amazon.models import ReportKind
from connectors.amazon.parse import (
    OrderFilter,
    ParsedReport,
    read_report,
    refund_identities,
    sniff_kind,
)
from connectors.errors import ReportError
from plugin.domain.claims import (
    Claim,
    ClaimInputs,
    find_claims,
    find_order_needs,
    shortage_shipments,
)
from plugin.domain.inputs import LEDGER_EVENTS, merge_costs, merge_rows
from plugin.domain.policy import DEFAULT_POLICY, PolicyTable

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SkippedFile:
    file: str
    reason: str


@dataclass(frozen=True)
class ReadFile:
    file: str
    kind: ReportKind
    rows: int


@dataclass(frozen=True)
class Reconciliation:
    """What one run found, and which files it used or skipped."""

    as_of: date
    claims: list[Claim]
    skipped_files: list[SkippedFile] = field(default_factory=list)
    read_files: list[ReadFile] = field(default_factory=list)


def list_input_files(directory: Path) -> list[Path]:
    """Every file under ``directory`` except hidden ones (``.DS_Store``, ``.planted/``)."""
    found = []
    for path in sorted(directory.rglob("*")):
        relative = path.relative_to(directory)
        if any(part.startswith(".") for part in relative.parts):
            continue
        if path.is_file():
            found.append(path)
    return found


def _opener(path: Path) -> Callable[[], IO[bytes]]:
    return lambda: path.open("rb")


def _read_file(
    job: tuple[str, str, dict[str, Any]],
) -> tuple[ParsedReport | None, tuple[str, str] | None]:
    """Read one file; errors come back as data (file, reason) so they cross processes."""
    path, name, options = job
    try:
        return read_report(_opener(Path(path)), name, **options), None
    except ReportError as error:
        return None, (error.file, error.describe())
    except OSError as error:
        return None, (name, f"cannot be read ({error.strerror or error})")


def _looks_inbound(path: Path) -> bool:
    """Whether a JSON document's opening bytes name inbound shipments or items (a hint)."""
    try:
        with path.open("rb") as raw:
            head = raw.read(2)
            raw.seek(0)
            stream: IO[bytes] = (
                gzip.GzipFile(fileobj=raw) if head == b"\x1f\x8b" else raw  # type: ignore[assignment]
            )
            sample = stream.read(1 << 16)
    except (OSError, EOFError, zlib.error):
        return False
    return b'"ShipmentData"' in sample or b'"ItemData"' in sample


class FolderReader:
    """Reads the files of one folder by kind, collecting the ones it had to skip."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.skipped: list[SkippedFile] = []
        self.read: list[ReadFile] = []
        self.by_kind: dict[ReportKind, list[ParsedReport]] = {kind: [] for kind in ReportKind}
        self.orders: list[tuple[Path, str]] = []
        self.paths: dict[str, Path] = {}

    def name(self, path: Path) -> str:
        try:
            return path.relative_to(self.directory).as_posix()
        except ValueError:
            return str(path)

    def read_all(self, paths: Sequence[Path]) -> None:
        """Read every file but All Orders; orders wait for ``read_orders``.

        The inbound documents go first: they name the only shipments whose ledger Receipts
        rows the engine needs, so the (large) ledgers can skip the rest unsplit.
        """
        ledgers: list[tuple[Path, str]] = []
        documents: list[tuple[Path, str]] = []
        others: list[tuple[Path, str]] = []
        for path in paths:
            name = self.name(path)
            try:
                kind = sniff_kind(_opener(path), name)
            except ReportError as error:
                self.skip(error)
                continue
            if kind is ReportKind.ORDERS:
                self.orders.append((path, name))
            elif kind is ReportKind.LEDGER:
                ledgers.append((path, name))
            elif kind is None:
                documents.append((path, name))
            else:
                others.append((path, name))
        inbound = [(path, name) for path, name in documents if _looks_inbound(path)]
        self.read_many([(path, name, {}) for path, name in inbound])
        clocks = self.clocks()
        self.read_many(
            [
                (path, name, {"ledger_events": LEDGER_EVENTS, "receipts_of": clocks})
                for path, name in ledgers
            ]
            + [
                (path, name, {"refund_identities": False})
                for path, name in documents
                if (path, name) not in inbound
            ]
            + [(path, name, {}) for path, name in others]
        )
        self.settle_refund_identities()
        if self.clocks() != clocks:  # an inbound document the peek missed: read ledgers again
            self.by_kind[ReportKind.LEDGER].clear()
            self.read = [r for r in self.read if r.kind is not ReportKind.LEDGER]
            self.read_many(
                [
                    (path, name, {"ledger_events": LEDGER_EVENTS, "receipts_of": self.clocks()})
                    for path, name in ledgers
                ]
            )

    def clocks(self) -> frozenset[str]:
        return shortage_shipments(
            self.merged(ReportKind.INBOUND_SHIPMENTS), self.merged(ReportKind.INBOUND_ITEMS)
        )

    def read_many(self, jobs: Sequence[tuple[Path, str, dict[str, Any]]]) -> None:
        """Read files in the order given (the merge keeps the first file's evidence)."""
        for path, name, options in jobs:
            self.read_one(path, name, **options)

    def settle_refund_identities(self) -> None:
        """Give each refund event the identity that merging files needs, cheaply.

        Equal events are found by comparing whole JSON elements, which costs a canonical
        serialisation each. Only events whose content could also be in another file need it:
        those files are read again for exact identities; every other event is unique.
        """
        reports = self.by_kind[ReportKind.FINANCES]
        files_by_key: dict[tuple[object, ...], set[str]] = {}
        for report in reports:
            for row in report.rows:
                files_by_key.setdefault(row.rough_key(), set()).add(report.file)
        for report in reports:
            shared = [row for row in report.rows if len(files_by_key[row.rough_key()]) > 1]
            if shared:
                exact = refund_identities(
                    _opener(self.paths[report.file]),
                    report.file,
                    {row.source.path for row in shared if row.source.path},
                )
                for row in shared:
                    row.identity = exact[row.source.path or ""]
            for row in report.rows:
                if row.identity is None:
                    row.identity = f"{report.file}#{row.source.path}"

    def read_one(self, path: Path, name: str, **options: Any) -> ParsedReport | None:
        report, error = _read_file((str(path), name, options))
        if error is not None:
            self.skip(ReportError(error[0], error[1]))
            return None
        assert report is not None
        self.add(path, name, report)
        return report

    def add(self, path: Path, name: str, report: ParsedReport) -> None:
        self.by_kind[report.kind].append(report)
        self.read.append(ReadFile(name, report.kind, len(report.rows)))
        self.paths[name] = path

    def read_orders(self, wanted: OrderFilter) -> None:
        self.read_many([(path, name, {"orders": wanted}) for path, name in self.orders])

    def skip(self, error: ReportError) -> None:
        logger.warning("skipped %s: %s", error.file, error.describe())
        self.skipped.append(SkippedFile(error.file, error.describe()))

    def merged(self, kind: ReportKind) -> list[Any]:
        return merge_rows([report.rows for report in self.by_kind[kind]])


def reconcile_folder(
    directory: Path,
    as_of: date,
    *,
    costs_file: Path | None = None,
    policy: PolicyTable = DEFAULT_POLICY,
) -> Reconciliation:
    """Read ``directory`` and return the claims on ``as_of``.

    ``costs_file`` overrides, per SKU, any costs file found in the folder.
    """
    with paused_gc():
        return _reconcile(directory, as_of, costs_file, policy)


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cycle collector while rows pile up.

    Reading builds millions of small objects that form no reference cycles; each full
    collection would walk all of them again (measured: 17% of a 2M-row reconcile).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _reconcile(
    directory: Path, as_of: date, costs_file: Path | None, policy: PolicyTable
) -> Reconciliation:
    reader = FolderReader(directory)
    reader.read_all(list_input_files(directory))
    override: list[Any] = []
    if costs_file is not None:
        report = reader.read_one(costs_file, str(costs_file))
        if report is not None:
            if report.kind is not ReportKind.COSTS:
                reader.by_kind[report.kind].remove(report)
                reader.read.pop()
                reader.skip(
                    ReportError(
                        str(costs_file),
                        "--costs is not a costs file (columns sku,unit_cost,currency)",
                    )
                )
            else:
                reader.by_kind[ReportKind.COSTS].remove(report)
                override = report.rows
    costs = merge_costs((r.rows for r in reader.by_kind[ReportKind.COSTS]), override)
    inputs = ClaimInputs(
        ledger=reader.merged(ReportKind.LEDGER),
        reimbursements=reader.merged(ReportKind.REIMBURSEMENTS),
        returns=reader.merged(ReportKind.RETURNS),
        refunds=reader.merged(ReportKind.FINANCES),
        shipments=reader.merged(ReportKind.INBOUND_SHIPMENTS),
        items=reader.merged(ReportKind.INBOUND_ITEMS),
        costs=costs,
    )
    needs = find_order_needs(inputs, as_of, policy)
    reader.read_orders(OrderFilter(needs.order_ids, needs.skus))
    inputs = replace(inputs, orders=reader.merged(ReportKind.ORDERS))
    return Reconciliation(as_of, find_claims(inputs, as_of, policy), reader.skipped, reader.read)
