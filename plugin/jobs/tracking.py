"""Tracking jobs: refresh one parcel's snapshot, and the periodic fan-out that refreshes the
stale parcels of orders that tickets mention.

``refresh_tracking`` jobs are enqueued by ``plugin.services.tracking.request_refresh`` under
the id ``tracking-{installation}-{carrier}-{number}`` (unique), on the default queue: each is
one SP-API (later one carrier) call. A job that raises is retried by RQ (``Retry`` set at
enqueue time); the snapshot is unchanged until a call succeeds.
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
def refresh_open_tracking() -> int:
    """Enqueue refreshes of stale snapshots of ticket-linked orders; returns how many."""
    app = job_app()
    store = resources(app)
    limit = int(app.config.get("TRACKING_REFRESH_BATCH", REFRESH_BATCH))
    with store.session() as session:
        work = tracking.open_refresh_work(session, utcnow(), limit)
    enqueued = 0
    for installation_id, views in work:
        with about_installation(installation_id):
            enqueued += tracking.request_refresh(store.redis, installation_id, views)
    if enqueued:
        logger.info("tracking fan-out: %d refreshes enqueued", enqueued)
    return enqueued
