"""DHL in the carrier sandbox: Shipment Tracking - Unified (``GET /track/shipments``).

The key comes in the ``DHL-API-Key`` header; answers follow DHL's spec (research apis.md §1b):
``{"shipments": [{id, service, origin, destination, status, estimatedTimeOfDelivery, details,
events}], "possibleAdditionalShipmentsUrl"}``; errors are RFC 7807 problems
(``application/problem+json``: ``status``, ``title``, ``detail``).
"""

from __future__ import annotations

import hmac
import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from connectors.carriers import sandbox_data as data

if TYPE_CHECKING:
    from connectors.carriers.sandbox import CarrierSandbox, Reply, Request

SERVICE = "express"
ERRORS = {
    "unauthorized": ("Unauthorized", "Unauthorized for given resource."),
    "forbidden": ("Forbidden", "Forbidden for given resource."),
    "rate_limited": ("Too many requests", "Too many requests. Please try again later."),
    "not_found": ("No result found", "No shipment with given tracking number found."),
    "bad_request": ("Bad request", "Invalid request."),
    "server": ("Internal Server Error", "An unexpected error occurred."),
}

# stage -> (statusCode, status, description)
STAGES: dict[str, tuple[str, str, str]] = {
    data.LABEL_CREATED: (
        "pre-transit",
        "SHIPMENT INFORMATION RECEIVED",
        "The shipment data has been received electronically",
    ),
    data.PICKED_UP: ("transit", "PICKED UP", "Shipment picked up"),
    data.DEPARTED: ("transit", "PROCESSED", "Departed Facility in {city}"),
    data.ARRIVED: ("transit", "PROCESSED", "Arrived at Delivery Facility in {city}"),
    data.OUT_FOR_DELIVERY: ("transit", "WITH DELIVERY COURIER", "With delivery courier"),
    data.DELIVERED: ("delivered", "DELIVERED", "Delivered"),
    data.ATTEMPT_FAILED: (
        "failure",
        "DELIVERY ATTEMPT FAILED",
        "Delivery attempted; recipient not home",
    ),
    data.HELD: ("transit", "ON HOLD", "Shipment on hold: clearance delay"),
    data.READY_FOR_PICKUP: ("transit", "READY FOR PICKUP", "Ready for pickup at DHL ServicePoint"),
    data.RETURNING: ("transit", "RETURNING", "Shipment is being returned to shipper"),
    data.RETURNED_TO_SENDER: ("delivered", "RETURNED", "Returned to shipper"),
    data.LABEL_CANCELLED: ("unknown", "CANCELLED", "Shipment cancelled by the shipper"),
}


def error(status: int, kind: str) -> Reply:
    title, detail = ERRORS.get(kind, ERRORS["server"])
    return _problem(status, title, detail)


def route_of(method: str, path: str) -> str | None:
    if method == "GET" and path == "/track/shipments":
        return "track"
    return None


def authenticate(sandbox: CarrierSandbox, request: Request) -> str | None:
    key = request.headers.get("dhl-api-key", "")
    expected = sandbox.credentials.dhl_api_key
    return expected if key and hmac.compare_digest(key, expected) else None


def answer(sandbox: CarrierSandbox, route: str, request: Request) -> Reply:
    number = (request.param("trackingNumber") or "").strip().upper()
    if not number:
        return _problem(400, "Bad request", "Missing required parameter trackingNumber.")
    service = request.param("service")
    shipment = sandbox.shipment("dhl", number)
    scans = data.milestones(shipment, sandbox.now()) if shipment else []
    if shipment is None or not scans or service not in (None, "", SERVICE):
        return error(404, "not_found")
    from connectors.carriers.sandbox import json_reply

    return json_reply(
        200, {"shipments": [_shipment(shipment, scans)], "possibleAdditionalShipmentsUrl": []}
    )


def _shipment(shipment: data.Shipment, scans: list[data.Milestone]) -> dict[str, Any]:
    origin, _, _, destination = shipment.places()
    latest = scans[-1]
    details: dict[str, Any] = {
        "product": {"productName": shipment.service or "DHL Express Worldwide"},
        "proofOfDeliverySignedAvailable": latest.stage == data.DELIVERED,
        "totalNumberOfPieces": 1,
        "pieceIds": [f"JD014600{shipment.number}"],
    }
    found: dict[str, Any] = {
        "id": shipment.number,
        "service": SERVICE,
        "origin": {"address": _address(origin)},
        "destination": {"address": _address(destination)},
        "status": _event(latest),
        "details": details,
        "events": [_event(m) for m in reversed(scans)],
    }
    if latest.stage == data.DELIVERED:
        details["proofOfDelivery"] = {
            "timestamp": _time(latest.time),
            "signatureUrl": f"https://proofofdelivery.dhl.com/signature/{shipment.number}",
            "documentUrl": f"https://proofofdelivery.dhl.com/document/{shipment.number}",
            "signed": {"name": shipment.signer()},
        }
    elif latest.stage not in (data.LABEL_CANCELLED, data.RETURNING, data.RETURNED_TO_SENDER):
        found["estimatedTimeOfDelivery"] = _time(shipment.due())
    return found


def _event(milestone: data.Milestone) -> dict[str, Any]:
    code, status, description = STAGES[milestone.stage]
    return {
        "timestamp": _time(milestone.time),
        "location": {"address": _address(milestone.place)},
        "statusCode": code,
        "status": status,
        "description": description.format(city=milestone.place.city.upper()),
    }


def _address(place: data.Place) -> dict[str, str]:
    return {
        "countryCode": place.country,
        "postalCode": place.postal_code,
        "addressLocality": place.city,
    }


def _time(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _problem(status: int, title: str, detail: str) -> Reply:
    from connectors.carriers.sandbox import Reply

    body = {"type": "about:blank", "status": status, "title": title, "detail": detail}
    return Reply(status, json.dumps(body).encode(), "application/problem+json")
