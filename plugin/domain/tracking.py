"""Parcel tracking as the product sees it: one status vocabulary for every carrier, how long a
snapshot of each status can be trusted, and the public tracking page of a number.

Pure: no I/O. Carriers (issue 5) and Amazon's Orders API each map their own words onto
``STATUSES`` (defined once, in ``connectors.carriers.models``); the store keeps the normalized
status and the carrier's words beside it.

The time to live follows how fast a status changes: a delivered parcel will not move again (days),
one out for delivery changes within the hour (minutes), one in transit a few times a day
(hours). ``TTL_POLICY`` is data: a deployment may pass its own table to ``ttl_for``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from connectors.carriers import detect

# One status vocabulary: the carrier clients' (a client's ``Tracking.status`` is stored as it is).
from connectors.carriers.models import (
    CANCELLED,
    DELIVERED,
    DELIVERY_FAILED,
    DHL,
    FEDEX,
    IN_TRANSIT,
    ON_HOLD,
    OUT_FOR_DELIVERY,
    PENDING,
    PICKED_UP,
    READY_FOR_PICKUP,
    RETURN_TO_SENDER,
    STATUSES,
    UNKNOWN,
    UPS,
    USPS,
)

# Statuses after which the parcel does not move any more (barring a carrier's correction).
FINAL = frozenset({DELIVERED, CANCELLED})

AMAZON = "amazon"
OTHER = "other"
CARRIERS = (UPS, FEDEX, USPS, DHL, AMAZON, OTHER)

TTL_POLICY: Mapping[str, timedelta] = {
    PENDING: timedelta(hours=1),
    PICKED_UP: timedelta(hours=2),
    IN_TRANSIT: timedelta(hours=2),
    OUT_FOR_DELIVERY: timedelta(minutes=10),
    DELIVERED: timedelta(days=7),
    DELIVERY_FAILED: timedelta(minutes=30),
    ON_HOLD: timedelta(hours=1),
    RETURN_TO_SENDER: timedelta(hours=6),
    READY_FOR_PICKUP: timedelta(hours=1),
    CANCELLED: timedelta(days=7),
    UNKNOWN: timedelta(hours=1),
}

# Orders 2026-01-01 PackageStatus.detailedStatus -> normalized (the finer word wins).
AMAZON_DETAILED_STATUS: Mapping[str, str] = {
    "PENDING_SCHEDULE": PENDING,
    "PENDING_PICK_UP": PENDING,
    "PENDING_DROP_OFF": PENDING,
    "LABEL_CANCELLED": CANCELLED,
    "PICKED_UP": PICKED_UP,
    "DROPPED_OFF": PICKED_UP,
    "AT_ORIGIN_FC": IN_TRANSIT,
    "AT_DESTINATION_FC": IN_TRANSIT,
    "DELIVERED": DELIVERED,
    "REJECTED_BY_BUYER": RETURN_TO_SENDER,
    "UNDELIVERABLE": DELIVERY_FAILED,
    "RETURNING_TO_SELLER": RETURN_TO_SENDER,
    "RETURNED_TO_SELLER": RETURN_TO_SENDER,
    "LOST": DELIVERY_FAILED,
    "OUT_FOR_DELIVERY": OUT_FOR_DELIVERY,
    "DAMAGED": DELIVERY_FAILED,
}
# Orders 2026-01-01 PackageStatus.status -> normalized (when there is no detailed status).
AMAZON_STATUS: Mapping[str, str] = {
    "PENDING": PENDING,
    "IN_TRANSIT": IN_TRANSIT,
    "SHIPPED": IN_TRANSIT,
    "DELIVERED": DELIVERED,
    "CANCELLED": CANCELLED,
    "UNDELIVERABLE": DELIVERY_FAILED,
}

# The carrier names Amazon uses in OrderPackage.carrier (and in shipment confirmations).
_AMAZON_CARRIERS: Mapping[str, str] = {
    "UPS": UPS,
    "UPS MAIL INNOVATIONS": UPS,
    "USPS": USPS,
    "FEDEX": FEDEX,
    "FEDEX SMARTPOST": FEDEX,
    "DHL": DHL,
    "DHL EXPRESS": DHL,
    "DHL ECOMMERCE": DHL,
    "AMAZON": AMAZON,
    "AMAZON LOGISTICS": AMAZON,
    "AMAZON SHIPPING": AMAZON,
    "AMZN_US": AMAZON,
    "AMZN_UK": AMAZON,
    "AMZN_DE": AMAZON,
    "AMZL_US": AMAZON,
}

# Public tracking pages (research §1d): carrier detection's table, the one source of links.
TRACKING_URLS: Mapping[str, str] = detect.LINKS


def amazon_status(status: str | None, detailed_status: str | None = None) -> str:
    """The normalized status of an Orders API ``PackageStatus``; ``unknown`` for words we
    do not know (Amazon adds values; a new one must not break the panel)."""
    if detailed_status and detailed_status.upper() in AMAZON_DETAILED_STATUS:
        return AMAZON_DETAILED_STATUS[detailed_status.upper()]
    if status and status.upper() in AMAZON_STATUS:
        return AMAZON_STATUS[status.upper()]
    return UNKNOWN


def carrier_code(name: str | None) -> str:
    """Our carrier code (``ups``, ``fedex``, ``usps``, ``dhl``, ``amazon``, ``other``) for a
    carrier as Amazon (or a seller) names it."""
    if not name:
        return OTHER
    key = " ".join(name.replace("-", " ").split()).upper()
    if key in _AMAZON_CARRIERS:
        return _AMAZON_CARRIERS[key]
    lowered = key.lower()
    if lowered in CARRIERS:
        return lowered
    if key.startswith("AMZN") or key.startswith("AMAZON"):
        return AMAZON
    return OTHER


def carrier_of(name: str | None, number: str) -> str:
    """Our carrier code for a parcel: the carrier as named (``carrier_code``); a parcel whose
    carrier is not named gets the one its number's format and check digit show, if any."""
    if name and name.strip():
        return carrier_code(name)
    found = detect.detect(number)
    return found.carrier if found.carrier and found.valid else OTHER


def normalize_number(number: str) -> str:
    """A tracking number as carriers index it: no spaces or dashes, upper case."""
    return detect.normalize(number)


def tracking_url(carrier: str, number: str) -> str | None:
    """The carrier's public tracking page for ``number`` (None for a carrier we have none for);
    a barcode form that detection reduces (a USPS routing prefix, a FedEx 34-digit barcode)
    links the number the carrier's page knows."""
    return detect.carrier_link(carrier, number)


def ttl_for(status: str, policy: Mapping[str, timedelta] = TTL_POLICY) -> timedelta:
    """How long a snapshot with ``status`` is trusted (an unknown status: as ``unknown``)."""
    return policy.get(status, policy.get(UNKNOWN, TTL_POLICY[UNKNOWN]))


def expires_at(
    status: str, fetched_at: datetime, policy: Mapping[str, timedelta] = TTL_POLICY
) -> datetime:
    return fetched_at + ttl_for(status, policy)


def is_stale(expires: datetime, now: datetime) -> bool:
    """True once ``now`` has reached the snapshot's expiry."""
    return now >= expires


def parse_policy(overrides: Mapping[str, object]) -> dict[str, timedelta]:
    """``TTL_POLICY`` with ``{status: seconds}`` overrides (a deployment's setting).

    Raises:
        ValueError: an unknown status, or seconds that are not a positive whole number.
    """
    policy = dict(TTL_POLICY)
    for status, seconds in overrides.items():
        if status not in STATUSES:
            raise ValueError(f"unknown tracking status {status!r} (one of {', '.join(STATUSES)})")
        if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds < 1:
            raise ValueError(f"the time to live of {status} must be whole seconds, at least 1")
        policy[status] = timedelta(seconds=seconds)
    return policy
