"""The JSON documents (SP-API responses) and the seller's own small files, as data.

Finances v0 ``listFinancialEvents`` and Fulfillment Inbound v0 ``getShipments`` /
``getShipmentItemsByShipmentId`` responses, in the shapes of research apis.md §2.6 and §2.8.
Refund files are streamed, so their wrappers are given as the text around the list.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from plugin.generator.catalog import Catalog
from plugin.generator.records import Charge, Refund, Shipment
from plugin.generator.tables import clock

_SHIP_FROM = {
    "US": {"Name": "Brightside Home Goods LLC", "AddressLine1": "1200 Industrial Pkwy",
           "City": "Reno", "StateOrProvinceCode": "NV", "CountryCode": "US",
           "PostalCode": "89502"},
    "EU": {"Name": "Brightside Home Goods – Lager Leipzig", "AddressLine1": "Am Exer 10",
           "City": "Leipzig", "StateOrProvinceCode": "SN", "CountryCode": "DE",
           "PostalCode": "04158"},
}  # fmt: skip


def refund_event(refund: Refund) -> dict[str, Any]:
    """One ``RefundEventList`` element."""
    event: dict[str, Any] = {"AmazonOrderId": refund.order_id, "SellerOrderId": refund.order_id}
    if refund.marketplace_name is not None:
        event["MarketplaceName"] = refund.marketplace_name
    event["PostedDate"] = f"{refund.day.isoformat()}T{clock(refund.seconds)}Z"
    event["ShipmentItemAdjustmentList"] = [
        {
            "SellerSKU": item.product.sku,
            "OrderAdjustmentItemId": item.item_id,
            "QuantityShipped": item.quantity,
            "ItemChargeAdjustmentList": [
                _charge("ChargeType", "ChargeAmount", c, refund.currency) for c in item.charges
            ],
            "ItemFeeAdjustmentList": [
                _charge("FeeType", "FeeAmount", c, refund.currency) for c in item.fees
            ],
        }
        for item in refund.items
    ]
    return event


def _charge(kind_key: str, amount_key: str, charge: Charge, currency: str) -> dict[str, Any]:
    return {
        kind_key: charge.kind,
        amount_key: {"CurrencyCode": currency, "CurrencyAmount": charge.cents / 100},
    }


def finances_wrapper(variant: int) -> tuple[str, str]:
    """Text before and after the refund list: the whole response, its payload, or
    FinancialEvents itself (spec §1 accepts all three)."""
    events_open = '{"ShipmentEventList": [], "RefundEventList": [\n'
    events_close = '\n], "AdjustmentEventList": []}'
    if variant == 0:
        return '{"payload": {"FinancialEvents": ' + events_open, events_close + "}}\n"
    if variant == 1:
        return '{"FinancialEvents": ' + events_open, events_close + "}\n"
    return events_open, events_close + "\n"


def shipments_response(shipments: Iterable[Shipment]) -> dict[str, Any]:
    """A ``getShipments`` response."""
    return {"payload": {"ShipmentData": [
        {
            "ShipmentId": s.shipment_id,
            "ShipmentName": s.name,
            "ShipFromAddress": _SHIP_FROM["US" if s.market.code == "US" else "EU"],
            "DestinationFulfillmentCenterId": s.fc,
            "ShipmentStatus": s.status,
            "LabelPrepType": "SELLER_LABEL",
            "AreCasesRequired": all(item.in_case > 1 for item in s.items),
            "ConfirmedNeedByDate": (s.created + timedelta(days=21)).isoformat(),
            "BoxContentsSource": "INTERACTIVE",
        }
        for s in shipments
    ]}}  # fmt: skip


def items_response(shipments: Iterable[Shipment]) -> dict[str, Any]:
    """A ``getShipmentItemsByShipmentId`` (one shipment) or ``getShipmentItems`` response."""
    return {"payload": {"ItemData": [
        {
            "ShipmentId": s.shipment_id,
            "SellerSKU": item.product.sku,
            "FulfillmentNetworkSKU": item.product.fnsku,
            "QuantityShipped": item.shipped,
            "QuantityReceived": item.received,
            "QuantityInCase": item.in_case,
            "PrepDetailsList": [],
        }
        for s in shipments
        for item in s.items
    ]}}  # fmt: skip


def cost_rows(catalog: Catalog) -> list[list[str]]:
    """The seller's costs file: only the products with a known cost."""
    return sorted(
        [p.sku, p.cost.unit_cost, p.cost.currency] for p in catalog.products if p.cost is not None
    )


def notes_text(catalog: Catalog, as_of: date, shipments: list[Shipment]) -> str:
    """Seller notes that sit in the folder: not a report, the reader must skip them."""
    short = next((s for s in shipments if s.status == "CLOSED"), None)
    scope = catalog.roles.get("lost-high-cost")
    lines = [
        f"Notes – updated {as_of:%d %b %Y}",
        "",
        "* Supplier invoices are in Dropbox/Invoices/2026, one PDF per PO.",
        "* Costs in costs.csv are landed costs per unit (freight included) – check with Jürgen.",
    ]
    if short is not None:
        lines.append(f"* {short.shipment_id} ({short.fc}) looked short when it closed; "
                     "BOL and packing slips are in the shipment folder.")  # fmt: skip
    if scope is not None:
        lines.append(f"* {scope.sku}: high-value item, insure every inbound box.")
    lines += ["* Q4: raise MUG prices by 1.00 before Black Friday.", ""]
    return "\n".join(lines)
