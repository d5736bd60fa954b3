"""Sandboxes for the Zendesk sandbox's tests: one RSA key per session, one sandbox per test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from connectors.zendesk.sandbox import ZendeskSandbox, start_sandbox
from connectors.zendesk.sandbox_data import Seed, parse_seed

ORDER_FIELD = 360000000101
HOSTILE_NAME = '<script>alert("name")</script>'
HOSTILE_SUBJECT = '"><img src=x onerror=alert(1)> where is it'
HOSTILE_BODY = 'Hi </script><script>alert(2)</script> & "quotes"\nline two'


def seed_document() -> dict[str, Any]:
    """Two buyers, three tickets: one with an order id in the text, one with it in the Order ID
    field, one hostile."""
    return {
        "users": [
            {
                "id": 1001,
                "name": "Léa Dubois",
                "email": "lea@example.net",
                "locale": "fr",
                "time_zone": "Europe/Paris",
            },
            {"id": 1002, "name": HOSTILE_NAME, "email": "mallory@example.net"},
        ],
        "tickets": [
            {
                "id": 1,
                "subject": "Colis jamais reçu (111-8267731-3182180)",
                "requester_id": 1001,
                "created_at": "2026-10-20T09:00:00Z",
                "tags": ["amazon"],
                "comments": [
                    {"body": "Bonjour, la commande 111-8267731-3182180 n'est pas arrivée."}
                ],
            },
            {
                "id": 2,
                "subject": "Item arrived broken",
                "requester_id": 1001,
                "created_at": "2026-10-21T09:00:00Z",
                "custom_fields": [{"id": ORDER_FIELD, "value": "113-8760632-7699197"}],
                "comments": [
                    {"body": "The mug is cracked.", "created_at": "2026-10-21T09:00:00Z"},
                    {
                        "author_id": 1,
                        "body": "Sorry! Checking.",
                        "created_at": "2026-10-21T10:00:00Z",
                    },
                    {
                        "author_id": 1,
                        "body": "Internal: photos look real",
                        "public": False,
                        "created_at": "2026-10-21T10:05:00Z",
                    },
                    {"body": "Any news?", "created_at": "2026-10-22T08:00:00Z"},
                    {"body": "Hello??", "created_at": "2026-10-23T08:00:00Z"},
                ],
            },
            {
                "id": 3,
                "subject": HOSTILE_SUBJECT,
                "requester_id": 1002,
                "created_at": "2026-10-22T09:00:00Z",
                "comments": [{"body": HOSTILE_BODY}],
            },
        ],
    }


@pytest.fixture(scope="session")
def private_key() -> bytes:
    """One RSA key for every sandbox: generating one per test would cost more than the test."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


@pytest.fixture
def seed() -> Seed:
    return parse_seed(seed_document(), "test seed")


Start = Callable[..., ZendeskSandbox]


@pytest.fixture
def make_sandbox(private_key: bytes, seed: Seed) -> Iterator[Start]:
    """``make_sandbox(**options)``: a running sandbox, stopped after the test."""
    started: list[ZendeskSandbox] = []

    def start(seed_: Seed | None = None, **options: Any) -> ZendeskSandbox:
        options.setdefault("private_key_pem", private_key)
        options.setdefault("webhook_endpoint", "http://127.0.0.1:9/unused")
        sandbox = start_sandbox(seed_ or seed, **options)
        started.append(sandbox)
        return sandbox

    yield start
    for sandbox in started:
        sandbox.stop()


@pytest.fixture
def sandbox(make_sandbox: Start) -> ZendeskSandbox:
    return make_sandbox()


@pytest.fixture
def api(sandbox: ZendeskSandbox) -> requests.Session:
    """A session signed in as the sandbox's API user."""
    session = requests.Session()
    session.auth = (f"{sandbox.credentials.email}/token", sandbox.credentials.api_token)
    return session
