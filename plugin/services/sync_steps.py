"""The steps of an Amazon sync, each resumable from its last checkpoint.

- Reports (ledger detail, reimbursements, customer returns, All Orders by order date): one
  report per window (``Plan.report_windows``): createReport, poll getReport, download, ingest,
  with ``REPORTS_AHEAD`` reports in flight. Report ids are checkpointed as soon as Amazon gives
  them, so a step that dies while Amazon is still processing polls the same reports again
  instead of asking (and paying quota) for new ones.
- Finances: listFinancialEvents in windows of at most 180 days, page by page; the page token
  is checkpointed with the page's refunds.
- Inbound: getShipments (every status, by last-updated date range) page by page in each of
  the seller's marketplaces, then getShipmentItemsByShipmentId for each shipment listed
  (checkpointed ten shipments at a time).
- Order details: searchOrders (Orders 2026-01-01) by last-updated date in the report windows
  (after the first sync, only since the last one), with the buyer, fulfillment, packages and
  proceeds, page by page; each page's orders are stored (``orders``) with a tracking snapshot
  per package (source ``amazon:orders``) in the checkpoint that stores the page token. (The
  ``orders`` step is the All Orders report.)
- Claims: the engine on everything stored, saved by identity (``save_claims``); then cases
  are settled by the reimbursement rows carrying their Amazon case id (``settle_cases``).

Document ids are ``{report type}:{window start}:{window end}`` (``finances:…``,
``inbound-shipments:…``, ``inbound-items:{shipment}``): a re-sync stores the same documents
again, which the duplicate rule makes a no-op.
"""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from redis import Redis
from sqlalchemy.orm import Session, sessionmaker

from connectors.amazon.client import AmazonClient
from connectors.amazon.models import ReportKind
from connectors.amazon.parse import parse_document, read_report
from connectors.errors import NotFound, ReportError, UpstreamError
from plugin.domain.claims import find_claims
from plugin.domain.policy import PolicyTable
from plugin.services import tracking
from plugin.services.cases import settle_cases
from plugin.services.claim_store import save_claims
from plugin.services.ingest import load_inputs
from plugin.services.sync_cursor import SOURCE, Checkpoint, Plan, checkpoint, midnight, windows
from plugin.store import queries
from plugin.store.models import DONE
from plugin.store.queries import upsert_orders
from plugin.store.tracking_queries import upsert_snapshots

logger = logging.getLogger(__name__)

REPORT_TYPES = {
    "ledger": ("GET_LEDGER_DETAIL_VIEW_DATA", ReportKind.LEDGER),
    "reimbursements": ("GET_FBA_REIMBURSEMENTS_DATA", ReportKind.REIMBURSEMENTS),
    "returns": ("GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA", ReportKind.RETURNS),
    "orders": ("GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL", ReportKind.ORDERS),
}
STEPS = (*REPORT_TYPES, "finances", "inbound", "order_details", "claims")
# What searchOrders is asked to include: the sidebar's buyer, timeline and tracking.
ORDER_DATA = ("BUYER", "FULFILLMENT", "PACKAGES", "PROCEEDS")
ORDERS_PER_PAGE = 100  # searchOrders' maximum
ORDERS_OVERLAP = timedelta(days=1)  # re-read before the last sync's end (see run_order_details)
# Reports asked for ahead of the one being stored. createReport allows one a minute, and
# Amazon takes minutes to make one: with several in flight the quota, not the wait, sets the
# pace (up to about five minutes a report).
REPORTS_AHEAD = 6
# Shipments whose items are stored in one checkpoint (or what a second brings): one
# transaction per getShipmentItemsByShipmentId would cost more than its 2/s quota allows.
ITEMS_PER_CHECKPOINT = 10


@dataclass
class StepContext:
    """What a step works with. ``at`` is its position; ``save`` checkpoints it."""

    sessions: sessionmaker[Session]
    installation_id: int
    sync_id: int
    step: str
    plan: Plan
    at: dict[str, Any]
    client: AmazonClient | None
    policy: PolicyTable
    clock: Callable[[], datetime]
    # The app's Redis: where the claims step queues the notes of what changed (None: no notes).
    redis: Redis | None = None

    @property
    def amazon(self) -> AmazonClient:
        if self.client is None:  # pragma: no cover - sync.run_step gives Amazon steps one
            raise RuntimeError(f"step {self.step} needs an SP-API client")
        return self.client

    def point(self) -> AbstractContextManager[Checkpoint]:
        """A checkpoint from the current position."""
        return checkpoint(
            self.sessions, self.installation_id, self.sync_id, self.step, self.at, self.clock()
        )

    def save(self, at: dict[str, Any]) -> None:
        """Checkpoint a new position with nothing stored (a report id, a reset token)."""
        with self.point() as point:
            point.move(at)
        self.at = at

    def close(self, point: Checkpoint, at: dict[str, Any] | None, *, units: int = 0) -> None:
        """Move to ``at``, or when None end this step and hand over to the next one."""
        if at is None:
            point.next_step(following(self.step), units=units)
        else:
            point.move(at, units=units)

    def advanced(self, at: dict[str, Any] | None) -> None:
        """After a checkpoint has committed: remember the position it moved to."""
        self.at = at if at is not None else {}


def following(step: str) -> str | None:
    position = STEPS.index(step)
    return STEPS[position + 1] if position + 1 < len(STEPS) else None


def initial_units(plan: Plan, marketplaces: int) -> int:
    """Work units known when a sync starts (inbound items are added once listed)."""
    return (
        (len(REPORT_TYPES) + 1) * len(plan.report_windows())
        + len(plan.finance_windows())
        + (marketplaces + 1)
    )


def run(context: StepContext) -> None:
    """Run one step to its end (raises what the client raises, or ``Superseded``)."""
    if context.step in REPORT_TYPES:
        run_report(context, *REPORT_TYPES[context.step])
    elif context.step == "finances":
        run_finances(context)
    elif context.step == "inbound":
        run_inbound(context)
    elif context.step == "order_details":
        run_order_details(context)
    elif context.step == "claims":
        run_claims(context)
    else:
        raise ValueError(f"unknown sync step {context.step!r}")


# --- reports -------------------------------------------------------------------------------------


def run_report(context: StepContext, report_type: str, kind: ReportKind) -> None:
    """Keep ``REPORTS_AHEAD`` reports asked for, and store them window by window, in order."""
    client = context.amazon
    spans = context.plan.report_windows()
    if not spans:
        with context.point() as point:
            context.close(point, None)
        return
    while True:
        index = int(context.at.get("window", 0))
        pending: dict[str, str] = dict(context.at.get("reports") or {})
        ahead = range(index, min(len(spans), index + REPORTS_AHEAD))
        missing = [window for window in ahead if str(window) not in pending]
        if missing:
            start, end = spans[missing[0]]
            pending[str(missing[0])] = client.create_report(
                report_type, data_start=midnight(start), data_end=midnight(end)
            )
            context.save({"window": index, "reports": pending})
            continue
        start, end = spans[index]
        report_id = pending.pop(str(index))
        try:
            report = client.wait_for_report(report_id)
        except NotFound:  # Amazon no longer has it (kept for a limited time): ask again
            context.save({"window": index, "reports": pending})
            continue
        if report.processing_status == "FATAL":
            context.save({"window": index, "reports": pending})  # the next attempt asks anew
            raise UpstreamError(
                f"{report_type} report {report_id} for {start}..{end} ended FATAL",
                status=200,
                code="FATAL",
            )
        content = b""
        if report.processing_status == "DONE":
            if not report.report_document_id:
                raise UpstreamError(f"report {report_id} is DONE without a document", status=200)
            content = client.download_report_document(report.report_document_id)
        at = {"window": index + 1, "reports": pending} if index + 1 < len(spans) else None
        with context.point() as point:
            if content:
                document_id = f"{report_type}:{start.isoformat()}:{end.isoformat()}"
                _store_text(point, content, document_id, kind)
            context.close(point, at, units=1)
        context.advanced(at)
        if at is None:
            return


def _store_text(point: Checkpoint, content: bytes, document_id: str, kind: ReportKind) -> None:
    try:
        report = read_report(lambda: io.BytesIO(content), document_id)
    except ReportError as error:
        point.skip(document_id, error.describe())
        return
    if report.kind is not kind:
        point.skip(document_id, f"expected {kind.value} rows, found {report.kind.value}")
        return
    point.ingest(report, document_id)


def _store_document(point: Checkpoint, document: dict[str, Any], document_id: str) -> None:
    try:
        report = parse_document(document, document_id)
    except ReportError as error:
        point.skip(document_id, error.describe())
        return
    if report.rows:
        point.ingest(report, document_id)


# --- finances ------------------------------------------------------------------------------------


def run_finances(context: StepContext) -> None:
    client = context.amazon
    spans = context.plan.finance_windows()
    index = int(context.at.get("window", 0))
    token: str | None = context.at.get("token")
    resumed = token  # a token from an earlier attempt may have expired since
    while index < len(spans):
        start, end = spans[index]
        document_id = f"finances:{start.isoformat()}:{end.isoformat()}"
        pages = client.list_financial_events(midnight(start), midnight(end), next_token=token)
        try:
            for page in pages:
                refunds = page.items.get("RefundEventList") or []
                token = page.next_token
                if token:
                    at: dict[str, Any] | None = {"window": index, "token": token}
                else:
                    at = {"window": index + 1, "token": None} if index + 1 < len(spans) else None
                with context.point() as point:
                    if refunds:
                        _store_document(point, {"RefundEventList": refunds}, document_id)
                    context.close(point, at, units=0 if token else 1)
                context.advanced(at)
        except UpstreamError as error:
            if not _stale(error, token, resumed):
                raise
            token = resumed = None  # read the window again from its first page
            context.save({"window": index, "token": None})
            continue
        index += 1
        token = None
    if not spans:
        with context.point() as point:
            context.close(point, None)


def _stale(error: UpstreamError, token: str | None, resumed: str | None) -> bool:
    """A 400 on the token an earlier attempt stored: it expired in between (tokens do)."""
    return error.status == 400 and token is not None and token == resumed


# --- inbound -------------------------------------------------------------------------------------


def run_inbound(context: StepContext) -> None:
    client = context.amazon
    plan = context.plan
    markets = list(client.settings.marketplace_ids)
    market = int(context.at.get("market", 0))
    token: str | None = context.at.get("token")
    resumed = token
    shipments: list[str] = list(context.at.get("shipments", []))
    while market < len(markets):
        document_id = (
            f"inbound-shipments:{markets[market]}:{plan.since.isoformat()}:{plan.until.isoformat()}"
        )
        pages = client.get_shipments(
            "DATE_RANGE",
            last_updated_after=midnight(plan.since),
            last_updated_before=midnight(plan.until),
            marketplace_id=markets[market],
            next_token=token,
        )
        try:
            for page in pages:
                token = page.next_token
                found = [
                    str(entry["ShipmentId"])
                    for entry in page.items
                    if isinstance(entry, dict) and entry.get("ShipmentId")
                ]
                new = [sid for sid in dict.fromkeys(found) if sid not in shipments]
                listed = shipments + new
                done = token is None
                listing = {
                    "market": market + 1 if done else market,
                    "token": token,
                    "shipments": listed,
                    "item": 0,
                }
                with context.point() as point:
                    _store_document(point, {"payload": {"ShipmentData": page.items}}, document_id)
                    point.grow(len(new))
                    context.close(point, listing, units=1 if done else 0)
                context.advanced(listing)
                shipments = listed
        except UpstreamError as error:
            if not _stale(error, token, resumed):
                raise
            token = resumed = None
            context.save({"market": market, "token": None, "shipments": shipments, "item": 0})
            continue
        market += 1
        token = None
    item = int(context.at.get("item", 0))
    while item < len(shipments):
        fetched: list[tuple[str, list[dict[str, Any]]]] = []
        began = time.monotonic()
        while item + len(fetched) < len(shipments) and len(fetched) < ITEMS_PER_CHECKPOINT:
            shipment_id = shipments[item + len(fetched)]
            try:
                fetched.append((shipment_id, client.get_shipment_items_by_shipment_id(shipment_id)))
            except NotFound:
                fetched.append((shipment_id, []))
            if time.monotonic() - began > 1.0:
                break
        item += len(fetched)
        after: dict[str, Any] | None = None
        if item < len(shipments):
            after = {"market": market, "token": None, "shipments": shipments, "item": item}
        with context.point() as point:
            for shipment_id, items in fetched:
                document = {"payload": {"ItemData": items}}
                _store_document(point, document, f"inbound-items:{shipment_id}")
            context.close(point, after, units=len(fetched))
        context.advanced(after)
    if not shipments:
        with context.point() as point:
            context.close(point, None)


# --- order details -------------------------------------------------------------------------------


def run_order_details(context: StepContext) -> None:
    """Orders by last-updated window, page by page; each page stored with its token.

    The first sync reads the plan's whole range. Later ones read from the day before the last
    complete sync's end (``ORDERS_OVERLAP``): an order that changed since then has a newer
    last-updated time, and searchOrders' quota (one call every three minutes after a burst of
    20) could not re-read 18 months of a big seller every few hours. The first checkpoint
    fixes that start (``since``) for resumed attempts, and counts the windows left out as done.
    """
    client = context.amazon
    plan = context.plan
    if "since" not in context.at:
        since = _orders_since(context)
        skipped = len(plan.report_windows()) - len(windows(since, plan.until, plan.window_days))
        first = {"since": since.isoformat(), "window": 0, "token": None}
        with context.point() as point:
            point.move(first, units=skipped)
        context.advanced(first)
    since = date.fromisoformat(context.at["since"])
    spans = windows(since, plan.until, plan.window_days)
    index = int(context.at.get("window", 0))
    token: str | None = context.at.get("token")
    resumed = token
    at: dict[str, Any] | None
    while index < len(spans):
        start, end = spans[index]
        pages = client.search_orders(
            last_updated_after=midnight(start),
            last_updated_before=midnight(end),
            included_data=ORDER_DATA,
            max_results_per_page=ORDERS_PER_PAGE,
            pagination_token=token,
        )
        try:
            for page in pages:
                token = page.next_token
                if token:
                    at = {"since": since.isoformat(), "window": index, "token": token}
                elif index + 1 < len(spans):
                    at = {"since": since.isoformat(), "window": index + 1, "token": None}
                else:
                    at = None
                with context.point() as point:
                    _store_orders(point, page.items)
                    context.close(point, at, units=0 if token else 1)
                context.advanced(at)
        except UpstreamError as error:
            if not _stale(error, token, resumed):
                raise
            token = resumed = None
            context.save({"since": since.isoformat(), "window": index, "token": None})
            continue
        index += 1
        token = None
    if not spans:
        with context.point() as point:
            context.close(point, None)


def _orders_since(context: StepContext) -> date:
    """Where this sync's order reading starts (see ``run_order_details``)."""
    plan = context.plan
    with context.sessions() as session:
        last = queries.last_sync_run(session, context.installation_id, SOURCE, status=DONE)
        if last is None or "order_details" not in (last.counts or {}):
            return plan.since
        ended = Plan.from_json(last.cursor["plan"]).until
    return min(plan.until, max(plan.since, ended - ORDERS_OVERLAP))


def _store_orders(point: Checkpoint, orders: list[Any]) -> None:
    """Upsert the page's orders and their packages' tracking snapshots; count them."""
    documents = [order for order in orders if isinstance(order, dict)]
    rows = tracking.order_rows(documents)
    snapshots = [
        snapshot for order in documents for snapshot in tracking.order_snapshots(order, point.now)
    ]
    upsert_orders(point.session, point.installation_id, rows, point.now)
    upsert_snapshots(point.session, point.installation_id, snapshots)
    tally = point.counts.setdefault("order_details", {})
    tally["orders"] = tally.get("orders", 0) + len(rows)
    tally["packages"] = tally.get("packages", 0) + len(snapshots)


# --- claims --------------------------------------------------------------------------------------


def run_claims(context: StepContext) -> None:
    """The claims engine on the stored rows; the sync ends with this checkpoint."""
    with context.point() as point:
        inputs = load_inputs(point.session, context.installation_id)
        claims = find_claims(inputs, context.plan.as_of, context.policy)
        changes = save_claims(point.session, context.installation_id, claims, point.now)
        # Reimbursement rows carrying a case's id settle it (or reopen it) in the same
        # transaction that stores the claims: a case never sees half a sync.
        settled = settle_cases(point.session, context.installation_id, point.now)
        point.counts["claims"] = {
            "new": len(changes.new),
            "changed": len(changes.changed),
            "unchanged": len(changes.unchanged),
            "gone": len(changes.gone),
        }
        point.counts["cases"] = {
            "reimbursed": len(settled.reimbursed),
            "reopened": len(settled.reopened),
            "reopen_blocked": len(settled.reopen_blocked),
        }
        context.close(point, None, units=1)
        point.finish()
    context.advanced(None)
    # Committed: ask for claim notes on the tickets of what changed (write-back, issue 6).
    _request_claim_notes(
        context, [*changes.new, *changes.changed], [*settled.reimbursed, *settled.reopened]
    )


def _request_claim_notes(context: StepContext, claims: list[Any], case_ids: list[int]) -> None:
    """Enqueue one notes job per ticket linked to a new or changed claim's order (or to a case
    whose status changed). Never fails the sync: the periodic sweep catches up."""
    from plugin.services import claim_notes

    try:
        with context.sessions() as session:
            claim_notes.after_claims(
                context.redis,
                session,
                context.installation_id,
                order_ids={claim.reference_id for claim in claims},
                case_ids=case_ids,
            )
    except Exception:  # noqa: BLE001 - notes are extra; the sync's data is stored
        logger.exception("claim notes could not be requested")
