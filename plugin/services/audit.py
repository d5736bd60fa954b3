"""The audit trail: an append-only log of what claimdesk and agents did, and what backed it.

Amazon judges A-to-z claims and account audits on documentation: who did what, when, about
which ticket, order and ASIN, with which proof. Every action through claimdesk (a note, tags,
a reply insert, an automatic reply, a case change, a triage decision) is one ``AuditEvent``:

- ``at`` is UTC; ``actor`` is ``claimdesk``, ``agent:<Zendesk user id>`` or ``cli:<login>``;
- ``proof`` is what the action relied on (a tracking snapshot as it stood, a report row's file
  and line); ``detail`` is the rest, as JSON.

Nothing updates or deletes an event. No query here or in ``plugin.store`` does, and importing
this module installs a guard on every ORM session: changing or deleting a loaded event, or an
``UPDATE``/``DELETE`` statement on the table, raises ``AuditImmutable`` before it reaches the
database. (Deleting an installation still removes its rows, by the database's cascade.)
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from plugin.errors import PluginError
from plugin.store import audit_queries
from plugin.store.models import AuditEvent

CLAIMDESK = "claimdesk"  # the actor of claimdesk's own actions (jobs, write-back, triage)

# Actions recorded today (others may be added; the name is checked, not the list).
NOTE = "note"
TAG = "tag"
REPLY_INSERT = "reply_insert"
AUTO_REPLY = "auto_reply"
TRIAGE = "triage"

ACTION = re.compile(r"[a-z][a-z0-9_]{0,39}")
ACTOR = re.compile(r"[a-z]+(:[^\x00-\x1f\x7f]{1,90})?")
MAX_SUMMARY = 4000
MAX_JSON = 200_000  # bytes of detail or proof: proof is a snapshot, not a whole report


class AuditError(PluginError):
    """An audit event that cannot be recorded as given (the message says which field)."""


class AuditImmutable(AuditError):
    """Something tried to change or delete an audit event."""


def agent_actor(user_id: int) -> str:
    """The actor name of a Zendesk agent."""
    return f"agent:{int(user_id)}"


def record(
    session: Session,
    installation_id: int,
    *,
    actor: str,
    action: str,
    summary: str,
    ticket_id: int | None = None,
    order_id: str | None = None,
    asin: str | None = None,
    sku: str | None = None,
    detail: Mapping[str, Any] | None = None,
    proof: Mapping[str, Any] | None = None,
    now: datetime,
) -> AuditEvent:
    """Append one event (flushed, so its id is known); the caller's transaction commits it.

    Raises:
        AuditError: a field is missing, too long or not JSON (nothing is recorded).
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise AuditError("the time of an audit event must be timezone-aware")
    if not ACTOR.fullmatch(actor or "") or len(actor) > 100:
        raise AuditError(f"actor must be 'claimdesk', 'agent:<id>' or similar, not {actor!r}")
    if not ACTION.fullmatch(action or ""):
        raise AuditError(f"action must be a lower-case name of at most 40 letters: {action!r}")
    if not summary or not summary.strip():
        raise AuditError("an audit event needs a summary")
    if len(summary) > MAX_SUMMARY:
        raise AuditError(f"the summary is longer than {MAX_SUMMARY} characters")
    if ticket_id is not None and (isinstance(ticket_id, bool) or not 0 < int(ticket_id) < 2**63):
        raise AuditError(f"ticket_id must be a positive whole number, not {ticket_id!r}")
    _check_text("order_id", order_id, 64)
    _check_text("asin", asin, 20)
    _check_text("sku", sku, 200)
    return audit_queries.insert_event(
        session,
        installation_id,
        at=now.astimezone(UTC),
        actor=actor,
        action=action,
        summary=summary.strip(),
        detail=_json_object("detail", detail or {}),
        proof=None if proof is None else _json_object("proof", proof),
        ticket_id=ticket_id,
        order_id=order_id or None,
        asin=asin or None,
        sku=sku or None,
    )


def events_for_order(session: Session, installation_id: int, order_id: str) -> list[AuditEvent]:
    """The events naming the order, oldest first."""
    return audit_queries.events_for_order(session, installation_id, order_id)


def events_for_ticket(session: Session, installation_id: int, ticket_id: int) -> list[AuditEvent]:
    """The events naming the ticket, oldest first."""
    return audit_queries.events_for_ticket(session, installation_id, ticket_id)


def events_for_order_and_tickets(
    session: Session, installation_id: int, order_id: str, ticket_ids: Collection[int]
) -> list[AuditEvent]:
    """The order's events, and its tickets' that name no order (a triage decision)."""
    return audit_queries.events_for_order_or_tickets(session, installation_id, order_id, ticket_ids)


def event_document(found: AuditEvent) -> dict[str, Any]:
    """An event as JSON (the dossier's ``audit`` items)."""
    return {
        "id": found.id,
        "at": found.at.astimezone(UTC).isoformat(),
        "actor": found.actor,
        "action": found.action,
        "summary": found.summary,
        "ticket_id": found.ticket_id,
        "order_id": found.order_id,
        "asin": found.asin,
        "sku": found.sku,
        "detail": found.detail or {},
        "proof": found.proof,
    }


def _check_text(name: str, value: str | None, limit: int) -> None:
    if value is None:
        return
    if not isinstance(value, str):
        raise AuditError(f"{name} must be text, not {type(value).__name__}")
    if len(value) > limit:
        raise AuditError(f"{name} is longer than {limit} characters")


def _json_object(name: str, value: Mapping[str, Any]) -> dict[str, Any]:
    """A plain JSON copy of ``value`` (what the database will hold, checked now)."""
    if not isinstance(value, Mapping):
        raise AuditError(f"{name} must be a JSON object")
    try:
        text = json.dumps(dict(value), default=_json_default, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise AuditError(f"{name} is not JSON: {error}") from None
    if len(text.encode("utf-8")) > MAX_JSON:
        raise AuditError(f"{name} is larger than {MAX_JSON} bytes")
    copied: dict[str, Any] = json.loads(text)
    return copied


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


# --- append-only guard ---------------------------------------------------------------------


def _refuse_changes(session: Session, context: UOWTransaction, instances: Any) -> None:
    for found in session.deleted:
        if isinstance(found, AuditEvent):
            raise AuditImmutable("audit events are never deleted")
    for found in session.dirty:
        if isinstance(found, AuditEvent) and session.is_modified(found):
            raise AuditImmutable("audit events are never changed")


def _refuse_statements(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    mapper = state.bind_mapper
    if table is AuditEvent.__table__ or (mapper is not None and mapper.class_ is AuditEvent):
        raise AuditImmutable("audit events are never changed or deleted")


if not event.contains(Session, "before_flush", _refuse_changes):
    event.listen(Session, "before_flush", _refuse_changes)
    event.listen(Session, "do_orm_execute", _refuse_statements)
