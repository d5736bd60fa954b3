"""An order's timeline: what happened to it, in order, from every source we hold.

Pure: the service reads the store and passes plain facts (the dataclasses below), never ORM
rows. Every time is timezone-aware UTC; the page converts to the agent's time zone.

Report rows only carry a day (a return, a refund, a reimbursement). Such events keep that day
(``date_only``): shown as a day, never shifted by a time zone, and sorted at 00:00 UTC of the
day. Events at the same instant keep the order of ``KINDS`` (ordered before shipped …).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal

ORDERED = "ordered"
SHIPPED = "shipped"
DELIVERED = "delivered"
RETURN_REQUESTED = "return_requested"
RETURN_RECEIVED = "return_received"
REFUNDED = "refunded"
REIMBURSED = "reimbursed"
CLAIM_FOUND = "claim_found"
CLAIM_OPENED = "claim_opened"
CLAIM_CLOSED = "claim_closed"
CLAIM_GONE = "claim_gone"

KINDS: tuple[str, ...] = (
    ORDERED,
    SHIPPED,
    DELIVERED,
    RETURN_REQUESTED,
    RETURN_RECEIVED,
    REFUNDED,
    REIMBURSED,
    CLAIM_FOUND,
    CLAIM_OPENED,
    CLAIM_CLOSED,
    CLAIM_GONE,
)
_RANK = {kind: rank for rank, kind in enumerate(KINDS)}

# Audit actions that record a case with Amazon (plugin.store.models.AuditEvent.action).
CASE_OPEN_ACTIONS = frozenset({"case_open", "case_opened"})
CASE_CLOSE_ACTIONS = frozenset({"case_close", "case_closed"})


@dataclass(frozen=True)
class PackageFacts:
    """One package of the order document (``packages[]``)."""

    shipped_at: datetime | None
    carrier: str | None = None
    tracking_number: str | None = None


@dataclass(frozen=True)
class OrderFacts:
    order_id: str
    channel: str
    purchased_at: datetime | None
    packages: tuple[PackageFacts, ...] = ()


@dataclass(frozen=True)
class DeliveryFacts:
    """A tracking snapshot that says the parcel was delivered."""

    delivered_at: datetime
    carrier: str
    tracking_number: str


@dataclass(frozen=True)
class ReturnFacts:
    """A customer return row; without a disposition the unit is not graded (not received)."""

    on: date
    sku: str
    quantity: int
    disposition: str
    reason: str = ""


@dataclass(frozen=True)
class RefundFacts:
    on: date
    quantity: int
    amount: Decimal  # refunded principal, positive
    currency: str


@dataclass(frozen=True)
class ReimbursementFacts:
    on: date
    reimbursement_id: str
    case_id: str
    sku: str
    quantity: int
    amount: Decimal | None
    currency: str
    reason: str


@dataclass(frozen=True)
class ClaimFacts:
    """A stored claim about the order: found by the engine at ``found_at``, maybe gone since."""

    kind: str
    sku: str
    quantity: int
    found_at: datetime
    gone_at: datetime | None = None


@dataclass(frozen=True)
class CaseFacts:
    """An audit event about a case with Amazon (opened or closed)."""

    at: datetime
    action: str
    case_id: str = ""
    sku: str = ""


@dataclass(frozen=True)
class TimelineEvent:
    kind: str
    at: datetime  # UTC; for a date-only event, 00:00 UTC of its day
    date_only: bool = False
    details: Mapping[str, str] = field(default_factory=dict)

    @property
    def day(self) -> date:
        return self.at.date()


@dataclass(frozen=True)
class TimelineFacts:
    order: OrderFacts
    deliveries: tuple[DeliveryFacts, ...] = ()
    returns: tuple[ReturnFacts, ...] = ()
    refunds: tuple[RefundFacts, ...] = ()
    reimbursements: tuple[ReimbursementFacts, ...] = ()
    claims: tuple[ClaimFacts, ...] = ()
    cases: tuple[CaseFacts, ...] = ()


def build_timeline(facts: TimelineFacts) -> list[TimelineEvent]:
    """The order's events, oldest first.

    Raises:
        ValueError: a time without a time zone (the store gives aware UTC; a naive one is a bug).
    """
    events = [
        *_order_events(facts.order),
        *(_delivery(d) for d in facts.deliveries),
        *(_return(r) for r in facts.returns),
        *(_refund(r) for r in facts.refunds),
        *(_reimbursement(r) for r in facts.reimbursements),
        *_claim_events(facts.claims),
        *_case_events(facts.cases),
    ]
    return sorted(_distinct(events), key=lambda e: (e.at, _RANK[e.kind], sorted(e.details.items())))


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"timeline times must be timezone-aware, not {moment.isoformat()}")
    return moment.astimezone(UTC)


def _day(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def _details(**values: object) -> dict[str, str]:
    """Non-empty details as text (the page escapes and translates around them)."""
    return {key: str(value) for key, value in values.items() if value not in (None, "")}


def _order_events(order: OrderFacts) -> Iterable[TimelineEvent]:
    if order.purchased_at is not None:
        yield TimelineEvent(
            ORDERED, _utc(order.purchased_at), details=_details(channel=order.channel)
        )
    for package in order.packages:
        if package.shipped_at is not None:
            yield TimelineEvent(
                SHIPPED,
                _utc(package.shipped_at),
                details=_details(carrier=package.carrier, tracking_number=package.tracking_number),
            )


def _delivery(delivery: DeliveryFacts) -> TimelineEvent:
    return TimelineEvent(
        DELIVERED,
        _utc(delivery.delivered_at),
        details=_details(carrier=delivery.carrier, tracking_number=delivery.tracking_number),
    )


def _return(row: ReturnFacts) -> TimelineEvent:
    kind = RETURN_RECEIVED if row.disposition.strip() else RETURN_REQUESTED
    return TimelineEvent(
        kind,
        _day(row.on),
        date_only=True,
        details=_details(
            sku=row.sku, quantity=row.quantity, disposition=row.disposition, reason=row.reason
        ),
    )


def _refund(refund: RefundFacts) -> TimelineEvent:
    return TimelineEvent(
        REFUNDED,
        _day(refund.on),
        date_only=True,
        details=_details(
            quantity=refund.quantity, amount=f"{refund.amount:.2f}", currency=refund.currency
        ),
    )


def _reimbursement(row: ReimbursementFacts) -> TimelineEvent:
    amount = None if row.amount is None else f"{row.amount:.2f}"
    return TimelineEvent(
        REIMBURSED,
        _day(row.on),
        date_only=True,
        details=_details(
            reimbursement_id=row.reimbursement_id,
            case_id=row.case_id,
            sku=row.sku,
            quantity=row.quantity,
            amount=amount,
            currency=row.currency if amount else None,
            reason=row.reason,
        ),
    )


def _claim_events(claims: Iterable[ClaimFacts]) -> Iterable[TimelineEvent]:
    for claim in claims:
        details = _details(claim_kind=claim.kind, sku=claim.sku, quantity=claim.quantity)
        yield TimelineEvent(CLAIM_FOUND, _utc(claim.found_at), details=details)
        if claim.gone_at is not None:
            yield TimelineEvent(CLAIM_GONE, _utc(claim.gone_at), details=details)


def _case_events(cases: Iterable[CaseFacts]) -> Iterable[TimelineEvent]:
    for case in cases:
        if case.action in CASE_OPEN_ACTIONS:
            kind = CLAIM_OPENED
        elif case.action in CASE_CLOSE_ACTIONS:
            kind = CLAIM_CLOSED
        else:
            continue  # notes, tags … are not steps of the order
        yield TimelineEvent(
            kind, _utc(case.at), details=_details(case_id=case.case_id, sku=case.sku)
        )


def _distinct(events: Iterable[TimelineEvent]) -> list[TimelineEvent]:
    """Drop exact repeats (two packages with the same ship time and tracking number …)."""
    seen: set[tuple[object, ...]] = set()
    kept = []
    for event in events:
        key = (event.kind, event.at, event.date_only, tuple(sorted(event.details.items())))
        if key not in seen:
            seen.add(key)
            kept.append(event)
    return kept
