"""Automatic answers to "where is my order?" tickets, for installations that turned them on.

Off by default (setting ``auto_replies``). After triage says a ticket is about where an order
is, ``answer_where_is_my_order`` reads the ticket again and answers it only when nothing is in
doubt:

- the setting is on, the ticket is open, carries no earlier automatic reply, and no agent has
  answered it in public;
- the customer's words are about where the order is, and about nothing else (a damaged item,
  an A-to-z or chargeback threat, a cancellation … go to an agent);
- exactly one order is meant (the ids in the ticket, else the requester's orders), it is in
  the store, and it has exactly one parcel;
- that parcel's snapshot is fresh, its status is live (picked up, in transit, out for
  delivery, ready for pickup, or delivered within the last ``DELIVERED_RECENTLY``), and it is
  not past its estimated delivery.

Anything else is left to an agent, and why is recorded once in the audit trail
(``auto_reply_skipped``). Otherwise one public reply (the ``wismo_auto_reply`` wording in the
customer's language, no link through a marketplace relay address), the tag
``claimdesk_auto_replied`` and an internal note saying so are written through ``write_once``
(keys ``auto-reply:{ticket}`` and ``auto-reply:{ticket}:note``): a repeated webhook, a second
job or a retry after a crash between sending and confirming never replies twice. The decision
is recorded (``auto_reply``) before anything is sent, and a later run resumes from it instead
of deciding again (our own reply must not read as "an agent answered").
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.orm import Session

from connectors.zendesk.client import ZendeskClient
from connectors.zendesk.models import CommentData, NewComment, TicketData, UserData
from plugin.domain import replies, triage
from plugin.domain import tracking as parcels
from plugin.domain.order_refs import OrderRef, find_order_refs
from plugin.extensions import Resources
from plugin.services import audit, reply_templates, writeback
from plugin.services import tracking as tracking_service
from plugin.services import triage as triage_service
from plugin.services.sidebar import EMAIL, find_orders
from plugin.store import queries, reply_queries, sidebar_queries, tracking_queries, triage_queries
from plugin.store.models import Order, TicketLink, TrackingSnapshot

logger = logging.getLogger(__name__)

SETTING = "auto_replies"
DEFAULT_ENABLED = False
TAG = "claimdesk_auto_replied"
KIND = "auto_reply"  # the write-back kind
SKIPPED = "auto_reply_skipped"  # audit action of a ticket left to an agent
DECIDED = audit.AUTO_REPLY  # audit action of a decision to answer (before sending)

DELIVERED_RECENTLY = timedelta(days=3)
LATE_AFTER = timedelta(days=1)  # past the estimated delivery by this much: a late parcel
LIVE_STATUSES = frozenset(
    {
        parcels.PICKED_UP,
        parcels.IN_TRANSIT,
        parcels.OUT_FOR_DELIVERY,
        parcels.READY_FOR_PICKUP,
        parcels.DELIVERED,
    }
)
CLOSED_STATUSES = frozenset({"solved", "closed"})

# Outcomes.
REPLIED = "replied"
ALREADY_REPLIED = "already_replied"
LEFT_TO_AGENT = "left_to_agent"
OFF = "off"
FAILED = "failed"

# Why a ticket is left to an agent.
TICKET_CLOSED = "ticket_closed"
ALREADY_TAGGED = "already_tagged"
AGENT_REPLIED = "agent_replied"
NOT_WHERE_IS_MY_ORDER = "not_where_is_my_order"
OTHER_CATEGORIES = "other_categories"
ORDER_NOT_FOUND = "order_not_found"
NO_ORDER = "no_order"
SEVERAL_ORDERS = "several_orders"
NO_TRACKING = "no_tracking"
SEVERAL_PARCELS = "several_parcels"
STALE_TRACKING = "stale_tracking"
STATUS_NEEDS_AGENT = "status_needs_agent"
DELIVERED_LONG_AGO = "delivered_long_ago"
LATE = "late"

REASONS: Mapping[str, str] = {
    TICKET_CLOSED: "the ticket is solved or closed",
    ALREADY_TAGGED: f"the ticket already carries {TAG}",
    AGENT_REPLIED: "an agent has already answered in public",
    NOT_WHERE_IS_MY_ORDER: "the customer does not ask where the order is",
    OTHER_CATEGORIES: "the customer also writes about something an agent must handle",
    ORDER_NOT_FOUND: "the order the customer names is not in the store",
    NO_ORDER: "no order is linked to the ticket",
    SEVERAL_ORDERS: "several orders could be meant",
    NO_TRACKING: "the order has no tracked parcel",
    SEVERAL_PARCELS: "the order has several parcels",
    STALE_TRACKING: "the tracking status is not fresh",
    STATUS_NEEDS_AGENT: "the parcel's status needs an agent",
    DELIVERED_LONG_AGO: "the parcel was delivered too long ago (or when is not known)",
    LATE: "the parcel is past its estimated delivery",
}


@dataclass(frozen=True)
class Outcome:
    """What ``answer_where_is_my_order`` did: ``status`` (REPLIED … FAILED), and for a
    ticket left to an agent, the ``reason`` code (``REASONS``)."""

    status: str
    reason: str | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)


def reply_key(ticket_id: int) -> str:
    return f"auto-reply:{ticket_id}"


def note_key(ticket_id: int) -> str:
    return f"auto-reply:{ticket_id}:note"


# --- the setting -----------------------------------------------------------------------------


def auto_replies_enabled(session: Session, installation_id: int) -> bool:
    """Whether the installation answers where-is-my-order tickets itself (off by default)."""
    found = queries.setting_value(session, installation_id, SETTING)
    return DEFAULT_ENABLED if found is None else found is True


def set_auto_replies(session: Session, installation_id: int, enabled: bool, now: datetime) -> None:
    queries.put_setting(session, installation_id, SETTING, bool(enabled), now)


# --- the decision (pure) ---------------------------------------------------------------------


@dataclass(frozen=True)
class TicketFacts:
    """What the decision reads: the ticket, the customer's words, the orders and parcels."""

    ticket_status: str
    tags: tuple[str, ...]
    agent_replied: bool
    categories: tuple[str, ...]
    named_refs: int  # order references in the ticket
    unmatched_refs: tuple[str, ...]  # those the store does not know
    orders: tuple[str, ...]  # the orders meant (named ones, else the requester's)
    parcels: tuple[TrackingSnapshot, ...]  # of the one order, when there is one


def decide(facts: TicketFacts, now: datetime) -> tuple[str | None, dict[str, Any]]:
    """``(None, {})`` when the ticket may be answered, else ``(reason, detail)``."""
    if facts.ticket_status in CLOSED_STATUSES:
        return TICKET_CLOSED, {"ticket_status": facts.ticket_status}
    if TAG in facts.tags:
        return ALREADY_TAGGED, {}
    if facts.agent_replied:
        return AGENT_REPLIED, {}
    if triage.WHERE_IS_MY_ORDER not in facts.categories:
        return NOT_WHERE_IS_MY_ORDER, {"categories": list(facts.categories)}
    others = [c for c in facts.categories if c != triage.WHERE_IS_MY_ORDER]
    if others:
        return OTHER_CATEGORIES, {"categories": others}
    if facts.unmatched_refs:
        return ORDER_NOT_FOUND, {"order_ids": list(facts.unmatched_refs)}
    if not facts.orders:
        return NO_ORDER, {}
    if len(facts.orders) > 1:
        return SEVERAL_ORDERS, {"order_ids": list(facts.orders)}
    if not facts.parcels:
        return NO_TRACKING, {"order_id": facts.orders[0]}
    if len(facts.parcels) > 1:
        return SEVERAL_PARCELS, {"tracking_numbers": [p.tracking_number for p in facts.parcels]}
    parcel = facts.parcels[0]
    detail = {"carrier": parcel.carrier, "tracking_number": parcel.tracking_number}
    detail["status"] = parcel.status
    if parcel.status not in LIVE_STATUSES:
        return STATUS_NEEDS_AGENT, detail
    if parcels.is_stale(parcel.expires_at, now):
        return STALE_TRACKING, {**detail, "expires_at": parcel.expires_at.isoformat()}
    if parcel.status == parcels.DELIVERED and (
        parcel.delivered_at is None or now - parcel.delivered_at > DELIVERED_RECENTLY
    ):
        delivered = parcel.delivered_at.isoformat() if parcel.delivered_at else None
        return DELIVERED_LONG_AGO, {**detail, "delivered_at": delivered}
    if (
        parcel.status != parcels.DELIVERED
        and parcel.estimated_delivery is not None
        and now - parcel.estimated_delivery > LATE_AFTER
    ):
        return LATE, {**detail, "estimated_delivery": parcel.estimated_delivery.isoformat()}
    return None, {}


# --- reading the ticket ----------------------------------------------------------------------


@dataclass(frozen=True)
class Reading:
    ticket: TicketData
    requester: UserData | None
    customer_text: str
    classification: triage.Classification
    facts: TicketFacts
    order: Order | None


def agent_answered(ticket: TicketData, comments: Sequence[CommentData]) -> bool:
    """True when someone other than the requester wrote a public comment after the first."""
    return any(
        c.public and c.author_id is not None and c.author_id != ticket.requester_id
        for c in comments[1:]
    )


def customer_text(ticket: TicketData, comments: Sequence[CommentData]) -> str:
    """The subject and every public comment the requester wrote (the first is the ticket)."""
    bodies = [
        c.body
        for index, c in enumerate(comments)
        if c.public and (index == 0 or c.author_id == ticket.requester_id)
    ]
    return "\n".join([ticket.subject, *(bodies or [ticket.description])])


def read_ticket(
    session: Session,
    client: ZendeskClient,
    installation_id: int,
    ticket_id: int,
    rules: triage.Rules,
) -> Reading:
    """Everything the decision needs, from Zendesk (the ticket now) and the store."""
    ticket = client.ticket(ticket_id)
    comments = client.comments(ticket_id)
    requester = client.user(ticket.requester_id) if ticket.requester_id else None
    text = customer_text(ticket, comments)
    classification = triage.classify(text, rules=rules)
    categories = list(classification.categories)
    stored = triage_queries.triage_of(session, installation_id, ticket_id)
    for category in stored.categories if stored is not None else ():
        if category not in categories:  # the triage may know more (the order's state)
            categories.append(category)
    fields = " ".join(str(v) for v in ticket.custom_fields.values() if isinstance(v, str | int))
    refs = find_order_refs(order_field=fields, subject=ticket.subject, description=text)
    email = (requester.email or "") if requester is not None else ""
    found = find_orders(session, installation_id, refs, email)
    named: dict[tuple[str, str], Order] = {}
    by_email: dict[tuple[str, str], Order] = {}
    for order, place in found:
        target = by_email if place == EMAIL else named
        target[order.channel, order.order_id] = order
    for link in sidebar_queries.ticket_links(session, installation_id, ticket_id):
        if link.found_in != EMAIL and (link.channel, link.order_id) not in named:
            for order, _ in find_orders(session, installation_id, [_ref_of(link)], ""):
                if order.channel == link.channel:
                    named[order.channel, order.order_id] = order
    matched = {order.order_id for order in named.values()}
    unmatched = tuple(ref.order_id for ref in refs if not matched.intersection(ref.lookup_ids))
    meant = named or by_email
    chosen = next(iter(meant.values())) if len(meant) == 1 else None
    snapshots = (
        tuple(tracking_queries.snapshots_for_orders(session, installation_id, [chosen.order_id]))
        if chosen is not None
        else ()
    )
    facts = TicketFacts(
        ticket_status=ticket.status,
        tags=ticket.tags,
        agent_replied=agent_answered(ticket, comments),
        categories=tuple(categories),
        named_refs=len(refs),
        unmatched_refs=unmatched,
        orders=tuple(f"{channel}:{order_id}" for channel, order_id in meant),
        parcels=snapshots,
    )
    return Reading(ticket, requester, text, classification, facts, chosen)


def _ref_of(link: TicketLink) -> OrderRef:
    return OrderRef(link.channel, link.order_id, link.found_in)


def reply_language(reading: Reading) -> str:
    """The language of the customer's where-is-my-order words, else of their Zendesk locale."""
    for match in reading.classification.matches:
        if match.category == triage.WHERE_IS_MY_ORDER:
            return replies.reply_language(match.language)
    locale = reading.requester.locale if reading.requester is not None else None
    return replies.reply_language(locale or reading.classification.language)


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name) if name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")  # a Rails zone name ("Eastern Time (US & Canada)")


# --- the job's work --------------------------------------------------------------------------


def answer_where_is_my_order(
    store: Resources,
    installation_id: int,
    ticket_id: int,
    now: datetime,
    *,
    client: ZendeskClient | None = None,
    rules: triage.Rules | None = None,
) -> Outcome:
    """Answer ticket ``ticket_id`` if nothing is in doubt (see the module); at most once.

    Raises:
        RateLimited, UpstreamError: Zendesk throttled or failed (the job retries; a reply
            already decided is resumed, never decided again).
        WriteBusy: another worker is sending this reply now.
    """
    with store.session() as session:
        if not auto_replies_enabled(session, installation_id):
            return Outcome(OFF)
        decision = _decision(session, installation_id, ticket_id)
        owned = client is None
        if client is None:
            client = writeback.client_for(
                session, store.keyring, installation_id, pacer=writeback.pacer_for(store.redis)
            )
    try:
        if decision is None:
            decided = _decide(store, client, installation_id, ticket_id, now, rules)
            if isinstance(decided, Outcome):
                return decided
            decision = decided
        return _send(store, client, installation_id, ticket_id, decision, now)
    finally:
        if owned:
            client.close()


def _decision(session: Session, installation_id: int, ticket_id: int) -> dict[str, Any] | None:
    """The recorded decision to answer this ticket, if one was made."""
    for event in reversed(
        reply_queries.ticket_audit_events(session, installation_id, ticket_id, [DECIDED])
    ):
        if (event.detail or {}).get("key") == reply_key(ticket_id):
            return dict(event.detail)
    return None


def _decide(
    store: Resources,
    client: ZendeskClient,
    installation_id: int,
    ticket_id: int,
    now: datetime,
    rules: triage.Rules | None,
) -> Outcome | dict[str, Any]:
    """Read and decide: an Outcome when the ticket is left to an agent, else the recorded
    decision (committed before anything is sent)."""
    with store.session() as session:
        rules = rules or triage_service.rules_for(session, installation_id)
        reading = read_ticket(session, client, installation_id, ticket_id, rules)
        reason, detail = decide(reading.facts, now)
        if reason is not None:
            _record_skip(session, installation_id, ticket_id, reason, detail, reading, now)
            logger.info("ticket %s left to an agent: %s", ticket_id, reason)
            return Outcome(LEFT_TO_AGENT, reason, detail)
        assert reading.order is not None and len(reading.facts.parcels) == 1
        decision = _render(session, installation_id, reading, now)
        audit.record(
            session,
            installation_id,
            actor=audit.CLAIMDESK,
            action=DECIDED,
            summary=(
                f"Automatic where-is-my-order reply decided for ticket {ticket_id}: order "
                f"{decision['order_id']}, {decision['carrier']} {decision['tracking_number']} "
                f"{decision['status']}"
            ),
            ticket_id=ticket_id,
            order_id=decision["order_id"],
            detail=decision,
            proof={"snapshot": decision["snapshot"]},
            now=now,
        )
        return decision


def _render(
    session: Session, installation_id: int, reading: Reading, now: datetime
) -> dict[str, Any]:
    order = reading.order
    assert order is not None
    parcel = reading.facts.parcels[0]
    language = reply_language(reading)
    wording = reply_templates.template_for(
        session, installation_id, replies.WISMO_AUTO_REPLY, language
    )
    requester = reading.requester
    email = requester.email if requester is not None else None
    links = replies.links_allowed(email)
    facts = replies.ParcelFacts(
        order_id=order.order_id,
        carrier=parcel.carrier,
        tracking_number=parcel.tracking_number,
        status=parcel.status,
        url=parcels.tracking_url(parcel.carrier, parcel.tracking_number),
        estimated_delivery=parcel.estimated_delivery,
        delivered_at=parcel.delivered_at,
        customer_name=requester.name if requester is not None else "",
    )
    zone = _zone(requester.time_zone if requester is not None else None)
    rendered = replies.render_reply(wording.body, facts, language, zone, links=links)
    carrier = replies.CARRIER_NAMES.get(parcel.carrier, parcel.carrier)
    note = (
        f"claimdesk answered this ticket automatically (where is my order?): order "
        f"{order.order_id}, {carrier} {parcel.tracking_number}, status {parcel.status} "
        f"(tracking checked {parcel.fetched_at.isoformat()}). Reply in {language}"
        f"{'' if wording.custom else ', default wording'}"
        f"{'' if links else ', without a link (marketplace relay address)'}; "
        f"tag {TAG} added."
    )
    return {
        "key": reply_key(reading.ticket.id),
        "order_id": order.order_id,
        "channel": order.channel,
        "carrier": parcel.carrier,
        "tracking_number": parcel.tracking_number,
        "status": parcel.status,
        "language": language,
        "custom_wording": wording.custom,
        "links": links,
        "categories": list(reading.facts.categories),
        "text": rendered.text,
        "html": rendered.html,
        "note": note,
        "snapshot": _snapshot(parcel),
        "decided_at": now.isoformat(),
    }


def _snapshot(parcel: TrackingSnapshot) -> dict[str, Any]:
    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value is not None else None

    return {
        "carrier": parcel.carrier,
        "tracking_number": parcel.tracking_number,
        "status": parcel.status,
        "status_detail": parcel.status_detail,
        "estimated_delivery": iso(parcel.estimated_delivery),
        "delivered_at": iso(parcel.delivered_at),
        "source": parcel.source,
        "fetched_at": iso(parcel.fetched_at),
        "expires_at": iso(parcel.expires_at),
    }


def _record_skip(
    session: Session,
    installation_id: int,
    ticket_id: int,
    reason: str,
    detail: Mapping[str, Any],
    reading: Reading,
    now: datetime,
) -> None:
    """Say once why the ticket is left to an agent (a repeated webhook says nothing new)."""
    earlier = reply_queries.ticket_audit_events(session, installation_id, ticket_id, [SKIPPED])
    if earlier and (earlier[-1].detail or {}).get("reason") == reason:
        return
    order_id = reading.order.order_id if reading.order is not None else None
    audit.record(
        session,
        installation_id,
        actor=audit.CLAIMDESK,
        action=SKIPPED,
        summary=f"No automatic reply to ticket {ticket_id}: {REASONS[reason]}",
        ticket_id=ticket_id,
        order_id=order_id,
        detail={
            "reason": reason,
            **detail,
            "language": reading.classification.language,
            "matched": [
                {"category": m.category, "language": m.language, "text": m.text}
                for m in reading.classification.matches
            ],
        },
        now=now,
    )


def _send(
    store: Resources,
    client: ZendeskClient,
    installation_id: int,
    ticket_id: int,
    decision: Mapping[str, Any],
    now: datetime,
) -> Outcome:
    """The reply and its tag, then the note: each exactly once."""
    order_id = str(decision["order_id"])
    proof = {"snapshot": decision["snapshot"]}
    reply = writeback.write_once(
        store,
        installation_id,
        key=reply_key(ticket_id),
        ticket_id=ticket_id,
        kind=KIND,
        comment=NewComment(body=decision["text"], html_body=decision["html"], public=True),
        add_tags=(TAG,),
        now=now,
        client=client,
        summary=f"Automatic where-is-my-order reply on ticket {ticket_id} (order {order_id})",
        order_id=order_id,
        proof=proof,
    )
    detail = {"order_id": order_id, "writeback_id": reply.writeback_id}
    if reply.status == writeback.FAILED:
        logger.warning("automatic reply to ticket %s failed: %s", ticket_id, reply.error)
        return Outcome(FAILED, reply.error, detail)
    note = writeback.write_once(
        store,
        installation_id,
        key=note_key(ticket_id),
        ticket_id=ticket_id,
        kind=KIND,
        comment=NewComment(body=decision["note"], public=False),
        now=now,
        client=client,
        summary=f"Note on ticket {ticket_id}: claimdesk answered it automatically",
        order_id=order_id,
        proof=proof,
    )
    detail["note_writeback_id"] = note.writeback_id
    if note.status == writeback.FAILED:
        logger.warning("note of the automatic reply to %s failed: %s", ticket_id, note.error)
    status = REPLIED if reply.status == writeback.SENT else ALREADY_REPLIED
    return Outcome(status, None, detail)


def refresh_stale_parcel(
    store: Resources, installation_id: int, detail: Mapping[str, Any], now: datetime
) -> int:
    """Ask the worker to refresh the parcel a ``STALE_TRACKING`` outcome names (its job is
    unique: asking twice queues once); how many refreshes were queued."""
    carrier, number = detail.get("carrier"), detail.get("tracking_number")
    if not isinstance(carrier, str) or not isinstance(number, str):
        return 0
    with store.session() as session:
        stored = tracking_queries.snapshot(session, installation_id, carrier, number)
        if stored is None:
            return 0
        view = tracking_service.view_of(stored, now)
    return tracking_service.request_refresh(store.redis, installation_id, [view])
