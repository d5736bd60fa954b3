"""Tracking jobs: refresh one parcel's snapshot, refresh a carrier's batch of parcels, and the
periodic fan-out that refreshes the stale parcels of orders that tickets mention.

``refresh_tracking`` jobs are enqueued by ``plugin.services.tracking.request_refresh`` under
the id ``tracking-{installation}-{carrier}-{number}`` (unique), on the default queue: each is
one carrier call (or one SP-API ``getOrder`` when the installation has no account with the
carrier). ``refresh_tracking_batch`` jobs are the fan-out's: one carrier call for up to the
carrier's ``max_batch`` numbers (FedEx 30). A job that raises is retried by RQ (``Retry`` set
at enqueue time); the snapshots are unchanged until a call succeeds.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from plugin.extensions import resources
from plugin.jobs import about_installation, job_app, with_app_context
from plugin.services import tracking

logger = logging.getLogger(__name__)

# Stale snapshots one fan-out enqueues at most (CLAIMDESK_TRACKING_REFRESH_BATCH): bounds the
# SP-API calls a cron tick can cause; the rest wait for the next tick.
REFRESH_BATCH = 200


def utcnow() -> datetime:
    return datetime.now(UTC)


@with_app_context
def refresh_tracking(installation_id: int, carrier: str, tracking_number: str) -> str:
    """Refresh one snapshot; returns its new status."""
    store = resources(job_app())
    with about_installation(installation_id), store.sessions() as session:
        view = tracking.refresh_snapshot(
            session, installation_id, carrier, tracking_number, utcnow()
        )
        session.commit()
        logger.info("tracking %s %s: %s", carrier, tracking_number, view.status)
        return view.status


@with_app_context
def refresh_tracking_batch(
    installation_id: int, carrier: str, numbers: list[str]
) -> dict[str, int]:
    """Refresh a carrier's batch of snapshots in one carrier call; returns the count of each
    new status."""
    store = resources(job_app())
    with about_installation(installation_id), store.sessions() as session:
        views = tracking.refresh_snapshots(session, installation_id, carrier, numbers, utcnow())
        session.commit()
        counts: dict[str, int] = {}
        for view in views:
            counts[view.status] = counts.get(view.status, 0) + 1
        logger.info("tracking %s batch of %d: %s", carrier, len(numbers), counts)
        return counts


@with_app_context
def refresh_open_tracking() -> int:
    """Enqueue refreshes of stale snapshots of ticket-linked orders, batched per carrier call
    for the carriers an installation has an account with; returns how many parcels."""
    app = job_app()
    store = resources(app)
    limit = int(app.config.get("TRACKING_REFRESH_BATCH", REFRESH_BATCH))
    with store.session() as session:
        work = tracking.open_refresh_work(session, utcnow(), limit)
        sizes = {
            installation_id: tracking.carrier_batch_sizes(
                session, installation_id, {view.carrier for view in views}
            )
            for installation_id, views in work
        }
    enqueued = 0
    for installation_id, views in work:
        with about_installation(installation_id):
            enqueued += tracking.request_batch_refresh(
                store.redis, installation_id, views, sizes[installation_id]
            )
    if enqueued:
        logger.info("tracking fan-out: %d refreshes enqueued", enqueued)
    return enqueued
