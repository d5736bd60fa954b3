"""FedEx in the carrier sandbox: OAuth (form client credentials) and Track API v1.

Answers follow ``TrackingNumbers-Resource.json`` (research apis.md §1b): up to 30
``trackingInfo`` per call, ``output.completeTrackResults[].trackResults[]`` with
``latestStatusDetail``, ``dateAndTimes``, ``deliveryDetails`` and ``scanEvents``; an unknown
number is a result with ``error`` inside a 200. Call errors are ``{"transactionId", "errors":
[{"code", "message"}]}`` with the spec's example codes; the 429 code is [U].
"""

from __future__ import annotations

import hmac
import uuid
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from connectors.carriers import sandbox_data as data
from connectors.carriers.fedex.settings import MAX_NUMBERS

if TYPE_CHECKING:
    from connectors.carriers.sandbox import CarrierSandbox, Reply, Request

_LOCAL = timezone(timedelta(hours=-5))

ERRORS = {
    "unauthorized": (
        "NOT.AUTHORIZED.ERROR",
        "Access token expired. Please modify your request and try again.",
    ),
    "forbidden": ("FORBIDDEN.ERROR", "We could not authorize your credentials."),
    "rate_limited": (
        "TOO.MANY.REQUESTS.ERROR",
        "We have received too many requests in a short duration. Please wait and try again.",
    ),
    "not_found": ("NOT.FOUND.ERROR", "The resource you requested is no longer available."),
    "bad_request": ("TRACKING.TRACKINGNUMBER.EMPTY", "Please provide tracking number."),
    "server": (
        "INTERNAL.SERVER.ERROR",
        "We encountered an unexpected error and are working to resolve the issue.",
    ),
}
NOT_FOUND = (
    "TRACKING.TRACKINGNUMBER.NOTFOUND",
    "Tracking number cannot be found. Please correct the tracking number and try again.",
)

# stage -> (code, description, exception description)
STAGES: dict[str, tuple[str, str, str]] = {
    data.LABEL_CREATED: ("OC", "Shipment information sent to FedEx", ""),
    data.PICKED_UP: ("PU", "Picked up", ""),
    data.DEPARTED: ("DP", "Departed FedEx location", ""),
    data.ARRIVED: ("AR", "Arrived at FedEx location", ""),
    data.OUT_FOR_DELIVERY: ("OD", "On FedEx vehicle for delivery", ""),
    data.DELIVERED: ("DL", "Delivered", ""),
    data.ATTEMPT_FAILED: ("DE", "Delivery exception", "Customer not available or business closed"),
    data.HELD: ("SE", "Shipment exception", "Operational delay"),
    data.READY_FOR_PICKUP: ("HP", "Ready for recipient pickup", ""),
    data.RETURNING: ("RS", "Return to shipper", "Refused by recipient"),
    data.RETURNED_TO_SENDER: ("RS", "Returned to shipper", ""),
    data.LABEL_CANCELLED: ("CA", "Shipment cancelled by sender", ""),
}


def error(status: int, kind: str) -> Reply:
    from connectors.carriers.sandbox import json_reply

    code, message = ERRORS.get(kind, ERRORS["server"])
    return json_reply(
        status,
        {"transactionId": str(uuid.uuid4()), "errors": [{"code": code, "message": message}]},
    )


def route_of(method: str, path: str) -> str | None:
    if method == "POST" and path == "/oauth/token":
        return "token"
    if method == "POST" and path == "/track/v1/trackingnumbers":
        return "track"
    return None


def token(sandbox: CarrierSandbox, request: Request) -> Reply:
    from connectors.carriers.sandbox import json_reply

    form = request.form()
    expected_id, expected_secret = sandbox.credentials.client("fedex")
    if form.get("grant_type") != "client_credentials":
        return _errors(400, "BAD.REQUEST.ERROR", "The grant_type must be client_credentials.")
    if form.get("client_id") != expected_id or not hmac.compare_digest(
        form.get("client_secret", ""), expected_secret
    ):
        return _errors(
            401,
            "NOT.AUTHORIZED.ERROR",
            "The given client credentials were not valid. Please modify your request and try "
            "again.",
        )
    access, lifetime = sandbox.issue_token("fedex", expected_id)
    return json_reply(
        200,
        {"access_token": access, "token_type": "bearer", "expires_in": lifetime, "scope": "CXS"},
    )


def authenticate(sandbox: CarrierSandbox, request: Request) -> str | None:
    return sandbox.token_owner("fedex", request.headers)


def answer(sandbox: CarrierSandbox, route: str, request: Request) -> Reply:
    from connectors.carriers.sandbox import json_reply

    try:
        body = request.json()
    except ValueError:
        return _errors(400, "INVALID.INPUT.EXCEPTION", "Invalid field value in the input")
    infos = body.get("trackingInfo") if isinstance(body, dict) else None
    if not isinstance(body, dict) or not isinstance(body.get("includeDetailedScans"), bool):
        return _errors(400, "INVALID.INPUT.EXCEPTION", "includeDetailedScans is required")
    if not isinstance(infos, list) or not infos:
        return error(400, "bad_request")
    if len(infos) > MAX_NUMBERS:
        return _errors(
            400,
            "TRACKING.TRACKINGNUMBER.LIMIT.EXCEEDED",
            f"Please provide at most {MAX_NUMBERS} tracking numbers per request.",
        )
    results = []
    detailed = body["includeDetailedScans"]
    for info in infos:
        number = (
            info.get("trackingNumberInfo", {}).get("trackingNumber")
            if isinstance(info, dict)
            else None
        )
        if not isinstance(number, str) or not number.strip():
            return error(400, "bad_request")
        results.append(_complete(sandbox, number.strip().upper(), detailed))
    return json_reply(
        200,
        {
            "transactionId": str(uuid.uuid4()),
            "customerTransactionId": request.headers.get("x-customer-transaction-id", ""),
            "output": {"completeTrackResults": results},
        },
    )


def _complete(sandbox: CarrierSandbox, number: str, detailed: bool) -> dict[str, Any]:
    shipment = sandbox.shipment("fedex", number)
    scans = data.milestones(shipment, sandbox.now()) if shipment else []
    if shipment is None or not scans:
        code, message = NOT_FOUND
        result: dict[str, Any] = {
            "trackingNumberInfo": {
                "trackingNumber": number,
                "trackingNumberUniqueId": "",
                "carrierCode": "",
            },
            "error": {"code": code, "message": message},
        }
        return {"trackingNumber": number, "trackResults": [result]}
    latest = scans[-1]
    code, description, exception = STAGES[latest.stage]
    times = [
        {"type": "ACTUAL_PICKUP", "dateTime": _time(m.time)}
        for m in scans
        if m.stage == data.PICKED_UP
    ]
    result = {
        "trackingNumberInfo": {
            "trackingNumber": number,
            "trackingNumberUniqueId": f"12029~{number}~FDEG",
            "carrierCode": "FDXG",
        },
        "latestStatusDetail": {
            "code": code,
            "derivedCode": code,
            "statusByLocale": description,
            "description": description,
            "scanLocation": _location(latest.place),
            "ancillaryDetails": [{"reason": "", "reasonDescription": exception}]
            if exception
            else [],
        },
        "serviceDetail": {
            "type": "FEDEX_GROUND",
            "description": shipment.service or "FedEx Ground",
        },
        "scanEvents": [_scan(m) for m in reversed(scans)] if detailed else [],
        "dateAndTimes": times,
    }
    if latest.stage == data.DELIVERED:
        times.append({"type": "ACTUAL_DELIVERY", "dateTime": _time(latest.time)})
        result["deliveryDetails"] = {
            "receivedByName": shipment.signer(),
            "locationDescription": shipment.door_name(),
            "deliveryAttempts": "0",
            "actualDeliveryAddress": _location(latest.place),
        }
        result["availableImages"] = [{"type": "SIGNATURE_PROOF_OF_DELIVERY"}]
    elif latest.stage not in (data.LABEL_CANCELLED, data.RETURNING, data.RETURNED_TO_SENDER):
        due = shipment.due()
        times.append({"type": "ESTIMATED_DELIVERY", "dateTime": _time(due)})
        result["estimatedDeliveryTimeWindow"] = {
            "window": {"begins": _time(due - timedelta(hours=4)), "ends": _time(due)}
        }
    return {"trackingNumber": number, "trackResults": [result]}


def _scan(milestone: data.Milestone) -> dict[str, Any]:
    code, description, exception = STAGES[milestone.stage]
    return {
        "date": _time(milestone.time),
        "eventType": code,
        "eventDescription": description,
        "exceptionCode": "08" if exception else "",
        "exceptionDescription": exception,
        "scanLocation": _location(milestone.place),
        "locationType": "FEDEX_FACILITY",
        "derivedStatusCode": code,
        "derivedStatus": description,
    }


def _location(place: data.Place) -> dict[str, Any]:
    return {
        "city": place.city,
        "stateOrProvinceCode": place.region,
        "postalCode": place.postal_code,
        "countryCode": place.country,
        "residential": False,
    }


def _time(moment: datetime) -> str:
    return moment.astimezone(_LOCAL).isoformat(timespec="seconds")


def _errors(status: int, code: str, message: str) -> Reply:
    from connectors.carriers.sandbox import json_reply

    return json_reply(
        status,
        {"transactionId": str(uuid.uuid4()), "errors": [{"code": code, "message": message}]},
    )
