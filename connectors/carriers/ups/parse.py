"""UPS Track API v1 answers -> ``Tracking`` (pure).

Shapes from UPS-API/api-documentation ``Tracking.yaml``: ``trackResponse.shipment[].package[]``
with ``activity[]`` (``status.type``/``code``/``statusCode``, ``date``/``time`` local,
``gmtDate``/``gmtTime``/``gmtOffset``), ``currentStatus``, ``deliveryDate[]``,
``deliveryTime`` and ``deliveryInformation`` (``receivedBy``, ``location``, ``signature``).
Errors: ``{"response": {"errors": [{"code", "message"}]}}``; an unknown number is ``TW0001``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import requests

from connectors.carriers import models
from connectors.carriers.models import ProofOfDelivery, Tracking, TrackingEvent
from connectors.carriers.values import items, join_place, mapping, text, zone

CARRIER = models.UPS
# An unknown number (TW0001) and one UPS refuses as malformed (151018 [U]): no parcel.
NOT_FOUND_CODES = frozenset({"TW0001", "151018"})

# activity.status.type (the spec's enum, with karrio's table as a checklist).
STATUS_TYPES: Mapping[str, str] = {
    "M": models.PENDING,  # manifest: billing information received, label created
    "MV": models.CANCELLED,  # manifest voided
    "P": models.PICKED_UP,
    "I": models.IN_TRANSIT,
    "DO": models.IN_TRANSIT,  # delivered to origin CFS (freight)
    "DD": models.IN_TRANSIT,  # delivered to destination CFS
    "W": models.ON_HOLD,  # warehousing
    "X": models.DELIVERY_FAILED,  # exception
    "RS": models.RETURN_TO_SENDER,
    "D": models.DELIVERED,
    "NA": models.UNKNOWN,
}
# Finer statusCode values that override the type [U: from UPS's status-code list in karrio's
# vendors folder and UPS's web tracking; not in the OpenAPI file].
STATUS_CODES: Mapping[str, str] = {
    "003": models.PENDING,  # shipper created a label
    "021": models.OUT_FOR_DELIVERY,
    "011": models.DELIVERED,
}
# An exception (``X``) or movement (``I``) whose words say more; first match wins.
STATUS_WORDS: tuple[tuple[str, str], ...] = (
    ("access point", models.READY_FOR_PICKUP),
    ("return", models.RETURN_TO_SENDER),
    ("delay", models.ON_HOLD),
)


def read_error(response: requests.Response) -> tuple[str, str]:
    """(code, message) of a UPS error answer."""
    try:
        body = response.json()
    except ValueError:
        return "", f"HTTP {response.status_code}"
    return error_of(body) or ("", f"HTTP {response.status_code}")


def error_of(body: Any) -> tuple[str, str] | None:
    errors = items(mapping(mapping(body).get("response")).get("errors"))
    if not errors:
        return None
    first = mapping(errors[0])
    return str(first.get("code", "")), str(first.get("message", "")) or "error"


def status_of(status: Mapping[str, Any]) -> str:
    code = text(status.get("statusCode")) or ""
    if code in STATUS_CODES:
        return STATUS_CODES[code]
    kind = (text(status.get("type")) or "").upper()
    if kind in ("X", "I"):
        words = (text(status.get("description")) or "").lower()
        for word, normalized in STATUS_WORDS:
            if word in words:
                return normalized
    return STATUS_TYPES.get(kind, models.UNKNOWN)


def parse_tracking(body: Any, number: str) -> Tracking:
    """The first package of the answer for ``number`` (a not-found ``Tracking`` when UPS
    answered with ``TW0001``, as a warning or as an error)."""
    error = error_of(body)
    if error is not None:
        return Tracking.not_found(CARRIER, number, error[1])
    shipments = items(mapping(mapping(body).get("trackResponse")).get("shipment"))
    shipment = mapping(shipments[0]) if shipments else {}
    packages = items(shipment.get("package"))
    if not packages:
        warnings = items(shipment.get("warnings"))
        detail = text(mapping(warnings[0]).get("message")) if warnings else None
        return Tracking.not_found(CARRIER, number, detail)
    package = mapping(packages[0])
    events = sorted(
        (e for e in (_event(mapping(a)) for a in items(package.get("activity"))) if e),
        key=lambda e: e.time,
        reverse=True,
    )
    current = mapping(package.get("currentStatus"))
    activities = items(package.get("activity"))
    latest = mapping(mapping(activities[0]).get("status")) if activities else {}
    status = status_of(current) if current else status_of(latest)
    detail = text(current.get("description")) or text(latest.get("description"))
    delivered_at = None
    if status == models.DELIVERED:
        delivered_at = next(
            (e.time for e in events if e.kind == "D"), events[0].time if events else None
        )
    return Tracking(
        carrier=CARRIER,
        number=text(package.get("trackingNumber")) or number,
        status=status,
        status_detail=detail,
        events=tuple(e.event for e in events),
        estimated_delivery=_estimated(package) if status != models.DELIVERED else None,
        delivered_at=delivered_at,
        proof_of_delivery=_proof(package) if status == models.DELIVERED else None,
        service=text(mapping(package.get("service")).get("description")),
    )


class _Scan:
    __slots__ = ("event", "kind", "time")

    def __init__(self, event: TrackingEvent, kind: str):
        self.event = event
        self.kind = kind
        self.time = event.time


def _event(activity: Mapping[str, Any]) -> _Scan | None:
    moment = _moment(activity)
    if moment is None:
        return None
    status = mapping(activity.get("status"))
    address = mapping(mapping(activity.get("location")).get("address"))
    place = join_place(
        address.get("city"), address.get("stateProvince"), address.get("countryCode")
    )
    event = TrackingEvent(
        time=moment,
        description=text(status.get("description")) or "",
        place=place,
        code=text(status.get("statusCode")) or text(status.get("code")),
    )
    return _Scan(event, (text(status.get("type")) or "").upper())


def _moment(activity: Mapping[str, Any]) -> datetime | None:
    """``gmtDate``+``gmtTime`` when given (UTC), else local ``date``+``time`` at ``gmtOffset``."""
    gmt_date, gmt_time = text(activity.get("gmtDate")), text(activity.get("gmtTime"))
    if gmt_date and gmt_time:
        try:
            return datetime.strptime(f"{gmt_date} {gmt_time}", "%Y%m%d %H:%M:%S").replace(
                tzinfo=UTC
            )
        except ValueError:
            pass
    day, clock = text(activity.get("date")), text(activity.get("time")) or "000000"
    if not day:
        return None
    try:
        local = datetime.strptime(f"{day}{clock}", "%Y%m%d%H%M%S")
    except ValueError:
        return None
    return local.replace(tzinfo=zone(text(activity.get("gmtOffset"))) or UTC).astimezone(UTC)


def _estimated(package: Mapping[str, Any]) -> datetime | None:
    """The scheduled (``SDD``) or rescheduled (``RDD``) delivery day, at the end of the
    window from ``deliveryTime`` when there is one (UTC: UPS gives no zone for these)."""
    days = {
        text(mapping(d).get("type")): text(mapping(d).get("date"))
        for d in items(package.get("deliveryDate"))
    }
    day = days.get("RDD") or days.get("SDD")
    if not day:
        return None
    clock = text(mapping(package.get("deliveryTime")).get("endTime")) or "235959"
    try:
        return datetime.strptime(f"{day}{clock}", "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        return None


def _proof(package: Mapping[str, Any]) -> ProofOfDelivery | None:
    info = mapping(package.get("deliveryInformation"))
    if not info:
        return None
    signed_by = text(info.get("receivedBy"))
    location = text(info.get("location"))
    if not signed_by and not location:
        return None
    return ProofOfDelivery(signed_by=signed_by, location=location)
