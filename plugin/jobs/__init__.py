"""Thin RQ entry points: ids in, one service call. This module holds what they share.

- Queue names: ``default`` for short jobs (the periodic fan-out), ``sync`` for sync steps,
  which may wait minutes on Amazon's rate limits.
- ``enqueue_unique``: a job under a deterministic id, at most once (``unique=True``).
- ``with_app_context``: a job runs inside the app of its process (the worker's, or the one
  the ``sync`` command built), as Flask's own Celery example does.
- ``JobLogFilter``: every log line says which job and which installation it is about.
- ``forget_lost_executions``: a workaround for RQ 3.0 (see there).
"""

from __future__ import annotations

import contextvars
import functools
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ParamSpec, TypeVar

from flask import Flask
from rq import Queue, get_current_job
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.executions import Execution
from rq.job import Job

logger = logging.getLogger(__name__)

DEFAULT_QUEUE = "default"
SYNC_QUEUE = "sync"
QUEUES = (DEFAULT_QUEUE, SYNC_QUEUE)  # a worker takes short jobs first

P = ParamSpec("P")
R = TypeVar("R")

_app: Flask | None = None
_installation: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "claimdesk_installation", default=None
)


def bind_app(app: Flask) -> None:
    """Make ``app`` the one jobs of this process run in (the worker's, the command's)."""
    global _app
    _app = app


def job_app() -> Flask:
    """The app jobs run in: the bound one, else one built from the environment."""
    global _app
    if _app is None:
        from plugin import create_app

        _app = create_app()
    return _app


def with_app_context(func: Callable[P, R]) -> Callable[P, R]:
    """Run the job inside its process's app context."""

    @functools.wraps(func)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        with job_app().app_context():
            return func(*args, **kwargs)

    return run


@contextmanager
def about_installation(installation_id: int) -> Iterator[None]:
    """Log lines inside the block name ``installation_id``."""
    token = _installation.set(installation_id)
    try:
        yield
    finally:
        _installation.reset(token)


class JobLogFilter(logging.Filter):
    """Stamps ``job_id`` and ``installation_id`` on every record (``-`` outside a job)."""

    def filter(self, record: logging.LogRecord) -> bool:
        job = get_current_job()
        record.job_id = job.id if job is not None else "-"
        installation = _installation.get()
        record.installation_id = installation if installation is not None else "-"
        return True


def enqueue_unique(
    queue: Queue, func: Callable[..., Any], *args: Any, job_id: str, **options: Any
) -> Job:
    """Enqueue ``func(*args)`` as ``job_id`` unless that job exists; return the job.

    ``unique=True`` makes Redis refuse a second job with the id (``DuplicateJobError``),
    atomically, so two processes enqueueing at once still make one job.
    """
    for _attempt in range(3):
        try:
            return queue.enqueue(func, *args, job_id=job_id, unique=True, **options)
        except DuplicateJobError:
            try:
                return Job.fetch(job_id, connection=queue.connection)
            except NoSuchJobError:
                continue  # it ended and went away in between: enqueue it again
    raise RuntimeError(f"job {job_id} could neither be enqueued nor found")


def forget_lost_executions(job: Job) -> None:
    """Drop from a job's execution registry the executions whose records have expired.

    RQ 3.0 keeps an execution's id in the registry 60 s longer than the execution's record.
    A job retried within that minute after its worker died (the case a short heartbeat makes
    common) then fails when RQ deletes it after success: "Execution … not found in Redis".
    """
    registry = job.execution_registry
    for execution_id in registry.get_execution_ids():
        if not job.connection.exists(Execution(execution_id, job.id, job.connection).key):
            job.connection.zrem(registry.key, execution_id)
