"""Reply jobs: the automatic answer to a "where is my order?" ticket.

Triage enqueues ``answer_where_is_my_order`` when it finds the category
(``plugin.services.triage``); ``enqueue_answer`` does the same for other callers. Both use one
job id per ticket (``wismo-reply-{installation}-{ticket}``, unique), so a webhook delivered
twice queues once. The job decides again from the ticket as it is now, and writes at most once
whatever happens (``plugin.services.auto_replies``); a Zendesk outage raises and RQ retries.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from redis import Redis
from rq import Queue, Retry
from rq.job import Job

from plugin.extensions import resources
from plugin.jobs import DEFAULT_QUEUE, about_installation, enqueue_unique, job_app, with_app_context
from plugin.services import auto_replies

logger = logging.getLogger(__name__)

RETRY = Retry(max=5, interval=[10, 30, 120, 600, 1800])
# A ticket left aside only because its parcel's snapshot was stale is looked at once more,
# this long after its refresh was asked for.
AFTER_REFRESH = timedelta(minutes=3)


def utcnow() -> datetime:
    return datetime.now(UTC)


def answer_job_id(installation_id: int, ticket_id: int) -> str:
    return f"wismo-reply-{installation_id}-{ticket_id}"  # the id triage enqueues it under


def enqueue_answer(redis: Redis, installation_id: int, ticket_id: int) -> Job:
    """Queue the answer of one ticket unless it is queued already."""
    return enqueue_unique(
        Queue(DEFAULT_QUEUE, connection=redis),
        answer_where_is_my_order,
        installation_id,
        ticket_id,
        job_id=answer_job_id(installation_id, ticket_id),
        retry=RETRY,
        job_timeout=300,
        result_ttl=3600,
        failure_ttl=7 * 24 * 3600,
        description=f"automatic where-is-my-order reply to ticket {ticket_id}",
    )


def answer_later(redis: Redis, installation_id: int, ticket_id: int) -> Job | None:
    """Look at the ticket again ``AFTER_REFRESH`` from now (once: None when already planned)."""
    job_id = f"{answer_job_id(installation_id, ticket_id)}-after-refresh"
    if Job.exists(job_id, connection=redis):
        return None
    return Queue(DEFAULT_QUEUE, connection=redis).enqueue_in(
        AFTER_REFRESH,
        answer_where_is_my_order,
        installation_id,
        ticket_id,
        True,
        job_id=job_id,
        retry=RETRY,
        job_timeout=300,
        result_ttl=3600,
        failure_ttl=7 * 24 * 3600,
        description=f"automatic where-is-my-order reply to ticket {ticket_id}, after refresh",
    )


@with_app_context
def answer_where_is_my_order(
    installation_id: int, ticket_id: int, after_refresh: bool = False
) -> str:
    """Answer the ticket if nothing is in doubt; returns what happened (and why not).

    A stale parcel is not a reason to give up at once: its refresh is asked for and the
    ticket looked at once more, ``AFTER_REFRESH`` later.
    """
    store = resources(job_app())
    with about_installation(installation_id):
        now = utcnow()
        outcome = auto_replies.answer_where_is_my_order(store, installation_id, ticket_id, now)
        said = f"{outcome.status}: {outcome.reason}" if outcome.reason else outcome.status
        if outcome.reason == auto_replies.STALE_TRACKING and not after_refresh:
            auto_replies.refresh_stale_parcel(store, installation_id, outcome.detail, now)
            if answer_later(store.redis, installation_id, ticket_id) is not None:
                said += "; tracking refresh asked, answer planned after it"
        logger.info("ticket %s: %s", ticket_id, said)
        return said
