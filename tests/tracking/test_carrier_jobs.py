"""The tracking jobs on RQ with the app, as a worker runs them: accounts stored with
``claimdesk connect carrier``, the cron's fan-out batched per carrier call, the jobs asking the
carrier sandboxes over HTTP with one token for all of them, and a panel's single refresh."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from rq import Queue, SimpleWorker

from connectors.amazon.sandbox_data import tracking_number
from connectors.carriers.sandbox import CarrierSandbox, Credentials, start_sandbox
from connectors.carriers.sandbox_data import Seed, Shipment
from plugin.extensions import Resources
from plugin.jobs import bind_app
from plugin.jobs.tracking import refresh_open_tracking
from plugin.services.tracking import request_refresh, view_of
from plugin.store import queries, tracking_queries
from plugin.store.models import TicketLink
from tests.sync.conftest import backend
from tests.sync.support import Backend, store_of

__all__ = ["backend"]

NOW = datetime.now(UTC).replace(microsecond=0)
FEDEX = [tracking_number("FedEx", f"job-{i}") for i in range(35)]
UPS = [tracking_number("UPS", f"job-{i}") for i in range(2)]
DHL = [tracking_number("DHL", "job-0")]
LIMITS = {"rate": 1000.0, "burst": 5, "max_wait": 5.0}


@pytest.fixture(scope="module")
def carriers() -> Iterator[CarrierSandbox]:
    shipments = [
        Shipment(carrier=carrier, number=n, shipped_at=NOW - timedelta(hours=hours))
        for carrier, numbers, hours in (("fedex", FEDEX, 30), ("ups", UPS, 100), ("dhl", DHL, 68))
        for n in numbers
    ]
    with start_sandbox(Seed(shipments), time_scale=1000.0) as running:
        yield running


@pytest.fixture
def store(backend: Backend, carriers: CarrierSandbox) -> Iterator[Resources]:
    backend.extra["CLAIMDESK_CARRIER_CLIENT_LIMITS"] = json.dumps(LIMITS)
    carriers.clear_requests()
    carriers.expire_tokens()
    credentials = Credentials()
    for carrier in ("fedex", "ups"):
        client_id, secret = credentials.client(carrier)
        done = backend.claimdesk(
            "connect", "carrier", "shop", carrier, "--client-id", client_id,
            "--client-secret", secret, "--url", carriers.base_url(carrier),
        )  # fmt: skip
        assert done.exit_code == 0, done.output
    done = backend.claimdesk(
        "connect", "carrier", "shop", "dhl", "--api-key", credentials.dhl_api_key,
        "--url", carriers.base_url("dhl"),
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    found = store_of(backend)
    bind_app(backend.app())
    yield found
    found.close()


def stale_rows(carrier: str, numbers: list[str]) -> list[dict[str, Any]]:
    fetched = NOW - timedelta(hours=3)
    return [
        {
            "carrier": carrier,
            "tracking_number": n,
            "channel": "amazon",
            "order_id": f"114-{carrier}-{n[-7:]}",
            "status": "in_transit",
            "status_detail": "SHIPPED",
            "events": [],
            "estimated_delivery": None,
            "delivered_at": None,
            "proof": None,
            "source": "amazon:orders",
            "fetched_at": fetched,
            "expires_at": fetched + timedelta(hours=2),
        }
        for n in numbers
    ]


def test_the_cron_fans_out_carrier_batches_that_workers_run_with_one_token(
    store: Resources, carriers: CarrierSandbox
) -> None:
    with store.session() as session:
        shop = queries.installation_by_name(session, "shop")
        assert shop is not None
        shop_id = shop.id
        rows = stale_rows("fedex", FEDEX) + stale_rows("ups", UPS)
        tracking_queries.upsert_snapshots(session, shop_id, rows)
        for ticket, row in enumerate(rows, start=1):
            session.add(
                TicketLink(
                    installation_id=shop_id,
                    ticket_id=ticket,
                    channel="amazon",
                    order_id=row["order_id"],
                    found_in="subject",
                    linked_at=NOW,
                )
            )
    assert refresh_open_tracking() == len(FEDEX) + len(UPS)
    assert refresh_open_tracking() == 0  # the jobs are waiting: nothing twice
    queue = Queue("default", connection=store.redis)
    assert queue.count == 2 + len(UPS)  # FedEx: 30 + 5; UPS: one number a call
    SimpleWorker([queue], connection=store.redis).work(burst=True)
    assert queue.count == 0 and queue.failed_job_registry.count == 0

    fedex_calls = [r for r in carriers.requests if r.carrier == "fedex" and r.route == "track"]
    assert sorted(len(r.body["trackingInfo"]) for r in fedex_calls) == [5, 30]
    assert carriers.tokens_issued("fedex") == 1  # two jobs, one token (kept in Redis)
    assert carriers.tokens_issued("ups") == 1
    with store.session() as session:
        for carrier, numbers, status in (("fedex", FEDEX, "in_transit"), ("ups", UPS, "delivered")):
            for n in numbers:
                snapshot = tracking_queries.snapshot(session, shop_id, carrier, n)
                assert snapshot is not None
                assert (snapshot.status, snapshot.source) == (status, carrier)
                assert snapshot.order_id == f"114-{carrier}-{n[-7:]}"  # kept
                if status == "delivered":
                    assert snapshot.delivered_at is not None and snapshot.proof is not None


def test_a_panels_single_refresh_asks_the_carrier(
    store: Resources, carriers: CarrierSandbox
) -> None:
    with store.session() as session:
        shop = queries.installation_by_name(session, "shop")
        assert shop is not None
        shop_id = shop.id
        tracking_queries.upsert_snapshots(session, shop_id, stale_rows("dhl", DHL))
        snapshot = tracking_queries.snapshot(session, shop_id, "dhl", DHL[0])
        assert snapshot is not None
        view = view_of(snapshot, NOW)
    assert request_refresh(store.redis, shop_id, [view]) == 1
    SimpleWorker([Queue("default", connection=store.redis)], connection=store.redis).work(
        burst=True
    )
    with store.session() as session:
        snapshot = tracking_queries.snapshot(session, shop_id, "dhl", DHL[0])
        assert snapshot is not None
        assert (snapshot.status, snapshot.source) == ("out_for_delivery", "dhl")
        assert snapshot.expires_at - snapshot.fetched_at == timedelta(minutes=10)
    assert [r.route for r in carriers.requests if r.carrier == "dhl"] == ["track"]
