"""The SP-API sandbox as a server: what it serves from a folder, and how faithfully.

Raw HTTP (``requests``) checks the contract details a client would hide: error bodies, rate
plans, document URLs, parameter checks. The last tests sync a whole generated seller through
the client and compare it with the folder, and run ``claimdesk sandbox amazon``.
"""

from __future__ import annotations

import gzip
import json
import logging
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests
from amazon_support import (
    CREDENTIALS,
    REPORT_TYPES,
    SHIPMENT_STATUSES,
    client_for,
    folder_rows,
    generated_seller,
    parse_json,
    parse_tsv,
    running,
    small_seller,
)

from connectors.amazon.models import (
    LedgerRow,
    OrderRow,
    ReimbursementRow,
    ReportKind,
    ReturnRow,
    Source,
)
from connectors.amazon.sandbox import AmazonSandbox
from connectors.amazon.sandbox_data import (
    OrderLine,
    ledger_tsv,
    load_seller,
    orders_tsv,
    reimbursements_tsv,
    returns_tsv,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def seller_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return small_seller(tmp_path_factory.mktemp("seller"))


@pytest.fixture
def sandbox(seller_dir: Path) -> Iterator[AmazonSandbox]:
    yield from running(seller_dir, time_scale=1.0)


def token(sandbox: AmazonSandbox) -> str:
    answer = requests.post(
        f"{sandbox.url}/auth/o2/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": CREDENTIALS.refresh_token,
            "client_id": CREDENTIALS.client_id,
            "client_secret": CREDENTIALS.client_secret,
        },
        timeout=5,
    )
    assert answer.status_code == 200
    return str(answer.json()["access_token"])


def call(
    sandbox: AmazonSandbox, method: str, path: str, access: str | None, **kwargs: Any
) -> requests.Response:
    headers = dict(kwargs.pop("headers", {}))
    if access is not None:
        headers["x-amz-access-token"] = access
    return requests.request(method, sandbox.url + path, headers=headers, timeout=5, **kwargs)


def error_of(answer: requests.Response) -> dict[str, str]:
    body = answer.json()
    assert set(body) == {"errors"} and len(body["errors"]) == 1
    assert set(body["errors"][0]) == {"code", "message", "details"}
    return dict(body["errors"][0])


# --- what it serves ------------------------------------------------------------------------------


def test_files_that_are_not_amazons_are_left_out_with_one_log_line_each(
    seller_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="connectors.amazon.sandbox_data")
    seller = load_seller(seller_dir)
    left_out = [r.getMessage() for r in caplog.records if "left out" in r.getMessage()]
    assert left_out == [
        "left out broken-ledger.txt.gz: not a usable Amazon file: line 1: gzip data ends early:"
        " the file was cut short",
        "left out costs.csv: the seller's own costs file, not an Amazon report",
        "left out notes.txt: not a usable Amazon file: line 1: not a recognised report"
        " (no known header)",
    ]
    assert [name for name, _reason in seller.left_out] == [
        "broken-ledger.txt.gz",
        "costs.csv",
        "notes.txt",
    ]
    assert ".DS_Store" not in {name for name, _kind, _rows in seller.served}


def test_every_ledger_event_is_served_and_copies_count_once(seller_dir: Path) -> None:
    seller = load_seller(seller_dir)
    assert len(seller.ledger) == 8  # two files hold the same 8 rows
    assert {r.event_type for r in seller.ledger} == {
        "receipts",
        "adjustments",
        "shipments",
        "customerreturns",
    }
    assert len(seller.refunds) == 7  # one event is in both refund files
    assert (len(seller.shipments), len(seller.items), len(seller.orders)) == (5, 4, 7)


def test_the_report_writers_give_back_the_rows_they_were_given() -> None:
    source = Source("x", 2)
    ledger = [
        LedgerRow(date(2026, 10, 1), "X1", "B1", 'MUG "12oz"', "adjustments", "7", -2, "PHX7",
                  "SELLABLE", "Inventory found, later", "US", 2, source),
        LedgerRow(date(2026, 10, 2), "X1", "B1", "MUG", "whsetransfers", "8", 1, "PHX7",
                  "Warehouse damaged", "P", "US", None, source),
        LedgerRow(date(2026, 10, 3), "X1", "B1", "MUG", "somethingnew", "9", 1, "", "", "",
                  "", None, source),
    ]  # fmt: skip
    reimbursements = [
        ReimbursementRow(date(2026, 10, 1), "1", "", "", "Lost_Warehouse", "S", "X", "B", "USD",
                         Decimal("12.99"), Decimal("-25.98"), None, 0, -2, "0", "Lost_Inbound",
                         source),
    ]  # fmt: skip
    returns = [
        ReturnRow(date(2026, 10, 1), "114-1", "S", "B", "X", 2, "PHX7", "CARRIER_DAMAGED",
                  "SWITCHEROO", "Reimbursed", "LPN\tTAB", source),
    ]  # fmt: skip
    orders = [
        OrderLine(OrderRow("114-1", "S", "B", 3, "EUR", Decimal("1234.50"), "Shipped",
                           "Amazon.de", source), None, None, ['Lamp 18" LED'], {"productname": 0}),
        OrderLine(OrderRow("114-2", "S", "", 1, "", None, "", "Non-Amazon", source), None, None),
    ]  # fmt: skip
    for write, rows, kind in [
        (ledger_tsv, ledger, ReportKind.LEDGER),
        (reimbursements_tsv, reimbursements, ReportKind.REIMBURSEMENTS),
        (returns_tsv, returns, ReportKind.RETURNS),
        (orders_tsv, orders, ReportKind.ORDERS),
    ]:
        read = parse_tsv(write(rows).encode(), kind.value)  # type: ignore[operator]
        expected = [getattr(r, "row", r) for r in rows]
        assert [r.key() for r in read] == [r.key() for r in expected]


@pytest.mark.parametrize("layout", ["tsv", "csv"])
def test_a_full_sync_through_the_sandbox_gives_back_the_folder(tmp_path: Path, layout: str) -> None:
    """The connector half of the acceptance test: every report, every refund, shipment and
    item fetched through the client and read with parse.py equals the folder read directly
    (every ledger event; files merged as reconcile merges them)."""
    directory = generated_seller(tmp_path / "seller", seed=11, layout=layout)
    expected = folder_rows(directory)
    got: dict[ReportKind, list[Any]] = {}
    for sandbox in running(directory, time_scale=1000.0):
        with client_for(sandbox) as client:
            for report_type, kind in REPORT_TYPES.items():
                got[kind] = parse_tsv(client.fetch_report(report_type), report_type)
            end = datetime.now(UTC) - timedelta(minutes=5)
            start = datetime(2025, 1, 1, tzinfo=UTC)
            refunds: list[Any] = []
            while start < end:  # Amazon answers windows over 180 days empty
                stop = min(start + timedelta(days=180), end)
                for page in client.list_financial_events(start, stop):
                    if page.items.get("RefundEventList"):
                        refunds.extend(parse_json({"FinancialEvents": page.items}, "refunds"))
                start = stop
            got[ReportKind.FINANCES] = refunds
            shipments = [
                s
                for page in client.get_shipments("SHIPMENT", statuses=SHIPMENT_STATUSES)
                for s in page.items
            ]
            got[ReportKind.INBOUND_SHIPMENTS] = parse_json(
                {"payload": {"ShipmentData": shipments}}, "shipments"
            )
            items = [
                i
                for s in shipments
                for i in client.get_shipment_items_by_shipment_id(s["ShipmentId"])
            ]
            got[ReportKind.INBOUND_ITEMS] = parse_json({"payload": {"ItemData": items}}, "items")
        throttled = [r for r in sandbox.requests if r.status == 429]
        assert throttled == []
    for kind in ReportKind:
        if kind is ReportKind.COSTS:
            continue
        want = Counter(row.key() for row in expected.get(kind, []))
        have = Counter(row.key() for row in got.get(kind, []))
        assert have == want, kind
    assert all(expected.get(kind) for kind in ReportKind if kind is not ReportKind.COSTS)


def test_a_synced_copy_reconciles_like_the_folder(tmp_path: Path) -> None:
    """Write what the sandbox hands out as files (report documents, API pages) and reconcile
    them: the claims are those of the original folder (evidence apart: other files)."""
    from plugin.reporting import claim_document
    from plugin.services.reconcile import reconcile_folder

    directory = generated_seller(tmp_path / "seller", seed=5)
    synced = tmp_path / "synced"
    synced.mkdir()
    for sandbox in running(directory, time_scale=1000.0):
        with client_for(sandbox) as client:
            for report_type in REPORT_TYPES:
                (synced / f"{report_type}.txt").write_bytes(client.fetch_report(report_type))
            start = datetime(2025, 1, 1, tzinfo=UTC)
            end = datetime.now(UTC) - timedelta(minutes=5)
            pages = 0
            while start < end:
                stop = min(start + timedelta(days=180), end)
                for page in client.list_financial_events(start, stop):
                    pages += 1
                    document = {"payload": {"FinancialEvents": page.items}}
                    (synced / f"finances-{pages}.json").write_text(json.dumps(document))
                start = stop
            shipments = [
                s
                for page in client.get_shipments("SHIPMENT", statuses=SHIPMENT_STATUSES)
                for s in page.items
            ]
            items = [
                i
                for s in shipments
                for i in client.get_shipment_items_by_shipment_id(s["ShipmentId"])
            ]
    (synced / "shipments.json").write_text(json.dumps({"payload": {"ShipmentData": shipments}}))
    (synced / "items.json").write_text(json.dumps({"payload": {"ItemData": items}}))
    (synced / "costs.csv").write_bytes((directory / "costs.csv").read_bytes())

    def claims(folder: Path) -> list[str]:
        result = reconcile_folder(folder, date(2026, 10, 31))
        found = []
        for claim in result.claims:
            entry = claim_document(claim)
            entry.pop("evidence")
            found.append(json.dumps(entry, sort_keys=True, default=str))
        return sorted(found)

    original = claims(directory)
    assert len(original) > 20
    assert claims(synced) == original


# --- Login with Amazon ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "status", "error"),
    [
        ({"client_secret": "nope"}, 400, "invalid_client"),
        ({"client_id": "nope"}, 400, "invalid_client"),
        ({"refresh_token": "Atzr|nope"}, 400, "invalid_grant"),
        ({"refresh_token": ""}, 400, "invalid_request"),
        ({"grant_type": "client_credentials"}, 400, "unsupported_grant_type"),
    ],
)
def test_lwa_refuses_wrong_credentials_with_its_error_body(
    sandbox: AmazonSandbox, change: dict[str, str], status: int, error: str
) -> None:
    form = {
        "grant_type": "refresh_token",
        "refresh_token": CREDENTIALS.refresh_token,
        "client_id": CREDENTIALS.client_id,
        "client_secret": CREDENTIALS.client_secret,
        **change,
    }
    answer = requests.post(f"{sandbox.url}/auth/o2/token", data=form, timeout=5)
    assert answer.status_code == status
    assert set(answer.json()) == {"error", "error_description"}
    assert answer.json()["error"] == error


def test_lwa_issues_bearer_tokens_for_an_hour_of_sandbox_time(seller_dir: Path) -> None:
    for sandbox in running(seller_dir, time_scale=10.0):
        answer = requests.post(
            f"{sandbox.url}/auth/o2/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": CREDENTIALS.refresh_token,
                "client_id": CREDENTIALS.client_id,
                "client_secret": CREDENTIALS.client_secret,
            },
            timeout=5,
        )
        body = answer.json()
        assert body["token_type"] == "bearer"
        assert body["expires_in"] == 360  # 3600 sandbox seconds at 10x
        assert body["access_token"].startswith("Atza|")


@pytest.mark.parametrize(
    ("access", "details"),
    [
        (None, "The access token you provided is revoked, malformed or invalid."),
        ("Atza|made-up", "The access token you provided is revoked, malformed or invalid."),
    ],
)
def test_operations_need_a_valid_access_token(
    sandbox: AmazonSandbox, access: str | None, details: str
) -> None:
    answer = call(sandbox, "GET", "/orders/2026-01-01/orders/114-1234567-1234567", access)
    assert answer.status_code == 403
    assert error_of(answer) == {
        "code": "Unauthorized",
        "message": "Access to requested resource is denied.",
        "details": details,
    }


def test_an_expired_token_is_refused(sandbox: AmazonSandbox) -> None:
    access = token(sandbox)
    sandbox.advance(3600)
    answer = call(sandbox, "GET", "/orders/2026-01-01/orders/114-1234567-1234567", access)
    assert answer.status_code == 403
    assert error_of(answer)["details"] == "The access token you provided has expired."


# --- rate plans ----------------------------------------------------------------------------------


def test_beyond_the_burst_the_answer_is_429_until_the_bucket_refills(
    sandbox: AmazonSandbox,
) -> None:
    access = token(sandbox)
    path = "/orders/2026-01-01/orders/114-1234567-1234567"
    answers = [call(sandbox, "GET", path, access) for _ in range(31)]  # getOrder: 0.5/s, 30
    assert [a.status_code for a in answers] == [200] * 30 + [429]
    assert error_of(answers[-1]) == {
        "code": "QuotaExceeded",
        "message": "You exceeded your quota for the requested resource.",
        "details": "",
    }
    assert answers[-1].headers["x-amzn-RateLimit-Limit"] == "0.5"
    assert answers[0].headers["x-amzn-RateLimit-Limit"] == "0.5"
    assert answers[0].headers["x-amzn-RequestId"]
    sandbox.advance(2.0)  # one token at 0.5/s
    assert call(sandbox, "GET", path, access).status_code == 200
    assert call(sandbox, "GET", path, access).status_code == 429
    # buckets are per operation
    assert call(sandbox, "GET", "/fba/inbound/v0/shipments/FBA15ABC/items", access).ok


def test_time_scale_keeps_the_proportions(seller_dir: Path) -> None:
    for sandbox in running(seller_dir, time_scale=60.0):
        access = token(sandbox)
        answer = call(
            sandbox,
            "POST",
            "/reports/2021-06-30/reports",
            access,
            json={"reportType": "GET_LEDGER_DETAIL_VIEW_DATA", "marketplaceIds": ["X"]},
        )
        assert answer.status_code == 202
        assert answer.headers["x-amzn-RateLimit-Limit"] == "1.002"  # 0.0167/s x 60
        report = call(
            sandbox, "GET", f"/reports/2021-06-30/reports/{answer.json()['reportId']}", access
        )
        assert report.headers["x-amzn-RateLimit-Limit"] == "120"  # 2/s x 60
        assert sandbox.real_seconds(sandbox.queue_seconds + sandbox.processing_seconds) == 0.5


# --- reports -------------------------------------------------------------------------------------


def create(sandbox: AmazonSandbox, access: str, spec: dict[str, Any]) -> requests.Response:
    return call(sandbox, "POST", "/reports/2021-06-30/reports", access, json=spec)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"marketplaceIds": ["ATVPDKIKX0DER"]}, "reportType is required"),
        ({"reportType": "GET_LEDGER_DETAIL_VIEW_DATA"}, "marketplaceIds is required"),
        (
            {"reportType": "GET_MERCHANT_LISTINGS_ALL_DATA", "marketplaceIds": ["A"]},
            "not supported",
        ),
        (
            {
                "reportType": "GET_LEDGER_DETAIL_VIEW_DATA",
                "marketplaceIds": ["A"],
                "dataStartTime": "2030-01-01T00:00:00Z",
            },
            "prior to or equal to the current time",
        ),
        (
            {
                "reportType": "GET_LEDGER_DETAIL_VIEW_DATA",
                "marketplaceIds": ["A"],
                "dataStartTime": "2026-10-02T00:00:00Z",
                "dataEndTime": "2026-10-01T00:00:00Z",
            },
            "before dataEndTime",
        ),
        (
            {
                "reportType": "GET_LEDGER_DETAIL_VIEW_DATA",
                "marketplaceIds": ["A"],
                "dataStartTime": "yesterday",
            },
            "not an ISO 8601",
        ),
    ],
)
def test_create_report_checks_its_specification(
    sandbox: AmazonSandbox, spec: dict[str, Any], message: str
) -> None:
    answer = create(sandbox, token(sandbox), spec)
    assert answer.status_code == 400
    assert error_of(answer)["code"] == "InvalidInput"
    assert message in error_of(answer)["message"]


def test_ledger_event_type_option_and_unknown_report(sandbox: AmazonSandbox) -> None:
    access = token(sandbox)
    answer = create(
        sandbox,
        access,
        {
            "reportType": "GET_LEDGER_DETAIL_VIEW_DATA",
            "marketplaceIds": ["ATVPDKIKX0DER"],
            "reportOptions": {"eventType": "Receipts"},
        },
    )
    report_id = answer.json()["reportId"]
    sandbox.advance(30)
    report = call(sandbox, "GET", f"/reports/2021-06-30/reports/{report_id}", access).json()
    assert report["processingStatus"] == "DONE"
    assert set(report) >= {"processingStartTime", "processingEndTime", "reportDocumentId"}
    document = call(
        sandbox, "GET", f"/reports/2021-06-30/documents/{report['reportDocumentId']}", access
    ).json()
    content = gzip.decompress(requests.get(document["url"], timeout=5).content)
    assert [r.event_type for r in parse_tsv(content, "ledger")] == ["receipts", "receipts"]
    missing = call(sandbox, "GET", "/reports/2021-06-30/reports/123", access)
    assert (missing.status_code, error_of(missing)["code"]) == (404, "NotFound")


def test_a_report_can_be_cancelled_while_queued(sandbox: AmazonSandbox) -> None:
    access = token(sandbox)
    spec = {"reportType": "GET_LEDGER_DETAIL_VIEW_DATA", "marketplaceIds": ["ATVPDKIKX0DER"]}
    report_id = create(sandbox, access, spec).json()["reportId"]
    path = f"/reports/2021-06-30/reports/{report_id}"
    assert call(sandbox, "DELETE", path, access).status_code == 200
    assert call(sandbox, "GET", path, access).json()["processingStatus"] == "CANCELLED"
    later = create(sandbox, access, spec).json()["reportId"]
    sandbox.advance(15)
    refused = call(sandbox, "DELETE", f"/reports/2021-06-30/reports/{later}", access)
    assert refused.status_code == 400


def test_document_urls_are_presigned_and_refuse_the_access_token(sandbox: AmazonSandbox) -> None:
    access = token(sandbox)
    spec = {"reportType": "GET_FBA_REIMBURSEMENTS_DATA", "marketplaceIds": ["ATVPDKIKX0DER"]}
    report_id = create(sandbox, access, spec).json()["reportId"]
    sandbox.advance(30)
    document_id = call(sandbox, "GET", f"/reports/2021-06-30/reports/{report_id}", access).json()[
        "reportDocumentId"
    ]
    document = call(sandbox, "GET", f"/reports/2021-06-30/documents/{document_id}", access).json()
    assert document["compressionAlgorithm"] == "GZIP"
    url = document["url"]
    with_token = requests.get(url, headers={"x-amz-access-token": access}, timeout=5)
    assert with_token.status_code == 403
    assert "<HeadersNotSigned>x-amz-access-token</HeadersNotSigned>" in with_token.text
    assert requests.get(url.replace("Signature=", "Signature=0"), timeout=5).status_code == 403
    plain = requests.get(url, timeout=5)
    assert plain.status_code == 200 and "Content-Encoding" not in plain.headers
    assert len(parse_tsv(gzip.decompress(plain.content), "reimbursements")) == 3
    sandbox.advance(301)
    expired = requests.get(url, timeout=5)
    assert expired.status_code == 403 and "Request has expired" in expired.text


# --- finances, inbound, orders -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"PostedAfter": "2026-09-01T00:00:00Z", "MaxResultsPerPage": "0"}, "between 1 and 100"),
        ({"PostedAfter": "2026-09-01T00:00:00Z", "MaxResultsPerPage": "101"}, "between 1 and 100"),
        ({"PostedBefore": "2026-09-01T00:00:00Z"}, "requires PostedAfter"),
        ({}, "PostedAfter or NextToken is required"),
        (
            {"PostedAfter": "2026-09-02T00:00:00Z", "PostedBefore": "2026-09-01T00:00:00Z"},
            "later than PostedAfter",
        ),
        ({"PostedAfter": "2030-01-01T00:00:00Z"}, "two minutes"),
        ({"PostedAfter": "2026-09-01T00:00:00Z", "NextToken": "garbage!"}, "NextToken"),
    ],
)
def test_list_financial_events_checks_its_parameters(
    sandbox: AmazonSandbox, query: dict[str, str], message: str
) -> None:
    answer = call(sandbox, "GET", "/finances/v0/financialEvents", token(sandbox), params=query)
    assert answer.status_code == 400
    assert message in error_of(answer)["message"]


def test_a_finances_window_over_180_days_is_empty(sandbox: AmazonSandbox) -> None:
    access = token(sandbox)
    query = {"PostedAfter": "2026-04-01T00:00:00Z", "PostedBefore": "2026-10-31T00:00:00Z"}
    answer = call(sandbox, "GET", "/finances/v0/financialEvents", access, params=query)
    assert answer.json() == {"payload": {"FinancialEvents": {"RefundEventList": []}}}
    query["PostedAfter"] = "2026-05-04T00:00:00Z"
    answer = call(sandbox, "GET", "/finances/v0/financialEvents", access, params=query)
    assert len(answer.json()["payload"]["FinancialEvents"]["RefundEventList"]) == 6


def test_a_next_token_belongs_to_its_arguments(sandbox: AmazonSandbox) -> None:
    access = token(sandbox)
    query = {
        "PostedAfter": "2026-09-01T00:00:00Z",
        "PostedBefore": "2026-10-31T00:00:00Z",
        "MaxResultsPerPage": "1",
    }
    first = call(sandbox, "GET", "/finances/v0/financialEvents", access, params=query).json()
    query["NextToken"] = first["payload"]["NextToken"]
    query["PostedAfter"] = "2026-09-02T00:00:00Z"
    answer = call(sandbox, "GET", "/finances/v0/financialEvents", access, params=query)
    assert answer.status_code == 400
    assert "different PostedAfter" in error_of(answer)["message"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"QueryType": "SHIPMENT", "ShipmentStatusList": "CLOSED"}, "MarketplaceId is required"),
        ({"QueryType": "SHIPMENT", "MarketplaceId": "ATVPDKIKX0DER"}, "ShipmentStatusList"),
        ({"QueryType": "ALL", "MarketplaceId": "ATVPDKIKX0DER"}, "QueryType must be"),
        (
            {"QueryType": "SHIPMENT", "MarketplaceId": "A", "ShipmentStatusList": "LOST"},
            "Invalid ShipmentStatus LOST",
        ),
        (
            {"QueryType": "DATE_RANGE", "MarketplaceId": "A", "LastUpdatedAfter": "2026-10-01"},
            "LastUpdatedAfter and Before",
        ),
        ({"QueryType": "NEXT_TOKEN", "MarketplaceId": "A"}, "NextToken is required"),
    ],
)
def test_get_shipments_checks_its_parameters(
    sandbox: AmazonSandbox, query: dict[str, str], message: str
) -> None:
    answer = call(sandbox, "GET", "/fba/inbound/v0/shipments", token(sandbox), params=query)
    assert answer.status_code == 400
    assert message in error_of(answer)["message"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({}, "Exactly one of createdAfter and lastUpdatedAfter"),
        (
            {"createdAfter": "2026-09-01T00:00:00Z", "lastUpdatedAfter": "2026-09-01T00:00:00Z"},
            "Exactly one",
        ),
        (
            {"createdAfter": "2026-09-01T00:00:00Z", "lastUpdatedBefore": "2026-10-01T00:00:00Z"},
            "cannot be used with createdAfter",
        ),
        (
            {"createdAfter": "2026-09-01T00:00:00Z", "createdBefore": "2030-01-01T00:00:00Z"},
            "two minutes",
        ),
        ({"createdAfter": "2026-09-01T00:00:00Z", "includedData": "BUYER,SHOE_SIZE"}, "SHOE"),
        ({"createdAfter": "2026-09-01T00:00:00Z", "maxResultsPerPage": "500"}, "1 and 100"),
    ],
)
def test_search_orders_checks_its_parameters(
    sandbox: AmazonSandbox, query: dict[str, str], message: str
) -> None:
    answer = call(sandbox, "GET", "/orders/2026-01-01/orders", token(sandbox), params=query)
    assert answer.status_code == 400
    assert message in error_of(answer)["message"]


def test_unknown_parameters_and_the_host_header_are_ignored(sandbox: AmazonSandbox) -> None:
    access = token(sandbox)
    answer = call(
        sandbox,
        "GET",
        "/orders/2026-01-01/orders",
        access,
        params={
            "createdAfter": "2026-10-20T00:00:00Z",
            "MarketplaceId": "ATVPDKIKX0DER",  # what python-amazon-sp-api adds to every call
            "marketplace_ids": "ATVPDKIKX0DER",
        },
        headers={"Host": "27.0.0.1:1234"},
    )
    assert answer.status_code == 200
    assert [o["orderId"] for o in answer.json()["orders"]] == ["114-0000004-0000004"]
    assert answer.json()["createdBefore"].endswith("Z")


def test_unrouted_paths_answer_in_sp_api_shape(sandbox: AmazonSandbox) -> None:
    access = token(sandbox)
    assert error_of(call(sandbox, "GET", "/orders/v0/orders", access))["code"] == "NotFound"
    wrong_verb = call(sandbox, "PUT", "/orders/2026-01-01/orders/1", access)
    assert wrong_verb.status_code == 405


# --- recording and controls ----------------------------------------------------------------------


def test_requests_are_recorded_with_secrets_masked(sandbox: AmazonSandbox) -> None:
    access = token(sandbox)
    call(sandbox, "GET", "/fba/inbound/v0/shipments/FBA15ABC/items", access, params={"a": "b"})
    lwa, items = sandbox.requests
    assert lwa.operation == "lwa" and lwa.body["client_secret"] == "[redacted]"
    assert lwa.body["refresh_token"] == "[redacted]"
    assert items.operation == "getShipmentItemsByShipmentId" and items.status == 200
    assert items.query == {"a": ["b"]}
    assert items.headers["x-amz-access-token"] == "[redacted]"
    assert access not in json.dumps([vars(r) for r in sandbox.requests])


def test_faults_and_the_clock_can_be_driven_over_http(sandbox: AmazonSandbox) -> None:
    access = token(sandbox)
    control = f"{sandbox.url}/_sandbox"
    fault = {"status": 503, "count": 2, "operation": "getOrder", "retry_after": 1.5}
    assert requests.post(f"{control}/faults", json=fault, timeout=5).ok
    path = "/orders/2026-01-01/orders/114-1234567-1234567"
    answers = [call(sandbox, "GET", path, access) for _ in range(3)]
    assert [a.status_code for a in answers] == [503, 503, 200]
    assert answers[0].headers["Retry-After"] == "1.5"
    recorded = requests.get(f"{control}/requests", timeout=5).json()
    assert [r["status"] for r in recorded] == [200, 503, 503, 200]
    requests.post(f"{control}/advance", json={"seconds": 3600}, timeout=5)
    assert call(sandbox, "GET", path, access).status_code == 403
    assert requests.delete(f"{control}/requests", timeout=5).ok
    assert sandbox.requests == []


def test_the_command_serves_a_folder_until_stopped(seller_dir: Path) -> None:
    command = [
        sys.executable,
        "-c",
        "from plugin.cli import main; main()",
        "sandbox",
        "amazon",
        "--data",
        str(seller_dir),
        "--port",
        "0",
        "--time-scale",
        "100",
        "--client-id",
        CREDENTIALS.client_id,
        "--client-secret",
        CREDENTIALS.client_secret,
        "--refresh-token",
        CREDENTIALS.refresh_token,
    ]
    process = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("Amazon SP-API sandbox at http://127.0.0.1:")
        url = first.split()[4]
        assert "left out" not in first
        answer = requests.post(
            f"{url}/auth/o2/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": CREDENTIALS.refresh_token,
                "client_id": CREDENTIALS.client_id,
                "client_secret": CREDENTIALS.client_secret,
            },
            timeout=5,
        )
        assert answer.json()["expires_in"] == 36
    finally:
        process.terminate()
        _out, err = process.communicate(timeout=10)
    assert process.returncode == 0
    assert err.count("left out") == 3  # one line per file that is not Amazon's
    assert CREDENTIALS.client_secret not in err
