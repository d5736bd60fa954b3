"""Write-back fixtures: a store (SQLite + embedded Redis, and PostgreSQL + Redis when
``CLAIMDESK_TEST_DATABASE_URL``/``CLAIMDESK_TEST_REDIS_URL`` are set) connected to a Zendesk
sandbox whose tickets already carry tags of their own, with claims linked to those tickets.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from connectors.amazon.models import Source
from connectors.zendesk.client import ZendeskClient
from connectors.zendesk.models import CommentData
from connectors.zendesk.sandbox import ZendeskSandbox, start_sandbox
from connectors.zendesk.sandbox_data import parse_seed
from connectors.zendesk.settings import ZendeskSettings
from plugin.domain.claims import Claim
from plugin.extensions import Resources, resources
from plugin.services.claim_store import ClaimChanges, save_claims
from plugin.store import queries
from plugin.store.sidebar_queries import link_ticket
from tests.sync.conftest import sandbox_for, seller  # noqa: F401 - the end-to-end test's
from tests.sync.support import Backend, postgresql_backend, sqlite_backend

TICKETS = 12
OWN_TAGS = ("vip", "amazon_buyer")  # tags every seeded ticket starts with
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
MARKER = "claimdesk ref: wb-"


def ticket_seed(count: int) -> dict[str, Any]:
    return {
        "users": [
            {"id": 5001, "name": "Agent Smith", "email": "agent@acme.test", "role": "agent"},
            {"id": 1001, "name": "Léa Dubois", "email": "lea@example.net", "locale": "fr"},
        ],
        "tickets": [
            {
                "id": number,
                "subject": f"Where is my order? #{number}",
                "requester_id": 1001,
                "created_at": "2026-10-20T09:00:00Z",
                "tags": list(OWN_TAGS),
                "comments": [{"body": f"Order {order_id(number)} never arrived."}],
            }
            for number in range(1, count + 1)
        ],
    }


def order_id(number: int) -> str:
    return f"111-{number:07d}-{number * 7 % 10_000_000:07d}"


def make_claim(
    order: str, sku: str, *, kind: str = "return_not_received", quantity: int = 1, **changes: Any
) -> Claim:
    claim = Claim(
        kind=kind,
        reference_id=order,
        sku=sku,
        fnsku=f"X00{sku[-4:]}",
        asin="B0" + sku.encode().hex()[:8].upper(),
        marketplace="DE",
        quantity=quantity,
        event_date=date(2026, 9, 1),
        opens_on=date(2026, 10, 16),
        deadline=date(2027, 1, 29),
        status="claimable",
        estimated_amount=Decimal("12.50") * quantity,
        currency="EUR",
        valuation_basis="order_price",
        evidence=(Source("returns.tsv", 12), Source("orders.tsv", 40)),
        status_reason=None,
    )
    return replace(claim, **changes)


@dataclass
class World:
    """One installation ``shop`` connected to the sandbox, and what tests do with it."""

    backend: Backend
    app: Flask
    store: Resources
    zendesk: ZendeskSandbox
    installation_id: int

    def client(self, **options: Any) -> ZendeskClient:
        settings = ZendeskSettings(
            "acme",
            self.zendesk.url,
            self.zendesk.credentials.email,
            self.zendesk.credentials.api_token,
        )
        return ZendeskClient(settings, **options)

    def save(self, claims: Sequence[Claim], now: datetime = NOW) -> ClaimChanges:
        with self.store.session() as session:
            return save_claims(session, self.installation_id, list(claims), now)

    def link(self, ticket_id: int, *orders: str) -> None:
        with self.store.session() as session:
            link_ticket(
                session,
                self.installation_id,
                ticket_id,
                [("amazon", order, "subject") for order in orders],
                NOW,
            )

    def notes(self, ticket_id: int) -> list[CommentData]:
        """The ticket's comments carrying a write-back marker, oldest first."""
        with self.client() as client:
            return [c for c in client.comments(ticket_id) if MARKER in c.body]

    def tags(self, ticket_id: int) -> tuple[str, ...]:
        with self.client() as client:
            return client.ticket(ticket_id).tags

    def updates(self, ticket_id: int | None = None) -> list[int]:
        """HTTP statuses of the ticket updates the sandbox received (of one ticket)."""
        wanted = None if ticket_id is None else f"/api/v2/tickets/{ticket_id}.json"
        return [
            r.status
            for r in self.zendesk.requests
            if r.route == "tickets.update" and (wanted is None or r.path == wanted)
        ]


@pytest.fixture(scope="session")
def private_key() -> bytes:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "sqlite":
        with sqlite_backend(tmp_path) as found:
            yield found
    else:
        with postgresql_backend(tmp_path) as found:
            yield found


@pytest.fixture
def zendesk(private_key: bytes) -> Iterator[ZendeskSandbox]:
    sandbox = start_sandbox(
        parse_seed(ticket_seed(TICKETS), "write-back seed"),
        private_key_pem=private_key,
        webhook_endpoint="http://127.0.0.1:9/unused",
        deliver_webhooks=False,
    )
    try:
        yield sandbox
    finally:
        sandbox.stop()


def connect(backend: Backend, zendesk: ZendeskSandbox, name: str = "shop") -> None:
    result = backend.claimdesk(
        "connect", "zendesk", name, "--subdomain", zendesk.subdomain,
        "--installation-id", str(zendesk.installation_id), "--app-id", str(zendesk.app_id),
        "--url", zendesk.url, "--email", zendesk.credentials.email,
        "--api-token", zendesk.credentials.api_token,
    )  # fmt: skip
    assert result.exit_code == 0, result.output


@pytest.fixture
def world(backend: Backend, zendesk: ZendeskSandbox) -> Iterator[World]:
    backend.extra["CLAIMDESK_WRITEBACK_LEASE_SECONDS"] = "3"
    connect(backend, zendesk)
    app = backend.app()
    store = resources(app)
    with store.session() as session:
        installation = queries.installation_by_name(session, "shop")
        assert installation is not None
        installation_id = installation.id
    try:
        yield World(backend, app, store, zendesk, installation_id)
    finally:
        store.close()
