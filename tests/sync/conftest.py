"""Sync fixtures: every test runs on SQLite + the embedded Redis and, when the machine's
services answer, on PostgreSQL + Redis (``CLAIMDESK_TEST_DATABASE_URL``,
``CLAIMDESK_TEST_REDIS_URL``), each test on an empty store of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from connectors.amazon.sandbox import AmazonSandbox, start_sandbox
from plugin.generator import generate_seller
from tests.connectors.amazon_support import CREDENTIALS
from tests.sync.support import (
    AS_OF,
    TIME_SCALE,
    Backend,
    postgresql_backend,
    sqlite_backend,
)


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "sqlite":
        with sqlite_backend(tmp_path) as found:
            yield found
    else:
        with postgresql_backend(tmp_path) as found:
            yield found


@pytest.fixture(scope="session")
def seller(tmp_path_factory: pytest.TempPathFactory) -> Callable[[int, str], Path]:
    """``seller(seed, layout)``: a generated seller folder, made once per session."""
    made: dict[tuple[int, str], Path] = {}

    def get(seed: int, layout: str = "tsv") -> Path:
        if (seed, layout) not in made:
            directory = tmp_path_factory.mktemp(f"seller-{seed}-{layout}")
            generate_seller(directory, seed=seed, as_of=AS_OF, ledger_rows=3000, layout=layout)
            made[seed, layout] = directory
        return made[seed, layout]

    return get


@pytest.fixture
def sandbox_for() -> Iterator[Callable[[Path], AmazonSandbox]]:
    """``sandbox_for(folder)``: the SP-API sandbox serving a folder, stopped afterwards."""
    running: list[AmazonSandbox] = []

    def start(directory: Path, time_scale: float = TIME_SCALE) -> AmazonSandbox:
        sandbox = start_sandbox(directory, time_scale=time_scale, credentials=CREDENTIALS)
        running.append(sandbox)
        return sandbox

    yield start
    for sandbox in running:
        sandbox.stop()
