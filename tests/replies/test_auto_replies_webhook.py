"""End to end: a customer asks where the order is; the Zendesk sandbox calls our webhook on a
real port; triage queues the answer; a worker answers once. Every later webhook (our own
updates trigger some, Zendesk retries a delivery) answers nothing more."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import requests
from rq import Queue, SimpleWorker

from plugin.domain import tracking
from plugin.services import auto_replies as ar
from plugin.services import triage as triage_service
from plugin.store import queries, tracking_queries
from tests.sidebar.support import add_order, order_document
from tests.triage.conftest import NAME, Stack, backend, stack  # noqa: F401  (fixtures)

ORDER = "112-1234567-7654321"
NUMBER = "1Z999AA10123456784"


def prepare(site: Stack) -> None:
    """The seller's order with a fresh parcel in transit; automatic replies on."""
    now = datetime.now(UTC)
    with site.store.session() as session:
        installation = queries.installation_by_name(session, NAME)
        assert installation is not None
        add_order(session, installation.id, ORDER, document=order_document(ORDER))
        tracking_queries.upsert_snapshots(
            session,
            installation.id,
            [
                {
                    "carrier": "ups", "tracking_number": NUMBER, "channel": "amazon",
                    "order_id": ORDER, "status": tracking.IN_TRANSIT, "status_detail": None,
                    "events": [], "estimated_delivery": now + timedelta(days=2),
                    "delivered_at": None, "proof": None, "source": "ups", "fetched_at": now,
                    "expires_at": tracking.expires_at(tracking.IN_TRANSIT, now),
                }
            ],
        )  # fmt: skip
    turned = site.backend.claimdesk("settings", NAME, "auto_replies", "on")
    assert turned.exit_code == 0, turned.output


def public_replies(site: Stack, ticket_id: int) -> list[str]:
    zendesk = site.zendesk
    return [
        c.body
        for c in zendesk.ticket(ticket_id).comments
        if c.public and c.author_id == zendesk.api_user_id
    ]


def test_a_where_is_my_order_ticket_is_answered_once_through_the_webhook(
    stack: Stack,  # noqa: F811  (the triage tests' fixture)
) -> None:
    prepare(stack)
    zendesk = stack.zendesk
    created = requests.post(
        f"{zendesk.url}/api/v2/tickets.json",
        json={"ticket": {"subject": f"Commande {ORDER}",
                         "comment": {"body": f"Bonjour, où est ma commande {ORDER} ? Merci"},
                         "requester": {"name": "Léa Dubois", "email": "lea@example.net"}}},
        auth=(f"{zendesk.credentials.email}/token", zendesk.credentials.api_token),
        timeout=10,
    )  # fmt: skip
    assert created.status_code == 201, created.text
    ticket_id = created.json()["ticket"]["id"]
    redis = stack.store.redis
    worker = SimpleWorker([Queue(triage_service.QUEUE, connection=redis)], connection=redis)
    for _ in range(3):  # our own updates fire "updated" webhooks: let them all run
        zendesk.flush_deliveries()
        worker.work(burst=True)
    replies = public_replies(stack, ticket_id)
    assert len(replies) == 1, replies
    assert replies[0].startswith("Bonjour Léa,") and NUMBER in replies[0]
    assert ar.TAG in zendesk.ticket(ticket_id).tags
    # Zendesk delivers the creation again (a retry: same body, a new signed timestamp).
    first = next(d for d in zendesk.deliveries if d.ticket_id == ticket_id and not d.replay_of)
    assert json.loads(first.body)["event"] == "created"
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    zendesk.replay(first.id, timestamp=stamp, resign=True)
    for _ in range(2):
        zendesk.flush_deliveries()
        worker.work(burst=True)
    assert [d.status for d in zendesk.deliveries if d.replay_of == first.id] == [202]
    assert len(public_replies(stack, ticket_id)) == 1
    ours = [
        c.body
        for c in zendesk.ticket(ticket_id).comments
        if not c.public and "answered this ticket automatically" in c.body
    ]
    assert len(ours) == 1
