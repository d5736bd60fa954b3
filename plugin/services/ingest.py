"""Ingested reports in, the claims engine's inputs out.

``ingest_report`` stores one parsed document (a report download, an API page, a file) under
the spec's duplicate rule (``plugin.store.rows``), so ingesting it again, or an overlapping
one, changes nothing. ``load_inputs`` rebuilds what ``reconcile`` would have read from the
same documents: ``find_claims(load_inputs(...), as_of)`` equals reconciling them as files.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from connectors.amazon.models import CostRow, ReportKind, Source
from connectors.amazon.parse import OrderFilter, ParsedReport
from plugin.domain.claims import ClaimInputs
from plugin.domain.inputs import LEDGER_EVENTS, find_order_needs, merge_costs
from plugin.store import queries
from plugin.store.rows import ROW_TABLES, RowTable, occurrences


@dataclass(frozen=True)
class IngestResult:
    """What one document did to the store: its rows, and how many were new."""

    kind: ReportKind
    rows: int
    added: int


def ingest_report(
    session: Session,
    installation_id: int,
    report: ParsedReport,
    document_id: str,
    *,
    now: datetime | None = None,
) -> IngestResult:
    """Store the rows of one document for an installation (idempotent).

    ``document_id`` names the document (an SP-API reportDocumentId, a file name); each row's
    own ``source`` (file and line, or JSON path) is kept as claim evidence. Copies are counted
    within one call: identical rows passed in two calls (two pages of one listing) count once.
    ``added`` is exact unless another transaction stores the same rows at the same moment.
    Ingest one installation's documents of one kind one at a time: on PostgreSQL, two
    concurrent transactions upserting overlapping rows in different orders can deadlock
    (one fails and can be retried; nothing half-done stays).

    A costs file sets the unit cost of each SKU it names (the last line for a SKU wins),
    as a later costs file does in ``reconcile``.
    """
    moment = now or datetime.now(UTC)
    if report.kind is ReportKind.COSTS:
        return _ingest_costs(session, installation_id, report.rows, moment)
    table = ROW_TABLES[report.kind]
    rows = occurrences(report.rows)
    # Most rows of a re-download are stored already: skip them before building statements.
    stored = queries.stored_copies(
        session, installation_id, table.model, {digest for digest, _, _, _ in rows}
    )
    values = [
        {
            **table.values(row),
            "row_hash": digest,
            "occurrence": occurrence,
            "copies": copies,
            "document_id": document_id,
            "source_file": row.source.file,
            "source_line": row.source.line,
            "source_path": row.source.path,
            "ingested_at": moment,
        }
        for digest, occurrence, copies, row in rows
        if stored.get(digest, 0) < copies
    ]
    added = sum(1 for value in values if value["occurrence"] > stored.get(value["row_hash"], 0))
    queries.upsert_rows(session, installation_id, table.model, values)
    return IngestResult(report.kind, len(report.rows), added)


def _ingest_costs(
    session: Session, installation_id: int, rows: list[CostRow], now: datetime
) -> IngestResult:
    before = len(queries.costs(session, installation_id))
    queries.upsert_costs(session, installation_id, cost_values(rows), now)
    after = len(queries.costs(session, installation_id))
    return IngestResult(ReportKind.COSTS, len(rows), after - before)


def cost_values(rows: list[CostRow]) -> list[dict[str, Any]]:
    """One value set per SKU, the last row for a SKU winning (``merge_costs``)."""
    return [
        {
            "sku": row.sku,
            "unit_cost": row.unit_cost,
            "currency": row.currency,
            "source_file": row.source.file,
            "source_line": row.source.line,
        }
        for row in merge_costs([rows]).values()
    ]


def load_rows(
    session: Session,
    installation_id: int,
    kind: ReportKind,
    *,
    event_types: Collection[str] | None = None,
    wanted: OrderFilter | None = None,
) -> list[Any]:
    """An installation's stored rows of one kind, as dataclasses, in first-stored order.

    ``event_types`` keeps only ledger rows of those types; ``wanted`` only the All Orders rows
    it wants (checked before a row is built: orders are the biggest table).
    """
    table: RowTable = ROW_TABLES[kind]
    records = queries.select_rows(
        session, installation_id, table.model, table.columns, event_types=event_types
    )
    if wanted is not None:
        records = (r for r in records if wanted.wants(r.order_id, r.sku))
    return [table.build(record) for record in records]


def load_inputs(session: Session, installation_id: int) -> ClaimInputs:
    """The claims engine's inputs from an installation's stored rows.

    Reads as ``reconcile`` does: ledger rows of the event types the engine uses, and only
    the All Orders rows the other inputs make relevant (``find_order_needs``).
    """
    costs = {
        record.sku: CostRow(
            record.sku,
            record.unit_cost,
            record.currency,
            Source(record.source_file, record.source_line),
        )
        for record in queries.costs(session, installation_id)
    }
    ledger = load_rows(session, installation_id, ReportKind.LEDGER, event_types=LEDGER_EVENTS)
    returns = load_rows(session, installation_id, ReportKind.RETURNS)
    refunds = load_rows(session, installation_id, ReportKind.FINANCES)
    items = load_rows(session, installation_id, ReportKind.INBOUND_ITEMS)
    needs = find_order_needs(ledger, returns, refunds, items, costs)
    wanted = OrderFilter(needs.order_ids, needs.skus)
    orders = load_rows(session, installation_id, ReportKind.ORDERS, wanted=wanted)
    return ClaimInputs(
        ledger=ledger,
        reimbursements=load_rows(session, installation_id, ReportKind.REIMBURSEMENTS),
        returns=returns,
        orders=orders,
        refunds=refunds,
        shipments=load_rows(session, installation_id, ReportKind.INBOUND_SHIPMENTS),
        items=items,
        costs=costs,
    )
