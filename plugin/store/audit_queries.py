"""Named queries of the audit trail and of what an order's dossier gathers.

Same rules as ``plugin.store.queries``: every function takes the installation's id and filters
by it; none commits (the caller's session does). Audit events are only ever inserted: this
module, like every other, has no query that updates or deletes one.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from plugin.store.models import AuditEvent, TicketLink, TicketTriage


def insert_event(
    session: Session,
    installation_id: int,
    *,
    at: datetime,
    actor: str,
    action: str,
    summary: str,
    detail: dict[str, Any],
    proof: dict[str, Any] | None,
    ticket_id: int | None,
    order_id: str | None,
    asin: str | None,
    sku: str | None,
) -> AuditEvent:
    """Append one audit event and flush, so it has its id."""
    event = AuditEvent(
        installation_id=installation_id,
        at=at,
        actor=actor,
        action=action,
        ticket_id=ticket_id,
        order_id=order_id,
        asin=asin,
        sku=sku,
        summary=summary,
        detail=detail,
        proof=proof,
    )
    session.add(event)
    session.flush()
    return event


def events_for_order(session: Session, installation_id: int, order_id: str) -> list[AuditEvent]:
    """The order's events, oldest first."""
    return list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.installation_id == installation_id, AuditEvent.order_id == order_id)
            .order_by(AuditEvent.at, AuditEvent.id)
        )
    )


def events_for_ticket(session: Session, installation_id: int, ticket_id: int) -> list[AuditEvent]:
    """The ticket's events, oldest first."""
    return list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.installation_id == installation_id, AuditEvent.ticket_id == ticket_id)
            .order_by(AuditEvent.at, AuditEvent.id)
        )
    )


def events_for_order_or_tickets(
    session: Session, installation_id: int, order_id: str, ticket_ids: Collection[int]
) -> list[AuditEvent]:
    """Events naming the order, or one of its tickets and no order (a triage decision names
    only its ticket), oldest first; each once. A ticket about two orders lends neither the
    other's events."""
    condition = AuditEvent.order_id == order_id
    if ticket_ids:
        condition = or_(
            condition,
            and_(AuditEvent.ticket_id.in_(sorted(ticket_ids)), AuditEvent.order_id.is_(None)),
        )
    return list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.installation_id == installation_id, condition)
            .order_by(AuditEvent.at, AuditEvent.id)
        )
    )


def ticket_links_for_order(
    session: Session, installation_id: int, channel: str, order_id: str
) -> list[TicketLink]:
    """The tickets that mention the order, by ticket id."""
    return list(
        session.scalars(
            select(TicketLink)
            .where(
                TicketLink.installation_id == installation_id,
                TicketLink.channel == channel,
                TicketLink.order_id == order_id,
            )
            .order_by(TicketLink.ticket_id, TicketLink.id)
        )
    )


def triage_for_tickets(
    session: Session, installation_id: int, ticket_ids: Collection[int]
) -> dict[int, TicketTriage]:
    """The latest triage decision of each ticket that has one."""
    if not ticket_ids:
        return {}
    rows = session.scalars(
        select(TicketTriage).where(
            TicketTriage.installation_id == installation_id,
            TicketTriage.ticket_id.in_(sorted(ticket_ids)),
        )
    )
    return {row.ticket_id: row for row in rows}
