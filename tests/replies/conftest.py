"""Reply fixtures: the real store (SQLite and PostgreSQL), a real Redis (the machine's when
``CLAIMDESK_TEST_REDIS_URL`` is set, else an embedded one), the Zendesk sandbox over HTTP, and
an installation connected to it with orders and parcels in the store."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.orm import Session, sessionmaker

from connectors.zendesk.sandbox import ZendeskSandbox, start_sandbox
from connectors.zendesk.sandbox_data import Comment, parse_seed
from plugin import create_app
from plugin.domain import tracking
from plugin.extensions import Resources, resources
from plugin.services import auto_replies
from plugin.services.zendesk_accounts import ZendeskCredentials, connect_zendesk
from plugin.store import tracking_queries
from plugin.store.crypto import generate_key
from tests.sidebar.support import add_order, order_document
from tests.store import conftest as store
from tests.store.conftest import Database

migrated = store.migrated
engine = store.engine
sessions = store.sessions
database_url = store.database_url
make_installation = store.make_installation

REDIS_VARIABLE = "CLAIMDESK_TEST_REDIS_URL"
AGENT_ID = 2  # Camille Laurent, an agent of the sandbox's default seed


@pytest.fixture(scope="session")
def private_key() -> bytes:
    """One RSA key for every sandbox (generating one per test costs more than the test)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


@pytest.fixture
def app(migrated: Database, sessions: sessionmaker[Session], tmp_path: Path) -> Iterator[Flask]:
    """The app on the emptied test store, its own Redis database flushed."""
    redis_url = os.environ.get(REDIS_VARIABLE)
    if not redis_url and migrated.backend != "sqlite":
        pytest.skip(f"{REDIS_VARIABLE} is not set")
    built = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "replies-test",
            "DATABASE_URL": migrated.url,
            "REDIS_URL": redis_url,
            "AUTO_MIGRATE": False,
            "CREDENTIALS_KEY": generate_key(),
        }
    )
    # The embedded Redis lives beside the session's SQLite file: empty it too, or the shared
    # Zendesk pacing budget (per subdomain and ticket) would carry over from earlier tests.
    resources(built).redis.flushdb()
    yield built
    resources(built).close()


@pytest.fixture
def zendesk(private_key: bytes) -> Iterator[ZendeskSandbox]:
    """A Zendesk sandbox with its default agents and no tickets (tests make their own)."""
    sandbox = start_sandbox(
        parse_seed({"users": [], "tickets": []}, "replies"),
        private_key_pem=private_key,
        deliver_webhooks=False,
    )
    yield sandbox
    sandbox.stop()


@dataclass
class World:
    """One seller connected to the sandbox, with helpers to make its orders and tickets."""

    app: Flask
    store: Resources
    zendesk: ZendeskSandbox
    installation_id: int

    def now(self) -> datetime:
        return datetime.now(UTC)

    def set_auto_replies(self, enabled: bool) -> None:
        with self.store.session() as session:
            auto_replies.set_auto_replies(session, self.installation_id, enabled, self.now())

    def order(
        self,
        order_id: str,
        *,
        buyer: str | None = None,
        parcels: Sequence[dict[str, Any]] = (),
    ) -> None:
        """An Amazon order in the store and its parcels' snapshots (fresh unless told)."""
        now = self.now()
        with self.store.session() as session:
            add_order(session, self.installation_id, order_id, buyer=buyer,
                      document=order_document(order_id))  # fmt: skip
            rows = []
            for index, parcel in enumerate(parcels):
                status = parcel.get("status", tracking.IN_TRANSIT)
                fetched = parcel.get("fetched_at", now)
                rows.append(
                    {
                        "carrier": parcel.get("carrier", "ups"),
                        "tracking_number": parcel.get("number", f"1Z{order_id[-7:]}{index:02d}"),
                        "channel": "amazon",
                        "order_id": order_id,
                        "status": status,
                        "status_detail": None,
                        "events": [],
                        "estimated_delivery": parcel.get(
                            "estimated_delivery", now + timedelta(days=2)
                        ),
                        "delivered_at": parcel.get("delivered_at"),
                        "proof": None,
                        "source": "ups",
                        "fetched_at": fetched,
                        "expires_at": parcel.get(
                            "expires_at", tracking.expires_at(status, fetched)
                        ),
                    }
                )
            tracking_queries.upsert_snapshots(session, self.installation_id, rows)

    def ticket(
        self,
        subject: str,
        body: str,
        *,
        email: str = "lea@example.net",
        name: str = "Léa Dubois",
        locale: str = "fr",
        status: str | None = None,
    ) -> int:
        """A ticket the customer wrote (through the web form)."""
        sandbox = self.zendesk
        payload: dict[str, Any] = {
            "subject": subject,
            "comment": {"body": body},
            "requester": {"email": email, "name": name, "locale": locale},
        }
        if status is not None:
            payload["status"] = status
        with sandbox._lock:
            ticket, _ = sandbox.create_ticket(payload, sandbox.users[sandbox.api_user_id], "web")
        return ticket.id

    def agent_reply(self, ticket_id: int, body: str, *, public: bool = True) -> None:
        sandbox = self.zendesk
        with sandbox._lock:
            sandbox.update_ticket(
                sandbox.ticket(ticket_id),
                {"comment": {"body": body, "public": public}},
                sandbox.users[AGENT_ID],
                "web",
            )

    def our_comments(self, ticket_id: int, *, public: bool) -> list[Comment]:
        """What claimdesk (the API user) wrote on the ticket."""
        return [
            c
            for c in self.zendesk.ticket(ticket_id).comments
            if c.author_id == self.zendesk.api_user_id and c.public is public
        ]

    def tags(self, ticket_id: int) -> list[str]:
        return list(self.zendesk.ticket(ticket_id).tags)

    def answer(self, ticket_id: int, **options: Any) -> auto_replies.Outcome:
        return auto_replies.answer_where_is_my_order(
            self.store, self.installation_id, ticket_id, self.now(), **options
        )


@pytest.fixture
def world(app: Flask, zendesk: ZendeskSandbox) -> World:
    found = resources(app)
    with found.session() as session:
        installation, _ = connect_zendesk(
            session,
            found.keyring,
            "shop",
            subdomain=zendesk.subdomain,
            zendesk_installation_id=zendesk.installation_id,
            app_id=zendesk.app_id,
            url=zendesk.url,
            secrets=ZendeskCredentials(
                email=zendesk.credentials.email, api_token=zendesk.credentials.api_token
            ),
            now=datetime.now(UTC),
        )
        installation_id = installation.id
    return World(app, found, zendesk, installation_id)
