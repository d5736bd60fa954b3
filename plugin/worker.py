"""The worker process: RQ with its scheduler and the periodic fan-out, on the app's Redis.

Jobs run in the worker's own process (``SyncWorker``, a ``SimpleWorker``): sync steps spend
their time waiting on Amazon, and a fork per job would only throw away the database pool and
the embedded Redis connection each time. RQ's ``SimpleWorker`` sends no heartbeat while a job
runs, so it declares a job lost only ``job_timeout + 60`` seconds after its worker died; this
one beats every ``WORKER_HEARTBEAT_SECONDS`` from a thread, as RQ's forking ``Worker`` does
from its parent, so a killed worker's job is retried (and resumes) within seconds.

``run_worker`` keeps working across Redis outages: RQ's loop stops when Redis vanishes
mid-job; the worker then waits for Redis and starts again. ``drain`` runs the queued sync
jobs in the calling process until none is left (``claimdesk sync --wait`` without a worker).
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import FrameType
from typing import Any

from flask import Flask
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, SimpleWorker, Worker
from rq.executions import Execution
from rq.job import Job
from rq.worker import WorkerStatus

from plugin.extensions import resources
from plugin.jobs import QUEUES, SYNC_QUEUE, bind_app, forget_lost_executions
from plugin.jobs.cron import CronThread, build_scheduler

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkerSettings:
    """``WORKER_HEARTBEAT_SECONDS``: how often a busy worker says it is alive (a job of a
    worker silent for three beats is retried); ``WORKER_MAINTENANCE_SECONDS``: how often RQ
    looks for such jobs and cleans its registries.
    """

    heartbeat: int = 10
    maintenance: int = 60

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> WorkerSettings:
        return cls(
            heartbeat=max(1, int(config.get("WORKER_HEARTBEAT_SECONDS", cls.heartbeat))),
            maintenance=max(1, int(config.get("WORKER_MAINTENANCE_SECONDS", cls.maintenance))),
        )


class SyncWorker(SimpleWorker):
    """A ``SimpleWorker`` that heartbeats while its job runs (see the module doc)."""

    stop_requested = False

    def execute_job(self, job: Job, queue: Queue) -> None:
        forget_lost_executions(job)
        execution = self.prepare_execution(job)
        done = threading.Event()
        beat = threading.Thread(
            target=self._beat, args=(job, execution, done), name="rq-heartbeat", daemon=True
        )
        beat.start()
        try:
            self.perform_job(job, queue, execution)
        finally:
            done.set()
            beat.join()
        self.set_state(WorkerStatus.IDLE)

    def _beat(self, job: Job, execution: Execution, done: threading.Event) -> None:
        while not done.wait(self.job_monitoring_interval):
            try:
                self.maintain_heartbeats(job, execution)
            except RedisError as error:
                self.log.warning("Worker %s: heartbeat failed (%s)", self.name, error)

    def get_heartbeat_ttl(self, job: Job, working_time: float = 0.0) -> int:
        return int(self.job_monitoring_interval * 3) + 1

    def request_stop(self, signum: int, frame: FrameType | None) -> None:
        self.stop_requested = True
        super().request_stop(signum, frame)


def make_worker(
    redis: Redis, queues: Sequence[str], settings: WorkerSettings, name: str | None = None
) -> SyncWorker:
    return SyncWorker(
        [Queue(queue, connection=redis) for queue in queues],
        connection=redis,
        name=name,
        job_monitoring_interval=settings.heartbeat,
        maintenance_interval=settings.maintenance,
        # RQ waits for a job worker_ttl - 15 seconds at a time, and beats between waits.
        worker_ttl=settings.heartbeat + 15,
    )


def run_worker(
    app: Flask,
    *,
    queues: Sequence[str] = QUEUES,
    burst: bool = False,
    cron: bool = True,
    name: str | None = None,
    logging_level: str = "INFO",
) -> None:
    """Work on ``queues`` until stopped (SIGTERM, Ctrl-C) or, with ``burst``, until empty."""
    store = resources(app)
    store.migrate()
    bind_app(app)
    settings = WorkerSettings.from_config(app.config)
    ticker = None
    if cron and not burst:
        ticker = CronThread(build_scheduler(store.redis, app.config))
        ticker.start()
    pause = 1.0
    try:
        while True:
            worker = make_worker(store.redis, queues, settings, name)
            began = time.monotonic()
            try:
                worker.work(burst=burst, with_scheduler=True, logging_level=logging_level)
            except (RedisError, ValueError) as error:  # ValueError: our old name still in Redis
                logger.warning("worker stopped (%s); starting again in %.0fs", error, pause)
            else:
                if burst or worker.stop_requested:
                    return
                logger.warning("worker stopped (Redis went away?); starting again in %.0fs", pause)
            if time.monotonic() - began > 60:
                pause = 1.0  # it had been working: this is a new outage
            time.sleep(pause)
            if worker.stop_requested:  # SIGTERM while waiting (RQ's handler is still in place)
                return
            pause = min(pause * 2, 30.0)
    finally:
        if ticker is not None:
            ticker.stop()


def drain(app: Flask, *, logging_level: str = "WARNING") -> bool:
    """Run the queued sync jobs (and those scheduled until now) here, until none is left.

    Returns True when it ran any.

    Raises:
        KeyboardInterrupt: Ctrl-C (or SIGTERM) stopped the worker; its job, if one was cut
            short, is retried by the next worker and resumes where it stopped.
    """
    store = resources(app)
    bind_app(app)
    settings = WorkerSettings.from_config(app.config)
    # No maintenance after the first: it would start RQ's scheduler process, which a burst
    # has no use for.
    settings = WorkerSettings(settings.heartbeat, maintenance=24 * 3600)
    queue = Queue(SYNC_QUEUE, connection=store.redis)
    enqueue_due(queue)
    worker = make_worker(store.redis, (SYNC_QUEUE,), settings)
    handlers = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    try:
        ran = worker.work(burst=True, logging_level=logging_level)
    finally:  # RQ's handlers would outlive its worker and swallow the next Ctrl-C
        signal.signal(signal.SIGINT, handlers[0])
        signal.signal(signal.SIGTERM, handlers[1])
    if worker.stop_requested:
        raise KeyboardInterrupt
    return ran


def enqueue_due(queue: Queue) -> int:
    """Move the queue's scheduled jobs that are due onto it, as RQ's scheduler does.

    A burst then needs no scheduler, nor its lock, which a killed worker keeps for a minute.
    Returns how many were moved.
    """
    registry = queue.scheduled_job_registry
    due = registry.get_jobs_to_schedule(int(time.time()))
    for job_id, job in zip(due, Job.fetch_many(due, connection=queue.connection), strict=True):
        registry.remove(job_id)
        if job is not None:
            queue.enqueue_job(job)
    return len(due)


def live_workers(redis: Redis, settings: WorkerSettings, queue: str = SYNC_QUEUE) -> int:
    """Workers listening on ``queue`` that have beaten lately (a killed one stops beating)."""
    recent = datetime.now(UTC) - timedelta(seconds=settings.heartbeat * 3 + 15)
    alive = 0
    for worker in Worker.all(connection=redis, queue=Queue(queue, connection=redis)):
        beat = worker.last_heartbeat
        if beat is not None and beat.astimezone(UTC) >= recent:
            alive += 1
    return alive
