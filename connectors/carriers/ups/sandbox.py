"""UPS in the carrier sandbox: OAuth (Basic auth, form ``grant_type``) and Track API v1.

Answers follow ``Tracking.yaml`` and ``OAuthClientCredentials.yaml`` (UPS-API/api-documentation):
``trackResponse.shipment[].package[]`` with ``activity[]`` newest first, ``currentStatus``,
``deliveryDate[]``, ``deliveryTime`` and ``deliveryInformation``; errors
``{"response": {"errors": [{"code", "message"}]}}``. The error codes other than ``TW0001`` and
the status codes of the scans are [U] (see ``ups/parse.py``).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from connectors.carriers import sandbox_data as data

if TYPE_CHECKING:
    from connectors.carriers.sandbox import CarrierSandbox, Reply, Request

_TRACK = re.compile(r"/api/track/v1/details/([^/]+)")
_LOCAL = timedelta(hours=-5)  # every scan is shown at UTC-05:00

ERRORS = {
    "unauthorized": ("250002", "Invalid Authentication Information."),
    "forbidden": ("250003", "Invalid Access License number"),
    "rate_limited": ("10429", "Too Many Requests"),
    "not_found": ("TW0001", "Tracking Information Not Found"),
    "bad_request": ("151018", "Invalid tracking number"),
    "server": ("10500", "Internal Server Error"),
}

# stage -> (type, code, statusCode, description)
STAGES: dict[str, tuple[str, str, str, str]] = {
    data.LABEL_CREATED: (
        "M",
        "MP",
        "003",
        "Shipper created a label, UPS has not received the package yet.",
    ),
    data.PICKED_UP: ("P", "XA", "038", "Pickup Scan"),
    data.DEPARTED: ("I", "DP", "005", "Departed from Facility"),
    data.ARRIVED: ("I", "AR", "005", "Arrived at Facility"),
    data.OUT_FOR_DELIVERY: ("I", "OT", "021", "Out For Delivery Today"),
    data.DELIVERED: ("D", "KB", "011", "DELIVERED"),
    data.ATTEMPT_FAILED: (
        "X",
        "48",
        "",
        "The receiver was not available for delivery. We'll make a second attempt.",
    ),
    data.HELD: ("X", "DY", "", "Delay: an operational issue at the facility has delayed it"),
    data.READY_FOR_PICKUP: (
        "X",
        "ZP",
        "",
        "Delivered to UPS Access Point, awaiting customer pickup",
    ),
    data.RETURNING: ("X", "RS", "", "Returning to sender: the receiver refused the delivery"),
    data.RETURNED_TO_SENDER: ("RS", "RS", "", "Returned to shipper"),
    data.LABEL_CANCELLED: ("MV", "MV", "", "Shipment voided"),
}


def error(status: int, kind: str) -> Reply:
    from connectors.carriers.sandbox import json_reply

    code, message = ERRORS.get(kind, ERRORS["server"])
    return json_reply(status, {"response": {"errors": [{"code": code, "message": message}]}})


def route_of(method: str, path: str) -> str | None:
    if method == "POST" and path == "/security/v1/oauth/token":
        return "token"
    if method == "GET" and _TRACK.fullmatch(path):
        return "track"
    return None


def token(sandbox: CarrierSandbox, request: Request) -> Reply:
    from connectors.carriers.sandbox import json_reply

    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    try:
        login = base64.b64decode(value, validate=True).decode() if scheme.lower() == "basic" else ""
    except (binascii.Error, UnicodeDecodeError):
        login = ""
    client_id, _, secret = login.partition(":")
    expected_id, expected_secret = sandbox.credentials.client("ups")
    if client_id != expected_id or not hmac.compare_digest(secret, expected_secret):
        return json_reply(
            401, {"response": {"errors": [{"code": "10401", "message": "ClientId is Invalid"}]}}
        )
    if request.form().get("grant_type") != "client_credentials":
        return json_reply(
            400,
            {"response": {"errors": [{"code": "10400", "message": "Invalid/Missing grant_type"}]}},
        )
    access, lifetime = sandbox.issue_token("ups", client_id)
    issued = int(sandbox.now().timestamp() * 1000)
    return json_reply(
        200,
        {
            "token_type": "Bearer",
            "issued_at": str(issued),
            "client_id": client_id,
            "access_token": access,
            "scope": "",
            "expires_in": str(lifetime),
            "refresh_count": "0",
            "status": "approved",
        },
    )


def authenticate(sandbox: CarrierSandbox, request: Request) -> str | None:
    return sandbox.token_owner("ups", request.headers)


def answer(sandbox: CarrierSandbox, route: str, request: Request) -> Reply:
    from connectors.carriers.sandbox import json_reply

    trans_id = request.headers.get("transid", "")
    if not trans_id or len(trans_id) > 32 or not request.headers.get("transactionsrc"):
        return json_reply(
            400,
            {
                "response": {
                    "errors": [{"code": "10001", "message": "Missing transId or transactionSrc"}]
                }
            },
        )
    match = _TRACK.fullmatch(request.path)
    assert match is not None
    number = match[1].upper()
    if not 7 <= len(number) <= 34:
        return error(400, "bad_request")
    shipment = sandbox.shipment("ups", number)
    now = sandbox.now()
    scans = data.milestones(shipment, now) if shipment else []
    if shipment is None or not scans:
        return error(404, "not_found")
    return json_reply(200, {"trackResponse": {"shipment": [_shipment(shipment, scans, number)]}})


def _shipment(shipment: data.Shipment, scans: list[data.Milestone], number: str) -> dict[str, Any]:
    latest = scans[-1]
    kind, code, status_code, description = STAGES[latest.stage]
    package: dict[str, Any] = {
        "trackingNumber": shipment.number,
        "activity": [_activity(m) for m in reversed(scans)],
        "currentStatus": {
            "description": description,
            "code": code,
            "statusCode": status_code,
            "type": kind,
            "simplifiedTextDescription": description,
        },
        "packageCount": 1,
        "service": {
            "code": "003",
            "levelCode": "GND",
            "description": shipment.service or "UPS Ground",
        },
        "weight": {"unitOfMeasurement": "LBS", "weight": "2.10"},
    }
    if latest.stage == data.DELIVERED:
        package["deliveryDate"] = [{"type": "DEL", "date": _day(latest.time)}]
        package["deliveryTime"] = {"type": "DEL", "endTime": _clock(latest.time)}
        package["deliveryInformation"] = {
            "receivedBy": shipment.signer(),
            "location": shipment.door_name(),
            "signature": {"image": ""},
        }
    elif latest.stage not in (data.LABEL_CANCELLED, data.RETURNED_TO_SENDER, data.RETURNING):
        package["deliveryDate"] = [{"type": "SDD", "date": _day(shipment.due())}]
        package["deliveryTime"] = {"type": "EOD", "endTime": "233000"}
    return {"inquiryNumber": number, "package": [package]}


def _activity(milestone: data.Milestone) -> dict[str, Any]:
    kind, code, status_code, description = STAGES[milestone.stage]
    place = milestone.place
    return {
        "location": {
            "address": {
                "city": place.city,
                "stateProvince": place.region,
                "postalCode": place.postal_code,
                "countryCode": place.country,
                "country": place.country,
            },
            "slic": "",
        },
        "status": {
            "type": kind,
            "description": description,
            "code": code,
            "statusCode": status_code,
        },
        "date": _day(milestone.time + _LOCAL),
        "time": _clock(milestone.time + _LOCAL),
        "gmtDate": _day(milestone.time),
        "gmtTime": milestone.time.strftime("%H:%M:%S"),
        "gmtOffset": "-05:00",
    }


def _day(moment: datetime) -> str:
    return moment.strftime("%Y%m%d")


def _clock(moment: datetime) -> str:
    return moment.strftime("%H%M%S")
