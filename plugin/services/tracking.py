"""Tracking snapshots for the sidebar: read them, ask for stale ones to be refreshed, refresh one.

The sidebar reads stored snapshots only (``tracking_for_orders``), so a panel never waits on a
carrier. A stale snapshot is shown with ``stale=True`` and the page calls ``request_refresh``,
which enqueues one job per stale snapshot under a deterministic id: a panel reloaded ten times
enqueues once. The job (``plugin.jobs.tracking.refresh_tracking``) calls ``refresh_snapshot``.

Today the only source is Amazon's Orders API (``packages`` of an order, source
``amazon:orders``): the sync stores a snapshot per package and a refresh re-reads the order
with ``getOrder(includedData=PACKAGES)``. Issue 5 adds carrier clients as further sources.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import redis
from flask import current_app
from rq import Queue, Retry
from rq.exceptions import DuplicateJobError
from sqlalchemy.orm import Session

from connectors.amazon.client import AmazonClient
from connectors.errors import NotFound
from plugin.domain import tracking
from plugin.errors import PluginError
from plugin.extensions import resources
from plugin.services.credentials import load_amazon_credentials
from plugin.services.sp_api import build_client, client_overrides
from plugin.store import queries, tracking_queries
from plugin.store.crypto import CredentialsError
from plugin.store.models import ACTIVE, TrackingSnapshot

logger = logging.getLogger(__name__)

SOURCE_AMAZON_ORDERS = "amazon:orders"
AMAZON_CHANNEL = "amazon"
REFRESH_QUEUE = "default"
REFRESH_JOB = "plugin.jobs.tracking.refresh_tracking"
# A refresh that failed for good keeps its id this long: the next panel load after it may
# enqueue again, and a carrier that is down is not asked on every load.
REFRESH_FAILURE_TTL = 300
REFRESH_RETRY = (3, [10, 60, 300])
# Packages get fresh data from getOrder with these (FULFILLMENT: the promised delivery window).
ORDER_DATA = ("PACKAGES", "FULFILLMENT")


class TrackingError(PluginError):
    """A snapshot that does not exist for the installation."""


@dataclass(frozen=True)
class TrackingView:
    """One parcel as the tracking panel shows it."""

    carrier: str
    tracking_number: str
    order_id: str | None
    status: str
    status_detail: str | None
    # {"time": ISO str, "place": str | None, "text": str}; Amazon's events add "code"
    last_event: dict[str, Any] | None
    estimated_delivery: datetime | None
    delivered_at: datetime | None
    url: str | None
    fetched_at: datetime
    expires_at: datetime
    stale: bool


def view_of(snapshot: TrackingSnapshot, now: datetime) -> TrackingView:
    events = snapshot.events or []
    return TrackingView(
        carrier=snapshot.carrier,
        tracking_number=snapshot.tracking_number,
        order_id=snapshot.order_id,
        status=snapshot.status,
        status_detail=snapshot.status_detail,
        last_event=dict(events[0]) if events else None,
        estimated_delivery=snapshot.estimated_delivery,
        delivered_at=snapshot.delivered_at,
        url=tracking.tracking_url(snapshot.carrier, snapshot.tracking_number),
        fetched_at=snapshot.fetched_at,
        expires_at=snapshot.expires_at,
        stale=tracking.is_stale(snapshot.expires_at, now),
    )


def tracking_for_orders(
    session: Session, installation_id: int, order_ids: Collection[str], now: datetime
) -> list[TrackingView]:
    """The stored snapshots of the orders' parcels (stale ones flagged, never fetched here)."""
    found = tracking_queries.snapshots_for_orders(session, installation_id, order_ids)
    return [view_of(snapshot, now) for snapshot in found]


# --- refresh jobs --------------------------------------------------------------------------------


def refresh_job_id(installation_id: int, carrier: str, tracking_number: str) -> str:
    return f"tracking-{installation_id}-{carrier}-{tracking_number}"


def request_refresh(
    connection: redis.Redis, installation_id: int, views: Iterable[TrackingView]
) -> int:
    """Enqueue a refresh job for each stale view unless its job exists; how many were enqueued.

    The job id is deterministic and RQ's ``unique`` makes Redis refuse a second job with it,
    atomically: repeated panel loads, or two agents on one ticket, enqueue once. A finished
    job is deleted at once (``result_ttl=0``), so the next expiry can enqueue again.
    """
    queue = Queue(REFRESH_QUEUE, connection=connection)
    enqueued = 0
    seen: set[str] = set()
    for view in views:
        if not view.stale:
            continue
        job_id = refresh_job_id(installation_id, view.carrier, view.tracking_number)
        if job_id in seen:
            continue
        seen.add(job_id)
        try:
            queue.enqueue(
                REFRESH_JOB,
                installation_id,
                view.carrier,
                view.tracking_number,
                job_id=job_id,
                unique=True,
                retry=Retry(max=REFRESH_RETRY[0], interval=list(REFRESH_RETRY[1])),
                job_timeout=120,
                result_ttl=0,
                failure_ttl=REFRESH_FAILURE_TTL,
                description=f"tracking of {view.carrier} {view.tracking_number}",
            )
        except DuplicateJobError:
            continue
        enqueued += 1
    return enqueued


def open_refresh_work(
    session: Session, now: datetime, limit: int
) -> list[tuple[int, list[TrackingView]]]:
    """Stale snapshots of orders linked to tickets, per active installation, ``limit`` in all.

    Each installation gets an equal share of the batch (its most overdue first), so one big
    seller does not starve the others; what is left over waits for the next run.
    """
    active = queries.installations(session, state=ACTIVE)
    if not active or limit < 1:
        return []
    share = max(1, -(-limit // len(active)))
    work: list[tuple[int, list[TrackingView]]] = []
    left = limit
    for installation in active:
        if left <= 0:
            break
        stale = tracking_queries.stale_snapshots(
            session, installation.id, now, linked_only=True, limit=min(share, left)
        )
        if stale:
            work.append((installation.id, [view_of(snapshot, now) for snapshot in stale]))
            left -= len(stale)
    return work


# --- refreshing one snapshot ---------------------------------------------------------------------


ClientFactory = Callable[[Session, int], AmazonClient]


def installation_client(session: Session, installation_id: int) -> AmazonClient:
    """The installation's SP-API client, from the current app's keyring, Redis and settings."""
    store = resources()
    credentials = load_amazon_credentials(session, store.keyring, installation_id)
    return build_client(credentials, store.redis, client_overrides(current_app.config))


def refresh_snapshot(
    session: Session,
    installation_id: int,
    carrier: str,
    tracking_number: str,
    now: datetime,
    client_factory: ClientFactory = installation_client,
    policy: Mapping[str, timedelta] = tracking.TTL_POLICY,
) -> TrackingView:
    """Ask the source again about one parcel and store what it says; the caller commits.

    The session's transaction is ended (committed: only reads happened in it) before the call
    out, so no database lock is held while Amazon answers (SQLite transactions take the write
    lock). An Amazon package is re-read from its order (``getOrder`` with PACKAGES); the order's
    stored document gets the fresh packages too. An order or package Amazon no longer knows
    keeps its last snapshot, trusted for another time to live, so it is not asked every minute;
    so does a parcel no source can be asked about yet (a carrier's, until issue 5's clients).

    Raises:
        TrackingError: no such snapshot for this installation.
        ConnectorError: what the client raises (the job retries, the snapshot is unchanged).
    """
    stored = tracking_queries.snapshot(session, installation_id, carrier, tracking_number)
    if stored is None:
        raise TrackingError(f"no tracking of {carrier} {tracking_number} is stored")
    if stored.channel == AMAZON_CHANNEL and stored.order_id:
        order_id = stored.order_id
        order: dict[str, Any] | None = None
        try:
            client: AmazonClient | None = client_factory(session, installation_id)
        except CredentialsError as error:  # disconnected since: the sync reports that
            logger.warning("tracking %s %s: %s", carrier, tracking_number, error)
            client = None
        session.commit()
        if client is not None:
            try:
                order = client.get_order(order_id, included_data=ORDER_DATA)
            except NotFound:
                order = None
            finally:
                client.close()
        if order is not None:
            rows = order_snapshots(order, now, policy)
            _keep_packages(session, installation_id, order_id, order)
            tracking_queries.upsert_snapshots(session, installation_id, rows)  # all its parcels
            session.flush()
            if any(
                (r["carrier"], r["tracking_number"]) == (carrier, tracking_number) for r in rows
            ):
                session.refresh(stored)
                return view_of(stored, now)
        logger.info(
            "tracking %s %s: no fresh word from Amazon; the snapshot is kept",
            carrier,
            tracking_number,
        )
    stored.fetched_at = now
    stored.expires_at = tracking.expires_at(stored.status, now, policy)
    session.flush()
    return view_of(stored, now)


def _keep_packages(
    session: Session, installation_id: int, order_id: str, order: Mapping[str, Any]
) -> None:
    """Put the fresh packages into the stored order's document (the timeline reads them)."""
    for row in queries.orders_by_id(session, installation_id, [order_id]):
        if row.channel == AMAZON_CHANNEL and "packages" in order:
            row.data = {**row.data, "packages": order["packages"]}


# --- Amazon packages -----------------------------------------------------------------------------


def order_snapshots(
    order: Mapping[str, Any],
    fetched_at: datetime,
    policy: Mapping[str, timedelta] = tracking.TTL_POLICY,
) -> list[dict[str, Any]]:
    """A snapshot row per package of an Orders 2026-01-01 ``Order`` that has a tracking number."""
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    order_id = str(order.get("orderId") or "") or None
    promised = _promised(order)
    for package in order.get("packages") or []:
        if not isinstance(package, Mapping):
            continue
        number = tracking.normalize_number(str(package.get("trackingNumber") or ""))
        if not number:
            continue
        carrier = tracking.carrier_code(package.get("carrier"))
        state = package.get("packageStatus") or {}
        raw_status = state.get("status") if isinstance(state, Mapping) else None
        detailed = state.get("detailedStatus") if isinstance(state, Mapping) else None
        status = tracking.amazon_status(raw_status, detailed)
        shipped = _moment(package.get("shipTime"))
        events = []
        if shipped is not None:
            service = package.get("shippingService")
            text = f"Shipped with {package.get('carrier') or carrier}"
            events.append(
                {
                    "time": shipped.isoformat(),
                    "place": _place(package.get("shipFromAddress")),
                    "text": f"{text} ({service})" if service else text,
                    "code": "shipped",  # for a translated label; ``text`` is the source's
                }
            )
        rows[carrier, number] = {
            "carrier": carrier,
            "tracking_number": number,
            "channel": AMAZON_CHANNEL,
            "order_id": order_id,
            "status": status,
            "status_detail": " / ".join(str(w) for w in (raw_status, detailed) if w) or None,
            "events": events,
            "estimated_delivery": None if status in tracking.FINAL else promised,
            "delivered_at": None,  # the Orders API does not say when; carriers will
            "proof": None,
            "source": SOURCE_AMAZON_ORDERS,
            "fetched_at": fetched_at,
            "expires_at": tracking.expires_at(status, fetched_at, policy),
        }
    return list(rows.values())


def _promised(order: Mapping[str, Any]) -> datetime | None:
    fulfillment = order.get("fulfillment")
    if not isinstance(fulfillment, Mapping):
        return None
    window = fulfillment.get("deliverByWindow")
    if not isinstance(window, Mapping):
        return None
    return _moment(window.get("latestDateTime"))


def _moment(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _place(address: Any) -> str | None:
    if not isinstance(address, Mapping):
        return None
    parts = [address.get(k) for k in ("city", "stateOrRegion", "countryCode")]
    text = ", ".join(str(p) for p in parts if p)
    return text or None


def order_rows(orders: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """``orders`` table values of Orders 2026-01-01 ``Order`` documents."""
    rows = []
    for order in orders:
        order_id = order.get("orderId")
        if not order_id:
            continue
        buyer = _mapping(order.get("buyer"))
        fulfillment = _mapping(order.get("fulfillment"))
        channel = _mapping(order.get("salesChannel"))
        rows.append(
            {
                "channel": AMAZON_CHANNEL,
                "order_id": str(order_id),
                "marketplace_id": channel.get("marketplaceId"),
                "status": fulfillment.get("fulfillmentStatus"),
                "purchased_at": _moment(order.get("createdTime")),
                "last_updated_at": _moment(order.get("lastUpdatedTime")),
                "buyer_email": buyer.get("buyerEmail") or None,
                "data": dict(order),
            }
        )
    return rows


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}
