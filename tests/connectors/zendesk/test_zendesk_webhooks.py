"""Webhooks: the triggers' JSON body of issue 6, signed as Zendesk signs it, sent from a
background thread to a real HTTP endpoint; failures recorded, deliveries replayable."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests

from connectors.zendesk.sandbox import ZendeskSandbox, sign_webhook

from .conftest import HOSTILE_BODY, HOSTILE_SUBJECT, ORDER_FIELD, Start

BODY_KEYS = [
    "event",
    "ticket_id",
    "ticket_url",
    "subject",
    "description",
    "requester_email",
    "order_id",
]


@dataclass
class Receiver:
    url: str
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    status: int = 200


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """An endpoint that records what it gets and answers ``receiver.status``."""
    box = Receiver("")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            box.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(box.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    box.url = f"http://127.0.0.1:{server.server_address[1]}/webhooks/zendesk"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield box
    server.shutdown()
    server.server_close()


def verified(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """What our endpoint does: base64 HMAC-SHA256 of timestamp + raw body, constant time."""
    stamp = headers["x-zendesk-webhook-signature-timestamp"]
    expected = base64.b64encode(
        hmac.new(secret.encode(), stamp.encode() + body, hashlib.sha256).digest()
    ).decode()
    return hmac.compare_digest(expected, headers["x-zendesk-webhook-signature"])


def api(sandbox: ZendeskSandbox) -> requests.Session:
    session = requests.Session()
    session.auth = (f"{sandbox.credentials.email}/token", sandbox.credentials.api_token)
    return session


def secret_of(sandbox: ZendeskSandbox) -> str:
    session = api(sandbox)
    webhooks = session.get(f"{sandbox.url}/api/v2/webhooks").json()["webhooks"]
    assert len(webhooks) == 1
    response = session.get(f"{sandbox.url}/api/v2/webhooks/{webhooks[0]['id']}/signing_secret")
    assert response.json()["signing_secret"]["algorithm"] == "SHA256"
    return str(response.json()["signing_secret"]["secret"])


def test_signature_matches_the_documented_test_vector() -> None:
    secret = "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ=="
    signature = sign_webhook(secret, "2026-07-22T10:00:00Z", b'{"ticket_id":"1"}')
    # research/zendesk.md §4.7 prints "Q7S7…": the digest starts 0xab 0xb4, which base64 spells
    # "q7S7" (openssl agrees, hex abb4bbc4…); the capital Q is a transcription slip.
    assert base64.b64decode(signature).hex().startswith("abb4bbc41e48d076")
    assert signature == "q7S7xB5I0HZ0YEz8i4hhlLu2tbdF/ZDCUIGy9wiUkBA="


def test_create_and_update_send_issue_6_bodies_signed(
    make_sandbox: Start, receiver: Receiver
) -> None:
    sandbox = make_sandbox(webhook_endpoint=receiver.url)
    secret = secret_of(sandbox)
    session = api(sandbox)
    created = session.post(
        f"{sandbox.url}/api/v2/tickets.json",
        json={
            "ticket": {
                "subject": "Parcel late",
                "comment": {"body": "Where is it?"},
                "requester": {"name": "Ana", "email": "ana@example.es"},
                "custom_fields": [{"id": ORDER_FIELD, "value": "111-8267731-3182180"}],
            }
        },
    )
    ticket_id = created.json()["ticket"]["id"]
    session.put(
        f"{sandbox.url}/api/v2/tickets/{ticket_id}.json",
        json={"ticket": {"additional_tags": ["seen"]}},
    )
    sandbox.flush_deliveries()
    assert [d.status for d in sandbox.deliveries] == [200, 200]
    bodies = [json.loads(body) for _, body in receiver.received]
    assert [list(b) for b in bodies] == [BODY_KEYS, BODY_KEYS]
    assert bodies[0] == {
        "event": "created",
        "ticket_id": str(ticket_id),
        "ticket_url": f"acme.zendesk.com/agent/tickets/{ticket_id}",
        "subject": "Parcel late",
        "description": "Where is it?",
        "requester_email": "ana@example.es",
        "order_id": "111-8267731-3182180",
    }
    assert bodies[1]["event"] == "updated"
    for headers, body in receiver.received:
        assert headers["content-type"].startswith("application/json")
        assert verified(secret, headers, body)
        assert headers["x-zendesk-webhook-id"] == sandbox.deliveries[0].webhook_id


def test_hostile_text_stays_valid_json(make_sandbox: Start, receiver: Receiver) -> None:
    sandbox = make_sandbox(webhook_endpoint=receiver.url)
    api(sandbox).put(
        f"{sandbox.url}/api/v2/tickets/3.json", json={"ticket": {"additional_tags": ["x"]}}
    )
    sandbox.flush_deliveries()
    body = json.loads(receiver.received[0][1])
    assert body["subject"] == HOSTILE_SUBJECT and body["description"] == HOSTILE_BODY
    assert body["order_id"] == ""


def test_a_failed_delivery_is_recorded_and_the_sandbox_goes_on(make_sandbox: Start) -> None:
    sandbox = make_sandbox(webhook_endpoint="http://127.0.0.1:9/nothing-listens")
    session = api(sandbox)
    session.put(f"{sandbox.url}/api/v2/tickets/1.json", json={"ticket": {"priority": "high"}})
    sandbox.flush_deliveries()
    (delivery,) = sandbox.deliveries
    assert delivery.status is None and delivery.error and "refused" in delivery.error.lower()
    assert session.get(f"{sandbox.url}/api/v2/tickets/1.json").status_code == 200


def test_error_status_is_recorded(make_sandbox: Start, receiver: Receiver) -> None:
    receiver.status = 500
    sandbox = make_sandbox(webhook_endpoint=receiver.url)
    api(sandbox).put(f"{sandbox.url}/api/v2/tickets/1.json", json={"ticket": {"priority": "low"}})
    sandbox.flush_deliveries()
    assert [d.status for d in sandbox.deliveries] == [500]


def test_replays_as_sent_or_altered(make_sandbox: Start, receiver: Receiver) -> None:
    sandbox = make_sandbox(webhook_endpoint=receiver.url)
    secret = secret_of(sandbox)
    api(sandbox).put(f"{sandbox.url}/api/v2/tickets/1.json", json={"ticket": {"priority": "low"}})
    sandbox.flush_deliveries()
    original = sandbox.deliveries[0]
    sandbox.replay(original.id)  # a replay: same body, same timestamp, same signature
    sandbox.replay(original.id, signature="AAAA")  # a wrong signature
    sandbox.replay(original.id, timestamp="2020-01-01T00:00:00Z", resign=True)  # stale, signed
    response = requests.post(
        f"{sandbox.url}/_sandbox/deliveries/{original.id}/replay",
        json={"body": "{not json", "resign": True},
    )
    assert response.status_code == 200
    sandbox.flush_deliveries()
    (first_h, first_b), (same_h, same_b), (bad_h, _), (stale_h, _), (broken_h, broken_b) = (
        receiver.received
    )
    assert (
        same_b == first_b
        and same_h["x-zendesk-webhook-signature"] == first_h["x-zendesk-webhook-signature"]
    )
    assert not verified(secret, bad_h, first_b)
    assert stale_h["x-zendesk-webhook-signature-timestamp"] == "2020-01-01T00:00:00Z"
    assert verified(secret, stale_h, first_b)
    assert broken_b == b"{not json" and verified(secret, broken_h, broken_b)
    listed = requests.get(f"{sandbox.url}/_sandbox/deliveries").json()["deliveries"]
    assert [d["replay_of"] for d in listed] == [None] + [original.id] * 4


def test_webhooks_api_create_list_show(sandbox: ZendeskSandbox) -> None:
    session = api(sandbox)
    created = session.post(
        f"{sandbox.url}/api/v2/webhooks",
        json={
            "webhook": {
                "name": "claimdesk",
                "endpoint": "https://claimdesk.example/webhooks/zendesk",
                "http_method": "POST",
                "request_format": "json",
                "status": "active",
                "subscriptions": ["conditional_ticket_events"],
                "authentication": {
                    "type": "bearer_token",
                    "data": {"token": "s3cret"},
                    "add_position": "header",
                },
            }
        },
    )
    assert created.status_code == 201
    webhook = created.json()["webhook"]
    assert "s3cret" not in created.text and "signing_secret" not in webhook
    shown = session.get(f"{sandbox.url}/api/v2/webhooks/{webhook['id']}").json()["webhook"]
    assert shown == webhook
    listed = session.get(f"{sandbox.url}/api/v2/webhooks").json()
    assert webhook["id"] in [w["id"] for w in listed["webhooks"]]
    missing = session.get(f"{sandbox.url}/api/v2/webhooks/01NOPE")
    assert missing.status_code == 404 and missing.json()["errors"][0]["code"] == "WebhookNotFound"
    invalid = session.post(
        f"{sandbox.url}/api/v2/webhooks", json={"webhook": {"name": "x", "endpoint": "ftp://x"}}
    )
    assert invalid.status_code == 400 and "endpoint" in invalid.json()["errors"][0]["detail"]


def test_seeded_triggers_call_the_webhook(sandbox: ZendeskSandbox) -> None:
    triggers = api(sandbox).get(f"{sandbox.url}/api/v2/triggers.json").json()["triggers"]
    assert [t["title"] for t in triggers] == [
        "claimdesk: ticket created",
        "claimdesk: ticket updated",
    ]
    webhook_id = next(iter(sandbox.webhooks))
    for trigger, update in zip(triggers, ("Create", "Change"), strict=True):
        assert trigger["conditions"]["all"] == [
            {"field": "update_type", "operator": "is", "value": update}
        ]
        action = trigger["actions"][0]
        assert action["field"] == "notification_webhook" and action["value"][0] == webhook_id
        assert f"{{{{ticket.ticket_field_{ORDER_FIELD}}}}}" in action["value"][1]


def test_a_trigger_with_a_tag_condition(make_sandbox: Start, receiver: Receiver) -> None:
    sandbox = make_sandbox(webhook_endpoint=receiver.url)
    session = api(sandbox)
    for trigger in list(sandbox.triggers.values()):
        trigger.active = False
    webhook_id = next(iter(sandbox.webhooks))
    response = session.post(
        f"{sandbox.url}/api/v2/triggers.json",
        json={
            "trigger": {
                "title": "only untriaged",
                "conditions": {
                    "all": [
                        {"field": "update_type", "operator": "is", "value": "Change"},
                        {
                            "field": "current_tags",
                            "operator": "not_includes",
                            "value": "claimdesk_triaged",
                        },
                    ]
                },
                "actions": [
                    {
                        "field": "notification_webhook",
                        "value": [webhook_id, '{"id": "{{ticket.id}}"}'],
                    }
                ],
            }
        },
    )
    assert response.status_code == 201
    session.put(f"{sandbox.url}/api/v2/tickets/1.json", json={"ticket": {"priority": "high"}})
    session.put(f"{sandbox.url}/api/v2/tickets/1/tags.json", json={"tags": ["claimdesk_triaged"]})
    session.put(f"{sandbox.url}/api/v2/tickets/1.json", json={"ticket": {"priority": "low"}})
    sandbox.flush_deliveries()
    assert [json.loads(b) for _, b in receiver.received] == [{"id": "1"}]
