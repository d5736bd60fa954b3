"""Each carrier's parser on answers shaped like the carrier's own examples (field names and
nesting from UPS's Tracking.yaml, FedEx's TrackingNumbers-Resource.json, USPS's v3 tracking
response and DHL's Unified spec): delivered with proof of delivery, an exception, a return to
the sender, an unknown number."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from connectors.carriers import models
from connectors.carriers.dhl import parse as dhl
from connectors.carriers.fedex import parse as fedex
from connectors.carriers.models import Tracking, TrackingEvent
from connectors.carriers.ups import parse as ups
from connectors.carriers.usps import parse as usps
from connectors.carriers.values import parse_time

# --- UPS -----------------------------------------------------------------------------------------


def ups_activity(kind: str, code: str, description: str, gmt: str, city: str) -> dict[str, Any]:
    day, clock = gmt.split(" ")
    return {
        "location": {
            "address": {
                "city": city,
                "stateProvince": "GA",
                "postalCode": "30303",
                "countryCode": "US",
                "country": "US",
            },
            "slic": "4310",
        },
        "status": {"type": kind, "description": description, "code": code, "statusCode": code},
        "date": day.replace("-", ""),
        "time": "000000",
        "gmtDate": day.replace("-", ""),
        "gmtTime": clock,
        "gmtOffset": "-05:00",
    }


def ups_answer(package: dict[str, Any]) -> dict[str, Any]:
    return {
        "trackResponse": {
            "shipment": [{"inquiryNumber": "1Z023E2X0214323462", "package": [package]}]
        }
    }


def test_ups_delivered_with_proof_of_delivery() -> None:
    body = ups_answer(
        {
            "trackingNumber": "1Z023E2X0214323462",
            "deliveryDate": [{"type": "DEL", "date": "20261118"}],
            "deliveryTime": {"startTime": "", "endTime": "143000", "type": "DEL"},
            "activity": [
                ups_activity("D", "011", "DELIVERED", "2026-11-18 19:30:00", "ATLANTA"),
                ups_activity(
                    "I", "021", "Out For Delivery Today", "2026-11-18 12:02:00", "ATLANTA"
                ),
                ups_activity("P", "038", "Pickup Scan", "2026-11-16 22:15:00", "LOUISVILLE"),
            ],
            "currentStatus": {"description": "Delivered", "code": "011", "statusCode": "011"},
            "deliveryInformation": {
                "location": "Front Door",
                "receivedBy": "JOHNSON",
                "signature": {"image": "R0lGODdh..."},
            },
            "service": {"code": "003", "levelCode": "GND", "description": "UPS Ground"},
        }
    )
    found = ups.parse_tracking(body, "1Z023E2X0214323462")
    assert found.status == models.DELIVERED
    assert found.delivered_at == datetime(2026, 11, 18, 19, 30, tzinfo=UTC)
    assert found.proof_of_delivery == models.ProofOfDelivery(
        signed_by="JOHNSON", location="Front Door"
    )
    assert [e.code for e in found.events] == ["011", "021", "038"]  # newest first
    assert found.events[0].place == "ATLANTA, GA, US"
    assert found.estimated_delivery is None
    assert found.service == "UPS Ground"


def test_ups_local_time_without_gmt_fields_uses_the_offset() -> None:
    activity = ups_activity("I", "005", "Arrived at Facility", "2026-11-17 00:00:00", "MEMPHIS")
    del activity["gmtDate"], activity["gmtTime"]
    activity["date"], activity["time"] = "20261117", "083000"
    found = ups.parse_tracking(ups_answer({"activity": [activity]}), "1Z1")
    assert found.status == models.IN_TRANSIT
    assert found.events[0].time == datetime(2026, 11, 17, 13, 30, tzinfo=UTC)


def test_ups_exception_and_scheduled_delivery() -> None:
    body = ups_answer(
        {
            "trackingNumber": "1Z1",
            "deliveryDate": [{"type": "SDD", "date": "20261120"}],
            "deliveryTime": {"type": "EOD", "endTime": "230000"},
            "activity": [
                {
                    **ups_activity("X", "48", "x", "2026-11-19 21:00:00", "ATLANTA"),
                    "status": {
                        "type": "X",
                        "code": "48",
                        "description": "The receiver was not available for delivery.",
                    },
                }
            ],
        }
    )
    found = ups.parse_tracking(body, "1Z1")
    assert found.status == models.DELIVERY_FAILED
    assert found.status_detail == "The receiver was not available for delivery."
    assert found.estimated_delivery == datetime(2026, 11, 20, 23, 0, tzinfo=UTC)
    assert found.proof_of_delivery is None


def test_ups_returned_to_sender() -> None:
    body = ups_answer(
        {
            "activity": [
                {
                    **ups_activity("RS", "RS", "Returned to shipper", "2026-11-25 10:00:00", "A"),
                }
            ],
            "currentStatus": {"description": "Returned to Sender", "type": "RS", "code": "RS"},
        }
    )
    assert ups.parse_tracking(body, "1Z1").status == models.RETURN_TO_SENDER


@pytest.mark.parametrize(
    "body",
    [
        {"response": {"errors": [{"code": "TW0001", "message": "Tracking Information Not Found"}]}},
        {
            "trackResponse": {
                "shipment": [
                    {
                        "inquiryNumber": "1Z1",
                        "warnings": [
                            {"code": "TW0001", "message": "Tracking Information Not Found"}
                        ],
                    }
                ]
            }
        },
    ],
)
def test_ups_unknown_number(body: dict[str, Any]) -> None:
    found = ups.parse_tracking(body, "1Z1")
    assert not found.found
    assert found.status == models.UNKNOWN
    assert found.status_detail == "Tracking Information Not Found"
    assert found.events == ()


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ({"type": "M", "statusCode": "003"}, models.PENDING),
        ({"type": "MV"}, models.CANCELLED),
        ({"type": "I", "statusCode": "021"}, models.OUT_FOR_DELIVERY),
        ({"type": "X", "description": "Delay: weather"}, models.ON_HOLD),
        ({"type": "X", "description": "Delivered to UPS Access Point"}, models.READY_FOR_PICKUP),
        ({"type": "ZZ"}, models.UNKNOWN),
    ],
)
def test_ups_status_table(status: dict[str, str], expected: str) -> None:
    assert ups.status_of(status) == expected


# --- FedEx ---------------------------------------------------------------------------------------


def fedex_scan(code: str, description: str, when: str, exception: str = "") -> dict[str, Any]:
    return {
        "date": when,
        "eventType": code,
        "eventDescription": description,
        "exceptionCode": "",
        "exceptionDescription": exception,
        "scanLocation": {
            "streetLines": [""],
            "city": "MEMPHIS",
            "stateOrProvinceCode": "TN",
            "postalCode": "38118",
            "countryCode": "US",
            "residential": False,
        },
        "locationType": "DELIVERY_LOCATION",
        "derivedStatusCode": code,
        "derivedStatus": description,
    }


def fedex_answer(*results: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    return {
        "transactionId": "624deea6-b709-470c-8c39-4b5511281492",
        "customerTransactionId": "AnyCo_order123456789",
        "output": {
            "completeTrackResults": [
                {"trackingNumber": number, "trackResults": [result]} for number, result in results
            ]
        },
    }


def test_fedex_batch_delivered_exception_return_and_unknown() -> None:
    delivered = {
        "trackingNumberInfo": {"trackingNumber": "128667043726", "carrierCode": "FDXE"},
        "latestStatusDetail": {
            "code": "DL",
            "derivedCode": "DL",
            "statusByLocale": "Delivered",
            "description": "Delivered",
            "scanLocation": {"city": "Norton", "stateOrProvinceCode": "VA", "countryCode": "US"},
        },
        "dateAndTimes": [
            {"type": "ACTUAL_DELIVERY", "dateTime": "2026-11-18T12:01:00-07:00"},
            {"type": "ACTUAL_PICKUP", "dateTime": "2026-11-16T10:00:00-07:00"},
        ],
        "deliveryDetails": {
            "receivedByName": "Reciever",
            "locationDescription": "Receptionist/Front Desk",
            "deliveryAttempts": "0",
        },
        "scanEvents": [
            fedex_scan("DL", "Delivered", "2026-11-18T12:01:00-07:00"),
            fedex_scan("OD", "On FedEx vehicle for delivery", "2026-11-18T07:10:00-07:00"),
        ],
        "serviceDetail": {"type": "FEDEX_GROUND", "description": "FedEx Ground"},
    }
    exception = {
        "latestStatusDetail": {
            "code": "DE",
            "derivedCode": "DE",
            "description": "Delivery exception",
        },
        "dateAndTimes": [{"type": "ESTIMATED_DELIVERY", "dateTime": "2026-11-21T17:00:00-05:00"}],
        "scanEvents": [
            fedex_scan(
                "DE",
                "Delivery exception",
                "2026-11-19T15:00:00-05:00",
                "Customer not available or business closed",
            )
        ],
    }
    returned = {
        "latestStatusDetail": {
            "code": "RS",
            "derivedCode": "RS",
            "description": "Return to shipper",
        },
        "scanEvents": [fedex_scan("RS", "Return to shipper", "2026-11-20T09:00:00-05:00")],
    }
    unknown = {
        "trackingNumberInfo": {"trackingNumber": "999999999999"},
        "error": {
            "code": "TRACKING.TRACKINGNUMBER.NOTFOUND",
            "message": "Tracking number cannot be found. Please correct the tracking number and "
            "try again.",
        },
    }
    body = fedex_answer(
        ("128667043726", delivered),
        ("111111111111", exception),
        ("222222222222", returned),
        ("999999999999", unknown),
    )
    asked = ["999999999999", "128667043726", "222222222222", "111111111111", "333333333333"]
    found = fedex.parse_trackings(body, asked)
    assert [t.number for t in found] == asked  # the order asked, not the order answered
    missing, done, back, failed, left_out = found
    assert done.status == models.DELIVERED
    assert done.delivered_at == datetime(2026, 11, 18, 19, 1, tzinfo=UTC)
    assert done.proof_of_delivery == models.ProofOfDelivery(
        signed_by="Reciever", location="Receptionist/Front Desk"
    )
    assert done.events[0].place == "MEMPHIS, TN, US"
    assert failed.status == models.DELIVERY_FAILED
    assert failed.events[0].description == (
        "Delivery exception: Customer not available or business closed"
    )
    assert failed.estimated_delivery == datetime(2026, 11, 21, 22, 0, tzinfo=UTC)
    assert back.status == models.RETURN_TO_SENDER
    assert not missing.found and missing.status_detail.startswith("Tracking number cannot")  # type: ignore[union-attr]
    assert not left_out.found


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("OC", models.PENDING),
        ("PU", models.PICKED_UP),
        ("AR", models.IN_TRANSIT),
        ("OD", models.OUT_FOR_DELIVERY),
        ("HP", models.READY_FOR_PICKUP),
        ("SE", models.ON_HOLD),
        ("CA", models.CANCELLED),
        ("", models.UNKNOWN),
    ],
)
def test_fedex_status_table(code: str, expected: str) -> None:
    assert fedex.status_of(code) == expected


# --- USPS ----------------------------------------------------------------------------------------


def usps_event(kind: str, code: str, gmt: str, **extra: Any) -> dict[str, Any]:
    return {
        "eventType": kind,
        "eventTimestamp": "2026-11-18T09:55:00",
        "GMTTimestamp": gmt,
        "GMTOffset": "-05:00",
        "eventCountry": None,
        "eventCity": "FALMOUTH",
        "eventState": "MA",
        "eventZIP": "02540",
        "firm": None,
        "name": None,
        "authorizedAgent": False,
        "eventCode": code,
        **extra,
    }


def test_usps_delivered_exception_return_and_unknown() -> None:
    body = [
        {
            "trackingNumber": "9400111899223197428490",
            "mailClass": "USPS Ground Advantage",
            "status": "Delivered, In/At Mailbox",
            "statusCategory": "Delivered",
            "statusSummary": "Your item was delivered in or at the mailbox at 12:55 pm on "
            "November 18, 2026 in FALMOUTH, MA 02540.",
            "trackingEvents": [
                usps_event(
                    "Delivered, In/At Mailbox",
                    "01",
                    "2026-11-18T17:55:00Z",
                    name="J DOE",
                    authorizedAgent=True,
                ),
                usps_event("Out for Delivery", "OF", "2026-11-18T12:10:00Z"),
            ],
        },
        {
            "trackingNumber": "9400111899223197428491",
            "status": "Notice Left (No Authorized Recipient Available)",
            "statusCategory": "Delivery Attempt",
            "expectedDeliveryTimeStamp": "2026-11-20T20:00:00-05:00",
            "trackingEvents": [
                {
                    **usps_event("Notice Left", "02", ""),
                    "GMTTimestamp": None,
                    "eventTimestamp": "2026-11-19T10:30:00",
                }
            ],
        },
        {
            "trackingNumber": "9400111899223197428492",
            "status": "Return to Sender Processed",
            "statusCategory": "Alert",
            "trackingEvents": [],
        },
        {
            "trackingNumber": "9400111899223197428493",
            "error": {"code": "404", "message": "The tracking number may be incorrect."},
        },
    ]
    asked = [
        "9400111899223197428490",
        "9400111899223197428491",
        "9400111899223197428492",
        "9400111899223197428493",
    ]
    done, failed, back, missing = usps.parse_trackings(body, asked)
    assert done.status == models.DELIVERED
    assert done.delivered_at == datetime(2026, 11, 18, 17, 55, tzinfo=UTC)
    assert done.proof_of_delivery == models.ProofOfDelivery(
        signed_by="J DOE", location="In/At Mailbox"
    )
    assert done.events[0].place == "FALMOUTH, MA"
    assert failed.status == models.DELIVERY_FAILED
    assert failed.events[0].time == datetime(2026, 11, 19, 15, 30, tzinfo=UTC)  # local -05:00
    assert failed.estimated_delivery == datetime(2026, 11, 21, 1, 0, tzinfo=UTC)
    assert back.status == models.RETURN_TO_SENDER
    assert not missing.found and missing.status_detail == "The tracking number may be incorrect."


@pytest.mark.parametrize(
    ("category", "status", "expected"),
    [
        ("Pre-Shipment", "Shipping Label Created, USPS Awaiting Item", models.PENDING),
        ("Pre-Shipment", "Shipping Label Cancelled", models.CANCELLED),
        ("Accepted", "Accepted at USPS Origin Facility", models.PICKED_UP),
        ("Available for Pickup", "Available for Pickup", models.READY_FOR_PICKUP),
        ("Delivered", "Delivered, To Original Sender", models.RETURN_TO_SENDER),
        ("Alert", "In Transit, Arriving Late", models.ON_HOLD),
        ("Something New", "", models.UNKNOWN),
    ],
)
def test_usps_status_table(category: str, status: str, expected: str) -> None:
    assert usps.status_of(category, status) == expected


# --- DHL -----------------------------------------------------------------------------------------


def dhl_event(code: str, status: str, description: str, when: str) -> dict[str, Any]:
    return {
        "timestamp": when,
        "location": {
            "address": {
                "countryCode": "NL",
                "postalCode": "1043 AG",
                "addressLocality": "Amsterdam",
            }
        },
        "statusCode": code,
        "status": status,
        "description": description,
        "remark": "The shipment has been successfully delivered",
        "nextSteps": "",
    }


def dhl_answer(status: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "shipments": [
            {
                "id": "7777777770",
                "service": "express",
                "origin": {"address": {"countryCode": "DE", "addressLocality": "Bonn"}},
                "destination": {"address": {"countryCode": "NL", "addressLocality": "Amsterdam"}},
                "status": status,
                "events": [status],
                **extra,
            }
        ],
        "possibleAdditionalShipmentsUrl": [],
    }


def test_dhl_delivered_with_signature() -> None:
    delivered = dhl_event(
        "delivered", "DELIVERED", "Delivered - Signed for by: JESSICA", "2026-11-18T14:20:00+01:00"
    )
    body = dhl_answer(
        delivered,
        estimatedTimeOfDelivery="2026-11-18T18:00:00+01:00",
        details={
            "product": {"productName": "DHL Express Worldwide"},
            "proofOfDelivery": {
                "timestamp": "2026-11-18T14:20:00+01:00",
                "signatureUrl": "https://proofofdelivery.dhl.com/signature/7777777770",
                "documentUrl": "https://proofofdelivery.dhl.com/document/7777777770",
                "signed": {"name": "JESSICA"},
            },
        },
    )
    found = dhl.parse_tracking(body, "7777777770")
    assert found.status == models.DELIVERED
    assert found.delivered_at == datetime(2026, 11, 18, 13, 20, tzinfo=UTC)
    assert found.proof_of_delivery == models.ProofOfDelivery(
        signed_by="JESSICA", photo_url="https://proofofdelivery.dhl.com/signature/7777777770"
    )
    assert found.estimated_delivery is None
    assert found.service == "DHL Express Worldwide"
    assert found.events[0].place == "Amsterdam, NL"


@pytest.mark.parametrize(
    ("code", "status", "description", "expected"),
    [
        ("failure", "DELIVERY ATTEMPT FAILED", "Recipient not home", models.DELIVERY_FAILED),
        ("transit", "RETURNING", "Shipment is being returned to shipper", models.RETURN_TO_SENDER),
        ("delivered", "RETURNED", "Returned to shipper", models.RETURN_TO_SENDER),
        ("transit", "WITH DELIVERY COURIER", "With delivery courier", models.OUT_FOR_DELIVERY),
        ("pre-transit", "", "The shipment data has been received", models.PENDING),
        ("transit", "PROCESSED", "Arrived at Delivery Facility in BONN", models.IN_TRANSIT),
    ],
)
def test_dhl_statuses(code: str, status: str, description: str, expected: str) -> None:
    body = dhl_answer(dhl_event(code, status, description, "2026-11-19T08:00:00Z"))
    assert dhl.parse_tracking(body, "7777777770").status == expected


def test_dhl_no_shipments_is_not_found() -> None:
    assert not dhl.parse_tracking({"shipments": []}, "1").found


# --- shared --------------------------------------------------------------------------------------


def test_models_refuse_naive_times_and_unknown_statuses() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        TrackingEvent(time=datetime(2026, 1, 1), description="x")
    with pytest.raises(ValueError, match="unknown tracking status"):
        Tracking("ups", "1", "lost")


def test_times_without_zone_take_the_offset() -> None:
    assert parse_time("2026-11-18T09:55:00", "-7:00") == datetime(2026, 11, 18, 16, 55, tzinfo=UTC)
    assert parse_time("2026-11-18T09:55:00Z") == datetime(2026, 11, 18, 9, 55, tzinfo=UTC)
    assert parse_time("not a time") is None
