"""The SP-API client against the local sandbox, over real HTTP on 127.0.0.1.

Nothing of ours is mocked: the sandbox is the other side, and its ``inject`` and ``advance``
produce the 429 and 500 storms, expired tokens and finished reports the client must handle.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from amazon_support import (
    CREDENTIALS,
    REPORT_TYPES,
    SHIPMENT_STATUSES,
    client_for,
    parse_json,
    parse_tsv,
    running,
    settings_for,
    small_seller,
)

from connectors.amazon.client import AmazonClient, iso
from connectors.amazon.models import ReportKind
from connectors.amazon.ratelimit import TokenBucket
from connectors.amazon.sandbox import AmazonSandbox
from connectors.amazon.sandbox_data import day_start
from connectors.errors import AuthError, NotFound, RateLimited, UpstreamError

OCT_1 = datetime(2026, 10, 1, tzinfo=UTC)
OCT_16 = datetime(2026, 10, 16, tzinfo=UTC)


@pytest.fixture(scope="module")
def seller_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return small_seller(tmp_path_factory.mktemp("seller"))


@pytest.fixture
def sandbox(seller_dir: Path) -> Iterator[AmazonSandbox]:
    """Time runs 1000x: reports finish in 30 ms, tokens live 3.6 s."""
    yield from running(seller_dir, time_scale=1000.0)


@pytest.fixture
def slow_sandbox(seller_dir: Path) -> Iterator[AmazonSandbox]:
    """Real time; tests move its clock with ``advance``."""
    yield from running(seller_dir, time_scale=1.0, page_size=2)


@pytest.fixture
def client(sandbox: AmazonSandbox) -> Iterator[AmazonClient]:
    with client_for(sandbox) as made:
        yield made


def calls(sandbox: AmazonSandbox, operation: str) -> list[int]:
    """The statuses the sandbox answered ``operation`` with, in order."""
    return [r.status for r in sandbox.requests if r.operation == operation]


# --- Login with Amazon ---------------------------------------------------------------------------


def test_one_token_exchange_serves_many_calls(sandbox: AmazonSandbox, client: AmazonClient) -> None:
    for _ in range(12):
        client.get_order("114-1234567-1234567")
    assert calls(sandbox, "lwa") == [200]
    sent = [r for r in sandbox.requests if r.operation == "getOrder"]
    assert len(sent) == 12
    assert all(r.headers.get("x-amz-access-token") == "[redacted]" for r in sent)
    token_call = next(r for r in sandbox.requests if r.operation == "lwa")
    assert token_call.body == {
        "grant_type": "refresh_token",
        "refresh_token": "[redacted]",
        "client_id": CREDENTIALS.client_id,
        "client_secret": "[redacted]",
    }


def test_token_is_refreshed_before_it_expires_on_the_sandbox_clock(
    slow_sandbox: AmazonSandbox,
) -> None:
    with AmazonClient(settings_for(slow_sandbox), clock=slow_sandbox.clock) as client:
        client.get_order("114-1234567-1234567")
        slow_sandbox.advance(3600 - 61)  # still inside the 60 s margin: the cached one serves
        client.get_order("114-1234567-1234567")
        assert calls(slow_sandbox, "lwa") == [200]
        slow_sandbox.advance(2)  # 59 s before expiry: refresh before using it
        client.get_order("114-1234567-1234567")
    assert calls(slow_sandbox, "lwa") == [200, 200]
    assert calls(slow_sandbox, "getOrder") == [200, 200, 200]


def test_a_token_the_sandbox_expired_is_replaced_once(slow_sandbox: AmazonSandbox) -> None:
    with client_for(slow_sandbox) as client:  # the client's own clock does not move
        client.get_order("114-1234567-1234567")
        slow_sandbox.advance(3601)
        client.get_order("114-1234567-1234567")
    assert calls(slow_sandbox, "getOrder") == [200, 403, 200]
    assert calls(slow_sandbox, "lwa") == [200, 200]


@pytest.mark.parametrize(
    ("field", "code"),
    [("client_secret", "invalid_client"), ("refresh_token", "invalid_grant")],
)
def test_wrong_credentials_raise_auth_error_without_retrying(
    sandbox: AmazonSandbox, field: str, code: str
) -> None:
    with client_for(sandbox, **{field: "wrong"}) as client:
        with pytest.raises(AuthError) as refused:
            client.get_order("114-1234567-1234567")
    assert refused.value.code == code
    assert refused.value.status == 400
    assert calls(sandbox, "lwa") == [400]
    assert calls(sandbox, "getOrder") == []


def test_refused_twice_is_an_auth_error(sandbox: AmazonSandbox, client: AmazonClient) -> None:
    sandbox.inject(403, 2, operation="getOrder")
    with pytest.raises(AuthError) as refused:
        client.get_order("114-1234567-1234567")
    assert refused.value.status == 403
    assert refused.value.code == "Unauthorized"
    assert calls(sandbox, "lwa") == [200, 200]  # one fresh token was tried


# --- Reports -------------------------------------------------------------------------------------


@pytest.mark.parametrize("report_type", sorted(REPORT_TYPES))
def test_report_round_trip_honours_the_window(
    sandbox: AmazonSandbox, client: AmazonClient, report_type: str
) -> None:
    content = client.fetch_report(report_type, data_start=OCT_1, data_end=OCT_16)
    rows = parse_tsv(content, report_type)
    kind = REPORT_TYPES[report_type]
    seller = sandbox.seller
    everything, moment = {
        ReportKind.LEDGER: (seller.ledger, lambda r: day_start(r.date)),
        ReportKind.REIMBURSEMENTS: (seller.reimbursements, lambda r: day_start(r.approval_date)),
        ReportKind.RETURNS: (seller.returns, lambda r: day_start(r.return_date)),
        ReportKind.ORDERS: ([line.row for line in seller.orders], None),
    }[kind]
    if moment is None:
        lines = seller.orders
        expected = [ln.row for ln in lines if ln.purchased and OCT_1 <= ln.purchased < OCT_16]
    else:
        expected = [row for row in everything if OCT_1 <= moment(row) < OCT_16]
    assert expected and len(expected) < len(everything)
    assert Counter(r.key() for r in rows) == Counter(r.key() for r in expected)
    created = next(r for r in sandbox.requests if r.operation == "createReport")
    assert created.body == {
        "reportType": report_type,
        "marketplaceIds": ["ATVPDKIKX0DER"],
        "dataStartTime": "2026-10-01T00:00:00Z",
        "dataEndTime": "2026-10-16T00:00:00Z",
    }
    download = next(r for r in sandbox.requests if r.operation == "document")
    assert download.status == 200
    assert "x-amz-access-token" not in download.headers


def test_report_goes_through_its_processing_states(slow_sandbox: AmazonSandbox) -> None:
    with client_for(slow_sandbox) as client:
        report_id = client.create_report("GET_FBA_REIMBURSEMENTS_DATA")
        states = [client.get_report(report_id).processing_status]
        slow_sandbox.advance(slow_sandbox.queue_seconds)
        states.append(client.get_report(report_id).processing_status)
        slow_sandbox.advance(slow_sandbox.processing_seconds)
        report = client.get_report(report_id)
        states.append(report.processing_status)
        assert report.report_document_id
        document = client.get_report_document(report.report_document_id)
        raw = client.session.get(document.url, timeout=5).content
        content = client.download_document(document)
    assert states == ["IN_QUEUE", "IN_PROGRESS", "DONE"]
    assert document.compression_algorithm == "GZIP"
    assert raw[:2] == b"\x1f\x8b" and content.startswith(b"approval-date\treimbursement-id")
    assert len(parse_tsv(content, "reimbursements")) == 3


def test_empty_window_is_cancelled_and_gives_no_content(client: AmazonClient) -> None:
    early = datetime(2025, 1, 1, tzinfo=UTC)
    assert client.fetch_report("GET_FBA_REIMBURSEMENTS_DATA", data_end=early) == b""


def test_fatal_report_raises_with_amazons_reason(
    sandbox: AmazonSandbox, client: AmazonClient
) -> None:
    sandbox.force_report_outcome("GET_LEDGER_DETAIL_VIEW_DATA", "FATAL")
    with pytest.raises(UpstreamError, match="ended FATAL.*could not be generated") as failed:
        client.fetch_report("GET_LEDGER_DETAIL_VIEW_DATA")
    assert failed.value.code == "FATAL"


def test_an_expired_document_url_is_asked_for_again(slow_sandbox: AmazonSandbox) -> None:
    with client_for(slow_sandbox) as client:
        report_id = client.create_report("GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA")
        slow_sandbox.advance(60)
        document_id = client.get_report(report_id).report_document_id
        assert document_id
        stale = client.get_report_document(document_id)
        slow_sandbox.advance(301)
        with pytest.raises(AuthError, match="expires after 5 minutes"):
            client.download_document(stale)
        content = client.download_report_document(document_id)
    assert len(parse_tsv(content, "returns")) == 2


# --- Paged operations ----------------------------------------------------------------------------


def test_financial_events_are_paged_with_next_token(
    sandbox: AmazonSandbox, client: AmazonClient
) -> None:
    after = datetime(2026, 9, 1, tzinfo=UTC)
    before = datetime(2026, 10, 31, tzinfo=UTC)
    pages = list(client.list_financial_events(after, before, max_results_per_page=2))
    assert [len(p.items["RefundEventList"]) for p in pages] == [2, 2, 1]
    assert [p.next_token is None for p in pages] == [False, False, True]
    events = [e for p in pages for e in p.items["RefundEventList"]]
    expected = [t.element for t in sandbox.seller.refunds if after <= t.moment < before]
    assert events == sorted(expected, key=lambda e: datetime.fromisoformat(e["PostedDate"]))
    refunds = parse_json({"FinancialEvents": {"RefundEventList": events}}, "events")
    assert {r.order_id for r in refunds} == {e["AmazonOrderId"] for e in expected}
    sent = [r.query for r in sandbox.requests if r.operation == "listFinancialEvents"]
    assert sent[0] == {
        "PostedAfter": ["2026-09-01T00:00:00Z"],
        "PostedBefore": ["2026-10-31T00:00:00Z"],
        "MaxResultsPerPage": ["2"],
    }
    assert sent[1]["NextToken"] == [pages[0].next_token]
    assert sent[1]["PostedAfter"] == sent[0]["PostedAfter"]


def test_a_listing_resumes_from_a_page_token(client: AmazonClient) -> None:
    after = datetime(2026, 5, 1, tzinfo=UTC)
    before = after + timedelta(days=180)  # Amazon answers a longer window empty
    first = next(iter(client.list_financial_events(after, before, max_results_per_page=3)))
    rest = list(
        client.list_financial_events(
            after, before, max_results_per_page=3, next_token=first.next_token
        )
    )
    whole = list(client.list_financial_events(after, before, max_results_per_page=3))
    ids = [e["AmazonOrderId"] for p in [first, *rest] for e in p.items["RefundEventList"]]
    assert ids == [e["AmazonOrderId"] for p in whole for e in p.items["RefundEventList"]]
    assert len(ids) == 7


def test_inbound_shipments_and_items_are_paged(slow_sandbox: AmazonSandbox) -> None:
    with client_for(slow_sandbox) as client:
        pages = list(client.get_shipments("SHIPMENT", statuses=SHIPMENT_STATUSES))
        shipments = [s for p in pages for s in p.items]
        closed = [s for p in client.get_shipments("SHIPMENT", statuses=["CLOSED"]) for s in p.items]
        by_id = list(client.get_shipments("SHIPMENT", shipment_ids=["FBA15DEF", "FBA15XYZ"]))
        items = client.get_shipment_items_by_shipment_id("FBA15ABC")
        window = list(
            client.get_shipment_items(
                datetime(2026, 9, 1, tzinfo=UTC), datetime(2026, 10, 31, tzinfo=UTC)
            )
        )
        with pytest.raises(NotFound):
            client.get_shipment_items_by_shipment_id("FBA15NOPE")
    assert [len(p.items) for p in pages] == [2, 2, 1]
    assert [s["ShipmentId"] for s in shipments] == [
        "FBA15ABC",
        "FBA15DEF",
        "FBA15GHI",
        "FBA15JKL",
        "FBA15MNO",
    ]
    assert [s["ShipmentId"] for s in closed] == ["FBA15ABC", "FBA15MNO"]
    assert [s["ShipmentId"] for p in by_id for s in p.items] == ["FBA15DEF"]
    assert [(i["SellerSKU"], i["QuantityReceived"]) for i in items] == [
        ("MUG-1", 24),
        ("LAMP-2", 5),
    ]
    # shipments are "last updated" by their ledger receipts (FBA15ABC 09-28, FBA15DEF 10-20),
    # the others at the data's last day
    assert sum(len(p.items) for p in window) == 4
    sent = [r.query for r in slow_sandbox.requests if r.operation == "getShipments"]
    assert sent[1] == {
        "QueryType": ["NEXT_TOKEN"],
        "NextToken": [pages[0].next_token],
        "MarketplaceId": ["ATVPDKIKX0DER"],
    }
    assert sent[0]["ShipmentStatusList"] == [",".join(SHIPMENT_STATUSES)]


def test_orders_are_paged_and_fetched_one_by_one(
    sandbox: AmazonSandbox, client: AmazonClient
) -> None:
    pages = list(
        client.search_orders(
            created_after=datetime(2026, 9, 1, tzinfo=UTC),
            max_results_per_page=2,
            included_data=["FULFILLMENT", "PROCEEDS"],
        )
    )
    orders = [o for p in pages for o in p.items]
    assert [len(p.items) for p in pages] == [2, 2, 2]
    assert [o["orderId"] for o in orders] == [
        "114-1234567-1234567",
        "114-7654321-7654321",
        "114-0000001-0000001",
        "114-0000002-0000002",
        "114-0000003-0000003",
        "114-0000004-0000004",
    ]
    two_lines = orders[1]
    assert [i["product"]["sellerSku"] for i in two_lines["orderItems"]] == ["MUG-1", "BOTTLE-3"]
    assert two_lines["orderItems"][0]["quantityOrdered"] == 2
    assert two_lines["orderItems"][0]["product"]["price"]["unitPrice"] == {
        "amount": "12.99",
        "currencyCode": "USD",
    }
    assert two_lines["createdTime"] == "2026-09-25T11:00:00Z"
    assert two_lines["lastUpdatedTime"] == "2026-09-27T11:00:00Z"
    assert two_lines["fulfillment"]["fulfillmentStatus"] == "SHIPPED"
    assert orders[2]["fulfillment"] == {
        "fulfillmentStatus": "PENDING",
        "fulfilledBy": "MERCHANT",
        "fulfillmentServiceLevel": "Standard",
    }
    cancelled = list(
        client.search_orders(
            last_updated_after=datetime(2026, 9, 1, tzinfo=UTC),
            fulfillment_statuses=["CANCELLED"],
        )
    )
    assert [o["orderId"] for p in cancelled for o in p.items] == ["114-0000002-0000002"]
    order = client.get_order("114-0000003-0000003")
    assert order["salesChannel"] == {
        "channelName": "AMAZON",
        "marketplaceId": "ATVPDKIKX0DER",
        "marketplaceName": "Amazon.com",
    }
    with pytest.raises(NotFound, match="not found"):
        client.get_order("114-9999999-9999999")


# --- Throttling and failures ---------------------------------------------------------------------


def test_a_429_storm_waits_for_retry_after_then_succeeds(
    sandbox: AmazonSandbox, client: AmazonClient
) -> None:
    sandbox.inject(429, 3, operation="getOrder", retry_after=0.05)
    started = time.monotonic()
    assert client.get_order("114-1234567-1234567")["orderId"] == "114-1234567-1234567"
    assert time.monotonic() - started >= 3 * 0.05
    assert calls(sandbox, "getOrder") == [429, 429, 429, 200]


def test_a_429_without_retry_after_backs_off(sandbox: AmazonSandbox, client: AmazonClient) -> None:
    sandbox.inject(429, 2, operation="getReport")
    report_id = client.create_report("GET_LEDGER_DETAIL_VIEW_DATA")
    started = time.monotonic()
    client.get_report(report_id)
    # backoff_base 0.01: at least half of 0.01 then of 0.02
    assert time.monotonic() - started >= 0.015
    assert calls(sandbox, "getReport") == [429, 429, 200]


def test_a_429_storm_gives_up_within_max_attempts(sandbox: AmazonSandbox) -> None:
    sandbox.inject(429, 50, operation="getOrder", retry_after=0.01)
    with client_for(sandbox, max_attempts=4) as client:
        with pytest.raises(RateLimited) as throttled:
            client.get_order("114-1234567-1234567")
    assert throttled.value.retry_after == pytest.approx(0.01)
    assert calls(sandbox, "getOrder") == [429] * 4


def test_a_retry_after_beyond_max_wait_gives_up_at_once(sandbox: AmazonSandbox) -> None:
    sandbox.inject(429, 5, operation="getOrder", retry_after=30)
    with client_for(sandbox, max_wait=1.0) as client:
        started = time.monotonic()
        with pytest.raises(RateLimited) as throttled:
            client.get_order("114-1234567-1234567")
    assert time.monotonic() - started < 1.0
    assert throttled.value.retry_after == 30
    assert calls(sandbox, "getOrder") == [429]


def test_a_500_storm_is_retried_then_succeeds(sandbox: AmazonSandbox, client: AmazonClient) -> None:
    sandbox.inject(500, 2, operation="searchOrders")
    sandbox.inject(503, 1, operation="searchOrders")
    pages = list(client.search_orders(created_after=datetime(2026, 10, 20, tzinfo=UTC)))
    assert [o["orderId"] for p in pages for o in p.items] == ["114-0000004-0000004"]
    assert calls(sandbox, "searchOrders") == [500, 500, 503, 200]


def test_a_500_storm_gives_up_as_upstream_error(sandbox: AmazonSandbox) -> None:
    sandbox.inject(500, 50, operation="getShipments")
    with client_for(sandbox, max_attempts=3) as client:
        with pytest.raises(UpstreamError) as failed:
            list(client.get_shipments("SHIPMENT", statuses=["CLOSED"]))
    assert (failed.value.status, failed.value.code) == (500, "InternalFailure")
    assert calls(sandbox, "getShipments") == [500, 500, 500]


def test_lwa_outage_is_retried(sandbox: AmazonSandbox, client: AmazonClient) -> None:
    sandbox.inject(503, 2, operation="lwa")
    client.get_order("114-1234567-1234567")
    assert calls(sandbox, "lwa") == [503, 503, 200]


def test_a_refused_request_carries_amazons_error_code(client: AmazonClient) -> None:
    soon = datetime.now(UTC) - timedelta(seconds=30)  # not "more than two minutes" ago
    with pytest.raises(UpstreamError) as refused:
        next(iter(client.list_financial_events(soon)))
    assert (refused.value.status, refused.value.code) == (400, "InvalidInput")
    assert "two minutes" in str(refused.value)


def test_the_limiter_keeps_calls_inside_the_usage_plan(seller_dir: Path) -> None:
    """getReport is 2/s burst 15; at time scale 50 the sandbox allows 100/s after the burst.

    A client without its bucket would meet 429s here (see the sandbox tests); ours paces
    itself: it learns the rate from x-amzn-RateLimit-Limit and never exceeds it.
    """
    for sandbox in running(seller_dir, time_scale=50.0):
        with client_for(sandbox) as client:
            report_id = client.create_report("GET_LEDGER_DETAIL_VIEW_DATA")
            started = time.monotonic()
            for _ in range(45):
                client.get_report(report_id)
            elapsed = time.monotonic() - started
        assert calls(sandbox, "getReport") == [200] * 45
        assert elapsed >= (45 - 15) / 100 * 0.9


def test_the_token_bucket_lends_against_the_refill_and_honours_penalties() -> None:
    now = [100.0]
    bucket = TokenBucket(clock=lambda: now[0])
    assert [bucket.acquire("s:op", 2.0, 3) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.acquire("s:op", 2.0, 3) == pytest.approx(0.5)  # borrowed: wait for it
    assert bucket.acquire("s:op", 2.0, 3) == pytest.approx(1.0)
    now[0] += 1.0  # two tokens refilled, both already lent
    assert bucket.acquire("s:op", 2.0, 3) == pytest.approx(0.5)
    now[0] += 10.0  # full again, never more than the burst
    bucket.penalize("s:op", 4.0)  # a 429: empty, and nobody before 4 s
    assert bucket.acquire("s:op", 2.0, 3) == pytest.approx(4.0)
    assert bucket.acquire("other:op", 2.0, 3) == 0.0  # keys are separate
    assert not bucket.try_take("s:op", 2.0, 3)
    now[0] += 5.0
    assert bucket.try_take("s:op", 2.0, 3)


def test_connection_refused_is_an_upstream_error_after_bounded_retries(
    sandbox: AmazonSandbox,
) -> None:
    url = sandbox.url
    sandbox.stop()
    with client_for(sandbox, max_attempts=2, endpoint=url, lwa_endpoint=url) as client:
        with pytest.raises(UpstreamError) as failed:
            client.get_order("114-1234567-1234567")
    assert failed.value.status == 0


def test_times_must_be_aware(client: AmazonClient) -> None:
    with pytest.raises(ValueError, match="time zone"):
        client.create_report("GET_LEDGER_DETAIL_VIEW_DATA", data_start=datetime(2026, 10, 1))
    assert iso(datetime(2026, 10, 1, 2, tzinfo=UTC)) == "2026-10-01T02:00:00Z"


# --- Secrets -------------------------------------------------------------------------------------


def test_no_secret_reaches_the_logs(
    sandbox: AmazonSandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, urllib3 and the sandbox included
    settings = settings_for(sandbox, max_attempts=2)
    seen_tokens = set()
    with AmazonClient(settings) as client:
        sandbox.inject(429, 1, operation="createReport", retry_after=0.01)
        sandbox.inject(500, 1, operation="getReport")
        client.fetch_report("GET_FBA_REIMBURSEMENTS_DATA")
        seen_tokens.add(client.access_token())
        list(client.list_financial_events(datetime(2026, 9, 1, tzinfo=UTC), OCT_16))
        sandbox.inject(429, 2, operation="getOrder")
        with pytest.raises(RateLimited) as throttled:
            client.get_order("114-1234567-1234567")
        client.token_cache.drop(client._token_key)  # force a second exchange
        client.get_order("114-1234567-1234567")
        seen_tokens.add(client.access_token())
    with AmazonClient(settings_for(sandbox, client_secret="not-the-secret")) as refused:
        with pytest.raises(AuthError) as denied:
            refused.get_order("114-1234567-1234567")
    text = caplog.text + str(throttled.value) + str(denied.value) + repr(settings)
    assert "throttled" in caplog.text and "GET /reports" in caplog.text  # logs were captured
    assert len(seen_tokens) == 2
    for secret in (CREDENTIALS.refresh_token, CREDENTIALS.client_secret, *seen_tokens):
        assert secret not in text
    assert "TEST-REFRESH-TOKEN" not in text and "TEST-CLIENT-SECRET" not in text
