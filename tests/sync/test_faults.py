"""Faults during a sync. Each ends with a store identical to the one an uninterrupted sync
leaves (every table's rows, ids and timestamps aside): nothing duplicated, nothing lost.

- a real ``claimdesk worker`` killed with SIGKILL mid-sync, then started again;
- Redis (a throwaway redis-server keeping nothing on disk) restarted mid-sync;
- the sandbox answering storms of 429 and of 500;
- the same sync run twice.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from connectors.amazon.sandbox import AmazonSandbox, start_sandbox
from plugin.extensions import Resources
from plugin.store import queries
from plugin.store.models import FAILED, NEEDS_RECONNECT
from tests.connectors.amazon_support import CREDENTIALS
from tests.sync.support import (
    AS_OF,
    TIME_SCALE,
    Backend,
    RedisServer,
    connect,
    dump,
    kill_group,
    latest,
    prepare,
    sqlite_backend,
    store_of,
    sync_runs,
    wait_until,
)

SEED = 1
MIDWAY = 20  # work units done (of ~100) when the fault strikes: in the third step


@pytest.fixture(scope="module")
def reference(
    tmp_path_factory: pytest.TempPathFactory, seller: Callable[[int, str], Path]
) -> dict[str, list[tuple[str, ...]]]:
    """The store after one uninterrupted sync of the seller (SQLite + embedded Redis)."""
    folder = seller(SEED, "tsv")
    sandbox = start_sandbox(folder, time_scale=TIME_SCALE, credentials=CREDENTIALS)
    try:
        with sqlite_backend(tmp_path_factory.mktemp("reference")) as backend:
            prepare(backend, "shop", sandbox.url, folder)
            result = backend.claimdesk("sync", "shop", "--wait", "--as-of", AS_OF.isoformat())
            assert result.exit_code == 0, result.output
            store = store_of(backend)
            try:
                return dump(store)
            finally:
                store.close()
    finally:
        sandbox.stop()


@pytest.fixture
def shop(
    backend: Backend,
    seller: Callable[[int, str], Path],
    sandbox_for: Callable[[Path], AmazonSandbox],
) -> AmazonSandbox:
    """Installation "shop" connected to a sandbox serving the seller, costs imported."""
    folder = seller(SEED, "tsv")
    sandbox = sandbox_for(folder)
    prepare(backend, "shop", sandbox.url, folder)
    return sandbox


@pytest.fixture
def store(backend: Backend) -> Iterator[Resources]:
    found = store_of(backend)
    yield found
    found.close()


def start_sync(backend: Backend) -> None:
    started = backend.claimdesk("sync", "shop", "--as-of", AS_OF.isoformat())
    assert started.exit_code == 0, started.output
    assert "job sync-" in started.output


def midway(store: Resources) -> bool:
    state = latest(store, "shop")
    return state is not None and state.done >= MIDWAY


def finished(store: Resources) -> bool:
    state = latest(store, "shop")
    return state is not None and state.finished


def check_complete(store: Resources, reference: dict[str, list[tuple[str, ...]]]) -> None:
    state = latest(store, "shop")
    assert state is not None and state.status == "done", state
    assert state.done == state.total
    assert dump(store) == reference


def test_a_killed_worker_is_restarted_and_the_sync_resumes(
    backend: Backend, shop: AmazonSandbox, store: Resources, reference: dict, tmp_path: Path
) -> None:
    start_sync(backend)
    log = tmp_path / "worker.log"
    worker = backend.spawn_worker(log)
    try:
        wait_until(lambda: midway(store), 60, "the sync to get going")
    finally:
        kill_group(worker, signal.SIGKILL)
    state = latest(store, "shop")
    assert state is not None and state.status == "running" and state.done < state.total

    worker = backend.spawn_worker(log)
    try:
        wait_until(lambda: finished(store), 120, "the sync to end after the restart", 0.2)
    finally:
        kill_group(worker, signal.SIGTERM)
    check_complete(store, reference)


def test_redis_restarted_mid_sync(
    backend: Backend, seller: Callable[[int, str], Path], reference: dict, tmp_path: Path
) -> None:
    server = RedisServer(tmp_path)
    server.start()
    backend.redis_url = server.url
    folder = seller(SEED, "tsv")
    sandbox = start_sandbox(folder, time_scale=TIME_SCALE, credentials=CREDENTIALS)
    store = store_of(backend)
    worker = None
    try:
        prepare(backend, "shop", sandbox.url, folder)
        start_sync(backend)
        worker = backend.spawn_worker(tmp_path / "worker.log")
        wait_until(lambda: midway(store), 60, "the sync to get going")
        server.stop()  # every job, registry and rate-limit bucket is gone
        time.sleep(0.5)
        server.start()
        wait_until(lambda: finished(store), 120, "the sync to end after Redis came back", 0.2)
        check_complete(store, reference)
    finally:
        if worker is not None:
            kill_group(worker, signal.SIGTERM)
        store.close()
        sandbox.stop()
        server.stop()


def test_storms_of_429_are_waited_out(
    backend: Backend, shop: AmazonSandbox, store: Resources, reference: dict
) -> None:
    shop.inject(429, count=10, retry_after=0.2)  # Retry-After given …
    shop.inject(429, count=10, operation="createReport")  # … or not: backing off
    synced = backend.claimdesk("sync", "shop", "--wait", "--as-of", AS_OF.isoformat())
    assert synced.exit_code == 0, synced.output
    assert len([r for r in shop.requests if r.status == 429]) >= 20
    check_complete(store, reference)


def test_storms_of_500_are_retried_within_bounds(
    backend: Backend, shop: AmazonSandbox, store: Resources, reference: dict
) -> None:
    shop.inject(500, count=12)
    shop.inject(503, count=3, operation="document")
    shop.inject(500, count=2, operation="lwa")
    synced = backend.claimdesk("sync", "shop", "--wait", "--as-of", AS_OF.isoformat())
    assert synced.exit_code == 0, synced.output
    assert len([r for r in shop.requests if r.status >= 500]) == 17
    check_complete(store, reference)


def test_a_sync_run_twice_changes_nothing(
    backend: Backend, shop: AmazonSandbox, store: Resources, reference: dict
) -> None:
    first = backend.claimdesk("sync", "shop", "--wait", "--as-of", AS_OF.isoformat())
    second = backend.claimdesk("sync", "shop", "--wait", "--as-of", AS_OF.isoformat())
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    claims = len(reference["claims"])
    assert f"claims {claims} new, 0 changed, 0 unchanged" in first.output
    assert f"claims 0 new, 0 changed, {claims} unchanged, 0 gone" in second.output
    assert [run.status for run in sync_runs(store)] == ["done", "done"]
    check_complete(store, reference)


def test_refused_credentials_mark_the_installation_for_reconnecting(
    backend: Backend,
    seller: Callable[[int, str], Path],
    sandbox_for: Callable[[Path], AmazonSandbox],
    store: Resources,
) -> None:
    sandbox = sandbox_for(seller(SEED, "tsv"))
    connect(backend, "shop", sandbox.url, refresh_token="Atzr|REVOKED")
    synced = backend.claimdesk("sync", "shop", "--wait")
    assert synced.exit_code == 1
    assert "sync FAILED" in synced.output and "needs reconnect" in synced.output
    assert "REVOKED" not in synced.output
    with store.sessions() as session:
        installation = queries.installation_by_name(session, "shop")
        assert installation is not None and installation.state == NEEDS_RECONNECT
    assert [run.status for run in sync_runs(store)] == [FAILED]
    assert [r.operation for r in sandbox.requests] == ["lwa"]  # no retries of a refusal
