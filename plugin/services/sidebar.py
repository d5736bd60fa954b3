"""The ticket sidebar's data: which orders a ticket is about, and three panels on them.

``sidebar_context`` finds the orders (references in the ticket, then the requester's email)
inside one installation only, and builds the timeline, tracking and eligibility panels. Each
panel runs in its own savepoint and its own ``try``: a panel that fails (a malformed order
document, a tracking error) becomes a panel error and the others still show.

The same context feeds the JSON endpoint and the HTML panels (``plugin.sidebar``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar
from urllib.parse import urlencode

from redis import Redis
from sqlalchemy.orm import Session

from plugin.domain import timeline as tl
from plugin.domain.claims import CLAIMABLE, EXPIRED, WAITING, status_on
from plugin.domain.marketplaces import normalize_marketplace
from plugin.domain.order_refs import OrderRef, find_order_refs
from plugin.domain.policy import (
    RETURN_DAMAGED_BY_AMAZON,
    RETURN_DISPUTED_GRADING,
    RETURN_NOT_RECEIVED,
)
from plugin.domain.triage import SlaClock, sla_clock
from plugin.errors import PluginError
from plugin.services.tracking import TrackingView, request_refresh, tracking_for_orders
from plugin.store import sidebar_queries as sq
from plugin.store import tracking_queries, triage_queries
from plugin.store.models import ClaimRecord, Order

logger = logging.getLogger(__name__)

EMAIL = "email"  # found_in for orders found by the requester's address
EMAIL_ORDER_LIMIT = 5  # a repeat buyer's newest orders only: the sidebar is small
# Claim kinds whose reference is a customer order (spec §2 kinds 3, 4 and 6); warehouse and
# inbound claims reference inventory events and shipments.
ORDER_CLAIM_KINDS = frozenset(
    {RETURN_NOT_RECEIVED, RETURN_DAMAGED_BY_AMAZON, RETURN_DISPUTED_GRADING}
)
MAX_TEXT = 20_000  # characters of subject/description read (a pasted log is not an order list)

T = TypeVar("T")


class SidebarError(PluginError):
    """The sidebar cannot answer at all (bad input); panels report their own failures."""


@dataclass(frozen=True)
class TicketInput:
    """What the sidebar script reads from the ticket (all customer text: never trusted)."""

    subject: str = ""
    description: str = ""
    requester_email: str = ""
    order_field: str = ""
    ticket_id: int | None = None


@dataclass(frozen=True)
class OrderSummary:
    channel: str
    order_id: str
    marketplace: str | None
    status: str | None
    purchased_at: datetime | None
    found_in: str  # order_field, subject, description or email


@dataclass(frozen=True)
class ClaimLine:
    """One claim on the order, as the eligibility panel shows it."""

    kind: str
    reference_id: str
    sku: str
    units: int
    estimated_amount: Decimal | None
    currency: str | None
    valuation_basis: str | None
    deadline: date | None
    days_left: int | None  # negative once the deadline has passed
    status: str
    status_reason: str | None
    disputed_grading: bool
    claims_url: str


@dataclass(frozen=True)
class SkuClaims:
    """Claims on one of the order's SKUs that are not about this order (warehouse, inbound …)."""

    sku: str
    count: int
    claims_url: str


@dataclass(frozen=True)
class Eligibility:
    """The eligibility panel of one order: its own claims, and the SKUs' other claims."""

    claims: list[ClaimLine]
    other_sku_claims: list[SkuClaims]


@dataclass(frozen=True)
class Panel(Generic[T]):
    """A panel's data by order id, or the reason it could not be built (``error`` is a code)."""

    data: Mapping[str, T] = field(default_factory=dict)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class SidebarContext:
    refs: list[OrderRef]
    requester_email: str
    orders: list[OrderSummary]
    timeline: Panel[list[tl.TimelineEvent]]
    tracking: Panel[list[TrackingView]]
    eligibility: Panel[Eligibility]
    now: datetime
    sla: SlaClock | None = None  # the ticket's first-answer clock, once triage decided

    @property
    def stale_tracking(self) -> list[TrackingView]:
        return [view for views in self.tracking.data.values() for view in views if view.stale]


def sidebar_context(
    session: Session, installation_id: int, ticket: TicketInput, now: datetime
) -> SidebarContext:
    """Everything the sidebar shows for ``ticket``, within ``installation_id`` only.

    Records a ticket link for each order found when ``ticket.ticket_id`` is given.

    Raises:
        SidebarError: ``now`` is naive.
    """
    if now.tzinfo is None:
        raise SidebarError("now must be timezone-aware")
    refs = find_order_refs(
        order_field=ticket.order_field[:200],
        subject=ticket.subject[:MAX_TEXT],
        description=ticket.description[:MAX_TEXT],
    )
    email = ticket.requester_email.strip()
    found = find_orders(session, installation_id, refs, email)
    orders = [summarize(order, place) for order, place in found]
    ids = [order.order_id for order, _ in found]
    records = [order for order, _ in found]
    if ticket.ticket_id is not None and found:
        links = [(order.channel, order.order_id, place) for order, place in found]
        sq.link_ticket(session, installation_id, ticket.ticket_id, links, now)
    return SidebarContext(
        refs=refs,
        requester_email=email,
        orders=orders,
        timeline=_panel(session, "timeline", lambda: timelines(session, installation_id, records)),
        tracking=_panel(
            session, "tracking", lambda: tracking_panel(session, installation_id, ids, now)
        ),
        eligibility=_panel(
            session, "eligibility", lambda: eligibility(session, installation_id, records, now)
        ),
        now=now,
        sla=sla_of(session, installation_id, ticket.ticket_id, now),
    )


def sla_of(
    session: Session, installation_id: int, ticket_id: int | None, now: datetime
) -> SlaClock | None:
    """The ticket's SLA clock from its triage (None before triage, or without a ticket id)."""
    if ticket_id is None:
        return None
    row = triage_queries.triage_of(session, installation_id, ticket_id)
    if row is None:
        return None
    return sla_clock(
        row.risk, row.categories, row.ticket_created_at, row.sla_due_at, row.first_response_at, now
    )


def _panel(session: Session, name: str, build: Callable[[], Mapping[str, T]]) -> Panel[T]:
    """Build one panel in a savepoint; any failure is logged and becomes the panel's error."""
    try:
        with session.begin_nested():
            return Panel(build())
    except Exception:  # one panel must never take the page down; the log keeps the detail
        logger.exception("sidebar panel %s failed", name)
        return Panel(error=f"{name}_failed")


def find_orders(
    session: Session, installation_id: int, refs: Sequence[OrderRef], email: str
) -> list[tuple[Order, str]]:
    """The orders the ticket names (in the order named), then the requester's newest ones."""
    wanted = [lookup for ref in refs for lookup in ref.lookup_ids]
    by_id: dict[str, list[Order]] = {}
    for order in sq.orders_by_ids(session, installation_id, set(wanted)):
        by_id.setdefault(order.order_id, []).append(order)
    found: dict[int, tuple[Order, str]] = {}
    for ref in refs:
        for lookup in ref.lookup_ids:
            for order in by_id.get(lookup, []):
                if ref.channel is None or ref.channel == order.channel:
                    found.setdefault(order.id, (order, ref.found_in))
    if email:
        for order in sq.recent_orders_by_buyer_email(
            session, installation_id, email, EMAIL_ORDER_LIMIT
        ):
            found.setdefault(order.id, (order, EMAIL))
    return list(found.values())


def summarize(order: Order, found_in: str) -> OrderSummary:
    channel = order.data.get("salesChannel") if isinstance(order.data, dict) else None
    name = channel.get("marketplaceName") if isinstance(channel, dict) else None
    marketplace = normalize_marketplace(name if isinstance(name, str) else None)
    return OrderSummary(
        channel=order.channel,
        order_id=order.order_id,
        marketplace=marketplace or order.marketplace_id,
        status=order.status,
        purchased_at=order.purchased_at,
        found_in=found_in,
    )


# --- timeline ----------------------------------------------------------------------------


def timelines(
    session: Session, installation_id: int, orders: Sequence[Order]
) -> dict[str, list[tl.TimelineEvent]]:
    ids = [order.order_id for order in orders]
    if not ids:
        return {}
    returns = _group(sq.returns_for_orders(session, installation_id, ids), "order_id")
    refunds = _group(sq.refunds_for_orders(session, installation_id, ids), "order_id")
    paid = _group(sq.reimbursements_for_orders(session, installation_id, ids), "amazon_order_id")
    claims = _group(
        sq.claims_for_orders(session, installation_id, ids, ORDER_CLAIM_KINDS, include_gone=True),
        "reference_id",
    )
    actions = tl.CASE_OPEN_ACTIONS | tl.CASE_CLOSE_ACTIONS
    cases = _group(sq.audit_events_for_orders(session, installation_id, ids, actions), "order_id")
    snapshots = _group(
        tracking_queries.snapshots_for_orders(session, installation_id, ids), "order_id"
    )
    result = {}
    for order in orders:
        key = order.order_id
        facts = tl.TimelineFacts(
            order=order_facts(order),
            deliveries=tuple(
                tl.DeliveryFacts(s.delivered_at, s.carrier, s.tracking_number)
                for s in snapshots.get(key, [])
                if s.delivered_at is not None
            ),
            returns=tuple(
                tl.ReturnFacts(r.return_date, r.sku, r.quantity, r.disposition, r.reason)
                for r in returns.get(key, [])
            ),
            refunds=tuple(_refund_facts(r.posted_date, r.items) for r in refunds.get(key, [])),
            reimbursements=tuple(
                tl.ReimbursementFacts(
                    r.approval_date,
                    r.reimbursement_id,
                    r.case_id,
                    r.sku,
                    r.quantity_total,
                    r.amount_total,
                    r.currency,
                    r.reason,
                )
                for r in paid.get(key, [])
            ),
            claims=tuple(
                tl.ClaimFacts(c.kind, c.sku, c.quantity, c.first_seen_at, c.gone_at)
                for c in claims.get(key, [])
            ),
            cases=tuple(
                tl.CaseFacts(
                    e.at, e.action, str((e.detail or {}).get("case_id") or ""), e.sku or ""
                )
                for e in cases.get(key, [])
            ),
        )
        result[key] = tl.build_timeline(facts)
    return result


def order_facts(order: Order) -> tl.OrderFacts:
    """The timeline's view of an order document (Orders API 2026-01-01 ``packages[]``).

    Raises:
        ValueError: a package's ``shipTime`` is not an ISO 8601 time with a zone.
    """
    packages = order.data.get("packages") if isinstance(order.data, dict) else None
    facts = []
    for package in packages or []:
        shipped = package.get("shipTime")
        facts.append(
            tl.PackageFacts(
                shipped_at=_parse_time(shipped) if shipped else None,
                carrier=package.get("carrier"),
                tracking_number=package.get("trackingNumber"),
            )
        )
    return tl.OrderFacts(order.order_id, order.channel, order.purchased_at, tuple(facts))


def _parse_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"time without a zone in an order document: {text!r}")
    return moment.astimezone(UTC)


def _refund_facts(posted: date, items: Iterable[Mapping[str, Any]]) -> tl.RefundFacts:
    units, amount, currency = 0, Decimal(0), ""
    for item in items:
        units += int(item.get("quantity") or 0)
        amount += abs(Decimal(str(item.get("principal") or 0)))
        currency = currency or str(item.get("currency") or "")
    return tl.RefundFacts(posted, units, amount, currency)


def _group(rows: Iterable[Any], attribute: str) -> dict[str, list[Any]]:
    grouped: dict[str, list[Any]] = {}
    for row in rows:
        grouped.setdefault(getattr(row, attribute), []).append(row)
    return grouped


# --- tracking ----------------------------------------------------------------------------


def tracking_panel(
    session: Session, installation_id: int, order_ids: Sequence[str], now: datetime
) -> dict[str, list[TrackingView]]:
    """The stored tracking snapshots of the orders' parcels (stale ones flagged)."""
    views = tracking_for_orders(session, installation_id, list(order_ids), now)
    grouped: dict[str, list[TrackingView]] = {order_id: [] for order_id in order_ids}
    for view in views:
        if view.order_id is not None:
            grouped.setdefault(view.order_id, []).append(view)
    return grouped


def refresh_stale(redis: Redis, installation_id: int, context: SidebarContext) -> int:
    """Ask the worker to refresh the context's stale snapshots; how many jobs were queued."""
    stale = context.stale_tracking
    if not stale:
        return 0
    return request_refresh(redis, installation_id, stale)


# --- eligibility -------------------------------------------------------------------------


def eligibility(
    session: Session, installation_id: int, orders: Sequence[Order], now: datetime
) -> dict[str, Eligibility]:
    """The claims on each order (kinds that reference an order: returns, refunds, grading),
    and how many other claims the order's SKUs have (listed in the claims view)."""
    order_ids = [order.order_id for order in orders]
    records = sq.claims_for_orders(session, installation_id, order_ids, ORDER_CLAIM_KINDS)
    disputed = {(r.reference_id, r.sku) for r in records if r.kind == RETURN_DISPUTED_GRADING}
    skus = {order.order_id: order_skus(order) for order in orders}
    counts = sq.other_claim_counts(
        session, installation_id, {sku for found in skus.values() for sku in found}, order_ids
    )
    today = now.astimezone(UTC).date()
    lines: dict[str, list[ClaimLine]] = {order_id: [] for order_id in order_ids}
    for record in records:
        lines.setdefault(record.reference_id, []).append(
            claim_line(record, today, (record.reference_id, record.sku) in disputed)
        )
    return {
        order_id: Eligibility(
            claims=lines[order_id],
            other_sku_claims=[
                SkuClaims(sku, counts[sku], "/claims/?" + urlencode({"q": sku}))
                for sku in skus[order_id]
                if counts.get(sku)
            ],
        )
        for order_id in order_ids
    }


def order_skus(order: Order) -> list[str]:
    """The seller SKUs of an Orders API document's items, in item order, once each."""
    items = order.data.get("orderItems") if isinstance(order.data, dict) else None
    found: dict[str, None] = {}
    for item in items if isinstance(items, list) else []:
        product = item.get("product") if isinstance(item, dict) else None
        sku = product.get("sellerSku") if isinstance(product, dict) else None
        if isinstance(sku, str) and sku:
            found[sku] = None
    return list(found)


def claim_line(record: ClaimRecord, today: date, disputed: bool) -> ClaimLine:
    return ClaimLine(
        kind=record.kind,
        reference_id=record.reference_id,
        sku=record.sku,
        units=record.quantity,
        estimated_amount=record.estimated_amount,
        currency=record.currency,
        valuation_basis=record.valuation_basis,
        deadline=record.deadline,
        days_left=(record.deadline - today).days if record.deadline is not None else None,
        status=current_status(record, today),
        status_reason=record.status_reason,
        disputed_grading=disputed,
        claims_url=claims_url(record.kind, record.reference_id, record.sku),
    )


def current_status(record: ClaimRecord, today: date) -> str:
    """The status today: a dated claim's window moves on after the run that stored it."""
    dated = record.opens_on is not None and record.deadline is not None
    if dated and record.status in (CLAIMABLE, WAITING, EXPIRED):
        assert record.opens_on is not None and record.deadline is not None
        return status_on(today, record.opens_on, record.deadline)
    return record.status


def claims_url(kind: str, reference_id: str, sku: str) -> str:
    """The claims view focused on one claim: ``/claims/?claim=<kind>:<reference>:<sku>``."""
    return "/claims/?" + urlencode({"claim": f"{kind}:{reference_id}:{sku}"})
