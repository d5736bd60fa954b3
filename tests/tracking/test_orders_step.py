"""The sync's ``order_details`` step and the refresh job, end to end: the SP-API sandbox over
real HTTP, the store on SQLite + embedded Redis and on PostgreSQL + Redis.

- the step stores every order (buyer, status, document) and a snapshot per package, resumes
  from its last committed page when throttled mid-window, and a second run adds nothing;
- a stale snapshot's refresh job, run by a real RQ worker, re-reads the order from the sandbox
  and, days later on the sandbox clock, finds the parcel delivered.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from rq import Queue, SimpleWorker
from sqlalchemy import func, select

from connectors.amazon import sandbox_data
from connectors.amazon.sandbox import AmazonSandbox, start_sandbox
from plugin.extensions import Resources
from plugin.jobs import bind_app
from plugin.jobs.tracking import refresh_open_tracking
from plugin.services import sync, sync_steps
from plugin.services.sync import SyncSettings
from plugin.services.sync_cursor import Plan, midnight
from plugin.services.tracking import request_refresh, tracking_for_orders
from plugin.store import queries
from plugin.store.models import Order, TicketLink, TrackingSnapshot
from tests.connectors.amazon_support import CREDENTIALS
from tests.sync.conftest import backend
from tests.sync.support import Backend, connect, dump, store_of
from tests.tracking.support import moving_order_ids, write_orders

__all__ = ["backend"]

ORDERS = 40
HOURS_3 = timedelta(hours=3)


@pytest.fixture
def now() -> datetime:
    return datetime.now(UTC)


@pytest.fixture
def shop(backend: Backend, tmp_path: Path, now: datetime) -> Iterator[AmazonSandbox]:
    """Installation "shop" on a sandbox whose ``ORDERS`` orders were placed over the last
    month, the newest two days ago (parcels still on their way)."""
    ids = moving_order_ids(ORDERS, now)
    placed = [(order_id, now - timedelta(days=2, hours=17 * n)) for n, order_id in enumerate(ids)]
    sandbox = start_sandbox(
        write_orders(tmp_path / "seller", placed), time_scale=2000.0, credentials=CREDENTIALS
    )
    connect(backend, "shop", sandbox.url)
    try:
        yield sandbox
    finally:
        sandbox.stop()


@pytest.fixture
def store(backend: Backend) -> Iterator[Resources]:
    found = store_of(backend)
    yield found
    found.close()


def installation_id(store: Resources) -> int:
    with store.session() as session:
        installation = queries.installation_by_name(session, "shop")
        assert installation is not None
        return installation.id


def run_order_details(
    store: Resources,
    settings: SyncSettings,
    now: datetime,
    clock: Callable[[], datetime] = sync.utcnow,
) -> int:
    """A sync put at the ``order_details`` step, run until it hands over; how many runs."""
    shop_id = installation_id(store)
    with store.session() as session:
        run, _ = sync.start_sync(session, store.keyring, shop_id, settings, now)
        run.cursor = {**run.cursor, "step": "order_details", "at": {}}
        sync_id = run.id
    runs = 0
    while True:
        runs += 1
        outcome = sync.run_step(store, settings, shop_id, sync_id, "order_details", clock=clock)
        if outcome.next_step is not None:
            assert outcome.next_step == "claims"
            with store.session() as session:
                finished = queries.sync_run(session, shop_id, sync_id)
                assert finished is not None
                # One unit a window, read or (after a complete sync) left out as unchanged.
                plan = Plan.from_json(finished.cursor["plan"])
                assert finished.cursor["done"] == len(plan.report_windows())
                finished.status = "done"  # the claims step is not this test's business
            return runs
        assert outcome.retry_after is not None, "the step stopped without finishing"
        time.sleep(max(outcome.retry_after, 0.3))  # as the job's Retry would, at least 1 s
        assert runs < 100


def counts(store: Resources) -> tuple[int, int]:
    with store.session() as session:
        orders = session.scalar(select(func.count()).select_from(Order))
        parcels = session.scalar(select(func.count()).select_from(TrackingSnapshot))
    return int(orders or 0), int(parcels or 0)


def test_the_step_stores_orders_and_parcels_resumes_when_throttled_and_adds_nothing_twice(
    backend: Backend,
    shop: AmazonSandbox,
    store: Resources,
    now: datetime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sync_steps, "ORDERS_PER_PAGE", 1)  # 40+ pages: past the burst of 20
    # No waiting inside a call: once searchOrders' burst is spent the step stops (throttled)
    # and runs again from its last checkpoint.
    settings = SyncSettings(
        history_days=40, window_days=10, client={"max_wait": 0.0, "max_attempts": 1}
    )
    runs = run_order_details(store, settings, now)
    assert runs > 1, "the step was never throttled: the test did not test resuming"
    answered = [r for r in shop.requests if r.operation == "searchOrders" and r.status == 200]
    tokens = [r.query.get("paginationToken", [None])[-1] for r in answered]
    followed = [t for t in tokens if t]
    assert len(followed) == len(set(followed)), "a page was fetched twice"
    assert {v for r in answered for v in r.query["includedData"][-1].split(",")} == {
        "BUYER", "FULFILLMENT", "PACKAGES", "PROCEEDS"
    }  # fmt: skip

    orders, parcels = counts(store)
    assert orders == ORDERS
    shop_id = installation_id(store)
    with store.session() as session:
        stored = session.scalars(select(Order).where(Order.installation_id == shop_id)).all()
        packages = 0
        for order in stored:
            assert order.channel == "amazon" and order.status == "SHIPPED"
            assert order.buyer_email == sandbox_data.buyer_email(order.order_id)
            assert order.data["buyer"]["buyerName"] == sandbox_data.buyer_name(order.order_id)
            assert order.marketplace_id == "ATVPDKIKX0DER"
            packages += len(order.data["packages"])
        views = tracking_for_orders(session, shop_id, [o.order_id for o in stored], now)
    assert parcels == packages == len(views) >= ORDERS
    assert {v.status for v in views} <= {
        "pending",
        "picked_up",
        "in_transit",
        "out_for_delivery",
        "delivered",
    }
    assert "delivered" in {v.status for v in views} and "in_transit" in {v.status for v in views}

    before = dump(store)
    asked = len(shop.requests)
    run_order_details(store, SyncSettings(history_days=40, window_days=10), now)
    # The next sync reads only what changed since the day before the last one ended.
    again = [r for r in shop.requests[asked:] if r.operation == "searchOrders"]
    yesterday = midnight(sync.new_plan(SyncSettings(), now).until - timedelta(days=1))
    assert again and all(
        datetime.fromisoformat(r.query["lastUpdatedAfter"][-1].replace("Z", "+00:00")) >= yesterday
        for r in again
    )
    assert counts(store) == (orders, parcels)
    assert dump(store)["orders"] == before["orders"]
    assert dump(store)["tracking_snapshots"] == before["tracking_snapshots"]


def test_stale_parcels_are_refreshed_by_their_jobs_and_found_delivered(
    backend: Backend, shop: AmazonSandbox, store: Resources, now: datetime
) -> None:
    # The sync ran three hours ago: parcels in transit (2 h to live) are stale now.
    run_order_details(store, SyncSettings(history_days=40), now, clock=lambda: now - HOURS_3)
    shop_id = installation_id(store)
    with store.session() as session:
        order_ids = sorted(o.order_id for o in session.scalars(select(Order)))
        views = tracking_for_orders(session, shop_id, order_ids, now)
        moving = sorted({v.order_id or "" for v in views if v.status != "delivered"})
        assert len(moving) >= 4, "some parcels are still on their way"
        assert all(v.stale for v in views if v.order_id in moving)
        linked, unlinked = moving[::2], moving[1::2]
        for ticket, order_id in enumerate(linked, start=1):
            session.add(
                TicketLink(
                    installation_id=shop_id,
                    ticket_id=ticket,
                    channel="amazon",
                    order_id=order_id,
                    found_in="subject",
                    linked_at=now,
                )
            )
    bind_app(backend.app())
    queue = Queue("default", connection=store.redis)
    stale_linked = [v for v in views if v.order_id in linked]
    assert refresh_open_tracking() == len(stale_linked)  # the cron's fan-out: linked only
    assert refresh_open_tracking() == 0  # their jobs are waiting: nothing more

    shop.advance(8 * 86400)  # a week later on the sandbox clock: every parcel has arrived
    before = len([r for r in shop.requests if r.operation == "getOrder"])
    SimpleWorker([queue], connection=store.redis).work(burst=True)
    calls = [r for r in shop.requests if r.operation == "getOrder"][before:]
    assert len(calls) == len(stale_linked) and all(r.status == 200 for r in calls)
    assert all(r.query["includedData"][-1] == "PACKAGES,FULFILLMENT" for r in calls)
    assert queue.count == 0 and queue.failed_job_registry.count == 0

    with store.session() as session:
        refreshed = tracking_for_orders(session, shop_id, linked, now)
        untouched = tracking_for_orders(session, shop_id, unlinked, now)
        documents = {o.order_id: o.data for o in session.scalars(select(Order))}
    assert {v.status for v in refreshed} == {"delivered"}
    assert all(v.fetched_at >= now and not v.stale for v in refreshed)
    assert all(v.estimated_delivery is None for v in refreshed)
    for view in refreshed:  # the order's stored document has the fresh packages too …
        packages = documents[view.order_id or ""]["packages"]
        assert {p["packageStatus"]["status"] for p in packages} == {"DELIVERED"}
        assert "buyer" in documents[view.order_id or ""]  # … and keeps what the sync stored
    assert "delivered" not in {v.status for v in untouched} and all(v.stale for v in untouched)

    # An agent opens a ticket of an unlinked order: the panel asks, once.
    assert request_refresh(store.redis, shop_id, untouched) == len(untouched)
    assert request_refresh(store.redis, shop_id, untouched) == 0
    SimpleWorker([queue], connection=store.redis).work(burst=True)
    with store.session() as session:
        assert {v.status for v in tracking_for_orders(session, shop_id, unlinked, now)} == {
            "delivered"
        }
        every = tracking_for_orders(session, shop_id, order_ids, now)
    assert request_refresh(store.redis, shop_id, every) == 0  # all fresh now
