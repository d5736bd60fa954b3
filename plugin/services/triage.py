"""Triage of Zendesk tickets: the webhook's intake, the risk decision and its write-back.

Two halves:

- ``receive_delivery`` (web request, fast): parse the trigger's body, find the installation
  from the subdomain in ``ticket_url``, verify the signature with its secret, refuse replays,
  log every delivery with its reason (``webhook_deliveries`` and a log line), link the orders
  the body names, and say which job to enqueue.
- ``triage_ticket`` (RQ job): read the ticket through the API, gather the orders' state from
  the store (late parcel, return pending, refund issued), classify with the installation's
  rules, store the decision and its SLA clock (``ticket_triage``), and write ONE update through
  ``write_once`` (tags, priority, SLA-due field, a one-line internal note). A
  where-is-my-order ticket then goes to the auto-reply job, which decides for itself.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from importlib import resources as package_files
from typing import Any
from urllib.parse import urlsplit

from redis import Redis
from rq import Queue, Retry
from rq.exceptions import DuplicateJobError
from sqlalchemy.orm import Session

from connectors.zendesk.client import ZendeskClient
from connectors.zendesk.models import CommentData, NewComment, TicketData
from plugin.domain import triage as rules_domain
from plugin.domain.order_refs import find_order_refs
from plugin.domain.tracking import DELIVERED
from plugin.errors import PluginError
from plugin.extensions import Resources
from plugin.security import webhook as signatures
from plugin.security.webhook import WebhookRefused
from plugin.services import audit, writeback
from plugin.services.sidebar import find_orders
from plugin.services.zendesk_accounts import (
    ZENDESK,
    ZendeskCredentials,
    check_subdomain,
    load_zendesk_credentials,
)
from plugin.store import queries, sidebar_queries, tracking_queries
from plugin.store import triage_queries as tq
from plugin.store.crypto import CredentialsError, Keyring

logger = logging.getLogger(__name__)

RULES_SETTING = "triage_rules"
SLA_SETTING = "sla_targets"
FIELDS_SETTING = "zendesk_ticket_fields"  # cached ids of our ticket fields on the account
ORDER_FIELD_TITLE = "order id"
SLA_FIELD_TITLE = "sla due"
TRIAGE_JOB = "plugin.jobs.triage.triage_ticket"
REPLY_JOB = "plugin.jobs.replies.answer_where_is_my_order"
QUEUE = "default"
TRIAGE_RETRY = (5, (10, 30, 60, 120, 300))
MAX_BODY = 256 * 1024  # a trigger body holds a subject and a description: far less
MAX_TEXT = 20_000
EVENTS = ("created", "updated")
TAG_PREFIX = "claimdesk_"
# Zendesk priorities, ascending; triage only ever raises one.
PRIORITIES = ("low", "normal", "high", "urgent")
URGENT_CATEGORIES = frozenset({rules_domain.A_TO_Z, rules_domain.CHARGEBACK})
_PLACEHOLDER = re.compile(r"\{\{.*\}\}")
# How the internal note names each category (agents read it; the tags carry the codes).
CATEGORY_WORDS = {
    rules_domain.A_TO_Z: "A-to-z claim",
    rules_domain.CHARGEBACK: "chargeback",
    rules_domain.DAMAGED: "arrived damaged or defective",
    rules_domain.NEVER_ARRIVED: "never arrived",
    rules_domain.COUNTERFEIT: "counterfeit",
    rules_domain.CANCELLATION: "cancellation",
    rules_domain.WHERE_IS_MY_ORDER: "where is my order",
}


class TriageError(PluginError):
    """Triage cannot run for this ticket (the message says why)."""


# --- the webhook ----------------------------------------------------------------------------


@dataclass(frozen=True)
class WebhookEvent:
    """The trigger's body, checked (docs/manifest.md: the contract)."""

    event: str
    ticket_id: int
    subdomain: str
    subject: str
    description: str
    requester_email: str
    order_id: str | None  # None when empty or the placeholder was not filled in

    def job_event(self, digest: str) -> dict[str, Any]:
        return {"event": self.event, "order_id": self.order_id, "delivery": digest}


@dataclass(frozen=True)
class Receipt:
    """A delivery accepted: what to enqueue."""

    installation_id: int
    event: WebhookEvent
    digest: str
    linked: int


def subdomain_of(ticket_url: str) -> str:
    """``acme`` from ``acme.zendesk.com/agent/tickets/5`` (with or without a scheme).

    Raises:
        WebhookRefused: ``malformed_body`` when it names no Zendesk account.
    """
    text = ticket_url.strip()
    if "://" not in text:
        text = "https://" + text
    host = (urlsplit(text).hostname or "").lower()
    if not host.endswith(".zendesk.com") or host.count(".") != 2:
        raise WebhookRefused(signatures.MALFORMED, "ticket_url is not a zendesk.com ticket URL")
    try:
        return check_subdomain(host)
    except PluginError:
        raise WebhookRefused(
            signatures.MALFORMED, "ticket_url names no Zendesk subdomain"
        ) from None


def parse_body(body: bytes) -> dict[str, Any]:
    """The body as a JSON object.

    Raises:
        WebhookRefused: ``malformed_body``.
    """
    if len(body) > MAX_BODY:
        raise WebhookRefused(signatures.MALFORMED, f"body larger than {MAX_BODY} bytes")
    try:
        document = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise WebhookRefused(signatures.MALFORMED, "the body is not UTF-8 JSON") from None
    if not isinstance(document, dict):
        raise WebhookRefused(signatures.MALFORMED, "the body is not a JSON object")
    return document


def read_event(document: Mapping[str, Any]) -> WebhookEvent:
    """The trigger's fields, checked.

    Raises:
        WebhookRefused: ``malformed_body`` naming the field.
    """

    def text(name: str, *, required: bool = False) -> str:
        value = document.get(name)
        if value is None and not required:
            return ""
        if not isinstance(value, str):
            raise WebhookRefused(signatures.MALFORMED, f"{name} is not a string")
        return value

    event = text("event", required=True)
    if event not in EVENTS:
        raise WebhookRefused(signatures.MALFORMED, "event is neither 'created' nor 'updated'")
    raw_id = text("ticket_id", required=True).strip()
    if not raw_id.isdigit() or not 0 < int(raw_id) < 2**62:
        raise WebhookRefused(signatures.MALFORMED, "ticket_id is not a ticket number")
    order = text("order_id").strip()
    return WebhookEvent(
        event=event,
        ticket_id=int(raw_id),
        subdomain=subdomain_of(text("ticket_url", required=True)),
        subject=text("subject")[:MAX_TEXT],
        description=text("description")[:MAX_TEXT],
        requester_email=text("requester_email").strip()[:320],
        order_id=None if not order or _PLACEHOLDER.search(order) else order[:200],
    )


def _webhook_secrets(
    session: Session, keyring: Keyring, installation_ids: Sequence[int]
) -> list[tuple[int, str]]:
    found = []
    for installation_id in installation_ids:
        try:
            secret = load_zendesk_credentials(session, keyring, installation_id).webhook_secret
        except CredentialsError:
            continue
        if secret:
            found.append((installation_id, secret))
    return found


def receive_delivery(
    session: Session,
    keyring: Keyring,
    *,
    body: bytes,
    signature: str | None,
    timestamp: str | None,
    now: datetime,
    invocation: str | None = None,
) -> Receipt:
    """Accept one webhook delivery, or refuse it with a reason; either way it is logged.

    The caller commits (the log and the links are in ``session``), then enqueues.

    Raises:
        WebhookRefused: the reason (``malformed_body``, ``unknown_account``, ``no_secret``,
            ``missing_signature``, ``stale_timestamp``, ``bad_signature``, ``replayed``).
    """
    digest = signatures.delivery_digest(timestamp or "", body, (invocation or "")[:100])
    installation_id: int | None = None
    event: WebhookEvent | None = None
    ticket_hint: int | None = None
    try:
        document = parse_body(body)
        hint = document.get("ticket_id")
        ticket_hint = int(hint) if isinstance(hint, str) and hint.isdigit() else None
        url = document.get("ticket_url")
        if not isinstance(url, str):
            raise WebhookRefused(signatures.MALFORMED, "ticket_url is missing")
        subdomain = subdomain_of(url)
        candidates = [i.id for i in tq.installations_by_subdomain(session, subdomain)]
        if not candidates:
            raise WebhookRefused(
                signatures.UNKNOWN_ACCOUNT, f"no installation is connected to {subdomain}"
            )
        if len(candidates) == 1:
            installation_id = candidates[0]
        keyed = _webhook_secrets(session, keyring, candidates)
        index = signatures.verify(
            [secret for _, secret in keyed],
            signature=signature,
            timestamp=timestamp,
            body=body,
            now=now,
        )
        installation_id = keyed[index][0]
        event = read_event(document)  # signed, but must still be the contract
        if not tq.record_delivery(
            session, installation_id, digest=digest, event=event.event,
            ticket_id=event.ticket_id, accepted=True, reason=signatures.ACCEPTED, now=now,
        ):  # fmt: skip
            raise WebhookRefused(signatures.REPLAY, "this delivery was received before")
    except WebhookRefused as refused:
        _log_refusal(session, installation_id, digest, event, ticket_hint, refused, now)
        raise
    linked = link_orders(
        session, installation_id, event.ticket_id,
        order_field=event.order_id or "", subject=event.subject,
        description=event.description, now=now,
    )  # fmt: skip
    logger.info(
        "webhook accepted: installation %s ticket %s (%s), %d orders linked",
        installation_id, event.ticket_id, event.event, linked,
    )  # fmt: skip
    return Receipt(installation_id, event, digest, linked)


def _log_refusal(
    session: Session,
    installation_id: int | None,
    digest: str,
    event: WebhookEvent | None,
    ticket_id: int | None,
    refused: WebhookRefused,
    now: datetime,
) -> None:
    # A refusal has its own digest: it must never block the genuine delivery (same body),
    # and the same refusal repeated is logged once.
    refusal_digest = signatures.delivery_digest(refused.reason, digest.encode())
    with session.begin_nested():
        tq.record_delivery(
            session, installation_id, digest=refusal_digest,
            event=event.event if event else None,
            ticket_id=event.ticket_id if event else ticket_id,
            accepted=False, reason=refused.reason, now=now,
        )  # fmt: skip
    logger.warning(
        "webhook refused: %s (%s); installation %s, ticket %s",
        refused.reason, refused.detail, installation_id or "-",
        (event.ticket_id if event else ticket_id) or "-",
    )  # fmt: skip


def link_orders(
    session: Session,
    installation_id: int,
    ticket_id: int,
    *,
    order_field: str,
    subject: str,
    description: str,
    now: datetime,
) -> int:
    """Link the ticket to every stored order it names; how many orders it names."""
    refs = find_order_refs(
        order_field=order_field[:200],
        subject=subject[:MAX_TEXT],
        description=description[:MAX_TEXT],
    )
    if not refs:
        return 0
    found = find_orders(session, installation_id, refs, "")
    links = [(order.channel, order.order_id, place) for order, place in found]
    sidebar_queries.link_ticket(session, installation_id, ticket_id, links, now)
    return len(links)


def triage_job_id(installation_id: int, ticket_id: int, digest: str) -> str:
    return f"triage-{installation_id}-{ticket_id}-{digest[:16]}"


def enqueue_triage(redis: Redis, receipt: Receipt) -> str:
    """Queue the triage of an accepted delivery (once per ticket and delivery)."""
    job_id = triage_job_id(receipt.installation_id, receipt.event.ticket_id, receipt.digest)
    try:
        Queue(QUEUE, connection=redis).enqueue(
            TRIAGE_JOB,
            receipt.installation_id,
            receipt.event.ticket_id,
            receipt.event.job_event(receipt.digest),
            job_id=job_id,
            unique=True,
            retry=Retry(max=TRIAGE_RETRY[0], interval=list(TRIAGE_RETRY[1])),
            job_timeout=300,
            result_ttl=3600,
            failure_ttl=7 * 86400,
            description=f"triage of ticket {receipt.event.ticket_id}",
        )
    except DuplicateJobError:
        pass
    return job_id


# --- rules and settings ---------------------------------------------------------------------


@cache
def default_document() -> Mapping[str, Any]:
    """The bundled rules, ``plugin/domain/triage_rules.json``, read once per process."""
    text = (
        package_files.files("plugin.domain")
        .joinpath("triage_rules.json")
        .read_text(encoding="utf-8")
    )
    loaded: Mapping[str, Any] = json.loads(text)
    return loaded


@cache
def default_rules() -> rules_domain.Rules:
    """The bundled rules, validated and compiled once per process."""
    return rules_domain.load_rules(default_document())


def rules_for(session: Session, installation_id: int) -> rules_domain.Rules:
    """The installation's rules: its override, else the defaults.

    Raises:
        TriageError: a stored override no longer validates (it cannot be stored invalid).
    """
    document = queries.setting_value(session, installation_id, RULES_SETTING)
    if document is None:
        return default_rules()
    try:
        return rules_domain.load_rules(document)
    except rules_domain.RulesError as error:
        raise TriageError(f"the installation's triage rules are invalid: {error}") from None


def sla_targets_for(session: Session, installation_id: int) -> rules_domain.SlaTargets:
    value = queries.setting_value(session, installation_id, SLA_SETTING)
    try:
        return rules_domain.parse_sla_targets(value)
    except rules_domain.RulesError as error:
        raise TriageError(f"the installation's SLA targets are invalid: {error}") from None


def import_rules(session: Session, installation_id: int, text: str, now: datetime) -> str:
    """Validate a rules document (JSON text) and store it as the override; its version.

    Raises:
        TriageError: not JSON, or not valid rules (the message names the place).
    """
    try:
        document = json.loads(text)
    except ValueError as error:
        raise TriageError(f"the rules file is not JSON: {error}") from None
    try:
        rules = rules_domain.load_rules(document)
    except rules_domain.RulesError as error:
        raise TriageError(f"the rules are not valid: {error}") from None
    queries.put_setting(session, installation_id, RULES_SETTING, document, now)
    return rules.version


def set_sla_targets(
    session: Session, installation_id: int, hours: Mapping[str, Any], now: datetime
) -> rules_domain.SlaTargets:
    try:
        targets = rules_domain.parse_sla_targets(hours)
    except rules_domain.RulesError as error:
        raise TriageError(str(error)) from None
    queries.put_setting(session, installation_id, SLA_SETTING, dict(hours), now)
    return targets


# --- the order's state ----------------------------------------------------------------------


def order_state(
    session: Session, installation_id: int, order_ids: Sequence[str], now: datetime
) -> rules_domain.OrderState:
    """Late parcels (past the carrier's estimate, not delivered), pending returns, refunds."""
    if not order_ids:
        return rules_domain.OrderState()
    late = sorted(
        {
            s.order_id
            for s in tracking_queries.snapshots_for_orders(session, installation_id, order_ids)
            if s.order_id
            and s.status != DELIVERED
            and s.delivered_at is None
            and s.estimated_delivery is not None
            and s.estimated_delivery < now
        }
    )
    returns = sorted({r.order_id for r in tq.pending_returns(session, installation_id, order_ids)})
    refunded = sorted({r.order_id for r in tq.refunds(session, installation_id, order_ids)})
    return rules_domain.OrderState(tuple(late), tuple(returns), tuple(refunded))


# --- the job --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TriageResult:
    ticket_id: int
    decision: rules_domain.Decision
    sla_due_at: datetime | None
    write_status: str | None  # sent, already_sent, failed; None when nothing was written
    orders: tuple[str, ...]
    reply_job: str | None


def triage_ticket(
    store: Resources,
    installation_id: int,
    ticket_id: int,
    event: Mapping[str, Any],
    *,
    now: datetime,
    client: ZendeskClient | None = None,
) -> TriageResult:
    """Decide the ticket's risk, store it with its SLA clock, and write it to the ticket once.

    Raises:
        TriageError: the installation's rules or targets are unusable.
        ConnectorError: Zendesk failed (the job retries).
    """
    own_client = client is None
    if client is None:
        with store.session() as session:
            client = writeback.client_for(
                session, store.keyring, installation_id, pacer=writeback.pacer_for(store.redis)
            )
    try:
        ticket = client.ticket(ticket_id)
        comments = client.comments(ticket_id) if event.get("event") == "updated" else []
        fields = _field_ids(store, installation_id, client, now)
        result = _decide_and_write(
            store, installation_id, ticket, comments, fields, event, now=now, client=client
        )
    finally:
        if own_client:
            client.close()
    return result


def _decide_and_write(
    store: Resources,
    installation_id: int,
    ticket: TicketData,
    comments: Sequence[CommentData],
    fields: Mapping[str, int],
    event: Mapping[str, Any],
    *,
    now: datetime,
    client: ZendeskClient,
) -> TriageResult:
    order_field = ""
    if "order_id" in fields:
        order_field = str(ticket.custom_fields.get(fields["order_id"]) or "")
    if not order_field and isinstance(event.get("order_id"), str):
        order_field = event["order_id"]
    text = customer_text(ticket, comments)
    created = _parse_time(ticket.created_at) or now
    with store.session() as session:
        link_orders(
            session, installation_id, ticket.id, order_field=order_field,
            subject=ticket.subject, description=text, now=now,
        )  # fmt: skip
        links = sidebar_queries.ticket_links(session, installation_id, ticket.id)
        order_ids = tuple(dict.fromkeys(link.order_id for link in links))
        state = order_state(session, installation_id, order_ids, now)
        rules = rules_for(session, installation_id)
        targets = sla_targets_for(session, installation_id)
        classification = rules_domain.classify(f"{ticket.subject}\n{text}", rules=rules)
        decision = rules_domain.decide(classification, state, rules)
        due = rules_domain.sla_due(created, decision.risk, decision.categories, targets)
        answered = first_response(ticket, comments)
        previous = tq.triage_of(session, installation_id, ticket.id)
        changed = previous is None or (
            previous.risk,
            list(previous.categories),
            previous.rules_version,
        ) != (decision.risk, list(decision.categories), rules.version)
        tq.put_triage(
            session, installation_id, ticket.id,
            {
                "risk": decision.risk, "categories": list(decision.categories),
                "language": decision.language, "reasons": list(decision.reasons),
                "ticket_created_at": created, "sla_due_at": due,
                "first_response_at": answered or (previous.first_response_at if previous else None),
                "decided_at": now, "rules_version": rules.version,
            },
        )  # fmt: skip
        if changed:
            audit.record(
                session, installation_id, actor="claimdesk", action="triage",
                summary=note_text(decision, due, targets),
                ticket_id=ticket.id, order_id=order_ids[0] if order_ids else None,
                detail={
                    "risk": decision.risk, "categories": list(decision.categories),
                    "language": decision.language, "reasons": list(decision.reasons),
                    "sla_due_at": due.isoformat() if due else None,
                    "rules_version": rules.version, "event": event.get("event"),
                },
                now=now,
            )  # fmt: skip
        session.commit()
    status = None
    if decision.risk != rules_domain.NONE or decision.categories:
        status = _write(
            store, installation_id, ticket, decision, due, targets, fields, rules.version,
            order_ids, now=now, client=client,
        )  # fmt: skip
    reply_job = None
    if rules_domain.WHERE_IS_MY_ORDER in decision.categories:
        reply_job = enqueue_reply(store.redis, installation_id, ticket.id)
    logger.info(
        "triage of ticket %s: %s %s (sla due %s, write %s)",
        ticket.id, decision.risk, ",".join(decision.categories) or "-",
        due.isoformat() if due else "-", status or "none",
    )  # fmt: skip
    return TriageResult(ticket.id, decision, due, status, order_ids, reply_job)


def _write(
    store: Resources,
    installation_id: int,
    ticket: TicketData,
    decision: rules_domain.Decision,
    due: datetime | None,
    targets: rules_domain.SlaTargets,
    fields: Mapping[str, int],
    version: str,
    order_ids: Sequence[str],
    *,
    now: datetime,
    client: ZendeskClient,
) -> str:
    tags = [f"{TAG_PREFIX}risk_{decision.risk}"] + [
        f"{TAG_PREFIX}{category}" for category in decision.categories
    ]
    custom = {fields["sla_due"]: _zendesk_time(due)} if due and "sla_due" in fields else None
    outcome = writeback.write_once(
        store, installation_id,
        key=f"triage:{ticket.id}:{version}:{decision.risk}:{'+'.join(decision.categories)}",
        ticket_id=ticket.id, kind="triage",
        comment=NewComment(note_text(decision, due, targets)),
        add_tags=tags, priority=raised_priority(ticket.priority, decision),
        custom_fields=custom, now=now, client=client,
        summary=f"triage: {decision.risk} risk", order_id=order_ids[0] if order_ids else None,
        meta={"categories": list(decision.categories)},
    )  # fmt: skip
    return outcome.status


def raised_priority(current: str | None, decision: rules_domain.Decision) -> str | None:
    """The priority to set: urgent for an A-to-z or chargeback, high for other high risk;
    None when the ticket's priority is already that or higher (never lowered)."""
    if decision.risk != rules_domain.HIGH:
        return None
    wanted = "urgent" if URGENT_CATEGORIES & set(decision.categories) else "high"
    have = PRIORITIES.index(current) if current in PRIORITIES else -1
    return wanted if PRIORITIES.index(wanted) > have else None


def note_text(
    decision: rules_domain.Decision, due: datetime | None, targets: rules_domain.SlaTargets
) -> str:
    """The one-line internal note: the risk, why, and when the answer is due."""
    why = [CATEGORY_WORDS.get(category, category) for category in decision.categories]
    for reason in decision.reasons:
        rule = str(reason.get("rule", ""))
        if rule.startswith("state:"):
            orders = ", ".join(reason.get("orders", []))
            why.append(f"{rule[6:].replace('_', ' ')} ({orders})")
    line = f"claimdesk triage: {decision.risk.upper()} risk"
    if why:
        line += " — " + "; ".join(why)
    if due is None:
        return line
    clocks = ["Amazon 24 h"]
    target = targets.target(decision.risk)
    if target is not None and target < rules_domain.AMAZON_RESPONSE:
        clocks.insert(0, f"internal {_hours(target.total_seconds())} target")
    if rules_domain.A_TO_Z in decision.categories:
        clocks.append("A-to-z 48 h")
    return f"{line}; first answer due {due:%Y-%m-%d %H:%M} UTC ({'; '.join(clocks)})"


def enqueue_reply(redis: Redis, installation_id: int, ticket_id: int) -> str:
    job_id = f"wismo-reply-{installation_id}-{ticket_id}"
    try:
        Queue(QUEUE, connection=redis).enqueue(
            REPLY_JOB,
            installation_id,
            ticket_id,
            job_id=job_id,
            unique=True,
            retry=Retry(max=3, interval=[30, 120, 600]),
            result_ttl=0,
            failure_ttl=7 * 86400,
            description=f"where-is-my-order reply to ticket {ticket_id}",
        )
    except DuplicateJobError:
        pass
    return job_id


def customer_text(ticket: TicketData, comments: Sequence[CommentData]) -> str:
    """The description and the requester's later public messages (what the customer said)."""
    parts = [ticket.description]
    for comment in comments[1:]:
        if comment.public and comment.author_id == ticket.requester_id:
            parts.append(comment.body)
    return "\n".join(parts)[:MAX_TEXT]


def first_response(ticket: TicketData, comments: Sequence[CommentData]) -> datetime | None:
    """When someone other than the requester first answered publicly (the SLA stops)."""
    for comment in comments[1:]:
        if comment.public and comment.author_id not in (None, ticket.requester_id):
            return _parse_time(comment.created_at)
    return None


def _field_ids(
    store: Resources, installation_id: int, client: ZendeskClient, now: datetime
) -> dict[str, int]:
    """Our ticket fields' ids on the account (Order ID, SLA due), cached once found."""
    with store.session() as session:
        cached = queries.setting_value(session, installation_id, FIELDS_SETTING)
    if isinstance(cached, dict) and "sla_due" in cached and "order_id" in cached:
        return {k: int(v) for k, v in cached.items()}
    found: dict[str, int] = {}
    for field in client.ticket_fields():
        title = field.title.strip().lower()
        if field.key == "order_id" or title == ORDER_FIELD_TITLE:
            found.setdefault("order_id", field.id)
        elif field.key == "sla_due" or title == SLA_FIELD_TITLE:
            found.setdefault("sla_due", field.id)
    if found:
        with store.session() as session:
            queries.put_setting(session, installation_id, FIELDS_SETTING, found, now)
            session.commit()
    if "sla_due" not in found:
        logger.warning("no 'SLA due' ticket field on the account: the due time goes in the note")
    return found


def fetch_webhook_secret(
    session: Session, keyring: Keyring, installation_id: int, now: datetime
) -> str:
    """Read the triage webhook's signing secret from the account and store it encrypted;
    the webhook's id.

    Raises:
        ConnectorError: Zendesk refused or failed; ZendeskAccountError: not connected.
    """
    from connectors.zendesk.webhooks import fetch_signing_secret
    from plugin.services import credentials
    from plugin.services.zendesk_accounts import zendesk_settings
    from plugin.store import queries

    installation = queries.installation_by_id(session, installation_id)
    if installation is None:
        raise TriageError(f"no installation {installation_id}")
    try:
        stored = load_zendesk_credentials(session, keyring, installation_id)
    except CredentialsError:
        stored = ZendeskCredentials()
    webhook_id, secret = fetch_signing_secret(zendesk_settings(installation, stored))
    updated = ZendeskCredentials(
        email=stored.email, api_token=stored.api_token,
        public_key_pem=stored.public_key_pem, webhook_secret=secret,
    )  # fmt: skip
    credentials.save_credentials(
        session, keyring, installation_id, ZENDESK, updated.to_document(), now
    )
    return webhook_id


def _parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _zendesk_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _hours(seconds: float) -> str:
    hours = seconds / 3600
    return f"{hours:g} h" if hours >= 1 else f"{round(seconds / 60)} min"
