"""Named queries of the write-back log and of what claim and case notes are made from. Every
function takes the installation's id and filters by it (tenancy); none commits.

A write is unique per ``(installation_id, key)``: ``insert_pending`` inserts if absent
(``INSERT … ON CONFLICT DO NOTHING``), so two workers asking for the same write find one row.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from plugin.store.models import (
    WRITE_PENDING,
    AuditEvent,
    CaseClaim,
    ClaimRecord,
    TicketLink,
    Writeback,
)
from plugin.store.queries import _insert, _table_of

# Case audit actions that change a case's status (plugin.services.cases).
CASE_STATUS_ACTIONS = ("case_reimbursed", "case_close", "case_reopened")


def insert_pending(
    session: Session,
    installation_id: int,
    *,
    key: str,
    ticket_id: int,
    kind: str,
    payload: dict[str, Any],
    now: datetime,
) -> tuple[Writeback, bool]:
    """The write under ``key``: inserted as pending unless present. Returns it and whether
    this call inserted it."""
    table = _table_of(Writeback)
    statement = (
        _insert(session, table)
        .on_conflict_do_nothing(index_elements=["installation_id", "key"])
        .returning(table.c.id)  # a row only when this insert happened
    )
    result = session.execute(
        statement,
        {
            "installation_id": installation_id,
            "key": key,
            "ticket_id": ticket_id,
            "kind": kind,
            "status": WRITE_PENDING,
            "payload": payload,
            "attempts": 0,
            "created_at": now,
        },
    )
    inserted = result.scalar() is not None
    found = writeback_by_key(session, installation_id, key)
    if found is None:  # pragma: no cover - inserted or present, in this transaction
        raise LookupError(f"write {key!r} vanished")
    return found, inserted


def writeback_by_key(session: Session, installation_id: int, key: str) -> Writeback | None:
    return session.scalar(
        select(Writeback).where(Writeback.installation_id == installation_id, Writeback.key == key)
    )


def writeback(session: Session, installation_id: int, writeback_id: int) -> Writeback | None:
    return session.scalar(
        select(Writeback).where(
            Writeback.installation_id == installation_id, Writeback.id == writeback_id
        )
    )


def existing_keys(session: Session, installation_id: int, keys: Collection[str]) -> set[str]:
    """Which of ``keys`` have a write (pending, sent or failed)."""
    found: set[str] = set()
    ordered = sorted(keys)
    for start in range(0, len(ordered), 500):
        found.update(
            session.scalars(
                select(Writeback.key).where(
                    Writeback.installation_id == installation_id,
                    Writeback.key.in_(ordered[start : start + 500]),
                )
            )
        )
    return found


def writebacks_of_ticket(
    session: Session, installation_id: int, ticket_id: int, *, kind: str | None = None
) -> list[Writeback]:
    statement = select(Writeback).where(
        Writeback.installation_id == installation_id, Writeback.ticket_id == ticket_id
    )
    if kind is not None:
        statement = statement.where(Writeback.kind == kind)
    return list(session.scalars(statement.order_by(Writeback.id)))


def pending_writebacks(
    session: Session, installation_id: int, *, older_than: datetime
) -> list[Writeback]:
    """Writes still pending since before ``older_than`` (their worker died, or is retrying)."""
    return list(
        session.scalars(
            select(Writeback)
            .where(
                Writeback.installation_id == installation_id,
                Writeback.status == WRITE_PENDING,
                Writeback.created_at < older_than,
            )
            .order_by(Writeback.id)
        )
    )


def linked_tickets(
    session: Session, installation_id: int, order_ids: Collection[str]
) -> dict[str, list[int]]:
    """Order id -> the tickets linked to it (any channel), ticket ids ascending."""
    found: dict[str, list[int]] = {}
    ordered = sorted(set(order_ids))
    for start in range(0, len(ordered), 500):
        rows = session.execute(
            select(TicketLink.order_id, TicketLink.ticket_id)
            .where(
                TicketLink.installation_id == installation_id,
                TicketLink.order_id.in_(ordered[start : start + 500]),
            )
            .distinct()
        )
        for order_id, ticket_id in rows:
            found.setdefault(order_id, []).append(ticket_id)
    return {order: sorted(set(tickets)) for order, tickets in found.items()}


def linked_orders(session: Session, installation_id: int, ticket_id: int) -> list[str]:
    return sorted(
        set(
            session.scalars(
                select(TicketLink.order_id).where(
                    TicketLink.installation_id == installation_id,
                    TicketLink.ticket_id == ticket_id,
                )
            )
        )
    )


def current_claims_of_orders(
    session: Session, installation_id: int, order_ids: Collection[str]
) -> list[ClaimRecord]:
    """The claims (not gone) whose reference is one of ``order_ids``, by identity."""
    found: list[ClaimRecord] = []
    ordered = sorted(set(order_ids))
    for start in range(0, len(ordered), 500):
        found.extend(
            session.scalars(
                select(ClaimRecord).where(
                    ClaimRecord.installation_id == installation_id,
                    ClaimRecord.reference_id.in_(ordered[start : start + 500]),
                    ClaimRecord.gone_at.is_(None),
                )
            )
        )
    return sorted(found, key=lambda r: (r.reference_id, r.kind, r.sku))


def case_status_events(
    session: Session, installation_id: int, *, since: datetime
) -> list[AuditEvent]:
    """Case status changes (reimbursed, closed, reopened) recorded at or after ``since``."""
    return list(
        session.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.installation_id == installation_id,
                AuditEvent.action.in_(CASE_STATUS_ACTIONS),
                AuditEvent.at >= since,
            )
            .order_by(AuditEvent.id)
        )
    )


def case_orders(
    session: Session, installation_id: int, case_ids: Sequence[int]
) -> dict[int, set[str]]:
    """Case id -> the order ids (claim references) of the claims filed in it."""
    found: dict[int, set[str]] = {}
    if not case_ids:
        return found
    rows = session.execute(
        select(CaseClaim.case_id, ClaimRecord.reference_id)
        .join(ClaimRecord, ClaimRecord.id == CaseClaim.claim_id)
        .where(CaseClaim.installation_id == installation_id, CaseClaim.case_id.in_(case_ids))
    )
    for case_id, reference in rows:
        found.setdefault(case_id, set()).add(reference)
    return found


def linked_claims_changed_since(
    session: Session, installation_id: int, since: datetime
) -> list[tuple[int, ClaimRecord]]:
    """(ticket, claim) for current claims stored or changed since ``since`` whose order is
    linked to a ticket."""
    rows = session.execute(
        select(TicketLink.ticket_id, ClaimRecord)
        .join(
            TicketLink,
            (TicketLink.installation_id == ClaimRecord.installation_id)
            & (TicketLink.order_id == ClaimRecord.reference_id),
        )
        .where(
            ClaimRecord.installation_id == installation_id,
            ClaimRecord.updated_at >= since,
            ClaimRecord.gone_at.is_(None),
        )
    )
    return [(int(ticket_id), record) for ticket_id, record in rows]
