"""DHL Shipment Tracking - Unified answers -> ``Tracking`` (pure).

Shapes from DHL's spec (research apis.md §1b; karrio's ``dhl_universal`` sample):
``shipments[]`` with ``status`` and ``events[]`` (``timestamp``, ``location.address``,
``statusCode`` in pre-transit/transit/delivered/failure/unknown, ``status``, ``description``),
``estimatedTimeOfDelivery``, ``service`` and ``details.proofOfDelivery`` (``signed.name``,
``signatureUrl``, ``documentUrl``). Errors are RFC 7807 problems:
``{"status", "title", "detail"}``; an unknown number is a 404 "No result found".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests

from connectors.carriers import models
from connectors.carriers.models import ProofOfDelivery, Tracking, TrackingEvent
from connectors.carriers.values import items, join_place, mapping, parse_time, text

CARRIER = models.DHL

STATUS_CODES: Mapping[str, str] = {
    "pre-transit": models.PENDING,
    "transit": models.IN_TRANSIT,
    "delivered": models.DELIVERED,
    "failure": models.DELIVERY_FAILED,
    "unknown": models.UNKNOWN,
}
# statusCode is coarse; DHL's words (``status``/``description``) say more. First match wins.
STATUS_WORDS: tuple[tuple[str, str], ...] = (
    ("returned to shipper", models.RETURN_TO_SENDER),
    ("return to sender", models.RETURN_TO_SENDER),
    ("returned to sender", models.RETURN_TO_SENDER),
    ("being returned", models.RETURN_TO_SENDER),
    ("out for delivery", models.OUT_FOR_DELIVERY),
    ("with delivery courier", models.OUT_FOR_DELIVERY),
    ("ready for pickup", models.READY_FOR_PICKUP),
    ("available for pickup", models.READY_FOR_PICKUP),
    ("on hold", models.ON_HOLD),
    ("clearance delay", models.ON_HOLD),
    ("cancelled", models.CANCELLED),
    ("picked up", models.PICKED_UP),
)


def read_error(response: requests.Response) -> tuple[str, str]:
    """(status, detail) of a DHL problem answer."""
    try:
        body = mapping(response.json())
    except ValueError:
        return "", f"HTTP {response.status_code}"
    detail = text(body.get("detail")) or text(body.get("title")) or f"HTTP {response.status_code}"
    return str(body.get("status", response.status_code)), detail


def status_of(code: str | None, words: str | None) -> str:
    lowered = (words or "").lower()
    base = STATUS_CODES.get((code or "").lower(), models.UNKNOWN)
    if base == models.DELIVERED and "return" not in lowered:
        return base
    for word, normalized in STATUS_WORDS:
        if word in lowered:
            return normalized
    return base


def parse_tracking(body: Any, number: str) -> Tracking:
    shipments = items(mapping(body).get("shipments"))
    if not shipments:
        return Tracking.not_found(CARRIER, number)
    shipment = mapping(shipments[0])
    current = mapping(shipment.get("status"))
    words = " ".join(filter(None, (text(current.get("status")), text(current.get("description")))))
    status = status_of(text(current.get("statusCode")), words)
    events = sorted(
        (e for e in (_event(mapping(raw)) for raw in items(shipment.get("events"))) if e),
        key=lambda e: e.time,
        reverse=True,
    )
    estimated = parse_time(text(shipment.get("estimatedTimeOfDelivery"))) or parse_time(
        text(mapping(shipment.get("estimatedDeliveryTimeFrame")).get("estimatedThrough"))
    )
    details = mapping(shipment.get("details"))
    delivered_at = None
    proof = None
    if status == models.DELIVERED:
        pod = mapping(details.get("proofOfDelivery"))
        delivered_at = parse_time(text(pod.get("timestamp"))) or parse_time(
            text(current.get("timestamp"))
        )
        proof = _proof(pod)
    return Tracking(
        carrier=CARRIER,
        number=text(shipment.get("id")) or number,
        status=status,
        status_detail=text(current.get("description")) or text(current.get("status")),
        events=tuple(events),
        estimated_delivery=None if status == models.DELIVERED else estimated,
        delivered_at=delivered_at,
        proof_of_delivery=proof,
        service=text(mapping(details.get("product")).get("productName"))
        or text(shipment.get("service")),
    )


def _event(event: Mapping[str, Any]) -> TrackingEvent | None:
    moment = parse_time(text(event.get("timestamp")))
    if moment is None:
        return None
    address = mapping(mapping(event.get("location")).get("address"))
    return TrackingEvent(
        time=moment,
        description=text(event.get("description")) or text(event.get("status")) or "",
        place=join_place(address.get("addressLocality"), address.get("countryCode")),
        code=text(event.get("statusCode")),
    )


def _proof(pod: Mapping[str, Any]) -> ProofOfDelivery | None:
    signed = mapping(pod.get("signed"))
    name = text(signed.get("name")) or " ".join(
        filter(None, (text(signed.get("givenName")), text(signed.get("familyName"))))
    )
    photo = text(pod.get("signatureUrl")) or text(pod.get("documentUrl"))
    if not name and not photo:
        return None
    return ProofOfDelivery(signed_by=name or None, photo_url=photo)
