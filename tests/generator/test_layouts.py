"""Both layouts on disk: encodings, line ends, quoting, headers, compression (spec §1)."""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
from pathlib import Path

import pytest

LEDGER_TSV = [
    "Date", "FNSKU", "ASIN", "MSKU", "Title", "Event Type", "Reference ID", "Quantity",
    "Fulfillment Center", "Disposition", "Reason", "Country", "Reconciled Quantity",
    "Unreconciled Quantity", "Date and Time", "Store",
]  # fmt: skip
LEDGER_CSV = [
    "Date", "FNSKU", "ASIN", "MSKU", "Title", "Event type", "Reference ID", "Quantity",
    "Fulfillment center", "Disposition", "Reason", "Country", "Reconciled quantity",
    "Unreconciled quantity",
]  # fmt: skip
REIMBURSEMENTS_TSV = (
    "approval-date reimbursement-id case-id amazon-order-id reason sku fnsku asin product-name "
    "condition currency-unit amount-per-unit amount-total quantity-reimbursed-cash "
    "quantity-reimbursed-inventory quantity-reimbursed-total original-reimbursement-id "
    "original-reimbursement-type"
).split()
REIMBURSEMENTS_CSV = [
    "Approval date", "Reimbursement ID", "Case ID", "Amazon order ID", "Reason", "SKU", "FNSKU",
    "ASIN", "Product name", "Condition", "Currency unit", "Amount per unit", "Amount total",
    "Quantity reimbursed cash", "Quantity reimbursed inventory", "Quantity reimbursed total",
    "Original reimbursement ID", "Original reimbursement type",
]  # fmt: skip
RETURNS_TSV = (
    "return-date order-id sku asin fnsku product-name quantity fulfillment-center-id "
    "detailed-disposition reason status license-plate-number customer-comments"
).split()
RETURNS_CSV = [
    "Return date", "Amazon order ID", "SKU", "ASIN", "FNSKU", "Product name", "Quantity",
    "Fulfillment center ID", "Detailed disposition", "Reason", "Status", "License plate number",
    "Customer comments",
]  # fmt: skip
ORDERS_TSV = (
    "amazon-order-id merchant-order-id purchase-date last-updated-date order-status "
    "fulfillment-channel sales-channel order-channel ship-service-level product-name sku asin "
    "item-status quantity currency item-price item-tax shipping-price shipping-tax "
    "gift-wrap-price gift-wrap-tax item-promotion-discount ship-promotion-discount ship-city "
    "ship-state ship-postal-code ship-country promotion-ids cpf is-business-order "
    "purchase-order-number price-designation"
).split()
QUOTED_LINE = re.compile(r'"(?:[^"]|"")*"(?:,"(?:[^"]|"")*")*\r\n')


def header_of(text: str, delimiter: str) -> list[str]:
    return next(csv.reader(io.StringIO(text), delimiter=delimiter))


def tsv_text(folder: Path, pattern: str) -> list[str]:
    return [p.read_bytes().decode("utf-8") for p in sorted(folder.glob(pattern))]


def test_tsv_files_are_amazon_downloads(tsv_seller: Path) -> None:
    expected = {
        "inventory-ledger-*.txt": LEDGER_TSV, "reimbursements.txt": REIMBURSEMENTS_TSV,
        "Reimbursements (1).txt": REIMBURSEMENTS_TSV, "fba-customer-returns.txt": RETURNS_TSV,
        "all-orders.txt": ORDERS_TSV,
    }  # fmt: skip
    for pattern, header in expected.items():
        texts = tsv_text(tsv_seller, pattern)
        assert texts, pattern
        for text in texts:
            assert not text.startswith("\ufeff") and "\r" not in text
            lines = text.split("\n")
            assert lines[-1] == "" and header_of(text, "\t") == header
            assert all(line.count("\t") == len(header) - 1 for line in lines[:-1]), pattern
    assert not list(tsv_seller.glob("*.gz"))


def test_values_make_quoting_and_encoding_matter(tsv_seller: Path) -> None:
    ledger = "".join(tsv_text(tsv_seller, "inventory-ledger-*.txt"))
    for needle in ('"', ", ", "é", "ü", "™"):
        assert needle in ledger, needle
    fields = [f for line in ledger.split("\n") for f in line.split("\t")]
    assert not any(f.startswith('"') and f.endswith('"') and len(f) > 1 for f in fields)


def test_the_ledger_has_amazon_value_formats(tsv_seller: Path) -> None:
    text = tsv_text(tsv_seller, "inventory-ledger-*.txt")[-1]
    rows = list(csv.DictReader(io.StringIO(text), delimiter="\t"))
    assert all(re.fullmatch(r"\d\d/\d\d/\d{4}", r["Date"]) for r in rows)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT00:00:00[+-]\d{4}", r["Date and Time"]) for r in rows)
    signs = {(r["Event Type"], int(r["Quantity"]) > 0) for r in rows}
    assert ("Shipments", True) not in signs and ("Receipts", False) not in signs
    assert {"UK", "GB", "US", "DE", "FR"} <= {r["Country"] for r in rows}
    assert {r["Fulfillment Center"] for r in rows} >= {"PHX7", "ONT8", "BFI4", "LEJ1"}


def test_csv_files_are_quoted_bom_crlf_and_gzipped(csv_seller: Path) -> None:
    expected = {
        "inventory-ledger-*.csv.gz": LEDGER_CSV, "reimbursements.csv.gz": REIMBURSEMENTS_CSV,
        "Reimbursements (1).csv.gz": REIMBURSEMENTS_CSV,
        "fba-customer-returns.csv.gz": RETURNS_CSV, "all-orders.csv.gz": None,
    }  # fmt: skip
    for pattern, header in expected.items():
        paths = sorted(csv_seller.glob(pattern))
        assert paths, pattern
        for path in paths:
            data = path.read_bytes()
            assert data[:4] == b"\x1f\x8b\x08\x00" and data[4:8] == b"\0\0\0\0"  # no name/time
            text = gzip.decompress(data).decode("utf-8")
            assert text.startswith("\ufeff")
            lines = text[1:].splitlines(keepends=True)
            assert all(QUOTED_LINE.fullmatch(line) for line in lines), pattern
            columns = header_of(text[1:], ",")
            if header is not None:
                assert columns == header
    orders = gzip.decompress((csv_seller / "all-orders.csv.gz").read_bytes()).decode("utf-8")
    assert header_of(orders[1:], ",")[:3] == ["Amazon order ID", "Merchant order ID",
                                               "Purchase date"]  # fmt: skip


def test_csv_json_files_are_gzipped_without_bom(csv_seller: Path) -> None:
    paths = sorted(csv_seller.glob("*.json.gz"))
    assert len(paths) > 10 and not list(csv_seller.glob("*.json"))
    for path in paths:
        text = gzip.decompress(path.read_bytes()).decode("utf-8")
        assert not text.startswith("\ufeff")
        json.loads(text)


def test_one_csv_file_is_in_cp1252(csv_seller: Path) -> None:
    data = (csv_seller / "customer-returns-export.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    text = data.decode("cp1252")
    assert "é" in text and text.endswith("\r\n")
    assert header_of(text, ",") == RETURNS_CSV


@pytest.mark.parametrize("layout", ["tsv", "csv"])
def test_costs_are_plain_csv_in_both_layouts(
    layout: str, tsv_seller: Path, csv_seller: Path
) -> None:
    folder = tsv_seller if layout == "tsv" else csv_seller
    text = (folder / "costs.csv").read_bytes().decode("utf-8")
    lines = text.split("\n")
    assert lines[0] == "sku,unit_cost,currency" and lines[-1] == ""
    rows = [line.split(",") for line in lines[1:-1]]
    assert all(len(row) == 3 and row[2] in {"USD", "EUR"} for row in rows)
    assert max(float(row[1]) for row in rows) > 5000


def test_finance_files_vary_their_wrapper(tsv_seller: Path) -> None:
    shapes = set()
    for path in tsv_seller.glob("financial-events-*.json"):
        document = json.loads(path.read_text("utf-8"))
        shapes.add(tuple(document))
        events = document.get("payload", document)
        events = events.get("FinancialEvents", events)
        for event in events["RefundEventList"]:
            assert event["PostedDate"].endswith("Z")
            assert re.fullmatch(r"\d{3}-\d{7}-\d{7}", event["AmazonOrderId"])
    assert shapes == {("payload",), ("FinancialEvents",), ("ShipmentEventList", "RefundEventList",
                                                           "AdjustmentEventList")}  # fmt: skip


def test_inbound_documents_have_the_v0_shapes(tsv_seller: Path) -> None:
    data = [
        shipment
        for path in sorted(tsv_seller.glob("inbound-shipments-*.json"))
        for shipment in json.loads(path.read_text("utf-8"))["payload"]["ShipmentData"]
    ]
    assert all(re.fullmatch(r"FBA15[0-9A-Z]{7}", s["ShipmentId"]) for s in data)
    assert {"CLOSED", "RECEIVING", "WORKING", "SHIPPED"} <= {s["ShipmentStatus"] for s in data}
    items = json.loads((tsv_seller / "inbound-items.json").read_text("utf-8"))
    keys = {"ShipmentId", "SellerSKU", "FulfillmentNetworkSKU", "QuantityShipped",
            "QuantityReceived", "QuantityInCase"}  # fmt: skip
    assert all(keys <= set(item) for item in items["payload"]["ItemData"])
    assert len(list(tsv_seller.glob("inbound-items-FBA15*.json"))) >= 10
