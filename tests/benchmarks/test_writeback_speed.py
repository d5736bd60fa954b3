"""Benchmark: 1,000 new claims across 300 tickets written back to the Zendesk sandbox.

Not part of the default run. Run with::

    .venv/bin/python -m pytest tests/benchmarks/test_writeback_speed.py -s

(PostgreSQL + Redis too when ``CLAIMDESK_TEST_DATABASE_URL``/``CLAIMDESK_TEST_REDIS_URL`` are
set.) The claims are stored, the sync's hook (``claim_notes.after_claims``) enqueues one job per
ticket, and ``CLAIMDESK_BENCH_WORKERS`` (default 4) real ``claimdesk worker`` processes drain
the queue through the shared Redis pacer. The sandbox keeps Zendesk's limits (700 requests a
minute, 100 ticket updates a minute, 30 per ticket per 10 minutes);
``CLAIMDESK_BENCH_ZENDESK_SCALE`` multiplies them, and the pacer's, for a quick run.

Printed: API calls per ticket (target: 1 update), total time, and the peak rates the sandbox
recorded (per sandbox minute, and per ticket per 10 minutes) against its limits, with any 429.
"""

from __future__ import annotations

import math
import os
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from connectors.zendesk.sandbox import ZendeskSandbox, start_sandbox
from connectors.zendesk.sandbox_data import parse_seed
from plugin.extensions import resources
from plugin.services import claim_notes
from plugin.store.models import Writeback
from tests.sync.support import Backend, kill_group, postgresql_backend, sqlite_backend, wait_until
from tests.writeback.conftest import connect, make_claim, order_id, ticket_seed

TICKETS = 300
CLAIMS = 1000
WORKERS = int(os.environ.get("CLAIMDESK_BENCH_WORKERS", "4"))
SCALE = float(os.environ.get("CLAIMDESK_BENCH_ZENDESK_SCALE", "1"))
PLAN_RPM = 700
UPDATES_PER_MINUTE = 100
UPDATES_PER_TICKET = 30


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "sqlite":
        with sqlite_backend(tmp_path) as found:
            yield found
    else:
        with postgresql_backend(tmp_path) as found:
            yield found


@pytest.fixture
def zendesk() -> Iterator[ZendeskSandbox]:
    sandbox = start_sandbox(
        parse_seed(ticket_seed(TICKETS), "benchmark"),
        webhook_endpoint="http://127.0.0.1:9/unused",
        deliver_webhooks=False,
        plan_rpm=int(PLAN_RPM * SCALE),
        ticket_updates_per_minute=int(UPDATES_PER_MINUTE * SCALE),
        ticket_updates_per_ticket=int(UPDATES_PER_TICKET * SCALE),
    )
    try:
        yield sandbox
    finally:
        sandbox.stop()


def test_writeback_speed(backend: Backend, zendesk: ZendeskSandbox, tmp_path: Path) -> None:
    backend.extra.update(
        {
            "CLAIMDESK_ZENDESK_REQUESTS_PER_MINUTE": str(int(PLAN_RPM * SCALE)),
            "CLAIMDESK_ZENDESK_UPDATES_PER_MINUTE": str(int(UPDATES_PER_MINUTE * SCALE)),
            "CLAIMDESK_ZENDESK_UPDATES_PER_TICKET": str(int(UPDATES_PER_TICKET * SCALE)),
        }
    )
    connect(backend, zendesk)
    store = resources(backend.app())
    orders = [order_id(number) for number in range(1, TICKETS + 1)]
    claims = [
        make_claim(
            orders[index % TICKETS],
            f"SKU-{index:04d}",
            kind=("return_not_received", "refund_not_returned", "lost_inbound")[index % 3],
            quantity=1 + index % 4,
        )
        for index in range(CLAIMS)
    ]
    from plugin.services.claim_store import save_claims
    from plugin.store import queries
    from plugin.store.sidebar_queries import link_ticket
    from tests.writeback.conftest import NOW

    with store.session() as session:
        installation = queries.installation_by_name(session, "shop")
        assert installation is not None
        installation_id = installation.id
        changes = save_claims(session, installation_id, claims, NOW)
        for number, order in enumerate(orders, start=1):
            link_ticket(session, installation_id, number, [("amazon", order, "subject")], NOW)
    assert len(changes.new) == CLAIMS
    zendesk.clear_requests()
    started = time.monotonic()
    with store.session() as session:
        enqueued = claim_notes.after_claims(
            store.redis, session, installation_id,
            order_ids={claim.reference_id for claim in changes.new},
        )  # fmt: skip
    assert enqueued == TICKETS
    workers = [backend.spawn_worker(tmp_path / f"worker-{n}.log") for n in range(WORKERS)]

    def sent() -> int:
        with store.sessions() as session:
            return int(
                session.scalar(
                    select(func.count()).select_from(Writeback).where(Writeback.status == "sent")
                )
                or 0
            )

    try:
        wait_until(lambda: sent() == TICKETS, 1800, "every ticket's note", poll=0.5)
    finally:
        for worker in workers:
            kill_group(worker)
    elapsed = time.monotonic() - started
    requests = zendesk.requests
    updates = [r for r in requests if r.route == "tickets.update"]
    per_ticket = Counter(r.path for r in updates if r.status == 200)
    throttled = sum(1 for r in requests if r.status == 429)
    first = min(r.at for r in requests)
    per_minute = Counter(int((r.at - first) // 60) for r in requests)
    updates_per_minute = Counter(int((r.at - first) // 60) for r in updates)
    window = max(
        sum(1 for other in updates if other.path == r.path and r.at <= other.at < r.at + 600)
        for r in updates
    )
    # The sandbox's own meter counts calendar minutes of its clock: its peak, too.
    sandbox_minutes = Counter(int(r.at // 60) for r in updates)
    notes = sum(
        1
        for number in range(1, TICKETS + 1)
        for comment in zendesk.ticket(number).comments
        if "claimdesk ref: wb-" in comment.body
    )
    print(
        f"\nwrite-back ({backend.name}, {WORKERS} workers, limits x{SCALE:g}): "
        f"{CLAIMS} claims on {TICKETS} tickets in {elapsed:.1f} s "
        f"({TICKETS / elapsed * 60:.0f} tickets/min)\n"
        f"  API calls per ticket: {len(updates) / TICKETS:.2f} updates "
        f"(max {max(per_ticket.values())} on one ticket), {len(requests) / TICKETS:.2f} requests "
        f"in all ({len(requests)}: {dict(Counter(r.route for r in requests))})\n"
        f"  notes on tickets: {notes} (one per ticket: {notes == TICKETS}); 429s: {throttled}\n"
        f"  peak requests/min: {max(per_minute.values())} (limit {int(PLAN_RPM * SCALE)}); "
        f"peak updates/min: {max(updates_per_minute.values())}, by the sandbox's minutes "
        f"{max(sandbox_minutes.values())} (limit {int(UPDATES_PER_MINUTE * SCALE)}); "
        f"peak updates of one ticket in 10 min: {window} "
        f"(limit {int(UPDATES_PER_TICKET * SCALE)})"
    )
    assert notes == TICKETS and set(per_ticket.values()) == {1}
    assert max(sandbox_minutes.values()) <= UPDATES_PER_MINUTE * SCALE
    assert throttled == 0
    assert math.isfinite(elapsed)
    store.close()
