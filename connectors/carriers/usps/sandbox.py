"""USPS in the carrier sandbox: OAuth v3 and Tracking 3.2 (``POST /tracking/v3r2/tracking``).

The token answer and the item fields follow USPS's v3 documents (karrio's
``schemas/tracking_response.json``); the v3r2 array body and answer, the per-item ``error``,
the batch limit and the event codes are [U] (research apis.md §1b). Errors:
``{"apiVersion", "error": {"code", "message", "errors": [...]}}``; the token endpoint's are
OAuth's ``{"error", "error_description"}``.
"""

from __future__ import annotations

import hmac
import json
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from connectors.carriers import sandbox_data as data

if TYPE_CHECKING:
    from connectors.carriers.sandbox import CarrierSandbox, Reply, Request

API_VERSION = "v3r2"
MAX_NUMBERS = 35
_LOCAL = timezone(timedelta(hours=-5))

ERRORS = {
    "unauthorized": ("401", "Unauthorized", "The access token is missing, invalid or expired."),
    "forbidden": ("403", "Forbidden", "The application may not use the Tracking API."),
    "rate_limited": ("429", "Too Many Requests", "The rate limit of the application is reached."),
    "not_found": ("404", "Not Found", "The resource does not exist."),
    "bad_request": ("400", "Bad Request", "The request is not valid."),
    "server": ("500", "Internal Server Error", "Please try again later."),
}
NOT_FOUND_ITEM = (
    "404",
    "The tracking number may be incorrect or the status update is not yet available. Please "
    "verify your tracking number and try again later.",
)

# stage -> (statusCategory, eventType, eventCode)
STAGES: dict[str, tuple[str, str, str]] = {
    data.LABEL_CREATED: ("Pre-Shipment", "Shipping Label Created, USPS Awaiting Item", "GX"),
    data.PICKED_UP: ("Accepted", "Accepted at USPS Origin Facility", "OA"),
    data.DEPARTED: ("In Transit", "Departed USPS Regional Facility", "T1"),
    data.ARRIVED: ("In Transit", "Arrived at USPS Regional Facility", "10"),
    data.OUT_FOR_DELIVERY: ("Out for Delivery", "Out for Delivery", "OF"),
    data.DELIVERED: ("Delivered", "Delivered, {door}", "01"),
    data.ATTEMPT_FAILED: (
        "Delivery Attempt",
        "Notice Left (No Authorized Recipient Available)",
        "02",
    ),
    data.HELD: ("Alert", "In Transit, Arriving Late", "NT"),
    data.READY_FOR_PICKUP: ("Available for Pickup", "Available for Pickup", "14"),
    data.RETURNING: ("Alert", "Return to Sender Processed", "09"),
    data.RETURNED_TO_SENDER: ("Delivered", "Delivered, To Original Sender", "01"),
    data.LABEL_CANCELLED: ("Pre-Shipment", "Shipping Label Cancelled", "GC"),
}


def error(status: int, kind: str) -> Reply:
    from connectors.carriers.sandbox import json_reply

    code, title, detail = ERRORS.get(kind, ERRORS["server"])
    return json_reply(
        status,
        {
            "apiVersion": API_VERSION,
            "error": {
                "code": code,
                "message": title,
                "errors": [{"status": code, "code": code, "title": title, "detail": detail}],
            },
        },
    )


def route_of(method: str, path: str) -> str | None:
    if method == "POST" and path == "/oauth2/v3/token":
        return "token"
    if method == "POST" and path == "/tracking/v3r2/tracking":
        return "track"
    return None


def token(sandbox: CarrierSandbox, request: Request) -> Reply:
    from connectors.carriers.sandbox import json_reply

    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            form = {k: str(v) for k, v in dict(request.json()).items()}
        except (ValueError, TypeError):
            form = {}
    else:
        form = request.form()
    expected_id, expected_secret = sandbox.credentials.client("usps")
    if form.get("grant_type") != "client_credentials":
        return json_reply(
            400,
            {"error": "unsupported_grant_type", "error_description": "grant_type is not supported"},
        )
    if form.get("client_id") != expected_id or not hmac.compare_digest(
        form.get("client_secret", ""), expected_secret
    ):
        return json_reply(
            401, {"error": "invalid_client", "error_description": "Client authentication failed"}
        )
    access, lifetime = sandbox.issue_token("usps", expected_id)
    return json_reply(
        200,
        {
            "access_token": access,
            "token_type": "Bearer",
            "issued_at": int(sandbox.now().timestamp() * 1000),
            "expires_in": lifetime,
            "status": "approved",
            "scope": form.get("scope") or "tracking",
            "issuer": "api.usps.com",
            "client_id": expected_id,
            "application_name": "claimdesk sandbox",
            "api_products": "[Tracking]",
            "public_key": "",
        },
    )


def authenticate(sandbox: CarrierSandbox, request: Request) -> str | None:
    return sandbox.token_owner("usps", request.headers)


def answer(sandbox: CarrierSandbox, route: str, request: Request) -> Reply:
    from connectors.carriers.sandbox import json_reply

    try:
        body = json.loads(request.body or b"null")
    except ValueError:
        return error(400, "bad_request")
    if not isinstance(body, list) or not 1 <= len(body) <= MAX_NUMBERS:
        return _bad(f"The body must be an array of 1 to {MAX_NUMBERS} tracking requests.")
    items = []
    for entry in body:
        number = entry.get("trackingNumber") if isinstance(entry, dict) else None
        if not isinstance(number, str) or not number.strip():
            return _bad("Every tracking request needs a trackingNumber.")
        items.append(_item(sandbox, number.strip().upper()))
    return json_reply(200, items)


def _item(sandbox: CarrierSandbox, number: str) -> dict[str, Any]:
    shipment = sandbox.shipment("usps", number)
    scans = data.milestones(shipment, sandbox.now()) if shipment else []
    if shipment is None or not scans:
        code, message = NOT_FOUND_ITEM
        return {"trackingNumber": number, "error": {"code": code, "message": message}}
    latest = scans[-1]
    category, kind, _code = STAGES[latest.stage]
    kind = kind.format(door=shipment.door_name())
    origin, _, _, destination = shipment.places()
    item: dict[str, Any] = {
        "trackingNumber": number,
        "mailClass": shipment.service or "USPS Ground Advantage",
        "mailType": "DOMESTIC_MAIL",
        "originCity": origin.city,
        "originState": origin.region,
        "originZIP": origin.postal_code,
        "destinationCity": destination.city,
        "destinationState": destination.region,
        "destinationZIP": destination.postal_code,
        "status": kind,
        "statusCategory": category,
        "statusSummary": f"{kind} at {_time(latest.time)} in {latest.place.line()}",
        "proofOfDeliveryEnabled": latest.stage == data.DELIVERED,
        "trackingEvents": [_event(shipment, m) for m in reversed(scans)],
    }
    if latest.stage not in (
        data.DELIVERED,
        data.LABEL_CANCELLED,
        data.RETURNING,
        data.RETURNED_TO_SENDER,
    ):
        item["expectedDeliveryTimeStamp"] = _time(shipment.due())
    return item


def _event(shipment: data.Shipment, milestone: data.Milestone) -> dict[str, Any]:
    _category, kind, code = STAGES[milestone.stage]
    place = milestone.place
    event = {
        "eventType": kind.format(door=shipment.door_name()),
        "eventTimestamp": milestone.time.astimezone(_LOCAL).replace(tzinfo=None).isoformat(),
        "GMTTimestamp": milestone.time.isoformat().replace("+00:00", "Z"),
        "GMTOffset": "-05:00",
        "eventCountry": None,
        "eventCity": place.city.upper(),
        "eventState": place.region,
        "eventZIP": place.postal_code,
        "firm": None,
        "name": None,
        "authorizedAgent": False,
        "eventCode": code,
    }
    if milestone.stage == data.DELIVERED:
        event["name"] = shipment.signer()
        event["authorizedAgent"] = True
    return event


def _time(moment: datetime) -> str:
    return moment.astimezone(_LOCAL).isoformat(timespec="seconds")


def _bad(detail: str) -> Reply:
    from connectors.carriers.sandbox import json_reply

    return json_reply(
        400,
        {
            "apiVersion": API_VERSION,
            "error": {
                "code": "400",
                "message": "Bad Request",
                "errors": [
                    {"status": "400", "code": "400", "title": "Bad Request", "detail": detail}
                ],
            },
        },
    )
