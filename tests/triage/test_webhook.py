"""POST /webhooks/zendesk: only a fresh, genuine, first delivery of the contract is acted on;
every refusal is logged with its reason. Unit level (Flask client) and end to end (the Zendesk
sandbox delivering to our app on a real port)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from rq import Queue, SimpleWorker
from sqlalchemy import select

from plugin.security import webhook as sig
from plugin.services import triage as service
from plugin.store import queries, sidebar_queries
from plugin.store.models import (
    AuditEvent,
    Order,
    TicketTriage,
    WebhookDelivery,
)
from tests.triage.conftest import NAME, SECRET, SLA_FIELD, Stack

ORDER = "111-8267731-3182180"


def body(**changes: Any) -> bytes:
    document = {
        "event": "created",
        "ticket_id": "1",
        "ticket_url": "acme.zendesk.com/agent/tickets/1",
        "subject": f"Order {ORDER}",
        "description": "Hello, my parcel never arrived.",
        "requester_email": "lea@example.net",
        "order_id": "{{ticket.ticket_field_order_id}}",
    }
    document.update(changes)
    return json.dumps(document).encode()


def post(stack: Stack, raw: bytes, *, stamp: str | None = None, secret: str = SECRET,
         signature: str | None = None) -> Any:  # fmt: skip
    stamp = stamp or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    headers = {
        "Content-Type": "application/json",
        "X-Zendesk-Webhook-Signature-Timestamp": stamp,
        "X-Zendesk-Webhook-Signature": signature or sig.sign(secret, stamp, raw),
    }
    return stack.app.test_client().post("/webhooks/zendesk", data=raw, headers=headers)


def logged(stack: Stack) -> list[tuple[bool, str, int | None]]:
    with stack.store.session() as session:
        rows = session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)).all()
        return [(row.accepted, row.reason, row.ticket_id) for row in rows]


def queued(stack: Stack) -> list[str]:
    return Queue(service.QUEUE, connection=stack.store.redis).job_ids


def test_the_signature_test_vector() -> None:
    # research §4.7 with its typo fixed: the digest starts with a lower-case q.
    assert (
        sig.sign(SECRET, "2026-07-22T10:00:00Z", b'{"ticket_id":"1"}')
        == "q7S7xB5I0HZ0YEz8i4hhlLu2tbdF/ZDCUIGy9wiUkBA="
    )


def test_verify_is_pure_and_checks_freshness_first() -> None:
    now = datetime(2026, 7, 22, 10, 4, tzinfo=UTC)
    raw = b'{"ticket_id":"1"}'
    good = sig.sign(SECRET, "2026-07-22T10:00:00Z", raw)
    assert sig.verify(["other", SECRET], signature=good, timestamp="2026-07-22T10:00:00Z",
                      body=raw, now=now) == 1  # fmt: skip
    for stamp, reason in (("2026-07-22T09:58:59Z", sig.STALE), ("yesterday", sig.BAD_TIMESTAMP)):
        with pytest.raises(sig.WebhookRefused) as refused:
            sig.verify([SECRET], signature=good, timestamp=stamp, body=raw,
                       now=now + timedelta(minutes=2))  # fmt: skip
        assert refused.value.reason == reason
    with pytest.raises(sig.WebhookRefused, match="bad_signature"):
        sig.verify([SECRET], signature=good, timestamp="2026-07-22T10:00:00Z", body=raw + b" ",
                   now=now)  # fmt: skip
    with pytest.raises(sig.WebhookRefused, match="missing_signature"):
        sig.verify([SECRET], signature=None, timestamp="x", body=raw, now=now)


@pytest.mark.parametrize(
    ("url", "subdomain"),
    [("acme.zendesk.com/agent/tickets/5", "acme"),
     ("https://Acme.zendesk.com/agent/tickets/5", "acme"),
     ("https://my-shop.zendesk.com/agent/tickets/7", "my-shop")],
)  # fmt: skip
def test_subdomain_from_ticket_url(url: str, subdomain: str) -> None:
    assert service.subdomain_of(url) == subdomain


@pytest.mark.parametrize("url", ["evil.example.com/agent/tickets/5", "a.b.zendesk.com/x", ""])
def test_a_ticket_url_of_no_zendesk_account_is_malformed(url: str) -> None:
    with pytest.raises(sig.WebhookRefused, match="malformed"):
        service.subdomain_of(url)


def test_flask_client_accepts_once_and_refuses_each_bad_delivery(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    now = datetime.now(UTC)
    with stack.store.session() as session:
        installation = queries.installation_by_name(session, NAME)
        assert installation is not None
        session.add(
            Order(
                installation_id=installation.id, channel="amazon", order_id=ORDER,
                marketplace_id="ATVPDKIKX0DER", status="Shipped", data={},
                first_seen_at=now, updated_at=now,
            )
        )  # fmt: skip
        session.commit()
        installation_id = installation.id
    caplog.set_level(logging.INFO, logger="plugin.services.triage")
    stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    raw = body()
    first = post(stack, raw, stamp=stamp)
    assert first.status_code == 202, first.get_json()
    assert first.get_json()["orders_linked"] == 1
    assert queued(stack) == [first.get_json()["job"]]
    replay = post(stack, raw, stamp=stamp)
    # Answered 200, not 409: Zendesk retries a 409, and the first delivery is queued already.
    assert (replay.status_code, replay.get_json()["status"]) == (200, "already_received")
    wrong = post(stack, body(ticket_id="2"), secret="not-the-secret")
    assert (wrong.status_code, wrong.get_json()["error"]) == (401, sig.BAD_SIGNATURE)
    old = (now - timedelta(minutes=6)).strftime("%Y-%m-%dT%H:%M:%SZ")
    stale = post(stack, body(ticket_id="3"), stamp=old)
    assert (stale.status_code, stale.get_json()["error"]) == (401, sig.STALE)
    broken = post(stack, b'{"event": "created", "ticket_id": "4", "subject": "a "quote""}')
    assert (broken.status_code, broken.get_json()["error"]) == (400, sig.MALFORMED)
    not_contract = post(stack, body(ticket_id="{{ticket.id}}"))
    assert (not_contract.status_code, not_contract.get_json()["error"]) == (400, sig.MALFORMED)
    stranger = post(stack, body(ticket_url="other.zendesk.com/agent/tickets/1"))
    assert (stranger.status_code, stranger.get_json()["error"]) == (404, sig.UNKNOWN_ACCOUNT)
    assert logged(stack) == [
        (True, sig.ACCEPTED, 1),
        (False, sig.REPLAY, 1),
        (False, sig.BAD_SIGNATURE, 2),
        (False, sig.STALE, 3),
        (False, sig.MALFORMED, None),  # not JSON: no ticket known
        (False, sig.MALFORMED, None),
        (False, sig.UNKNOWN_ACCOUNT, 1),
    ]
    reasons = [r.getMessage() for r in caplog.records if "webhook refused" in r.getMessage()]
    for reason in (sig.REPLAY, sig.BAD_SIGNATURE, sig.STALE, sig.MALFORMED, sig.UNKNOWN_ACCOUNT):
        assert any(reason in line for line in reasons), reason
    assert SECRET not in caplog.text
    assert len(queued(stack)) == 1  # only the first was acted on
    with stack.store.session() as session:
        links = sidebar_queries.ticket_links(session, installation_id, 1)
        assert [(link.order_id, link.found_in) for link in links] == [(ORDER, "subject")]


def test_end_to_end_through_the_sandbox(stack: Stack) -> None:
    zendesk = stack.zendesk
    created = requests.post(
        f"{zendesk.url}/api/v2/tickets.json",
        json={"ticket": {"subject": "Colis jamais reçu",
                         "comment": {"body": "Bonjour, je n'ai toujours pas reçu ma commande. "
                                             "Sinon j'ouvre une réclamation garantie A à Z."},
                         "requester": {"name": "Léa", "email": "lea@example.net"}}},
        auth=(f"{zendesk.credentials.email}/token", zendesk.credentials.api_token),
        timeout=10,
    )  # fmt: skip
    assert created.status_code == 201, created.text
    ticket_id = created.json()["ticket"]["id"]
    zendesk.flush_deliveries()
    delivery = next(d for d in zendesk.deliveries if d.ticket_id == ticket_id)
    assert delivery.status == 202, delivery
    assert json.loads(delivery.body)["ticket_url"].startswith("acme.zendesk.com/")
    # The job runs in a worker of this process: the ticket is read and written once.
    worker = SimpleWorker([Queue(service.QUEUE, connection=stack.store.redis)],
                          connection=stack.store.redis)  # fmt: skip
    worker.work(burst=True)
    ticket = zendesk.ticket(ticket_id)
    assert {"claimdesk_risk_high", "claimdesk_a_to_z", "claimdesk_never_arrived"} <= set(
        ticket.tags
    )
    assert ticket.priority == "urgent"
    notes = [c.body for c in ticket.comments if not c.public]
    assert len(notes) == 1 and notes[0].startswith("claimdesk triage: HIGH risk")
    with stack.store.session() as session:
        triage = session.scalars(select(TicketTriage)).one()
        assert (triage.risk, triage.language) == ("high", "fr")
        assert triage.sla_due_at is not None and triage.ticket_created_at is not None
        assert triage.sla_due_at - triage.ticket_created_at == timedelta(hours=2)
        assert ticket.custom_fields.get(SLA_FIELD) == triage.sla_due_at.strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        )
        actions = session.scalars(select(AuditEvent.action)).all()
        assert actions.count("triage") == 1
    # The sandbox's own replays and alterations: each refused and logged with its reason.
    zendesk.replay(delivery.id)
    zendesk.replay(delivery.id, body=delivery.body.replace(b"created", b"updated"))
    old = (datetime.now(UTC) - timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%SZ")
    zendesk.replay(delivery.id, timestamp=old, resign=True)
    zendesk.replay(delivery.id, body=b'{"event": "created", "ticket_id": ', resign=True)
    zendesk.flush_deliveries()
    statuses = [d.status for d in zendesk.deliveries if d.replay_of == delivery.id]
    assert statuses == [200, 401, 401, 400]
    reasons = [reason for accepted, reason, _ in logged(stack) if not accepted]
    assert reasons == [sig.REPLAY, sig.BAD_SIGNATURE, sig.STALE, sig.MALFORMED]
    # A second run of the same decision writes nothing more.
    service.enqueue_triage(
        stack.store.redis,
        service.Receipt(triage.installation_id,
                        service.read_event(json.loads(delivery.body)), "again", 0),
    )  # fmt: skip
    worker.work(burst=True)
    assert len([c for c in zendesk.ticket(ticket_id).comments if not c.public]) == 1


def test_an_account_without_a_stored_secret_is_refused_and_told_how(
    stack: Stack, tmp_path: Path
) -> None:
    pem = tmp_path / "beta.pem"
    pem.write_text(stack.zendesk.public_key_pem)
    result = stack.backend.claimdesk(
        "connect", "zendesk", "beta-seller", "--subdomain", "beta",
        "--installation-id", "77", "--public-key", str(pem),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    answer = post(stack, body(ticket_url="https://beta.zendesk.com/agent/tickets/1"))
    assert (answer.status_code, answer.get_json()["error"]) == (403, sig.NO_SECRET)
    assert "fetch-webhook-secret" in answer.get_json()["message"]
    assert logged(stack)[-1] == (False, sig.NO_SECRET, 1)
    assert queued(stack) == []


def test_the_webhook_answers_fast(stack: Stack) -> None:
    """Verify, log, link and enqueue only: the ticket is read later, by the job."""
    import time

    client = stack.app.test_client()
    spent = []
    for ticket in range(100, 140):
        raw = body(ticket_id=str(ticket))
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        headers = {
            "X-Zendesk-Webhook-Signature-Timestamp": stamp,
            "X-Zendesk-Webhook-Signature": sig.sign(SECRET, stamp, raw),
        }
        started = time.perf_counter()
        answer = client.post("/webhooks/zendesk", data=raw, headers=headers)
        spent.append(time.perf_counter() - started)
        assert answer.status_code == 202
    spent.sort()
    p50, p95 = spent[len(spent) // 2], spent[int(len(spent) * 0.95)]
    print(f"\nwebhook answer time ({stack.backend.name}): p50 {p50 * 1000:.1f} ms, "
          f"p95 {p95 * 1000:.1f} ms over {len(spent)} deliveries")  # fmt: skip
    assert p95 < 0.5
    assert len(queued(stack)) == 40
