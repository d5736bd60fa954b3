"""Deadline alerts in Zendesk: one ticket per installation, updated once a day at most.

``deadline_alerts`` builds the content (pure); this module writes it. The ticket is found by
its ``external_id`` in Zendesk itself, never by an id we saved: a worker that dies after
Zendesk created the ticket but before anything was recorded leaves a ticket the next run
finds, so it is never opened twice. The day's list is stamped into what we write (the
ticket's first comment, or the note), so a rerun the same day writes nothing: the creation
carries a stamp line, the notes go through ``write_once`` under ``deadline-alert:{id}:{day}``.

A Redis lock per installation keeps two workers from creating the ticket at once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime

from redis import Redis
from redis.exceptions import LockError
from sqlalchemy.orm import Session

from connectors.zendesk.client import ZendeskClient
from connectors.zendesk.models import NewComment, TicketData
from plugin.errors import PluginError
from plugin.extensions import Resources
from plugin.services import audit, writeback
from plugin.services.deadline_alerts import DeadlineAlert, deadline_alert
from plugin.store import queries

logger = logging.getLogger(__name__)

SETTING = "deadline_alerts"
DEFAULT_ENABLED = False
TAG = "claimdesk_deadline_alert"
PRIORITY = "low"
KIND = "deadline_alert"
STAMP = "claimdesk deadline list: {day}"
LOCK_SECONDS = 120.0

OFF = "off"  # the installation has alerts off
CREATED = "created"  # a new alert ticket with today's list
NOTED = "noted"  # today's list added to the existing ticket
ALREADY_DONE = "already_done"  # today's list was written before
NOTHING = "nothing"  # nothing expires and there is no ticket to tell


class DeadlineAlertError(PluginError):
    """The alert could not be written (the message says why)."""


@dataclass(frozen=True)
class AlertOutcome:
    status: str
    ticket_id: int | None
    claims: int
    reopened: bool = False


def deadline_alerts_enabled(session: Session, installation_id: int) -> bool:
    """Whether the installation gets the daily deadline ticket (off by default)."""
    found = queries.setting_value(session, installation_id, SETTING)
    return DEFAULT_ENABLED if found is None else found is True


def set_deadline_alerts(
    session: Session, installation_id: int, enabled: bool, now: datetime
) -> None:
    queries.put_setting(session, installation_id, SETTING, bool(enabled), now)


def alert_key(installation_id: int, day: date) -> str:
    return f"deadline-alert:{installation_id}:{day.isoformat()}"


def stamp(day: date) -> str:
    return STAMP.format(day=day.isoformat())


def send_deadline_alert(
    store: Resources,
    installation_id: int,
    *,
    today: date,
    now: datetime,
    client: ZendeskClient,
    redis: Redis | None = None,
    lock_seconds: float = LOCK_SECONDS,
) -> AlertOutcome:
    """Open or update the installation's alert ticket with ``today``'s expiring claims.

    Raises:
        DeadlineAlertError: another worker is writing this installation's alert.
        ConnectorError: Zendesk refused or failed; nothing is recorded, the rerun resumes.
    """
    with store.session() as session:
        if not deadline_alerts_enabled(session, installation_id):
            return AlertOutcome(OFF, None, 0)
        alert = deadline_alert(session, installation_id, today)
    lock = (
        redis.lock(f"claimdesk:deadline-alert:{installation_id}", timeout=lock_seconds)
        if redis is not None
        else None
    )
    if lock is not None and not lock.acquire(blocking_timeout=min(5.0, lock_seconds)):
        raise DeadlineAlertError(f"installation {installation_id}'s alert is being written")
    try:
        return _write(store, installation_id, alert, today=today, now=now, client=client)
    finally:
        if lock is not None:
            try:
                lock.release()
            except LockError:  # expired meanwhile: nothing to release
                logger.warning("deadline alert lock of %s had expired", installation_id)


def _write(
    store: Resources,
    installation_id: int,
    alert: DeadlineAlert,
    *,
    today: date,
    now: datetime,
    client: ZendeskClient,
) -> AlertOutcome:
    ticket = _find(client, alert.external_id)
    if ticket is None:
        if not alert.claims:
            return AlertOutcome(NOTHING, None, 0)
        return _create(store, installation_id, alert, today=today, now=now, client=client)
    if any(stamp(today) in c.body for c in client.comments(ticket.id)):
        # Today's list is on the ticket: created today (maybe by a run that died before
        # recording), or noted by write_once (which also keeps its own row).
        return AlertOutcome(ALREADY_DONE, ticket.id, len(alert.claims))
    reopened = False
    if alert.claims and ticket.status == "solved":
        client.update_ticket(ticket.id, status="open")  # setting it twice changes nothing
        reopened = True
        with store.session() as session:
            audit.record(
                session, installation_id, actor="claimdesk", action="deadline_alert_reopened",
                summary=f"Reopened deadline alert ticket #{ticket.id}: claims expire soon",
                ticket_id=ticket.id, detail={"day": today.isoformat()}, now=now,
            )  # fmt: skip
    outcome = writeback.write_once(
        store.sessions,
        installation_id,
        key=alert_key(installation_id, today),
        ticket_id=ticket.id,
        kind=KIND,
        comment=NewComment(body=_note_body(alert, today), public=False),
        now=now,
        client=client,
        summary=(
            f"Deadline alert: {len(alert.claims)} claim(s) expire within 7 days"
            if alert.claims
            else "Deadline alert: nothing expires within 7 days"
        ),
        meta={"day": today.isoformat(), "claims": _claim_refs(alert)},
    )
    if outcome.status == writeback.FAILED:
        raise DeadlineAlertError(
            f"deadline alert note on ticket {ticket.id} failed: {outcome.error}"
        )
    status = NOTED if outcome.status == writeback.SENT else ALREADY_DONE
    return AlertOutcome(status, ticket.id, len(alert.claims), reopened)


def _find(client: ZendeskClient, external_id: str) -> TicketData | None:
    """The alert ticket: the oldest one carrying the id that can still be updated (a closed
    ticket cannot: then a new one is opened)."""
    usable = [t for t in client.tickets_by_external_id(external_id) if t.status != "closed"]
    return usable[0] if usable else None


def _create(
    store: Resources,
    installation_id: int,
    alert: DeadlineAlert,
    *,
    today: date,
    now: datetime,
    client: ZendeskClient,
) -> AlertOutcome:
    ticket = client.create_ticket(
        subject=alert.subject,
        comment=NewComment(body=_note_body(alert, today), public=False),
        tags=(TAG,),
        priority=PRIORITY,
        external_id=alert.external_id,
    )  # requester: the API user (the default)
    with store.session() as session:
        audit.record(
            session, installation_id, actor="claimdesk", action="deadline_alert_created",
            summary=f"Opened deadline alert ticket #{ticket.id}: {alert.subject}",
            ticket_id=ticket.id,
            detail={"day": today.isoformat(), "claims": _claim_refs(alert)}, now=now,
        )  # fmt: skip
    return AlertOutcome(CREATED, ticket.id, len(alert.claims))


def _note_body(alert: DeadlineAlert, today: date) -> str:
    text = alert.body if not alert.claims else f"{alert.subject}\n\n{alert.body}"
    return f"{text}\n\n{stamp(today)}"


def _claim_refs(alert: DeadlineAlert) -> list[str]:
    return [f"{c.kind}:{c.reference_id}:{c.sku}" for c in alert.claims]
