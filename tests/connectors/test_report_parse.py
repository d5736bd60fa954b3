"""The input reader: shapes, header spellings, encodings and the errors it gives."""

from __future__ import annotations

import gzip
import io
import json
from datetime import date
from decimal import Decimal

import pytest

from connectors.amazon.models import ReportKind
from connectors.amazon.parse import (
    OrderFilter,
    ledger_reason_code,
    normalize_header,
    parse_decimal,
    parse_utc_day,
    read_report,
)
from connectors.errors import ReportError

LEDGER_TSV = (
    "Date\tFNSKU\tASIN\tMSKU\tTitle\tEvent Type\tReference ID\tQuantity\tFulfillment Center\t"
    "Disposition\tReason\tCountry\tReconciled Quantity\tUnreconciled Quantity\n"
    "10/01/2026\tX001\tB001\tMUG-1\tMug\tAdjustments\t111\t-2\tPHX7\tSELLABLE\tM\tUS\t0\t2\n"
    "10/02/2026\tX001\tB001\tMUG-1\tMug\tShipments\t999\t-1\tPHX7\tSELLABLE\t\tUS\t\t\n"
    "10/03/2026\tX001\tB001\tMUG-1\tMug\tReceipts\tFBA15ABC\t12\tPHX7\tSELLABLE\t\tUS\t\t\n"
)


def read(data: bytes, name: str = "file", **options: object):  # type: ignore[no-untyped-def]
    return read_report(lambda: io.BytesIO(data), name, **options)  # type: ignore[arg-type]


def as_csv(text: str) -> str:
    """The same table as quoted CSV."""
    lines = []
    for line in text.splitlines():
        lines.append(",".join('"' + field.replace('"', '""') + '"' for field in line.split("\t")))
    return "\r\n".join(lines) + "\r\n"


@pytest.mark.parametrize(
    "header", ["Event Type", "Event type", "EventType", "event-type", "EVENT_TYPE", '"Event Type"']
)
def test_header_spellings_are_one_column(header: str) -> None:
    assert normalize_header(header.strip('"')) == "eventtype"
    report = read(LEDGER_TSV.replace("Event Type", header).encode())
    assert report.kind is ReportKind.LEDGER
    assert [row.event_type for row in report.rows] == ["adjustments", "shipments", "receipts"]


def test_ledger_row_values() -> None:
    row = read(LEDGER_TSV.encode()).rows[0]
    assert (row.date, row.fnsku, row.msku, row.quantity, row.reason, row.country) == (
        date(2026, 10, 1),
        "X001",
        "MUG-1",
        -2,
        "M",
        "US",
    )
    assert row.unreconciled_quantity == 2
    assert (row.source.file, row.source.line) == ("file", 2)


@pytest.mark.parametrize(
    "encode",
    [
        lambda t: t.encode(),
        lambda t: "\ufeff".encode() + t.replace("\n", "\r\n").encode(),
        lambda t: gzip.compress(t.encode()),
        lambda t: as_csv(t).encode("utf-8-sig"),
        lambda t: gzip.compress(as_csv(t).encode("utf-8-sig")),
        lambda t: t.replace("Mug", "Mug ™ été").encode("cp1252"),
    ],
    ids=["tsv", "bom-crlf", "gzip", "quoted-csv-bom", "quoted-csv-gzip", "cp1252"],
)
def test_same_rows_in_every_encoding(encode) -> None:  # type: ignore[no-untyped-def]
    rows = read(encode(LEDGER_TSV)).rows
    assert [(r.date, r.reference_id, r.quantity, r.source.line) for r in rows] == [
        (date(2026, 10, 1), "111", -2, 2),
        (date(2026, 10, 2), "999", -1, 3),
        (date(2026, 10, 3), "FBA15ABC", 12, 4),
    ]


def test_quoted_field_with_newline_keeps_physical_line_numbers() -> None:
    text = as_csv(LEDGER_TSV).replace('"Mug"', '"Mug, ""large""\r\nsecond line"', 1)
    rows = read(text.encode()).rows
    assert [r.source.line for r in rows] == [2, 4, 5]


def test_ledger_event_filter_drops_other_rows_early() -> None:
    rows = read(LEDGER_TSV.encode(), ledger_events={"adjustments"}).rows
    assert [r.reference_id for r in rows] == ["111"]


def test_online_view_layout_maps_descriptions_to_codes() -> None:
    text = (
        "Date,Fulfillment network SKU (FNSKU),ASIN,Merchant SKU,Title,Event type,Reference ID,"
        "Quantity,Fulfillment center,Disposition,Reason,Country\n"
        "10/01/2026,X1,B1,S1,T,Adjustments,1,-1,PHX7,Sellable,Inventory misplaced,US\n"
        "10/01/2026,X1,B1,S1,T,Adjustments,2,1,PHX7,Sellable,Inventory found,US\n"
        "10/01/2026,X1,B1,S1,T,Adjustments,3,-1,PHX7,Sellable,Damaged at Amazon fulfillment "
        "center,US\n"
        "10/01/2026,X1,B1,S1,T,Adjustments,4,-1,PHX7,Carrier damaged,Damaged at Amazon "
        "fulfillment center,US\n"
        "10/01/2026,X1,B1,S1,T,Adjustments,5,1,PHX7,Warehouse damaged,Inventory disposition "
        "change,US\n"
        "10/01/2026,X1,B1,S1,T,Adjustments,6,-1,PHX7,Sellable,Something new,US\n"
    )
    rows = read(text.encode()).rows
    assert [r.msku for r in rows] == ["S1"] * 6
    assert [r.reason for r in rows] == ["M", "F", "E", "6", "P", "Something new"]


@pytest.mark.parametrize(
    ("reason", "disposition", "quantity", "code"),
    [
        ("Damaged at Amazon fulfillment center", "Expired", -1, "7"),
        ("Damaged at Amazon fulfilment centre", "Customer damaged", -1, "H"),
        ("Damaged at Amazon fulfillment center", "Defective", -1, "K"),
        ("Damaged at Amazon fulfillment center", "Distributor damaged", -1, "U"),
        ("Inventory disposition change", "Sellable", -3, "Q"),
        ("m", "", -1, "M"),
    ],
)
def test_reason_descriptions(reason: str, disposition: str, quantity: int, code: str) -> None:
    assert ledger_reason_code(reason, disposition, quantity) == code


def test_returns_accept_order_id_or_amazon_order_id() -> None:
    header = (
        "return-date\t{col}\tsku\tasin\tfnsku\tproduct-name\tquantity\t"
        "fulfillment-center-id\tdetailed-disposition\treason\tstatus\tlicense-plate-number\n"
    )
    body = (
        "2026-09-30T10:00:00+00:00\t111-2223334-5556667\tMUG-1\tB1\tX1\tMug\t1\tPHX7\t"
        "damaged\tdefective\tUnit returned to inventory\tLPN1\n"
    )
    for column in ("order-id", "amazon-order-id"):
        row = read((header.format(col=column) + body).encode()).rows[0]
        assert (row.order_id, row.disposition, row.reason, row.return_date) == (
            "111-2223334-5556667",
            "DAMAGED",
            "DEFECTIVE",
            date(2026, 9, 30),
        )


def test_finances_in_all_three_wrappings() -> None:
    event = {
        "AmazonOrderId": "111-2223334-5556667",
        "MarketplaceName": "Amazon.com",
        "PostedDate": "2026-03-01T01:00:00+05:00",
        "ShipmentItemAdjustmentList": [
            {
                "SellerSKU": "MUG-1",
                "QuantityShipped": 2,
                "ItemChargeAdjustmentList": [
                    {
                        "ChargeType": "Principal",
                        "ChargeAmount": {"CurrencyCode": "USD", "CurrencyAmount": -19.98},
                    },
                    {
                        "ChargeType": "Tax",
                        "ChargeAmount": {"CurrencyCode": "USD", "CurrencyAmount": -1.5},
                    },
                ],
            }
        ],
    }
    events = {"RefundEventList": [event]}
    for document, path in [
        ({"payload": {"FinancialEvents": events}}, "payload.FinancialEvents.RefundEventList[0]"),
        ({"FinancialEvents": events}, "FinancialEvents.RefundEventList[0]"),
        (events, "RefundEventList[0]"),
    ]:
        report = read(json.dumps(document).encode())
        assert report.kind is ReportKind.FINANCES
        refund = report.rows[0]
        assert refund.posted_date == date(2026, 2, 28)  # the UTC date
        assert refund.items[0].principal == Decimal("-19.98")
        assert refund.items[0].quantity == 2
        assert refund.source.path == path


def test_inbound_documents() -> None:
    shipments = {"payload": {"ShipmentData": [{"ShipmentId": "FBA1", "ShipmentStatus": "CLOSED"}]}}
    items = {
        "payload": {
            "ItemData": [
                {
                    "ShipmentId": "FBA1",
                    "SellerSKU": "S1",
                    "QuantityShipped": 10,
                    "QuantityReceived": 7,
                }
            ]
        }
    }
    assert read(json.dumps(shipments).encode()).rows[0].status == "CLOSED"
    item = read(gzip.compress(json.dumps(items).encode())).rows[0]
    assert (item.quantity_shipped, item.quantity_received) == (10, 7)


def test_orders_filter_keeps_wanted_orders_and_skus() -> None:
    text = (
        "amazon-order-id\tpurchase-date\tsku\tquantity\tcurrency\titem-price\titem-status\t"
        "sales-channel\n"
        "A\t2026-01-01\tS1\t1\tUSD\t10.00\tShipped\tAmazon.com\n"
        "B\t2026-01-01\tS2\t1\tUSD\t10.00\tShipped\tAmazon.com\n"
        "C\t2026-01-01\tS3\t1\tUSD\t\tShipped\tAmazon.com\n"
    )
    rows = read(text.encode(), orders=OrderFilter({"A"}, {"S3"})).rows
    assert [(r.order_id, r.item_price) for r in rows] == [("A", Decimal("10.00")), ("C", None)]


def test_costs_need_exactly_three_columns() -> None:
    assert read(b"sku,unit_cost,currency\nS1,2.50,usd\n").rows[0].currency == "USD"
    with pytest.raises(ReportError, match="not a recognised report"):
        read(b"sku,unit_cost,currency,note\nS1,2.50,USD,x\n")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty file"),
        (b"   \n\n", "empty file"),
        (gzip.compress(LEDGER_TSV.encode())[:60], "gzip data ends early"),
        (
            gzip.compress(
                LEDGER_TSV.encode()
                + "".join(
                    f"10/01/2026\tX{n}\tB{n}\tS{n}\tT\tShipments\t{n * 7919}\t-1\t"
                    "PHX7\tSELLABLE\t\tUS\t\t\n"
                    for n in range(20000)
                ).encode()
            )[:60000],
            "gzip data ends early: the file was cut short",
        ),
        (LEDGER_TSV.splitlines(keepends=True)[0].encode(), "line 1: header only, no data rows"),
        (bytes(range(256)) * 4, "binary file"),
        (b'{"payload": {"Orders": []}}', "JSON is not a recognised document"),
        (b'{"payload": ', "invalid JSON"),
        (LEDGER_TSV.replace("\t-2\t", "\tabc\t").encode(), "line 2: Quantity 'abc' is not a whole"),
        (LEDGER_TSV.replace("10/03/2026", "13/45/2026").encode(), "line 4: Date '13/45/2026'"),
        (
            LEDGER_TSV.replace("MSKU", "Product").encode(),
            "line 1: Inventory Ledger without required column MSKU",
        ),
        (b"\x81\x8d\x8f\x90\x9d\n", "neither UTF-8 nor cp1252"),
        (
            b'{"payload": {"ItemData": [{"SellerSKU": "S1", "QuantityShipped": 1}]}}',
            "payload.ItemData[0]: ShipmentId is missing",
        ),
    ],
    ids=[
        "empty",
        "blank",
        "gzip-cut-in-header",
        "gzip-cut-later",
        "header-only",
        "binary",
        "wrong-json",
        "broken-json",
        "bad-quantity",
        "bad-date",
        "missing-column",
        "not-text",
        "json-missing-field",
    ],
)
def test_bad_input_names_the_problem(data: bytes, message: str) -> None:
    with pytest.raises(ReportError) as caught:
        read(data, "upload.tsv")
    assert caught.value.file == "upload.tsv"
    assert message in caught.value.describe()


def test_values() -> None:
    assert parse_decimal("1,234.50", "x") == Decimal("1234.50")
    assert parse_decimal("12,99", "x") == Decimal("12.99")
    assert parse_decimal("", "x") is None
    assert parse_utc_day("2026-09-15T08:12:00Z", "PostedDate") == date(2026, 9, 15)
    with pytest.raises(ValueError, match="not a number"):
        parse_decimal("NaN", "amount")


def test_tab_downloads_keep_literal_quotes() -> None:
    """Amazon's TSV is unquoted: an inch mark must not swallow the following lines."""
    text = LEDGER_TSV.replace("\tMug\t", '\tMug 12" wide\t', 1)
    rows = read(text.encode()).rows
    assert [r.reference_id for r in rows] == ["111", "999", "FBA15ABC"]


def test_quoted_csv_with_inch_mark_inside_quotes() -> None:
    text = as_csv(LEDGER_TSV.replace("\tMug\t", '\tMug 12" wide, "blue"\t', 1))
    rows = read(text.encode()).rows
    assert [r.reference_id for r in rows] == ["111", "999", "FBA15ABC"]


def test_receipts_filter_keeps_only_named_shipments() -> None:
    text = LEDGER_TSV + LEDGER_TSV.splitlines(keepends=True)[3].replace("FBA15ABC", "FBA15XYZ")
    rows = read(
        text.encode(), ledger_events={"adjustments", "receipts"}, receipts_of={"FBA15XYZ"}
    ).rows
    assert [r.reference_id for r in rows] == ["111", "FBA15XYZ"]
    quoted = read(
        as_csv(text).encode(), ledger_events={"adjustments", "receipts"}, receipts_of={"FBA15XYZ"}
    ).rows
    assert [r.reference_id for r in quoted] == ["111", "FBA15XYZ"]


def test_filtered_multiline_quoted_record_is_not_split_apart() -> None:
    """A record left out by the filter must be skipped whole, not line by line."""
    text = as_csv(LEDGER_TSV).replace('"Shipments"', '"Shipments"', 1)
    text = text.replace('"Mug","Shipments"', '"Mug\r\nwith a second line","Shipments"')
    rows = read(text.encode(), ledger_events={"adjustments", "receipts"}).rows
    assert [(r.reference_id, r.source.line) for r in rows] == [("111", 2), ("FBA15ABC", 5)]
