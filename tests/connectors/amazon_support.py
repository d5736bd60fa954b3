"""Seller folders, sandboxes and clients for the SP-API tests (client, sandbox, contract).

``small_seller`` writes a hand-made folder whose every row is known to the tests: a few rows
of each report spread over known dates, refunds, inbound shipments and items, plus the files a
sandbox must leave out (costs, notes, a broken gzip copy) and a duplicate of the ledger.
``generated_seller`` is what ``claimdesk generate`` writes.
"""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

from connectors.amazon.client import AmazonClient
from connectors.amazon.models import ReportKind
from connectors.amazon.parse import parse_document, read_report
from connectors.amazon.sandbox import AmazonSandbox, Credentials, start_sandbox
from connectors.amazon.sandbox_data import list_files, merge
from connectors.amazon.settings import AmazonSettings

CREDENTIALS = Credentials(
    client_id="amzn1.application-oa2-client.test-app-0001",
    client_secret="amzn1.oa2-cs.v1.TEST-CLIENT-SECRET-7f3c9a",
    refresh_token="Atzr|TEST-REFRESH-TOKEN-4b8e2d1c",
)

REPORT_TYPES = {
    "GET_LEDGER_DETAIL_VIEW_DATA": ReportKind.LEDGER,
    "GET_FBA_REIMBURSEMENTS_DATA": ReportKind.REIMBURSEMENTS,
    "GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA": ReportKind.RETURNS,
    "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL": ReportKind.ORDERS,
}
SHIPMENT_STATUSES = (
    "WORKING READY_TO_SHIP SHIPPED RECEIVING CANCELLED DELETED CLOSED ERROR IN_TRANSIT "
    "DELIVERED CHECKED_IN".split()
)

LEDGER_HEADER = (
    "Date\tFNSKU\tASIN\tMSKU\tTitle\tEvent Type\tReference ID\tQuantity\tFulfillment Center\t"
    "Disposition\tReason\tCountry\tReconciled Quantity\tUnreconciled Quantity\n"
)
LEDGER_ROWS = [
    # (date, msku, event type, reference, quantity, reason)
    ("09/28/2026", "MUG-1", "Receipts", "FBA15ABC", "24", ""),
    ("10/01/2026", "MUG-1", "Adjustments", "111", "-2", "M"),
    ("10/01/2026", "MUG-1", "Shipments", "999", "-1", ""),
    ("10/05/2026", "LAMP-2", "Adjustments", "112", "-1", "Damaged at Amazon fulfillment center"),
    ("10/05/2026", "LAMP-2", "Adjustments", "113", "1", "P"),
    ("10/07/2026", "LAMP-2", "CustomerReturns", "114-1234567-1234567", "1", ""),
    ("10/12/2026", "MUG-1", "Adjustments", "115", "1", "F"),
    ("10/20/2026", "BOTTLE-3", "Receipts", "FBA15DEF", "10", ""),
]
REIMBURSEMENTS = (
    "approval-date\treimbursement-id\tcase-id\tamazon-order-id\treason\tsku\tfnsku\tasin\t"
    "product-name\tcondition\tcurrency-unit\tamount-per-unit\tamount-total\t"
    "quantity-reimbursed-cash\tquantity-reimbursed-inventory\tquantity-reimbursed-total\t"
    "original-reimbursement-id\toriginal-reimbursement-type\n"
    "2026-09-30T10:00:00+00:00\t9001\t\t\tLost_Warehouse\tMUG-1\tX001\tB001\tMug\tNew\tUSD\t"
    "8.90\t8.90\t1\t0\t1\t\t\n"
    "2026-10-15T12:30:00+00:00\t9002\t1234567890\t\tDamaged_Warehouse\tLAMP-2\tX002\tB002\t"
    "Lamp 18in LED\tNew\tUSD\t21,50\t43,00\t2\t\t2\t\t\n"
    "2026-10-20T08:00:00+00:00\t9003\t\t\tReimbursement_Reversal\tMUG-1\tX001\tB001\tMug\tNew\t"
    "usd\t-8.90\t-8.90\t-1\t0\t-1\t9001\tLost_Warehouse\n"
)
RETURNS = (
    "return-date\torder-id\tsku\tasin\tfnsku\tproduct-name\tquantity\tfulfillment-center-id\t"
    "detailed-disposition\treason\tstatus\tlicense-plate-number\tcustomer-comments\n"
    "2026-10-03T09:00:00+00:00\t114-1234567-1234567\tLAMP-2\tB002\tX002\tLamp\t1\tPHX7\t"
    "damaged\tdefective\tUnit returned to inventory\tLPN001\tbroken\n"
    "2026-10-18T09:00:00+00:00\t114-7654321-7654321\tMUG-1\tB001\tX001\tMug\t1\tPHX7\t"
    "SELLABLE\tUNWANTED_ITEM\tUnit returned to inventory\tLPN002\t\n"
)
ORDERS_HEADER = (
    "amazon-order-id\tmerchant-order-id\tpurchase-date\tlast-updated-date\torder-status\t"
    "fulfillment-channel\tsales-channel\torder-channel\tship-service-level\tproduct-name\tsku\t"
    "asin\titem-status\tquantity\tcurrency\titem-price\titem-tax\n"
)
ORDERS = [
    # order id, purchase date, last update, status, channel, sku, item status, quantity, price
    ("114-1234567-1234567", "2026-09-20T10:00:00+00:00", "2026-09-22T10:00:00+00:00",
     "Shipped", "Amazon", "LAMP-2", "Shipped", "1", "43.00"),
    ("114-7654321-7654321", "2026-09-25T11:00:00+00:00", "2026-09-27T11:00:00+00:00",
     "Shipped", "Amazon", "MUG-1", "Shipped", "2", "25.98"),
    ("114-7654321-7654321", "2026-09-25T11:00:00+00:00", "2026-09-27T11:00:00+00:00",
     "Shipped", "Amazon", "BOTTLE-3", "Shipped", "1", "19.99"),
    ("114-0000001-0000001", "2026-10-02T08:00:00+00:00", "2026-10-02T08:00:00+00:00",
     "Pending", "Merchant", "MUG-1", "Unshipped", "1", ""),
    ("114-0000002-0000002", "2026-10-09T08:00:00+00:00", "2026-10-10T08:00:00+00:00",
     "Cancelled", "Amazon", "BOTTLE-3", "Cancelled", "1", "19.99"),
    ("114-0000003-0000003", "2026-10-16T08:00:00+00:00", "2026-10-18T08:00:00+00:00",
     "Shipped", "Amazon", "MUG-1", "Shipped", "3", "38.97"),
    ("114-0000004-0000004", "2026-10-23T08:00:00+00:00", "2026-10-25T08:00:00+00:00",
     "Shipped", "Amazon", "LAMP-2", "Shipped", "1", "43.00"),
]  # fmt: skip
REFUND_DAYS = [
    "2026-05-02T10:00:00Z",
    "2026-07-15T10:00:00Z",
    "2026-09-01T10:00:00Z",
    "2026-09-15T23:30:00-05:00",
    "2026-10-01T10:00:00Z",
    "2026-10-05T10:00:00Z",
    "2026-10-20T10:00:00Z",
]
SHIPMENTS = [
    ("FBA15ABC", "CLOSED"),
    ("FBA15DEF", "RECEIVING"),
    ("FBA15GHI", "SHIPPED"),
    ("FBA15JKL", "WORKING"),
    ("FBA15MNO", "CLOSED"),
]
SHIP_FROM = {
    "Name": "Brightside Home Goods LLC",
    "AddressLine1": "1200 Industrial Pkwy",
    "City": "Reno",
    "StateOrProvinceCode": "NV",
    "CountryCode": "US",
    "PostalCode": "89502",
}


def refund_event(index: int, posted: str) -> dict[str, Any]:
    order = f"114-{index:07d}-{index:07d}"
    return {
        "AmazonOrderId": order,
        "SellerOrderId": order,
        "MarketplaceName": "Amazon.com",
        "PostedDate": posted,
        "ShipmentItemAdjustmentList": [
            {
                "SellerSKU": "MUG-1",
                "OrderAdjustmentItemId": f"{index:014d}",
                "QuantityShipped": 1,
                "ItemChargeAdjustmentList": [
                    {
                        "ChargeType": "Principal",
                        "ChargeAmount": {"CurrencyCode": "USD", "CurrencyAmount": -12.99},
                    },
                    {
                        "ChargeType": "Tax",
                        "ChargeAmount": {"CurrencyCode": "USD", "CurrencyAmount": -1.04},
                    },
                ],
                "ItemFeeAdjustmentList": [
                    {
                        "FeeType": "Commission",
                        "FeeAmount": {"CurrencyCode": "USD", "CurrencyAmount": 1.95},
                    }
                ],
            }
        ],
    }


def shipment(shipment_id: str, status: str) -> dict[str, Any]:
    return {
        "ShipmentId": shipment_id,
        "ShipmentName": f"Shipment {shipment_id}",
        "ShipFromAddress": SHIP_FROM,
        "DestinationFulfillmentCenterId": "PHX7",
        "ShipmentStatus": status,
        "LabelPrepType": "SELLER_LABEL",
        "AreCasesRequired": False,
        "BoxContentsSource": "FEED",
    }


def item(shipment_id: str, sku: str, shipped: int, received: int) -> dict[str, Any]:
    return {
        "ShipmentId": shipment_id,
        "SellerSKU": sku,
        "FulfillmentNetworkSKU": "X00" + sku[:3],
        "QuantityShipped": shipped,
        "QuantityReceived": received,
        "QuantityInCase": 1,
        "PrepDetailsList": [],
    }


def small_seller(directory: Path) -> Path:
    """Write the hand-made seller into ``directory`` and return it."""
    directory.mkdir(parents=True, exist_ok=True)
    ledger = LEDGER_HEADER + "".join(
        f"{day}\tX00{sku[-1]}\tB00{sku[-1]}\t{sku}\tTitle\t{event}\t{ref}\t{qty}\tPHX7\t"
        f"SELLABLE\t{reason}\tUS\t\t\n"
        for day, sku, event, ref, qty, reason in LEDGER_ROWS
    )
    (directory / "ledger.txt").write_text(ledger)
    (directory / "copies").mkdir(exist_ok=True)
    (directory / "copies" / "ledger (1).txt").write_text(ledger)  # the same rows: count once
    (directory / "reimbursements.txt").write_text(REIMBURSEMENTS)
    (directory / "returns.txt").write_text(RETURNS)
    orders = ORDERS_HEADER + "".join(
        f"{oid}\t\t{bought}\t{updated}\t{status}\t{channel}\tAmazon.com\t\tStandard\tItem\t"
        f"{sku}\tB00{sku[-1]}\t{item_status}\t{qty}\tUSD\t{price}\t\n"
        for oid, bought, updated, status, channel, sku, item_status, qty, price in ORDERS
    )
    (directory / "all-orders.txt").write_text(orders)
    events = [refund_event(n, posted) for n, posted in enumerate(REFUND_DAYS, start=1)]
    (directory / "refunds.json").write_text(
        json.dumps({"payload": {"FinancialEvents": {"RefundEventList": events[:4]}}})
    )
    (directory / "refunds-2.json.gz").write_bytes(
        gzip.compress(json.dumps({"FinancialEvents": {"RefundEventList": events[3:]}}).encode())
    )
    shipments = [shipment(sid, status) for sid, status in SHIPMENTS]
    (directory / "shipments.json").write_text(json.dumps({"payload": {"ShipmentData": shipments}}))
    items = [
        item("FBA15ABC", "MUG-1", 24, 24),
        item("FBA15ABC", "LAMP-2", 6, 5),
        item("FBA15DEF", "BOTTLE-3", 12, 10),
        item("FBA15GHI", "MUG-1", 8, 0),
    ]
    (directory / "items.json").write_text(json.dumps({"payload": {"ItemData": items}}))
    (directory / "costs.csv").write_text("sku,unit_cost,currency\nMUG-1,4.20,USD\n")
    (directory / "notes.txt").write_text("Ask about the March shipment.\n")
    (directory / "broken-ledger.txt.gz").write_bytes(gzip.compress(ledger.encode())[:40])
    (directory / ".DS_Store").write_bytes(b"\0\1")
    return directory


def generated_seller(directory: Path, seed: int, layout: str = "tsv") -> Path:
    """What ``claimdesk generate DIR --seed N --ledger-rows 3000 --as-of 2026-10-31`` writes."""
    from plugin.generator import generate_seller

    generate_seller(directory, seed=seed, as_of=date(2026, 10, 31), ledger_rows=3000, layout=layout)
    return directory


def settings_for(sandbox: AmazonSandbox, **overrides: Any) -> AmazonSettings:
    """Client settings pointing at ``sandbox``, with waits sized for tests."""
    values: dict[str, Any] = {
        "refresh_token": sandbox.credentials.refresh_token,
        "client_id": sandbox.credentials.client_id,
        "client_secret": sandbox.credentials.client_secret,
        "endpoint": sandbox.url,
        "lwa_endpoint": sandbox.url,
        "max_attempts": 5,
        "max_wait": 10.0,
        "backoff_base": 0.01,
        "backoff_cap": 0.05,
        "report_poll_initial": 0.002,
        "report_poll_max": 0.02,
        "report_timeout": 10.0,
        "timeout": (2.0, 10.0),
    }
    values.update(overrides)
    return AmazonSettings(**values)


def client_for(sandbox: AmazonSandbox, **overrides: Any) -> AmazonClient:
    return AmazonClient(settings_for(sandbox, **overrides))


def running(directory: Path, **options: Any) -> Iterator[AmazonSandbox]:
    """A fixture body: a sandbox on a free port, stopped afterwards."""
    options.setdefault("credentials", CREDENTIALS)
    sandbox = start_sandbox(directory, **options)
    try:
        yield sandbox
    finally:
        sandbox.stop()


def folder_rows(directory: Path) -> dict[ReportKind, list[Any]]:
    """Every row of every Amazon file in ``directory`` (ledger: all events), merged by kind
    as reconcile merges files; what a full sync through the sandbox must give back."""
    by_kind: dict[ReportKind, list[list[Any]]] = {}
    for path in list_files(directory):
        try:
            report = read_report(lambda path=path: path.open("rb"), path.name)
        except Exception:  # noqa: BLE001 - files reconcile skips are not the seller's rows
            continue
        by_kind.setdefault(report.kind, []).append(report.rows)
    return {kind: merge(files) for kind, files in by_kind.items()}


def parse_tsv(content: bytes, name: str) -> list[Any]:
    """Rows of a downloaded report, read as reconcile reads an uploaded one."""
    if not content:
        return []
    return read_report(lambda: io.BytesIO(content), name).rows


def parse_json(document: dict[str, Any], name: str) -> list[Any]:
    return parse_document(document, name).rows
