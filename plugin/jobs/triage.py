"""The triage job: one ticket, after an accepted webhook delivery.

Enqueued by ``plugin.services.triage.enqueue_triage`` as ``triage-{installation}-{ticket}-
{delivery}`` on the default queue, with retries: a Zendesk failure leaves nothing half-done
(the decision is stored, and the ticket update is exactly-once through ``write_once``).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from plugin.extensions import resources
from plugin.jobs import about_installation, job_app, with_app_context
from plugin.services import triage

logger = logging.getLogger(__name__)


def utcnow() -> datetime:
    return datetime.now(UTC)


@with_app_context
def triage_ticket(installation_id: int, ticket_id: int, event: dict[str, Any]) -> str:
    """Triage one ticket; returns its risk."""
    store = resources(job_app())
    with about_installation(installation_id):
        result = triage.triage_ticket(store, installation_id, ticket_id, event, now=utcnow())
        return result.decision.risk
