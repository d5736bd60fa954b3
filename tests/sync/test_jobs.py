"""The jobs around a sync, on a real Redis and store: unique ids, the fan-out, recovery of a
lost job, log lines, and the rates Amazon announced shared between processes."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from rq import Queue
from rq.job import Job

from connectors.amazon.sandbox import AmazonSandbox
from plugin.extensions import Resources, resources
from plugin.jobs import SYNC_QUEUE, JobLogFilter, about_installation, bind_app
from plugin.jobs.sync import fan_out_syncs, resume, step_job_id
from plugin.services.installations import ensure_installation
from plugin.services.ratelimit import RedisLimiter
from plugin.services.sp_api import AnnouncedRates
from plugin.store import queries
from plugin.store.models import NEEDS_RECONNECT
from tests.sync.support import AS_OF, Backend, connect, latest, sync_runs


@pytest.fixture
def app(backend: Backend) -> Iterator[Flask]:
    made = backend.app()
    yield made
    resources(made).close()


@pytest.fixture
def store(app: Flask) -> Resources:
    return resources(app)


@pytest.fixture
def sandbox(
    seller: Callable[[int, str], Path], sandbox_for: Callable[[Path], AmazonSandbox]
) -> AmazonSandbox:
    return sandbox_for(seller(1, "tsv"))


def queued(store: Resources) -> list[str]:
    return Queue(SYNC_QUEUE, connection=store.redis).get_job_ids()


def test_sync_without_wait_prints_the_job_and_a_second_call_joins_it(
    backend: Backend, sandbox: AmazonSandbox, store: Resources
) -> None:
    connect(backend, "shop", sandbox.url)
    first = backend.claimdesk("sync", "shop", "--as-of", AS_OF.isoformat())
    second = backend.claimdesk("sync", "shop")
    state = latest(store, "shop")
    assert state is not None and state.status == "running" and state.step == "ledger"
    job_id = step_job_id(state.installation_id, state.sync_id, "ledger")
    assert first.output == f"Started sync {state.sync_id} of shop; job {job_id}\n"
    assert second.output == f"Already running: sync {state.sync_id} of shop; job {job_id}\n"
    assert queued(store) == [job_id]  # unique: one job, however often it is asked for
    assert not sandbox.requests  # nothing ran: no worker, no --wait


def test_a_sync_that_lost_its_job_gets_it_back(
    backend: Backend, sandbox: AmazonSandbox, app: Flask, store: Resources
) -> None:
    connect(backend, "shop", sandbox.url)
    backend.claimdesk("sync", "shop")
    state = latest(store, "shop")
    assert state is not None
    store.redis.flushdb()  # what a Redis restarted without persistence looks like
    job = resume(app, state.installation_id, state.sync_id)
    assert job is not None and queued(store) == [job.id]
    Job.fetch(job.id, connection=store.redis).delete()
    assert resume(app, state.installation_id, state.sync_id) is not None
    assert len(queued(store)) == 1


def test_the_fan_out_starts_syncs_of_active_connected_installations_once(
    backend: Backend, sandbox: AmazonSandbox, app: Flask, store: Resources
) -> None:
    connect(backend, "active", sandbox.url)
    connect(backend, "refused", sandbox.url)
    with store.session() as session:
        ensure_installation(session, "bare", datetime.now(UTC))  # no credentials
        refused = queries.installation_by_name(session, "refused")
        assert refused is not None
        refused.state = NEEDS_RECONNECT
    bind_app(app)
    assert fan_out_syncs() == 1
    assert fan_out_syncs() == 1  # the running sync is not started again
    runs = sync_runs(store)
    assert len(runs) == 1 and runs[0].status == "running"
    assert queued(store) == [step_job_id(runs[0].installation_id, runs[0].id, "ledger")]


def test_log_lines_name_the_job_and_the_installation() -> None:
    stamp = JobLogFilter()

    def record() -> logging.LogRecord:
        made = logging.LogRecord("plugin.test", logging.INFO, __file__, 1, "m", None, None)
        assert stamp.filter(made)
        return made

    with about_installation(42):
        inside = record()
    outside = record()
    assert (inside.job_id, inside.installation_id) == ("-", 42)  # no job: not in a worker
    assert (outside.job_id, outside.installation_id) == ("-", "-")


def test_a_rate_amazon_announced_is_shared_by_every_process(
    backend: Backend, store: Resources
) -> None:
    first = AnnouncedRates(store.redis, RedisLimiter(store.redis, prefix="test:"))
    later = AnnouncedRates(store.redis, RedisLimiter(store.redis, prefix="test:"))
    key = "seller-1:createReport"
    waits = [first.acquire(key, 33.4, 14) for _ in range(20)]  # Amazon announced 33.4/s
    assert waits[:10] == [0] * 10 and waits[-1] > 0  # the burst went, then the bucket ran dry
    # A process that knows only the plan (1 request a minute) waits what Amazon announced,
    # a fraction of a second, not a minute.
    assert 0 < later.acquire(key, 0.0167, 14) < 1
