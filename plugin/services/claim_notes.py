"""Claim notes: what claimdesk found about a ticket's orders, written into the ticket once.

After each sync, every ticket linked (``ticket_links``) to an order with a new or changed
claim gets one job (``plugin.jobs.writeback.write_ticket_notes``). The job gathers, for its
ticket, the current claims of the linked orders that no earlier note covered and the case
status changes (reimbursed, closed, reopened) of cases holding those orders' claims that no
note told yet, and writes them as ONE internal note plus tags (``claimdesk_claim``,
``claimdesk_claim_<kind>``) through ``write_once``: one update per ticket per sync, however
many claims.

A claim is covered by its identity and content hash (``{kind}:{reference}:{sku}:{hash}``): a
repeated sync finds everything covered and writes nothing; a claim that changed (a new
quantity, value or status) has a new hash and is written once more. What a note covers is kept
with its write (``meta``), and the write's key is the ticket plus a digest of that list, so a
retried job asks for the same write and ``write_once`` makes it at most once.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from redis import Redis
from redis.exceptions import LockError
from rq import Queue, Retry
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy.orm import Session

from connectors.zendesk.client import ZendeskClient
from connectors.zendesk.models import NewComment
from plugin.extensions import Resources
from plugin.services import writeback
from plugin.store import writeback_queries
from plugin.store.models import WRITE_PENDING, AuditEvent, ClaimRecord

logger = logging.getLogger(__name__)

KIND = "claim_note"  # the writes' kind (claim and case lines share one note)
TAG = "claimdesk_claim"
CASE_TAG = "claimdesk_case"
JOB = "plugin.jobs.writeback.write_ticket_notes"
QUEUE = "default"
JOB_RETRY = (6, (10, 30, 60, 120, 300, 600))  # (tries, seconds between): 429s, outages
CASE_LOOKBACK = timedelta(days=14)  # case changes older than this get no follow-up note
PENDING_AFTER = timedelta(minutes=2)  # a pending write older than this lost its worker
RECENT_CLAIMS = timedelta(days=2)  # claims the sweep checks for a missing note
MAX_CLAIMS_PER_NOTE = 100  # the rest go into the next note of the same job
MAX_NOTES_PER_JOB = 5
STATUS_TEXT = {
    "claimable": "claimable now",
    "waiting": "not claimable yet",
    "expired": "window closed",
    "review": "needs review",
}


@dataclass(frozen=True)
class NotePlan:
    """One note to write on a ticket: its text, tags, and what it covers."""

    ticket_id: int
    key: str
    comment: NewComment
    tags: tuple[str, ...]
    claims: tuple[str, ...]  # claim keys covered
    case_events: tuple[int, ...]  # audit event ids of the case changes told
    order_ids: tuple[str, ...]
    asins: tuple[str, ...] = field(default=())
    proof: dict[str, Any] = field(default_factory=dict)

    @property
    def meta(self) -> dict[str, Any]:
        return {"claims": list(self.claims), "case_events": list(self.case_events)}


def claim_key(record: ClaimRecord) -> str:
    """What identifies a claim as it stands: identity plus content hash."""
    return f"{record.kind}:{record.reference_id}:{record.sku}:{record.content_hash}"


def kind_tag(kind: str) -> str:
    return f"{TAG}_{re.sub(r'[^a-z0-9]+', '_', kind.lower()).strip('_')}"


# --- planning ------------------------------------------------------------------------------------


def plan_note(
    session: Session, installation_id: int, ticket_id: int, now: datetime
) -> NotePlan | None:
    """The note the ticket needs now, or None when every claim and case change is told."""
    orders = writeback_queries.linked_orders(session, installation_id, ticket_id)
    if not orders:
        return None
    told_claims, told_events = _told(session, installation_id, ticket_id)
    records = [
        r
        for r in writeback_queries.current_claims_of_orders(session, installation_id, orders)
        if claim_key(r) not in told_claims
    ][:MAX_CLAIMS_PER_NOTE]
    events = [
        (event, case_orders)
        for event, case_orders in _case_changes(session, installation_id, orders, now)
        if event.id not in told_events
    ]
    if not records and not events:
        return None
    claims = tuple(claim_key(r) for r in records)
    event_ids = tuple(event.id for event, _ in events)
    digest = hashlib.sha256(
        json.dumps([claims, event_ids], separators=(",", ":")).encode()
    ).hexdigest()[:40]
    tags = [TAG] if records else []
    tags += sorted({kind_tag(r.kind) for r in records})
    if events:
        tags.append(CASE_TAG)
    return NotePlan(
        ticket_id=ticket_id,
        key=f"ticket-note:{ticket_id}:{digest}",
        comment=NewComment(body=render_note(records, [e for e, _ in events])),
        tags=tuple(tags),
        claims=claims,
        case_events=event_ids,
        order_ids=tuple(sorted({r.reference_id for r in records} | _event_orders(events))),
        asins=tuple(sorted({r.asin for r in records if r.asin})),
        proof={
            "claims": [
                {"key": claim_key(r), "evidence": list(r.evidence or [])[:20]} for r in records
            ],
            "case_events": list(event_ids),
        },
    )


def _told(session: Session, installation_id: int, ticket_id: int) -> tuple[set[str], set[int]]:
    """Claim keys and case events some note of this ticket covers (pending, sent or failed:
    a failed note needs a person, not another copy)."""
    claims: set[str] = set()
    events: set[int] = set()
    for row in writeback_queries.writebacks_of_ticket(
        session, installation_id, ticket_id, kind=KIND
    ):
        meta = (row.payload or {}).get("meta") or {}
        claims.update(meta.get("claims") or ())
        events.update(int(e) for e in meta.get("case_events") or ())
    return claims, events


def _case_changes(
    session: Session, installation_id: int, orders: Collection[str], now: datetime
) -> list[tuple[AuditEvent, set[str]]]:
    """Recent case status changes of cases holding claims of ``orders``."""
    events = writeback_queries.case_status_events(
        session, installation_id, since=now - CASE_LOOKBACK
    )
    case_ids = sorted({int(e.detail["case_id"]) for e in events if "case_id" in (e.detail or {})})
    by_case = writeback_queries.case_orders(session, installation_id, case_ids)
    wanted = set(orders)
    found = []
    for event in events:
        case_id = (event.detail or {}).get("case_id")
        held = by_case.get(int(case_id), set()) if case_id is not None else set()
        if held & wanted:
            found.append((event, held & wanted))
    return found


def _event_orders(events: Iterable[tuple[AuditEvent, set[str]]]) -> set[str]:
    return {order for _, orders in events for order in orders}


# --- the note ------------------------------------------------------------------------------------


def render_note(records: Sequence[ClaimRecord], events: Sequence[AuditEvent]) -> str:
    """The internal note: one block per claim, one line per case change (plain text, which
    Zendesk escapes; every value here comes from reports or our own records)."""
    lines: list[str] = []
    if records:
        orders = sorted({r.reference_id for r in records})
        total = _totals(records)
        lines.append(
            f"claimdesk: {len(records)} reimbursement claim(s) on order(s) {', '.join(orders)}"
            + (f" (estimated {total})" if total else "")
        )
        for record in records:
            lines.append("")
            lines.append(
                f"- {_label(record.kind)}: SKU {record.sku}"
                + (f" (ASIN {record.asin})" if record.asin else "")
                + f", order {record.reference_id}"
            )
            value = (
                f"{_money(record.estimated_amount)} {record.currency or ''}".strip()
                if record.estimated_amount is not None
                else "value unknown"
            )
            lines.append(
                f"  {record.quantity} unit(s), {value}, "
                f"{STATUS_TEXT.get(record.status, record.status)}"
                + (
                    f" (from {record.opens_on.isoformat()})"
                    if record.opens_on and record.status == "waiting"
                    else ""
                )
                + (f"; deadline {record.deadline.isoformat()}" if record.deadline else "")
            )
            if record.status_reason:
                lines.append(f"  {record.status_reason}")
            evidence = _evidence(record.evidence or [])
            if evidence:
                lines.append(f"  Evidence: {evidence}")
    if events:
        if lines:
            lines.append("")
        lines.append("claimdesk: case update(s)")
        for event in events:
            lines.append(f"- {event.at.date().isoformat()}: {event.summary}")
    return "\n".join(lines)


def _label(kind: str) -> str:
    return kind.replace("_", " ").capitalize()


def _money(amount: Decimal) -> str:
    return f"{amount:.2f}"


def _totals(records: Sequence[ClaimRecord]) -> str:
    sums: dict[str, Decimal] = {}
    for record in records:
        if record.estimated_amount is not None and record.currency:
            sums[record.currency] = sums.get(record.currency, Decimal(0)) + record.estimated_amount
    return ", ".join(f"{_money(amount)} {currency}" for currency, amount in sorted(sums.items()))


def _evidence(sources: Sequence[dict[str, Any]], limit: int = 6) -> str:
    shown = []
    for source in sources[:limit]:
        place = source.get("line") if source.get("line") is not None else source.get("path")
        shown.append(f"{source.get('file')}:{place}" if place is not None else str(source["file"]))
    more = len(sources) - limit
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


# --- writing -------------------------------------------------------------------------------------


def write_ticket_notes(
    store: Resources,
    installation_id: int,
    ticket_id: int,
    *,
    now: datetime,
    client: ZendeskClient | None = None,
    lease_seconds: float = writeback.LEASE_SECONDS,
) -> list[writeback.WriteOutcome]:
    """Finish the ticket's pending notes, then write what is still untold (usually one note).

    Raises what ``write_once`` raises (the job retries); ``WriteBusy`` when another job
    holds the ticket.
    """
    lock = store.redis.lock(
        f"claimdesk:ticket-notes:{installation_id}:{ticket_id}", timeout=lease_seconds
    )
    if not lock.acquire(blocking=True, blocking_timeout=min(30.0, lease_seconds)):
        raise writeback.WriteBusy(f"ticket {ticket_id}'s notes are being written elsewhere")
    try:
        outcomes = []
        with store.sessions() as session:
            pending = [
                row.key
                for row in writeback_queries.writebacks_of_ticket(
                    session, installation_id, ticket_id, kind=KIND
                )
                if row.status == WRITE_PENDING
            ]
        for key in pending:
            outcomes.append(
                writeback.resume_write(
                    store,
                    installation_id,
                    key,
                    now=now,
                    client=client,
                    lease_seconds=lease_seconds,
                )  # fmt: skip
            )
        for _ in range(MAX_NOTES_PER_JOB):
            with store.sessions() as session:
                plan = plan_note(session, installation_id, ticket_id, now)
            if plan is None:
                break
            outcomes.append(
                writeback.write_once(
                    store,
                    installation_id,
                    key=plan.key,
                    ticket_id=ticket_id,
                    kind=KIND,
                    comment=plan.comment,
                    add_tags=plan.tags,
                    now=now,
                    client=client,
                    summary=(
                        f"Claim note on ticket {ticket_id}: {len(plan.claims)} claim(s), "
                        f"{len(plan.case_events)} case update(s)"
                    ),
                    order_id=plan.order_ids[0] if len(plan.order_ids) == 1 else None,
                    asin=plan.asins[0] if len(plan.asins) == 1 else None,
                    proof=plan.proof,
                    meta=plan.meta,
                    lease_seconds=lease_seconds,
                )
            )
        return outcomes
    finally:
        try:
            lock.release()
        except LockError:  # expired meanwhile
            logger.warning("the notes lock of ticket %s had expired", ticket_id)


# --- asking for notes ----------------------------------------------------------------------------


def tickets_for_orders(
    session: Session, installation_id: int, order_ids: Collection[str]
) -> list[int]:
    linked = writeback_queries.linked_tickets(session, installation_id, order_ids)
    return sorted({ticket for tickets in linked.values() for ticket in tickets})


def tickets_for_cases(
    session: Session, installation_id: int, case_ids: Collection[int]
) -> list[int]:
    orders = writeback_queries.case_orders(session, installation_id, sorted(case_ids))
    return tickets_for_orders(
        session, installation_id, {o for found in orders.values() for o in found}
    )


def tickets_needing_notes(session: Session, installation_id: int, now: datetime) -> list[int]:
    """Tickets with a write stuck pending (its worker died), a claim changed lately or a case
    change not yet told: what the periodic sweep enqueues (a sync enqueues its own notes; this
    catches a sync that stopped between storing claims and enqueueing)."""
    tickets = {
        row.ticket_id
        for row in writeback_queries.pending_writebacks(
            session, installation_id, older_than=now - PENDING_AFTER
        )
        if row.kind == KIND
    }
    recent: dict[int, set[str]] = {}
    for ticket_id, record in writeback_queries.linked_claims_changed_since(
        session, installation_id, now - RECENT_CLAIMS
    ):
        recent.setdefault(ticket_id, set()).add(claim_key(record))
    for ticket_id, keys in recent.items():
        if ticket_id not in tickets and keys - _told(session, installation_id, ticket_id)[0]:
            tickets.add(ticket_id)
    events = writeback_queries.case_status_events(
        session, installation_id, since=now - CASE_LOOKBACK
    )
    case_ids = sorted({int(e.detail["case_id"]) for e in events if "case_id" in (e.detail or {})})
    for ticket_id in tickets_for_cases(session, installation_id, case_ids):
        if ticket_id in tickets:
            continue
        orders = writeback_queries.linked_orders(session, installation_id, ticket_id)
        _, told = _told(session, installation_id, ticket_id)
        if any(e.id not in told for e, _ in _case_changes(session, installation_id, orders, now)):
            tickets.add(ticket_id)
    return sorted(tickets)


def job_id(installation_id: int, ticket_id: int) -> str:
    return f"ticket-notes-{installation_id}-{ticket_id}"


def request_notes(connection: Redis, installation_id: int, ticket_ids: Iterable[int]) -> int:
    """Enqueue the notes job of each ticket; how many were enqueued.

    One job per ticket (unique id). If that job is already running, a second one (``-again``)
    is queued behind it, so changes stored after it read the claims are not missed; the
    ticket's lock makes the two run one after the other.
    """
    queue = Queue(QUEUE, connection=connection)
    enqueued = 0
    for ticket_id in sorted(set(ticket_ids)):
        base = job_id(installation_id, ticket_id)
        for candidate in (base, f"{base}-again"):
            try:
                queue.enqueue(
                    JOB,
                    installation_id,
                    ticket_id,
                    job_id=candidate,
                    unique=True,
                    retry=Retry(max=JOB_RETRY[0], interval=list(JOB_RETRY[1])),
                    job_timeout=600,
                    result_ttl=0,
                    failure_ttl=7 * 24 * 3600,
                    description=(
                        f"claim notes on ticket {ticket_id} of installation {installation_id}"
                    ),
                )
            except DuplicateJobError:
                if _waiting(connection, candidate):
                    break  # a job that has not started yet will read the newest claims
                continue
            enqueued += 1
            break
    return enqueued


def _waiting(connection: Redis, found_id: str) -> bool:
    try:
        status = Job.fetch(found_id, connection=connection).get_status(refresh=False)
    except NoSuchJobError:
        return False
    return status in (JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED)


def after_claims(
    connection: Redis | None,
    session: Session,
    installation_id: int,
    *,
    order_ids: Collection[str],
    case_ids: Collection[int] = (),
) -> int:
    """The sync's hook: enqueue notes for the tickets of orders whose claims changed and of
    cases whose status changed. Without Redis nothing is enqueued (the sweep catches up)."""
    tickets = set(tickets_for_orders(session, installation_id, order_ids))
    tickets.update(tickets_for_cases(session, installation_id, case_ids))
    if not tickets or connection is None:
        return 0
    return request_notes(connection, installation_id, tickets)
