"""A small hand-made seller folder with every input kind and every claim kind.

It also holds what the duplicate rule is about: two ledger downloads with overlapping dates,
one of them with an identical line twice; a copy of the reimbursements report; a notes file
that reconcile skips.
"""

from __future__ import annotations

import json
from pathlib import Path

LEDGER_HEADER = (
    "Date\tFNSKU\tASIN\tMSKU\tTitle\tEvent Type\tReference ID\tQuantity\tFulfillment Center\t"
    "Disposition\tReason\tCountry\tReconciled Quantity\tUnreconciled Quantity\n"
)
# (date, fnsku, asin, sku, event, reference, quantity, disposition, reason, country)
LEDGER_SEPTEMBER = [
    ("09/10/2026", "X001", "B001", "MUG-1", "Adjustments", "111", "-2", "SELLABLE", "M", "US"),
    ("09/12/2026", "X002", "B002", "MUG-2", "Adjustments", "222", "-1", "SELLABLE", "E", "US"),
    ("09/20/2026", "X001", "B001", "MUG-1", "Receipts", "FBA15SHORT", "8", "SELLABLE", "", "US"),
    ("09/25/2026", "X003", "B003", "TEA-3", "Adjustments", "333", "-3", "SELLABLE", "M", "US"),
    ("09/26/2026", "X003", "B003", "TEA-3", "Shipments", "999", "-1", "SELLABLE", "", "US"),
]
LEDGER_OCTOBER = [
    # Overlaps the September download by one line ...
    ("09/25/2026", "X003", "B003", "TEA-3", "Adjustments", "333", "-3", "SELLABLE", "M", "US"),
    # ... and has one loss twice: two identical lines in one file count twice.
    ("10/02/2026", "X002", "B002", "MUG-2", "Adjustments", "444", "-1", "SELLABLE", "M", "US"),
    ("10/02/2026", "X002", "B002", "MUG-2", "Adjustments", "444", "-1", "SELLABLE", "M", "US"),
    ("10/05/2026", "X001", "B001", "MUG-1", "Adjustments", "111", "1", "SELLABLE", "F", "US"),
    ("04/01/2026", "X004", "B004", "POT-4", "Adjustments", "555", "-1", "SELLABLE", "M", "DE"),
]

REIMBURSEMENTS = (
    "approval-date\treimbursement-id\tcase-id\tamazon-order-id\treason\tsku\tfnsku\tasin\t"
    "product-name\tcondition\tcurrency-unit\tamount-per-unit\tamount-total\t"
    "quantity-reimbursed-cash\tquantity-reimbursed-inventory\tquantity-reimbursed-total\t"
    "original-reimbursement-id\toriginal-reimbursement-type\n"
    "2026-10-01\t9001\t\t\tLost_Warehouse\tTEA-3\tX003\tB003\tTea\tNew\tUSD\t4.50\t4.50\t1\t0\t1"
    "\t\t\n"
    "2026-10-10\t9002\t\t111-0000001-0000001\tCustomerReturn\tMUG-1\tX001\tB001\tMug\tNew\tUSD"
    "\t12.99\t12.99\t1\t0\t1\t\t\n"
    "2026-10-20\t9003\t\t111-0000001-0000001\tReimbursement_Reversal\tMUG-1\tX001\tB001\tMug\t"
    "New\tUSD\t-12.99\t-12.99\t-1\t0\t-1\t9002\tCustomerReturn\n"
)

RETURNS = (
    "return-date\torder-id\tsku\tasin\tfnsku\tproduct-name\tquantity\tfulfillment-center-id\t"
    "detailed-disposition\treason\tstatus\tlicense-plate-number\tcustomer-comments\n"
    "2026-08-20\t111-0000002-0000002\tMUG-2\tB002\tX002\tMug\t1\tPHX7\tDAMAGED\tDEFECTIVE\t"
    "Unit returned to inventory\tLPN002\t\n"
    "2026-09-01\t111-0000003-0000003\tTEA-3\tB003\tX003\tTea\t1\tPHX7\tSELLABLE\tDEFECTIVE\t"
    "Unit returned to inventory\tLPN003\tarrived broken\n"
)

ORDERS = (
    "amazon-order-id\tmerchant-order-id\tpurchase-date\tlast-updated-date\torder-status\t"
    "fulfillment-channel\tsales-channel\tproduct-name\tsku\tasin\titem-status\tquantity\t"
    "currency\titem-price\n"
    "111-0000001-0000001\t\t2026-07-01T10:00:00+00:00\t2026-07-02T10:00:00+00:00\tShipped\t"
    "Amazon\tAmazon.com\tMug\tMUG-1\tB001\tShipped\t1\tUSD\t12.99\n"
    "111-0000002-0000002\t\t2026-07-05T10:00:00+00:00\t2026-07-06T10:00:00+00:00\tShipped\t"
    "Amazon\tAmazon.com\tMug\tMUG-2\tB002\tShipped\t2\tUSD\t39.98\n"
    "111-0000003-0000003\t\t2026-07-07T10:00:00+00:00\t2026-07-08T10:00:00+00:00\tShipped\t"
    "Amazon\tAmazon.com\tTea\tTEA-3\tB003\tShipped\t1\tUSD\t9.50\n"
    "111-0000004-0000004\t\t2026-07-09T10:00:00+00:00\t2026-07-10T10:00:00+00:00\tShipped\t"
    "Amazon\tAmazon.com\tTea\tTEA-3\tB003\tShipped\t3\tUSD\t25.50\n"
    "111-0000005-0000005\t\t2026-07-09T10:00:00+00:00\t2026-07-10T10:00:00+00:00\tShipped\t"
    "Amazon\tAmazon.com\tLamp\tLAMP-9\tB009\tShipped\t1\tUSD\t30.00\n"
)


def _refund(order_id: str, sku: str, posted: str, principal: str, quantity: int = 1) -> dict:
    return {
        "AmazonOrderId": order_id,
        "MarketplaceName": "Amazon.com",
        "PostedDate": posted,
        "ShipmentItemAdjustmentList": [
            {
                "SellerSKU": sku,
                "QuantityShipped": quantity,
                "ItemChargeAdjustmentList": [
                    {
                        "ChargeType": "Principal",
                        "ChargeAmount": {"CurrencyCode": "USD", "CurrencyAmount": principal},
                    },
                    {
                        "ChargeType": "Tax",
                        "ChargeAmount": {"CurrencyCode": "USD", "CurrencyAmount": "-1.04"},
                    },
                ],
            }
        ],
    }


FINANCES = {
    "payload": {
        "FinancialEvents": {
            "RefundEventList": [
                _refund("111-0000001-0000001", "MUG-1", "2026-08-01T12:00:00Z", "-12.99"),
                _refund("111-0000002-0000002", "MUG-2", "2026-08-15T23:30:00-07:00", "-19.99"),
            ]
        }
    }
}
SHIPMENTS = {
    "payload": {
        "ShipmentData": [
            {
                "ShipmentId": "FBA15SHORT",
                "ShipmentStatus": "CLOSED",
                "DestinationFulfillmentCenterId": "PHX7",
            },
            {"ShipmentId": "FBA15OPEN", "ShipmentStatus": "RECEIVING"},
        ]
    }
}
ITEMS = {
    "payload": {
        "ItemData": [
            {
                "ShipmentId": "FBA15SHORT",
                "SellerSKU": "MUG-1",
                "FulfillmentNetworkSKU": "X001",
                "QuantityShipped": 10,
                "QuantityReceived": 8,
            },
            {
                "ShipmentId": "FBA15OPEN",
                "SellerSKU": "MUG-2",
                "QuantityShipped": 5,
                "QuantityReceived": 1,
            },
        ]
    }
}
COSTS = "sku,unit_cost,currency\nMUG-1,4.10,USD\nMUG-2,3.95,USD\n"


def ledger(rows: list[tuple[str, ...]]) -> str:
    lines = [LEDGER_HEADER]
    for day, fnsku, asin, sku, event, reference, quantity, disposition, reason, country in rows:
        fields = [day, fnsku, asin, sku, "Item", event, reference, quantity, "PHX7"]
        fields += [disposition, reason, country, "", ""]
        lines.append("\t".join(fields) + "\n")
    return "".join(lines)


def write_seller(directory: Path) -> Path:
    """Write the folder; return it."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "ledger-2026-09.tsv").write_text(ledger(LEDGER_SEPTEMBER))
    (directory / "ledger-2026-10.tsv").write_text(ledger(LEDGER_OCTOBER))
    (directory / "reimbursements.tsv").write_text(REIMBURSEMENTS)
    (directory / "reimbursements (copy).tsv").write_text(REIMBURSEMENTS)
    (directory / "returns.tsv").write_text(RETURNS)
    (directory / "orders.tsv").write_text(ORDERS)
    (directory / "finances.json").write_text(json.dumps(FINANCES, indent=1))
    (directory / "shipments.json").write_text(json.dumps(SHIPMENTS))
    (directory / "items.json").write_text(json.dumps(ITEMS))
    (directory / "costs.csv").write_text(COSTS)
    (directory / "notes.txt").write_text("call the supplier on monday\n")
    return directory
