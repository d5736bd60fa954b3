"""FedEx Track API v1 answers -> ``Tracking`` (pure).

Shapes from FedEx's ``TrackingNumbers-Resource.json`` (research apis.md §1b):
``output.completeTrackResults[].trackResults[]`` with ``latestStatusDetail`` (``code``,
``derivedCode``, ``description``, ``scanLocation``), ``dateAndTimes[]`` (``ACTUAL_DELIVERY``,
``ESTIMATED_DELIVERY`` …), ``estimatedDeliveryTimeWindow``, ``deliveryDetails``
(``receivedByName``, ``locationDescription``) and ``scanEvents[]``. A number FedEx does not know
comes back inside a 200 as the result's ``error`` (``TRACKING.TRACKINGNUMBER.NOTFOUND``).
Errors of the whole call: ``{"transactionId", "errors": [{"code", "message"}]}``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import requests

from connectors.carriers import models
from connectors.carriers.models import ProofOfDelivery, Tracking, TrackingEvent
from connectors.carriers.values import items, join_place, mapping, parse_time, text

CARRIER = models.FEDEX

# latestStatusDetail.code / scanEvents[].derivedStatusCode (karrio's table as a checklist;
# codes not listed are movements: in transit).
STATUS_CODES: Mapping[str, str] = {
    "OC": models.PENDING,  # order created: label printed, not tendered
    "CA": models.CANCELLED,
    "PU": models.PICKED_UP,
    "PX": models.PICKED_UP,
    "OD": models.OUT_FOR_DELIVERY,
    "DL": models.DELIVERED,
    "DE": models.DELIVERY_FAILED,  # delivery exception
    "SE": models.ON_HOLD,  # shipment exception
    "CD": models.ON_HOLD,  # clearance delay
    "HL": models.READY_FOR_PICKUP,  # held at a FedEx location
    "HP": models.READY_FOR_PICKUP,  # ready for recipient pickup
    "RS": models.RETURN_TO_SENDER,
}


def read_error(response: requests.Response) -> tuple[str, str]:
    """(code, message) of a FedEx error answer."""
    try:
        body = response.json()
    except ValueError:
        return "", f"HTTP {response.status_code}"
    errors = items(mapping(body).get("errors"))
    if not errors:
        return "", f"HTTP {response.status_code}"
    first = mapping(errors[0])
    return str(first.get("code", "")), str(first.get("message", "")) or "error"


def status_of(code: str | None) -> str:
    if not code:
        return models.UNKNOWN
    return STATUS_CODES.get(code.upper(), models.IN_TRANSIT)


def parse_trackings(body: Any, numbers: Sequence[str]) -> list[Tracking]:
    """One ``Tracking`` per asked number, in order (not found when FedEx left it out)."""
    found: dict[str, Tracking] = {}
    for complete in items(mapping(mapping(body).get("output")).get("completeTrackResults")):
        complete = mapping(complete)
        results = items(complete.get("trackResults"))
        number = text(complete.get("trackingNumber"))
        if not number or not results:
            continue
        found[number] = parse_result(mapping(results[0]), number)
    return [found.get(n) or Tracking.not_found(CARRIER, n) for n in numbers]


def parse_result(result: Mapping[str, Any], number: str) -> Tracking:
    error = mapping(result.get("error"))
    if error:
        return Tracking.not_found(CARRIER, number, text(error.get("message")))
    latest = mapping(result.get("latestStatusDetail"))
    status = status_of(text(latest.get("derivedCode")) or text(latest.get("code")))
    events = sorted(
        (e for e in (_event(mapping(s)) for s in items(result.get("scanEvents"))) if e),
        key=lambda e: e.time,
        reverse=True,
    )
    times = {
        text(mapping(d).get("type")): parse_time(text(mapping(d).get("dateTime")))
        for d in items(result.get("dateAndTimes"))
    }
    window = mapping(mapping(result.get("estimatedDeliveryTimeWindow")).get("window"))
    estimated = times.get("ESTIMATED_DELIVERY") or parse_time(text(window.get("ends")))
    delivered_at = times.get("ACTUAL_DELIVERY") if status == models.DELIVERED else None
    if status == models.DELIVERED and delivered_at is None and events:
        delivered_at = events[0].time
    return Tracking(
        carrier=CARRIER,
        number=number,
        status=status,
        status_detail=text(latest.get("description")) or text(latest.get("statusByLocale")),
        events=tuple(events),
        estimated_delivery=None if status == models.DELIVERED else estimated,
        delivered_at=delivered_at,
        proof_of_delivery=_proof(result) if status == models.DELIVERED else None,
        service=text(mapping(result.get("serviceDetail")).get("description")),
    )


def _event(scan: Mapping[str, Any]) -> TrackingEvent | None:
    moment = parse_time(text(scan.get("date")))
    if moment is None:
        return None
    where = mapping(scan.get("scanLocation"))
    description = text(scan.get("eventDescription")) or ""
    exception = text(scan.get("exceptionDescription"))
    if exception:
        description = f"{description}: {exception}" if description else exception
    return TrackingEvent(
        time=moment,
        description=description,
        place=join_place(
            where.get("city"), where.get("stateOrProvinceCode"), where.get("countryCode")
        ),
        code=text(scan.get("eventType")),
    )


def _proof(result: Mapping[str, Any]) -> ProofOfDelivery | None:
    details = mapping(result.get("deliveryDetails"))
    signed_by = text(details.get("receivedByName")) or text(details.get("signedByName"))
    location = text(details.get("locationDescription"))
    if not signed_by and not location:
        return None
    return ProofOfDelivery(signed_by=signed_by, location=location)
