"""Writes to Zendesk made exactly once, across retries, restarts and repeated syncs.

Every write has a ``key`` naming what it means (``claim-note:…:{content hash}:{ticket}``);
the ``writebacks`` table holds one row per key and installation. ``write_once``:

1. inserts the row as ``pending`` (or finds it) and commits: from now on the write is known;
2. sends the update carrying a marker: an internal note ends with the line ``claimdesk ref:
   wb-{row id}``; a public reply, which the customer reads, carries the tag
   ``claimdesk_wb_{row id}`` in the same update instead (tags are for agents only);
3. on Zendesk's answer, marks the row ``sent`` with Zendesk's audit id and records an audit
   event, in one transaction.

A worker can die between 1 and 3 (SIGKILL, a lost connection after Zendesk applied the
update). The row then stays ``pending`` with ``attempts`` > 0, and the next try first reads the
ticket for the marker (the note's line in its comments, the public reply's tag on the ticket):
found, the row is marked sent and nothing is sent again. A write without a comment (tags,
priority, fields) carries no marker; it is simply sent again, which changes nothing the second
time (tags are only added, values set to the same value). A Redis lease per key keeps two
workers from sending one write at once.

Errors: throttling, transient failures and refused credentials leave the row pending and
raise (the job retries; reconnecting the account lets a later try through); a refusal that
retrying cannot fix (a closed or deleted ticket, an invalid value), or ``MAX_ATTEMPTS`` tries,
mark it ``failed`` with the reason.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from redis import Redis
from redis.exceptions import LockError
from sqlalchemy.orm import Session, sessionmaker

from connectors.errors import ConnectorError, NotFound, RateLimited, UpstreamError
from connectors.zendesk.client import DEFAULT_BUDGET, Pacer, ZendeskClient
from connectors.zendesk.models import NewComment
from plugin.errors import PluginError
from plugin.extensions import Resources
from plugin.services import audit
from plugin.services.ratelimit import RedisLimiter
from plugin.services.zendesk_accounts import load_zendesk_credentials, zendesk_settings
from plugin.services.zendesk_pacing import ZendeskLimits, ZendeskPacer
from plugin.store import queries, writeback_queries
from plugin.store.crypto import Keyring
from plugin.store.models import WRITE_FAILED, WRITE_PENDING, WRITE_SENT, Writeback

logger = logging.getLogger(__name__)

SENT = "sent"
ALREADY_SENT = "already_sent"
FAILED = "failed"
MARKER = "claimdesk ref: wb-{id}"
MARKER_TAG = "claimdesk_wb_{id}"
MAX_ATTEMPTS = 8  # sends of one write before it is marked failed
LEASE_SECONDS = 120.0  # one send: the 429 budget, a read, a write and their timeouts
MAX_KEY = 300
# Statuses worth trying again later; any other 4xx is final.
_TRANSIENT = frozenset({0, 408, 409, 429, 500, 502, 503, 504})


class WritebackError(PluginError):
    """A write that cannot be asked for as given (the message says why)."""


class WriteBusy(WritebackError):
    """Another worker holds this write's lease: try again after it ends."""


@dataclass(frozen=True)
class WriteOutcome:
    """What became of one write. ``status``: ``sent`` (by this call), ``already_sent`` (an
    earlier call, or found in Zendesk by its marker: ``recovered``), ``failed`` (given up).
    """

    status: str
    writeback_id: int
    audit_id: int | None
    recovered: bool = False
    error: str | None = None


def marker(writeback_id: int) -> str:
    return MARKER.format(id=writeback_id)


def marker_tag(writeback_id: int) -> str:
    """The marker of a public reply: a tag, so the customer never reads it."""
    return MARKER_TAG.format(id=writeback_id)


def _public(payload: Mapping[str, Any]) -> bool:
    comment = payload.get("comment")
    return bool(comment and comment.get("public"))


def client_for(
    session: Session,
    keyring: Keyring,
    installation_id: int,
    *,
    pacer: Pacer | None = None,
    ratelimit_budget: float = DEFAULT_BUDGET,
) -> ZendeskClient:
    """The Zendesk client of an installation (its URL and decrypted API token).

    Raises:
        ZendeskAccountError: the installation is not connected to Zendesk.
        CredentialsError: no Zendesk credentials are stored (or they cannot be decrypted).
    """
    installation = queries.installation_by_id(session, installation_id)
    if installation is None:
        raise WritebackError(f"no installation {installation_id}")
    secrets = load_zendesk_credentials(session, keyring, installation_id)
    settings = zendesk_settings(installation, secrets)
    return ZendeskClient(settings, ratelimit_budget=ratelimit_budget, pacer=pacer)


def pacer_for(redis: Redis, limits: ZendeskLimits | None = None) -> ZendeskPacer:
    """The pacer every worker shares through ``redis``."""
    return ZendeskPacer(RedisLimiter(redis), limits)


def write_once(
    store: Resources | sessionmaker[Session],
    installation_id: int,
    *,
    key: str,
    ticket_id: int,
    kind: str,
    comment: NewComment | None = None,
    add_tags: Sequence[str] = (),
    priority: str | None = None,
    custom_fields: Mapping[int, Any] | None = None,
    now: datetime,
    client: ZendeskClient | None = None,
    redis: Redis | None = None,
    summary: str | None = None,
    order_id: str | None = None,
    asin: str | None = None,
    sku: str | None = None,
    proof: Mapping[str, Any] | None = None,
    meta: Mapping[str, Any] | None = None,
    lease_seconds: float = LEASE_SECONDS,
) -> WriteOutcome:
    """Make the write named ``key`` on ``ticket_id`` unless it was made (see the module).

    ``store`` is the process's ``Resources`` (its sessions, keyring and Redis) or a session
    factory (then pass ``client``; without ``redis`` there is no lease). ``summary`` and the
    order, ASIN, SKU and ``proof`` go to the audit event recorded with the write; ``meta`` is
    kept with the write (what it was made from, e.g. the claims a note covers).

    Raises:
        WritebackError: the key or the write is unusable; WriteBusy: another worker is on it.
        RateLimited, UpstreamError: Zendesk throttled or failed; the write stays pending.
    """
    if not key or len(key) > MAX_KEY:
        raise WritebackError(f"a write key has 1 to {MAX_KEY} characters")
    if comment is None and not add_tags and priority is None and not custom_fields:
        raise WritebackError(f"write {key!r} changes nothing")
    sessions = store.sessions if isinstance(store, Resources) else store
    if redis is None and isinstance(store, Resources):
        redis = store.redis
    payload = _payload(comment, add_tags, priority, custom_fields)
    if meta:
        payload["meta"] = dict(meta)
    payload["audit"] = {
        "summary": summary, "order_id": order_id, "asin": asin, "sku": sku,
        "proof": dict(proof) if proof else None,
    }  # fmt: skip
    with sessions.begin() as session:
        row, _inserted = writeback_queries.insert_pending(
            session, installation_id, key=key, ticket_id=ticket_id, kind=kind,
            payload=payload, now=now,
        )  # fmt: skip
        done = _finished(row)
        row_id = row.id
    if done is not None:
        return done
    lease = (
        redis.lock(f"claimdesk:writeback:{installation_id}:{row_id}", timeout=lease_seconds)
        if redis is not None
        else None
    )
    # Wait a little: a lease left by a worker that died expires on its own.
    if lease is not None and not lease.acquire(blocking_timeout=min(5.0, lease_seconds)):
        raise WriteBusy(f"write {key!r} is being sent by another worker")
    try:
        if client is not None:
            return _send(sessions, client, installation_id, row_id, now=now)
        if not isinstance(store, Resources):
            raise WritebackError("write_once needs a client or the process's Resources")
        with sessions() as session:
            own = client_for(
                session, store.keyring, installation_id,
                pacer=pacer_for(store.redis) if redis is not None else None,
            )  # fmt: skip
        with own:
            return _send(sessions, own, installation_id, row_id, now=now)
    finally:
        if lease is not None:
            try:
                lease.release()
            except LockError:  # expired meanwhile: nothing to release
                logger.warning("write-back lease of write %s had expired", row_id)


def _send(
    sessions: sessionmaker[Session],
    client: ZendeskClient,
    installation_id: int,
    row_id: int,
    *,
    now: datetime,
) -> WriteOutcome:
    with sessions.begin() as session:
        row = _row(session, installation_id, row_id)
        done = _finished(row)
        if done is not None:
            return done  # another worker finished it while we waited for the lease
        payload = dict(row.payload)
        ticket_id, attempts, error = row.ticket_id, row.attempts, row.error
        if attempts < MAX_ATTEMPTS:
            row.attempts = attempts + 1  # committed before sending: a later try looks first
    try:
        if attempts > 0 and payload.get("comment") is not None:
            found = _find_marker(client, ticket_id, row_id, public=_public(payload))
            if found is not None:
                return _confirm(sessions, installation_id, row_id, found, now, recovered=True)
        if attempts >= MAX_ATTEMPTS:
            reason = f"given up after {attempts} attempts: {error}"
            return _mark_failed(sessions, installation_id, row_id, reason)
        result = client.update_ticket(
            ticket_id,
            comment=_comment(payload, row_id),
            add_tags=[
                *(payload.get("add_tags") or ()),
                *([marker_tag(row_id)] if _public(payload) else []),
            ],
            priority=payload.get("priority"),
            custom_fields={int(k): v for k, v in (payload.get("custom_fields") or {}).items()},
        )
    except (RateLimited, UpstreamError) as error:
        status = error.status if isinstance(error, UpstreamError) else 429
        if status in _TRANSIENT:
            _note_error(sessions, installation_id, row_id, _describe(error))
            raise
        return _mark_failed(sessions, installation_id, row_id, _describe(error))
    except NotFound as error:  # the ticket was deleted
        return _mark_failed(sessions, installation_id, row_id, _describe(error))
    except ConnectorError as error:  # AuthError included: reconnecting sends it
        _note_error(sessions, installation_id, row_id, _describe(error))
        raise
    return _confirm(sessions, installation_id, row_id, result.audit_id, now)


def _find_marker(
    client: ZendeskClient, ticket_id: int, row_id: int, *, public: bool = False
) -> int | None:
    """The audit id of the ticket's comment carrying this write's marker (0 when Zendesk did
    not say), None when no comment carries it. A public reply's marker is its tag."""
    if public:
        tag = marker_tag(row_id)
        if tag not in client.ticket(ticket_id).tags:
            return None
        for audit_found in reversed(client.audits(ticket_id)):
            if any(tag in str(event.get("value", "")) for event in audit_found.events):
                return audit_found.id
        return 0
    text = marker(row_id)
    for found in reversed(client.comments(ticket_id)):
        if any(line.strip() == text for line in found.body.splitlines()):
            return found.audit_id or 0
    return None


def _confirm(
    sessions: sessionmaker[Session],
    installation_id: int,
    row_id: int,
    audit_id: int | None,
    now: datetime,
    *,
    recovered: bool = False,
) -> WriteOutcome:
    with sessions.begin() as session:
        row = _row(session, installation_id, row_id)
        if row.status == WRITE_SENT:
            return WriteOutcome(ALREADY_SENT, row.id, row.zendesk_audit_id)
        row.status = WRITE_SENT
        row.zendesk_audit_id = audit_id or None
        row.sent_at = now
        row.error = None
        payload = row.payload
        audit_fields = payload.get("audit") or {}
        tags = list(payload.get("add_tags") or ())
        action = audit.NOTE if payload.get("comment") else audit.TAG
        summary = audit_fields.get("summary") or _summary(row.kind, payload, row.ticket_id)
        audit.record(
            session,
            installation_id,
            actor=audit.CLAIMDESK,
            action=action,
            summary=summary,
            ticket_id=row.ticket_id,
            order_id=audit_fields.get("order_id"),
            asin=audit_fields.get("asin"),
            sku=audit_fields.get("sku"),
            detail={
                "writeback_id": row.id,
                "key": row.key,
                "kind": row.kind,
                "zendesk_audit_id": row.zendesk_audit_id,
                "tags": tags,
                "priority": payload.get("priority"),
                "custom_fields": payload.get("custom_fields") or {},
                "note": (payload.get("comment") or {}).get("body"),
                "recovered": recovered,
            },
            proof=audit_fields.get("proof"),
            now=now,
        )
        return WriteOutcome(
            ALREADY_SENT if recovered else SENT, row.id, row.zendesk_audit_id, recovered
        )


def _mark_failed(
    sessions: sessionmaker[Session], installation_id: int, row_id: int, reason: str
) -> WriteOutcome:
    with sessions.begin() as session:
        return _fail(_row(session, installation_id, row_id), reason)


def _fail(row: Writeback, reason: str) -> WriteOutcome:
    row.status = WRITE_FAILED
    row.error = reason[:2000]
    logger.warning(
        "write-back %s (%s) on ticket %s failed: %s", row.id, row.kind, row.ticket_id, reason
    )
    return WriteOutcome(FAILED, row.id, None, error=row.error)


def _note_error(
    sessions: sessionmaker[Session], installation_id: int, row_id: int, reason: str
) -> None:
    with sessions.begin() as session:
        row = _row(session, installation_id, row_id)
        if row.status == WRITE_PENDING:
            row.error = reason[:2000]


def _finished(row: Writeback) -> WriteOutcome | None:
    if row.status == WRITE_SENT:
        return WriteOutcome(ALREADY_SENT, row.id, row.zendesk_audit_id)
    if row.status == WRITE_FAILED:
        return WriteOutcome(FAILED, row.id, None, error=row.error)
    return None


def _row(session: Session, installation_id: int, row_id: int) -> Writeback:
    row = writeback_queries.writeback(session, installation_id, row_id)
    if row is None:  # pragma: no cover - rows are never deleted but with their installation
        raise WritebackError(f"write {row_id} is gone")
    return row


def _payload(
    comment: NewComment | None,
    add_tags: Sequence[str],
    priority: str | None,
    custom_fields: Mapping[int, Any] | None,
) -> dict[str, Any]:
    return {
        "comment": (
            None
            if comment is None
            else {"body": comment.body, "html_body": comment.html_body, "public": comment.public}
        ),
        "add_tags": list(add_tags),
        "priority": priority,
        "custom_fields": {str(k): v for k, v in (custom_fields or {}).items()},
    }


def _comment(payload: Mapping[str, Any], row_id: int) -> NewComment | None:
    """The stored note with this write's marker as its last line (text and HTML alike)."""
    raw = payload.get("comment")
    if raw is None:
        return None
    html_body = raw.get("html_body")
    if raw.get("public"):  # the customer reads it: the marker travels as a tag instead
        return NewComment(body=raw["body"], public=True, html_body=html_body)
    line = marker(row_id)
    return NewComment(
        body=f"{raw['body'].rstrip()}\n\n{line}",
        public=bool(raw.get("public")),
        html_body=f"{html_body}<p>{line}</p>" if html_body else None,
    )


def _summary(kind: str, payload: Mapping[str, Any], ticket_id: int) -> str:
    parts = []
    if payload.get("comment"):
        parts.append("internal note" if not payload["comment"].get("public") else "public reply")
    if payload.get("add_tags"):
        parts.append("tags " + ", ".join(payload["add_tags"]))
    if payload.get("priority"):
        parts.append(f"priority {payload['priority']}")
    if payload.get("custom_fields"):
        parts.append("fields " + ", ".join(sorted(payload["custom_fields"])))
    return f"{kind} on ticket {ticket_id}: " + "; ".join(parts)


def _describe(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"


def resume_write(
    store: Resources | sessionmaker[Session],
    installation_id: int,
    key: str,
    *,
    now: datetime,
    client: ZendeskClient | None = None,
    redis: Redis | None = None,
    lease_seconds: float = LEASE_SECONDS,
) -> WriteOutcome:
    """Finish the write ``key`` as it was asked for (a pending row whose worker stopped)."""
    sessions = store.sessions if isinstance(store, Resources) else store
    with sessions() as session:
        row = writeback_queries.writeback_by_key(session, installation_id, key)
        if row is None:
            raise WritebackError(f"no write {key!r}")
        ticket_id, kind, payload = row.ticket_id, row.kind, dict(row.payload)
    raw = payload.get("comment")
    return write_once(
        store,
        installation_id,
        key=key,
        ticket_id=ticket_id,
        kind=kind,
        comment=(
            None
            if raw is None
            else NewComment(raw["body"], bool(raw.get("public")), raw.get("html_body"))
        ),
        add_tags=payload.get("add_tags") or (),
        priority=payload.get("priority"),
        custom_fields={int(k): v for k, v in (payload.get("custom_fields") or {}).items()},
        now=now,
        client=client,
        redis=redis,
        lease_seconds=lease_seconds,
    )
