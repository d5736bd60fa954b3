"""Named queries of triage: webhook deliveries, ticket triage rows, installation settings.

Every query takes ``installation_id`` (except finding the installation a webhook names).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from plugin.store.models import (
    Installation,
    RefundEventRecord,
    ReturnRecord,
    TicketTriage,
    WebhookDelivery,
)
from plugin.store.queries import _insert, _table_of


def installations_by_subdomain(session: Session, subdomain: str) -> list[Installation]:
    """The installations connected to Zendesk account ``subdomain`` (usually one)."""
    return list(
        session.scalars(
            select(Installation)
            .where(Installation.zendesk_subdomain == subdomain)
            .order_by(Installation.id)
        )
    )


def record_delivery(
    session: Session,
    installation_id: int | None,
    *,
    digest: str,
    event: str | None,
    ticket_id: int | None,
    accepted: bool,
    reason: str,
    now: datetime,
) -> bool:
    """Log a webhook delivery; False when this digest was logged before (a replay).

    Insert-if-absent on ``(installation_id, digest)``: two deliveries racing in two web
    processes record one row, and only one of them sees True.
    """
    statement = (
        _insert(session, _table_of(WebhookDelivery))
        .values(
            installation_id=installation_id,
            received_at=now,
            digest=digest,
            event=event,
            ticket_id=ticket_id,
            accepted=accepted,
            reason=reason[:60],
        )
        .on_conflict_do_nothing(index_elements=["installation_id", "digest"])
        .returning(WebhookDelivery.id)
    )
    return session.execute(statement).scalar_one_or_none() is not None


def deliveries(session: Session, installation_id: int | None, limit: int = 100) -> list[Any]:
    """The latest deliveries logged for an installation (None: those naming no installation)."""
    condition = (
        WebhookDelivery.installation_id.is_(None)
        if installation_id is None
        else WebhookDelivery.installation_id == installation_id
    )
    return list(
        session.scalars(
            select(WebhookDelivery)
            .where(condition)
            .order_by(WebhookDelivery.received_at.desc(), WebhookDelivery.id.desc())
            .limit(limit)
        )
    )


def triage_of(session: Session, installation_id: int, ticket_id: int) -> TicketTriage | None:
    return session.scalars(
        select(TicketTriage).where(
            TicketTriage.installation_id == installation_id,
            TicketTriage.ticket_id == ticket_id,
        )
    ).one_or_none()


def put_triage(
    session: Session, installation_id: int, ticket_id: int, values: Mapping[str, Any]
) -> None:
    """Insert or replace the ticket's triage row (one per ticket); ``first_response_at``
    is kept when the new values do not name it."""
    table = _table_of(TicketTriage)
    row = {"installation_id": installation_id, "ticket_id": ticket_id, **values}
    statement = _insert(session, table).values(**row)
    updates = {key: statement.excluded[key] for key in values}
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["installation_id", "ticket_id"], set_=updates
        )
    )


def pending_returns(
    session: Session, installation_id: int, order_ids: Collection[str]
) -> list[ReturnRecord]:
    """Customer returns of the orders not graded yet (no disposition: not received back)."""
    if not order_ids:
        return []
    return list(
        session.scalars(
            select(ReturnRecord).where(
                ReturnRecord.installation_id == installation_id,
                ReturnRecord.order_id.in_(sorted(order_ids)),
                (ReturnRecord.disposition.is_(None)) | (ReturnRecord.disposition == ""),
            )
        )
    )


def refunds(
    session: Session, installation_id: int, order_ids: Collection[str]
) -> list[RefundEventRecord]:
    if not order_ids:
        return []
    return list(
        session.scalars(
            select(RefundEventRecord).where(
                RefundEventRecord.installation_id == installation_id,
                RefundEventRecord.order_id.in_(sorted(order_ids)),
            )
        )
    )
