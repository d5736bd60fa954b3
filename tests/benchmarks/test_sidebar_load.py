"""Benchmark (issue 4): 50 simulated agents opening tickets against the app under gunicorn.

A generated seller is synced through the SP-API sandbox into the store; the Zendesk
sandbox's ticket seed for that seller gives realistic panel requests (order ids in the text,
only in the Order ID field, only the requester's email, none). The app runs under gunicorn
(production settings, several workers) and is warmed up first: every ticket opened once, so
connection pools, the ZAF-free JSON path and the database's caches are warm.

Two measurements, each for the panel data endpoint (``GET /api/v1/sidebar/context``) and,
in the same run on the same server, a trivial endpoint (``GET /health``) as the baseline:

- agents: 50 agents who open a ticket, read it (exponential think time, mean 1 s), open the
  next; p50/p95/p99 latency. Target: the panel endpoint's p95 <= 50 ms.
- saturation: 50 agents with no think time; requests per second. Target: the panel endpoint
  serves >= 50% of the trivial endpoint's throughput.
- for reference, the agents again with every answer built from the store (``fresh=1``, as
  the first opening of a ticket is): no target, printed so the cache's share is visible.

Uses PostgreSQL + Redis when ``CLAIMDESK_TEST_DATABASE_URL`` / ``_REDIS_URL`` are set (as
scripts/bench sets them), else SQLite + the embedded Redis. ``CLAIMDESK_BENCH_AGENTS``,
``_SECONDS`` and ``_WORKERS`` change the load.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import urlencode

import pytest
import requests

from connectors.amazon.sandbox import start_sandbox
from plugin.generator import generate_seller
from plugin.generator.tickets import write_ticket_seed
from plugin.security.app_token import mint_app_token
from plugin.store import queries
from tests.benchmarks.load import LoadResult, run_agents
from tests.connectors.amazon_support import CREDENTIALS
from tests.sync.support import (
    ROOT,
    Backend,
    postgresql_backend,
    prepare,
    sqlite_backend,
    store_of,
)

AS_OF = date(2026, 10, 31)
AGENTS = int(os.environ.get("CLAIMDESK_BENCH_AGENTS", "50"))
SECONDS = float(os.environ.get("CLAIMDESK_BENCH_SECONDS", "20"))
WORKERS = int(os.environ.get("CLAIMDESK_BENCH_WORKERS", str(2 * (os.cpu_count() or 1) + 1)))
THINK_S = 1.0
SECRET = "bench-secret-key"


@pytest.fixture
def backend(tmp_path: Path) -> Iterator[Backend]:
    if os.environ.get("CLAIMDESK_TEST_DATABASE_URL") and os.environ.get("CLAIMDESK_TEST_REDIS_URL"):
        with postgresql_backend(tmp_path) as found:
            yield found
    else:
        with sqlite_backend(tmp_path) as found:
            yield found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def ticket_paths(seed_file: Path) -> list[str]:
    """One panel request per seed ticket, as sidebar.js sends it."""
    document = json.loads(seed_file.read_text())
    users = {user["id"]: user for user in document["users"]}
    paths = []
    for ticket in document["tickets"]:
        fields = {str(f["id"]): f.get("value") for f in ticket.get("custom_fields", [])}
        order_field = next((value for value in fields.values() if value), "")
        query = {
            "ticket_id": ticket["id"],
            "subject": ticket["subject"],
            "description": ticket["comments"][0]["body"] if ticket.get("comments") else "",
            "requester_email": users[ticket["requester_id"]].get("email", ""),
            "order_id": order_field,
            "tz": "America/New_York",
            "locale": "en",
        }
        paths.append("/api/v1/sidebar/context?" + urlencode(query))
    return paths


def start_gunicorn(backend: Backend, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **backend.process_env(),
        "CLAIMDESK_ENV": "production",
        "CLAIMDESK_SECRET_KEY": SECRET,
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", str(WORKERS),
             "--worker-class", "gthread", "--threads", "4", "--keep-alive", "30",
             "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "wsgi:app"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/health", timeout=5).status_code == 200:
                return process
        except (requests.ConnectionError, requests.Timeout):
            time.sleep(0.2)
    os.killpg(process.pid, signal.SIGKILL)  # the master and its workers: none left behind
    process.wait(timeout=30)
    raise AssertionError(f"gunicorn did not start: {log.read_text()[-2000:]}")


def test_fifty_agents_open_tickets_under_gunicorn(backend: Backend, tmp_path: Path) -> None:
    seller = tmp_path / "seller"
    generate_seller(seller, seed=4, as_of=AS_OF, ledger_rows=20_000)
    sandbox = start_sandbox(seller, time_scale=2000.0, credentials=CREDENTIALS)
    try:
        prepare(backend, "shop", sandbox.url, seller)
        synced = backend.claimdesk("sync", "shop", "--wait", "--as-of", AS_OF.isoformat())
        assert synced.exit_code == 0, synced.output
    finally:
        sandbox.stop()
    seed_file = tmp_path / "tickets.json"
    write_ticket_seed(seller, seed_file, 4)
    paths = ticket_paths(seed_file)
    store = store_of(backend)
    with store.sessions() as session:
        installation = queries.installation_by_name(session, "shop")
        assert installation is not None
        token = mint_app_token(
            SECRET,
            installation_id=installation.id,
            user_id=1,
            location="ticket_sidebar",
            now=datetime.now(UTC),
            ttl=3600,
        )
    store.close()
    headers = {"Authorization": f"Bearer {token}"}

    port = free_port()
    server = start_gunicorn(backend, port, tmp_path / "gunicorn.log")
    base = f"http://127.0.0.1:{port}"
    try:
        # Warm-up: every ticket once (and a check that each answers with orders or not).
        found_orders = 0
        for path in paths:
            response = requests.get(base + path, headers=headers, timeout=30)
            assert response.status_code == 200, response.text[:500]
            found_orders += bool(response.json()["orders"])
        assert found_orders >= len(paths) // 2
        run_agents(base, ["/health"], agents=AGENTS, seconds=3)

        results: dict[str, LoadResult] = {}
        for label, endpoint_paths, endpoint_headers in (
            ("trivial /health", ["/health"], {}),
            ("panel data", paths, headers),
        ):
            results[f"{label} agents"] = run_agents(
                base, endpoint_paths, headers=endpoint_headers, agents=AGENTS,
                seconds=SECONDS, think_s=THINK_S,
            )  # fmt: skip
            results[f"{label} saturated"] = run_agents(
                base, endpoint_paths, headers=endpoint_headers, agents=AGENTS,
                seconds=SECONDS / 2,
            )  # fmt: skip
        # For reference: every answer built from the store (a ticket's first opening).
        results["panel data uncached agents"] = run_agents(
            base, [f"{path}&fresh=1" for path in paths], headers=headers, agents=AGENTS,
            seconds=SECONDS, think_s=THINK_S,
        )  # fmt: skip
    finally:
        server.terminate()
        server.wait(timeout=30)

    print(
        f"\n{AGENTS} agents, {len(paths)} distinct tickets, gunicorn {WORKERS} workers x 4 "
        f"threads, {backend.name}, {os.cpu_count()} CPUs"
    )
    for label, result in results.items():
        print(result.line(label))
    panel = results["panel data agents"]
    trivial = results["trivial /health agents"]
    share = (
        results["panel data saturated"].throughput / results["trivial /health saturated"].throughput
    )
    print(
        f"panel p95 {panel.percentile(0.95):.1f} ms (trivial {trivial.percentile(0.95):.1f} ms); "
        f"saturated throughput {share:.0%} of the trivial endpoint's"
    )
    for result in results.values():
        assert result.errors == 0, result.statuses
    assert panel.percentile(0.95) <= 50.0
    assert share >= 0.5
