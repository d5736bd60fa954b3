"""Deadline alert jobs: the daily fan-out, and one installation's alert ticket.

``fan_out_deadline_alerts`` (cron, every CLAIMDESK_DEADLINE_ALERT_SECONDS, a day by default)
enqueues ``send_deadline_alert`` for each installation connected to Zendesk with the
``deadline_alerts`` setting on, under the id ``deadline-alert-{installation}-{day}``: a second
fan-out the same day enqueues nothing, and the job itself writes at most once a day anyway.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime

from rq import Queue, Retry
from rq.exceptions import DuplicateJobError

from plugin.extensions import resources
from plugin.jobs import DEFAULT_QUEUE, about_installation, job_app, with_app_context
from plugin.services import deadline_alert_tickets, writeback
from plugin.services.zendesk_pacing import ZendeskLimits
from plugin.store import queries

logger = logging.getLogger(__name__)


def utcnow() -> datetime:
    return datetime.now(UTC)


def job_id(installation_id: int, day: date) -> str:
    return f"deadline-alert-{installation_id}-{day.isoformat()}"


@with_app_context
def send_deadline_alert(installation_id: int) -> str:
    """Open or update the installation's deadline alert ticket; returns what was done."""
    app = job_app()
    store = resources(app)
    limits = ZendeskLimits.from_config(app.config)
    now = utcnow()
    with about_installation(installation_id):
        with store.sessions() as session:
            client = writeback.client_for(
                session,
                store.keyring,
                installation_id,
                pacer=writeback.pacer_for(store.redis, limits),
            )
        with client:
            outcome = deadline_alert_tickets.send_deadline_alert(
                store,
                installation_id,
                today=now.date(),
                now=now,
                client=client,
                redis=store.redis,
            )
        logger.info(
            "deadline alert: %s (ticket %s, %d claims)",
            outcome.status,
            outcome.ticket_id,
            outcome.claims,
        )
        return outcome.status


@with_app_context
def fan_out_deadline_alerts() -> int:
    """Enqueue today's alert job of every installation that has alerts on."""
    store = resources(job_app())
    today = utcnow().date()
    with store.sessions() as session:
        wanted = [
            installation.id
            for installation in queries.installations(session)
            if installation.zendesk_subdomain
            and deadline_alert_tickets.deadline_alerts_enabled(session, installation.id)
        ]
    queue = Queue(DEFAULT_QUEUE, connection=store.redis)
    enqueued = 0
    for installation_id in wanted:
        try:
            queue.enqueue(
                send_deadline_alert,
                installation_id,
                job_id=job_id(installation_id, today),
                unique=True,
                retry=Retry(max=5, interval=[60, 300, 900, 1800, 3600]),
                result_ttl=24 * 3600,
            )
            enqueued += 1
        except DuplicateJobError:
            pass
    if enqueued:
        logger.info("deadline alerts: %d installation jobs enqueued", enqueued)
    return enqueued
