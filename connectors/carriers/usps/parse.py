"""USPS Tracking 3.2 answers -> ``Tracking`` (pure).

Each tracked item has the v3 ``TrackingResponse`` fields (karrio's
``schemas/tracking_response.json``): ``status``, ``statusCategory``, ``statusSummary``,
``expectedDeliveryTimeStamp``/``predictedDeliveryTimeStamp``, ``mailClass`` and
``trackingEvents[]`` (``eventType``, ``eventTimestamp`` local with ``GMTOffset``,
``GMTTimestamp``, ``eventCity``/``eventState``/``eventCountry``, ``name``, ``eventCode``).
Tracking 3.2 takes and returns an array [U]; an item USPS cannot find carries
``error: {code, message}`` [U]. Errors of the whole call: ``{"apiVersion", "error": {"code",
"message", "errors": [...]}}``; the token endpoint's: ``{"error", "error_description"}``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import requests

from connectors.carriers import models
from connectors.carriers.models import ProofOfDelivery, Tracking, TrackingEvent
from connectors.carriers.values import items, join_place, mapping, parse_time, text

CARRIER = models.USPS

# statusCategory, the coarse word USPS puts on every item.
CATEGORIES: Mapping[str, str] = {
    "pre-shipment": models.PENDING,
    "accepted": models.PICKED_UP,
    "in transit": models.IN_TRANSIT,
    "usps in possession of item": models.IN_TRANSIT,
    "out for delivery": models.OUT_FOR_DELIVERY,
    "delivered": models.DELIVERED,
    "available for pickup": models.READY_FOR_PICKUP,
    "delivery attempt": models.DELIVERY_FAILED,
    "alert": models.ON_HOLD,
}
# Words in ``status`` that say more than the category (an "Alert" is many things).
STATUS_WORDS: tuple[tuple[str, str], ...] = (
    ("return to sender", models.RETURN_TO_SENDER),
    ("returned to sender", models.RETURN_TO_SENDER),
    ("to original sender", models.RETURN_TO_SENDER),
    ("label cancelled", models.CANCELLED),
    ("refused", models.RETURN_TO_SENDER),
    ("undeliverable", models.DELIVERY_FAILED),
    ("notice left", models.DELIVERY_FAILED),
    ("no access", models.DELIVERY_FAILED),
)


def read_error(response: requests.Response) -> tuple[str, str]:
    """(code, message) of a USPS error answer (API or OAuth shape)."""
    try:
        body = mapping(response.json())
    except ValueError:
        return "", f"HTTP {response.status_code}"
    error = body.get("error")
    if isinstance(error, Mapping):
        return str(error.get("code", "")), str(error.get("message", "")) or "error"
    if isinstance(error, str):
        return error, str(body.get("error_description", "")) or error
    return "", f"HTTP {response.status_code}"


def status_of(category: str | None, status: str | None) -> str:
    words = (status or "").lower()
    for word, normalized in STATUS_WORDS:
        if word in words:
            return normalized
    return CATEGORIES.get((category or "").strip().lower(), models.UNKNOWN)


def parse_trackings(body: Any, numbers: Sequence[str]) -> list[Tracking]:
    """One ``Tracking`` per asked number, in order (not found when USPS left it out)."""
    answers = body if isinstance(body, list) else [body]
    found: dict[str, Tracking] = {}
    for answer in answers:
        answer = mapping(answer)
        number = text(answer.get("trackingNumber"))
        if number:
            found[number.upper()] = parse_item(answer, number.upper())
    return [found.get(n) or Tracking.not_found(CARRIER, n) for n in numbers]


def parse_item(item: Mapping[str, Any], number: str) -> Tracking:
    error = mapping(item.get("error"))
    if error:
        return Tracking.not_found(CARRIER, number, text(error.get("message")))
    dated: list[tuple[Mapping[str, Any], TrackingEvent]] = []
    for raw in items(item.get("trackingEvents")):
        event = _event(mapping(raw))
        if event is not None:
            dated.append((mapping(raw), event))
    dated.sort(key=lambda pair: pair[1].time, reverse=True)
    events = tuple(event for _, event in dated)
    status = status_of(text(item.get("statusCategory")), text(item.get("status")))
    estimated = parse_time(text(item.get("expectedDeliveryTimeStamp"))) or parse_time(
        text(item.get("predictedDeliveryTimeStamp"))
    )
    delivered_at = None
    proof = None
    if status == models.DELIVERED and dated:
        raw_event, latest = dated[0]
        delivered_at = latest.time
        proof = _proof(raw_event)
    return Tracking(
        carrier=CARRIER,
        number=number,
        status=status,
        status_detail=text(item.get("status")) or text(item.get("statusSummary")),
        events=events,
        estimated_delivery=None if status == models.DELIVERED else estimated,
        delivered_at=delivered_at,
        proof_of_delivery=proof,
        service=text(item.get("mailClass")),
    )


def _event(event: Mapping[str, Any]) -> TrackingEvent | None:
    moment = parse_time(text(event.get("GMTTimestamp"))) or parse_time(
        text(event.get("eventTimestamp")), text(event.get("GMTOffset"))
    )
    if moment is None:
        return None
    return TrackingEvent(
        time=moment,
        description=text(event.get("eventType")) or "",
        place=join_place(
            event.get("eventCity"), event.get("eventState"), event.get("eventCountry") or None
        ),
        code=text(event.get("eventCode")),
    )


def _proof(event: Mapping[str, Any]) -> ProofOfDelivery | None:
    """USPS names who took the item (``name``, ``firm``) and where, after the comma of
    ``eventType`` (``"Delivered, Front Door/Porch"``)."""
    kind = text(event.get("eventType")) or ""
    location = text(kind.partition(",")[2])
    signed_by = text(event.get("name")) or text(event.get("firm"))
    if not signed_by and not location:
        return None
    return ProofOfDelivery(signed_by=signed_by, location=location)
