"""Tracking as every carrier client returns it: one status vocabulary, events in UTC.

The statuses are karrio's ``TrackingStatus`` without ``delivery_delayed`` (a delay is an
event, not a place in the parcel's life). ``plugin.domain.tracking`` uses these words, so a
client's ``Tracking.status`` is stored as it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

PENDING = "pending"
PICKED_UP = "picked_up"
IN_TRANSIT = "in_transit"
OUT_FOR_DELIVERY = "out_for_delivery"
DELIVERED = "delivered"
DELIVERY_FAILED = "delivery_failed"
ON_HOLD = "on_hold"
RETURN_TO_SENDER = "return_to_sender"
READY_FOR_PICKUP = "ready_for_pickup"
CANCELLED = "cancelled"
UNKNOWN = "unknown"

STATUSES = (
    PENDING,
    PICKED_UP,
    IN_TRANSIT,
    OUT_FOR_DELIVERY,
    DELIVERED,
    DELIVERY_FAILED,
    ON_HOLD,
    RETURN_TO_SENDER,
    READY_FOR_PICKUP,
    CANCELLED,
    UNKNOWN,
)

UPS = "ups"
FEDEX = "fedex"
USPS = "usps"
DHL = "dhl"
CARRIERS = (UPS, FEDEX, USPS, DHL)


@dataclass(frozen=True)
class TrackingEvent:
    """One scan. ``time`` is aware and in UTC; ``code`` is the carrier's own event code."""

    time: datetime
    description: str
    place: str | None = None
    code: str | None = None

    def __post_init__(self) -> None:
        if self.time.tzinfo is None:
            raise ValueError("a tracking event's time must be timezone-aware")


@dataclass(frozen=True)
class ProofOfDelivery:
    """What the carrier says about the hand-over (any part may be missing)."""

    signed_by: str | None = None
    location: str | None = None  # e.g. "Front Door", "Parcel locker"
    photo_url: str | None = None  # a signature or photo image the carrier links to


@dataclass(frozen=True)
class Tracking:
    """A parcel as one carrier sees it now.

    ``found`` is False for a number the carrier does not know (yet): status ``unknown`` and
    no events. ``events`` are newest first. ``status_detail`` is the carrier's own words for
    the current status, kept beside the normalized ``status``.
    """

    carrier: str
    number: str
    status: str
    status_detail: str | None = None
    events: tuple[TrackingEvent, ...] = field(default_factory=tuple)
    estimated_delivery: datetime | None = None
    delivered_at: datetime | None = None
    proof_of_delivery: ProofOfDelivery | None = None
    service: str | None = None
    found: bool = True

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"unknown tracking status {self.status!r}")

    @property
    def last_event(self) -> TrackingEvent | None:
        return self.events[0] if self.events else None

    @classmethod
    def not_found(cls, carrier: str, number: str, detail: str | None = None) -> Tracking:
        return cls(carrier, number, UNKNOWN, status_detail=detail, found=False)


class CarrierClient(Protocol):
    """What every carrier client offers: track numbers, at most ``max_batch`` per call."""

    carrier: str
    max_batch: int

    def track(self, numbers: Sequence[str]) -> list[Tracking]:
        """One ``Tracking`` per number, in the order given (``found=False`` for an unknown
        number; the batch does not fail for it). Any count: the client splits by
        ``max_batch``.

        Raises:
            AuthError: the credentials were refused, after one token refresh.
            RateLimited: still throttled after the bounded retries.
            UpstreamError: the carrier failed (5xx after retries, timeout, bad JSON).
        """
        ...
