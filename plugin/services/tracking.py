"""Tracking snapshots for the sidebar: read them, ask for stale ones to be refreshed, refresh
them from the carrier (or from Amazon), and the bulk refresh of open tickets' parcels.

The sidebar reads stored snapshots only (``tracking_for_orders``), so a panel never waits on a
carrier. A stale snapshot is shown with ``stale=True`` and the page calls ``request_refresh``,
which enqueues one job per stale snapshot under a deterministic id: a panel reloaded ten times
enqueues once. The job (``plugin.jobs.tracking.refresh_tracking``) calls ``refresh_snapshot``.

Sources, best first (``refresh_snapshots``): the carrier's own tracking API when the
installation has an account with it (``claimdesk connect carrier``; source ``ups``, ``fedex``
…), else Amazon's Orders API (``getOrder`` with PACKAGES; source ``amazon:orders``), which the
sync also reads. The cron's fan-out (``refresh_open_tracking``) batches the parcels of carriers
with an account per carrier call (``request_batch_refresh``: FedEx 30 numbers a call).
"""

from __future__ import annotations

import hashlib
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
from connectors.carriers import CarrierClient, Tracking
from connectors.carriers.transport import clean_number
from connectors.errors import AuthError, NotFound
from plugin.domain import tracking
from plugin.errors import PluginError
from plugin.extensions import resources
from plugin.services import carrier_accounts
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
REFRESH_BATCH_JOB = "plugin.jobs.tracking.refresh_tracking_batch"
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


# --- refreshing snapshots ------------------------------------------------------------------------


ClientFactory = Callable[[Session, int], AmazonClient]
# The installation's client of a carrier, or None when it has no account with that carrier.
CarrierFactory = Callable[[Session, int, str], CarrierClient | None]


def installation_client(session: Session, installation_id: int) -> AmazonClient:
    """The installation's SP-API client, from the current app's keyring, Redis and settings."""
    store = resources()
    credentials = load_amazon_credentials(session, store.keyring, installation_id)
    return build_client(credentials, store.redis, client_overrides(current_app.config))


def installation_carrier(
    session: Session, installation_id: int, carrier: str
) -> CarrierClient | None:
    """The installation's client of ``carrier`` (tokens and pacing shared through Redis);
    None without an account. ``CARRIER_CLIENT_LIMITS`` (app config) tunes timeouts and
    retries of every carrier client."""
    if carrier not in carrier_accounts.CARRIERS:
        return None
    store = resources()
    limits = current_app.config.get("CARRIER_CLIENT_LIMITS") or {}
    return carrier_accounts.carrier_client(
        session, store.keyring, store.redis, installation_id, carrier, limits
    )


def no_carrier(session: Session, installation_id: int, carrier: str) -> CarrierClient | None:
    """A ``CarrierFactory`` for an installation with no carrier accounts."""
    return None


def refresh_snapshot(
    session: Session,
    installation_id: int,
    carrier: str,
    tracking_number: str,
    now: datetime,
    client_factory: ClientFactory = installation_client,
    policy: Mapping[str, timedelta] = tracking.TTL_POLICY,
    *,
    carrier_factory: CarrierFactory = installation_carrier,
) -> TrackingView:
    """Ask again about one parcel and store what the source says; the caller commits.

    See ``refresh_snapshots``.

    Raises:
        TrackingError: no such snapshot for this installation.
        ConnectorError: what a client raises (the job retries, the snapshot is unchanged).
    """
    views = refresh_snapshots(
        session,
        installation_id,
        carrier,
        [tracking_number],
        now,
        client_factory,
        policy,
        carrier_factory=carrier_factory,
    )
    if not views:
        raise TrackingError(f"no tracking of {carrier} {tracking_number} is stored")
    return views[0]


def refresh_snapshots(
    session: Session,
    installation_id: int,
    carrier: str,
    numbers: Sequence[str],
    now: datetime,
    client_factory: ClientFactory = installation_client,
    policy: Mapping[str, timedelta] = tracking.TTL_POLICY,
    *,
    carrier_factory: CarrierFactory = installation_carrier,
) -> list[TrackingView]:
    """Ask again about stored parcels of one carrier and store the answers; the caller commits.
    Returns the views of the parcels that are stored (numbers not stored are skipped).

    The source, in order:

    1. the carrier itself, when the installation has an account with it: one ``track`` call
       for all the numbers (the client splits them by its ``max_batch``, FedEx 30 a call);
       proof of delivery and the delivery time are stored when the carrier gives them;
    2. Amazon's Orders API for what the carrier could not say (no account, the account was
       refused, a number the carrier does not know yet): ``getOrder`` with PACKAGES, once per
       order, which refreshes every parcel of the order;
    3. neither: the snapshot is kept, trusted for another time to live, so a parcel nobody can
       tell about is not asked about every minute.

    The session's transaction is ended (committed: only reads happened in it) before each call
    out, so no database lock is held while a carrier or Amazon answers.

    Raises:
        ConnectorError: a carrier that is throttling or failing after its retries, or Amazon
            failing (the job retries; stored snapshots are unchanged).
    """
    wanted = list(dict.fromkeys(n for n in numbers if n))  # as stored: no re-normalizing
    stored = {
        s.tracking_number: s
        for s in tracking_queries.snapshots_of(session, installation_id, carrier, wanted)
    }
    pending = [n for n in wanted if n in stored]
    if not pending:
        return []
    answered = _ask_carrier(
        session, installation_id, carrier, pending, now, policy, carrier_factory
    )
    left = [n for n in pending if n not in answered]
    by_order: dict[str, list[str]] = {}
    for number in left:
        snapshot = stored[number]
        if snapshot.channel == AMAZON_CHANNEL and snapshot.order_id:
            by_order.setdefault(snapshot.order_id, []).append(number)
    for order_id, order_numbers in by_order.items():
        answered |= _ask_amazon(
            session, installation_id, carrier, order_id, order_numbers, now, policy, client_factory
        )
    views = []
    for number in pending:
        snapshot = stored[number]
        if number not in answered:
            logger.info(
                "tracking %s %s: no fresh word from any source; the snapshot is kept",
                carrier,
                number,
            )
            snapshot.fetched_at = now
            snapshot.expires_at = tracking.expires_at(snapshot.status, now, policy)
            session.flush()
        else:
            session.refresh(snapshot)
        views.append(view_of(snapshot, now))
    return views


def _ask_carrier(
    session: Session,
    installation_id: int,
    carrier: str,
    numbers: Sequence[str],
    now: datetime,
    policy: Mapping[str, timedelta],
    carrier_factory: CarrierFactory,
) -> set[str]:
    """Store the carrier's answers about ``numbers``; the numbers it knew."""
    try:
        client = carrier_factory(session, installation_id, carrier)
    except CredentialsError as error:  # stored under a key no longer configured
        logger.warning("tracking %s: %s", carrier, error)
        client = None
    session.commit()
    if client is None:
        return set()
    try:
        answers = client.track(list(numbers))
    except AuthError as error:
        # The account was refused (revoked keys): Amazon's word is better than none.
        logger.warning("tracking %s: the carrier refused the credentials (%s)", carrier, error)
        return set()
    # Answers are matched to the numbers asked by the number they name, never by position:
    # a carrier that leaves one out or reorders them must not give a parcel another's status.
    by_number = {clean_number(answer.number): answer for answer in answers}
    unanswered = [number for number in numbers if clean_number(number) not in by_number]
    if unanswered:
        logger.warning(
            "tracking %s: no answer for %d of %d numbers; they keep their snapshots",
            carrier,
            len(unanswered),
            len(numbers),
        )
    rows = [
        {**carrier_snapshot(answer, number, now, policy), "carrier": carrier}
        for number in numbers
        if (answer := by_number.get(clean_number(number))) is not None and answer.found
    ]
    tracking_queries.upsert_snapshots(session, installation_id, rows)
    session.flush()
    return {row["tracking_number"] for row in rows}


def _ask_amazon(
    session: Session,
    installation_id: int,
    carrier: str,
    order_id: str,
    numbers: Sequence[str],
    now: datetime,
    policy: Mapping[str, timedelta],
    client_factory: ClientFactory,
) -> set[str]:
    """Re-read an order's packages from Amazon and store them; the ``numbers`` it told of.

    An order Amazon no longer knows, or an installation disconnected from Amazon since (the
    sync reports that), tells nothing.
    """
    try:
        client: AmazonClient | None = client_factory(session, installation_id)
    except CredentialsError as error:
        logger.warning("tracking %s of order %s: %s", carrier, order_id, error)
        client = None
    session.commit()
    if client is None:
        return set()
    try:
        order = client.get_order(order_id, included_data=ORDER_DATA)
    except NotFound:
        return set()
    finally:
        client.close()
    rows = order_snapshots(order, now, policy)
    _keep_packages(session, installation_id, order_id, order)
    tracking_queries.upsert_snapshots(session, installation_id, rows)  # all its parcels
    session.flush()
    told = {r["tracking_number"] for r in rows if r["carrier"] == carrier}
    return told & set(numbers)


def carrier_snapshot(
    answer: Tracking,
    number: str,
    fetched_at: datetime,
    policy: Mapping[str, timedelta] = tracking.TTL_POLICY,
) -> dict[str, Any]:
    """The snapshot row of a carrier's ``Tracking`` of ``number`` (the number as stored).

    The row names no order and no channel: the stored ones stay (``upsert_snapshots``).
    ``delivered_at`` is the carrier's delivery time, else, for a delivered parcel, the time of
    its newest event (the delivery scan).
    """
    status = answer.status if answer.status in tracking.STATUSES else tracking.UNKNOWN
    events = [
        {
            "time": event.time.isoformat(),
            "place": event.place,
            "text": event.description,
            "code": event.code,
        }
        for event in answer.events
    ]
    delivered_at = answer.delivered_at
    if delivered_at is None and status == tracking.DELIVERED and answer.events:
        delivered_at = answer.events[0].time
    pod = answer.proof_of_delivery
    proof = None
    if pod is not None and (pod.signed_by or pod.location or pod.photo_url):
        proof = {"signed_by": pod.signed_by, "location": pod.location, "photo_url": pod.photo_url}
    return {
        "carrier": answer.carrier,
        "tracking_number": number,
        "channel": None,
        "order_id": None,
        "status": status,
        "status_detail": answer.status_detail,
        "events": events,
        "estimated_delivery": None if status in tracking.FINAL else answer.estimated_delivery,
        "delivered_at": delivered_at if status == tracking.DELIVERED else None,
        "proof": proof if status == tracking.DELIVERED else None,
        "source": answer.carrier,
        "fetched_at": fetched_at,
        "expires_at": tracking.expires_at(status, fetched_at, policy),
    }


# --- bulk refresh --------------------------------------------------------------------------------


def batch_job_id(installation_id: int, carrier: str, numbers: Sequence[str]) -> str:
    digest = hashlib.sha256("\n".join(numbers).encode()).hexdigest()[:20]
    return f"tracking-{installation_id}-{carrier}-batch-{digest}"


def carrier_batch_sizes(
    session: Session,
    installation_id: int,
    carriers: Collection[str],
    carrier_factory: CarrierFactory = installation_carrier,
) -> dict[str, int]:
    """The numbers per call (``max_batch``) of each of ``carriers`` the installation has an
    account with; the others are left out (their parcels are asked of Amazon, one by one)."""
    sizes: dict[str, int] = {}
    for carrier in sorted(
        set(carriers) & carrier_accounts.connected_carriers(session, installation_id)
    ):
        try:
            client = carrier_factory(session, installation_id, carrier)
        except CredentialsError as error:
            logger.warning("tracking %s: %s", carrier, error)
            continue
        if client is not None:
            sizes[carrier] = max(1, int(client.max_batch))
    return sizes


def request_batch_refresh(
    connection: redis.Redis,
    installation_id: int,
    views: Iterable[TrackingView],
    batch_sizes: Mapping[str, int],
) -> int:
    """Enqueue the refresh of stale views: one job per carrier call (``batch_sizes``: FedEx's
    30 numbers, UPS's one …) for carriers the installation has an account with, one job per
    parcel for the others (``request_refresh``). Returns how many parcels were enqueued.

    A batch's job id is derived from its numbers, and RQ's ``unique`` refuses a second job
    with it: two fan-outs over the same stale parcels enqueue once.
    """
    by_carrier: dict[str, list[str]] = {}
    single: list[TrackingView] = []
    for view in views:
        if not view.stale:
            continue
        if view.carrier in batch_sizes:
            by_carrier.setdefault(view.carrier, []).append(view.tracking_number)
        else:
            single.append(view)
    queue = Queue(REFRESH_QUEUE, connection=connection)
    enqueued = 0
    for carrier, numbers in sorted(by_carrier.items()):
        ordered = sorted(set(numbers))
        size = batch_sizes[carrier]
        for start in range(0, len(ordered), size):
            chunk = ordered[start : start + size]
            try:
                queue.enqueue(
                    REFRESH_BATCH_JOB,
                    installation_id,
                    carrier,
                    chunk,
                    job_id=batch_job_id(installation_id, carrier, chunk),
                    unique=True,
                    retry=Retry(max=REFRESH_RETRY[0], interval=list(REFRESH_RETRY[1])),
                    job_timeout=300,
                    result_ttl=0,
                    failure_ttl=REFRESH_FAILURE_TTL,
                    description=f"tracking of {len(chunk)} {carrier} parcels",
                )
            except DuplicateJobError:
                continue
            enqueued += len(chunk)
    return enqueued + request_refresh(connection, installation_id, single)


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
        carrier = tracking.carrier_of(package.get("carrier"), number)
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
