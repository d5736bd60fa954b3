"""Write-back jobs: a ticket's claim notes, and the periodic sweep that finishes stuck writes.

``write_ticket_notes`` jobs are enqueued by ``plugin.services.claim_notes.request_notes``
(after each sync's claims step, and by the sweep) under the id
``ticket-notes-{installation}-{ticket}``. A job that raises (Zendesk throttling past the
budget, an outage, another job on the ticket) is retried by RQ; the write-back log makes the
retry write nothing twice.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from plugin.extensions import resources
from plugin.jobs import about_installation, job_app, with_app_context
from plugin.services import claim_notes, writeback
from plugin.services.zendesk_pacing import ZendeskLimits
from plugin.store import queries

logger = logging.getLogger(__name__)


def utcnow() -> datetime:
    return datetime.now(UTC)


@with_app_context
def write_ticket_notes(installation_id: int, ticket_id: int) -> list[str]:
    """Write the ticket's untold claims and case changes as one note; returns the outcomes."""
    app = job_app()
    store = resources(app)
    limits = ZendeskLimits.from_config(app.config)
    budget = float(app.config.get("ZENDESK_RATELIMIT_BUDGET", writeback.DEFAULT_BUDGET))
    lease = float(app.config.get("WRITEBACK_LEASE_SECONDS", writeback.LEASE_SECONDS))
    with about_installation(installation_id):
        with store.sessions() as session:
            client = writeback.client_for(
                session,
                store.keyring,
                installation_id,
                pacer=writeback.pacer_for(store.redis, limits),
                ratelimit_budget=budget,
            )
        try:
            outcomes = claim_notes.write_ticket_notes(
                store, installation_id, ticket_id, now=utcnow(), client=client, lease_seconds=lease
            )
        finally:
            client.close()
        for outcome in outcomes:
            logger.info(
                "ticket %s: write %s %s (audit %s)",
                ticket_id,
                outcome.writeback_id,
                outcome.status,
                outcome.audit_id,
            )
        return [outcome.status for outcome in outcomes]


@with_app_context
def sweep_ticket_notes() -> int:
    """Enqueue notes for tickets with a write stuck pending or an untold case change."""
    store = resources(job_app())
    now = utcnow()
    enqueued = 0
    with store.sessions() as session:
        work = [
            (installation.id, claim_notes.tickets_needing_notes(session, installation.id, now))
            for installation in queries.installations(session)
            if installation.zendesk_subdomain
        ]
    for installation_id, tickets in work:
        if tickets:
            with about_installation(installation_id):
                enqueued += claim_notes.request_notes(store.redis, installation_id, tickets)
    if enqueued:
        logger.info("write-back sweep: %d ticket jobs enqueued", enqueued)
    return enqueued
