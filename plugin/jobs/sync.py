"""Sync jobs: one per (installation, sync, step), each enqueueing the next when it commits;
and the periodic fan-out that starts syncs and restarts any that lost their job.

Job ids are ``sync-{installation}-{sync}-{step}`` and unique: enqueueing a step twice makes
one job. A finished step job is deleted at once (``result_ttl=0``) so its id is free again
should the step ever need another job.
"""

from __future__ import annotations

import logging
import math
from datetime import date

from flask import Flask
from redis import Redis
from rq import Queue, Retry, get_current_job
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from plugin.extensions import resources
from plugin.jobs import (
    SYNC_QUEUE,
    about_installation,
    enqueue_unique,
    forget_lost_executions,
    job_app,
    with_app_context,
)
from plugin.services import sync
from plugin.services.sync import SyncSettings

logger = logging.getLogger(__name__)

# A step that returns "again later" (throttled, Amazon failing) is bounded by the sync's own
# failure count, kept in the store; RQ's count only has to stay out of the way.
RESUMES = 10_000
ENDED = frozenset({JobStatus.FINISHED, JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED})


def step_job_id(installation_id: int, sync_id: int, step: str) -> str:
    return f"sync-{installation_id}-{sync_id}-{step}"


def enqueue_step(
    redis: Redis, settings: SyncSettings, installation_id: int, sync_id: int, step: str
) -> Job:
    """The job of one step (enqueued now unless it exists)."""
    return enqueue_unique(
        Queue(SYNC_QUEUE, connection=redis),
        run_sync_step,
        installation_id,
        sync_id,
        step,
        job_id=step_job_id(installation_id, sync_id, step),
        retry=Retry(max=settings.job_retries, interval=list(settings.job_retry_intervals)),
        job_timeout=settings.job_timeout,
        result_ttl=0,
        failure_ttl=7 * 24 * 3600,
        description=f"sync {sync_id} of installation {installation_id}: {step}",
    )


def ensure_step(
    redis: Redis, settings: SyncSettings, installation_id: int, sync_id: int, step: str
) -> Job:
    """A job for the step unless one is waiting or running: what a sync needs to go on after
    Redis lost its jobs, after a job ended without moving the sync on, or after a worker died
    between taking a job and starting it.
    """
    queue = Queue(SYNC_QUEUE, connection=redis)
    try:
        job = Job.fetch(step_job_id(installation_id, sync_id, step), connection=redis)
    except NoSuchJobError:
        job = None
    if job is not None and stranded(job, queue):
        status = job.get_status()
        logger.info("job %s is %s but nowhere to run: enqueueing it again", job.id, status)
        forget_lost_executions(job)
        queue.intermediate_queue.remove(job.id)
        job.delete()
    return enqueue_step(redis, settings, installation_id, sync_id, step)


def stranded(job: Job, queue: Queue) -> bool:
    """True when no worker will ever run ``job``: it ended, or its status says it waits (or
    runs) but no queue or registry holds it (RQ dropped it when its worker was killed).
    """
    status = job.get_status(refresh=False)
    if status in ENDED:
        return True
    if status == JobStatus.QUEUED:
        waiting = set(queue.get_job_ids()) | set(queue.intermediate_queue.get_job_ids())
        return job.id not in waiting and job.id not in queue.started_job_registry
    if status == JobStatus.STARTED:  # a dead worker's job: RQ's own cleanup retries it
        return job.id not in queue.started_job_registry
    if status == JobStatus.SCHEDULED:
        return job.id not in queue.scheduled_job_registry
    return False


@with_app_context
def run_sync_step(installation_id: int, sync_id: int, step: str) -> Retry | None:
    """Run one step of a sync; enqueue the next step when this one is done."""
    app = job_app()
    store = resources(app)
    settings = SyncSettings.from_config(app.config)
    with about_installation(installation_id):
        try:
            outcome = sync.run_step(store, settings, installation_id, sync_id, step)
        except Exception as error:  # the RQ boundary: log it; RQ retries or fails the job
            job = get_current_job()
            if job is None or not job.retries_left:
                logger.exception("sync %d, step %s: giving up", sync_id, step)
                reason = f"{type(error).__name__}: {error}"
                sync.fail_sync(store, installation_id, sync_id, reason, sync.utcnow())
            raise
        if outcome.retry_after is not None:
            return Retry(max=RESUMES, interval=max(0, math.ceil(outcome.retry_after)))
        if outcome.next_step is not None:
            enqueue_step(store.redis, settings, installation_id, sync_id, outcome.next_step)
    return None


@with_app_context
def fan_out_syncs() -> int:
    """Start the syncs that are due and give every running sync a job; returns how many."""
    app = job_app()
    store = resources(app)
    settings = SyncSettings.from_config(app.config)
    with store.session() as session:
        work = sync.fan_out(session, store.keyring, settings, sync.utcnow())
    for installation_id, sync_id, step in work:
        with about_installation(installation_id):
            ensure_step(store.redis, settings, installation_id, sync_id, step)
    if work:
        logger.info("fan-out: %d syncs running", len(work))
    return len(work)


def start(app: Flask, installation_id: int, *, as_of: date | None = None) -> tuple[int, Job, bool]:
    """Start a sync of the installation (or join the running one) and make sure it has a job.

    Returns the sync's id, the job of its current step, and whether this call started it.
    """
    store = resources(app)
    settings = SyncSettings.from_config(app.config)
    with store.session() as session:
        run, created = sync.start_sync(
            session, store.keyring, installation_id, settings, sync.utcnow(), as_of=as_of
        )
        sync_id, step = run.id, str(run.cursor["step"])
    with about_installation(installation_id):
        job = ensure_step(store.redis, settings, installation_id, sync_id, step)
    return sync_id, job, created


def resume(app: Flask, installation_id: int, sync_id: int) -> Job | None:
    """Make sure a running sync has a job for its current step (None once it has ended)."""
    store = resources(app)
    with store.session() as session:
        step = sync.current_step(session, installation_id, sync_id)
    if step is None:
        return None
    settings = SyncSettings.from_config(app.config)
    return ensure_step(store.redis, settings, installation_id, sync_id, step)
