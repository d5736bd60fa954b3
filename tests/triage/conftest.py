"""The triage stack: our app on a real port, the Zendesk sandbox delivering its webhooks to
it, one installation connected to the sandbox (API token and webhook secret), per backend."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from connectors.zendesk.sandbox import ZendeskSandbox, start_sandbox
from connectors.zendesk.sandbox_data import parse_seed
from plugin.extensions import Resources, resources
from plugin.jobs import bind_app
from tests.sync.support import Backend, postgresql_backend, sqlite_backend

SECRET = "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ=="
ORDER_FIELD = 360000000101
SLA_FIELD = 360000000202
NAME = "acme-seller"


def seed() -> dict[str, object]:
    return {
        "ticket_fields": [
            {"id": ORDER_FIELD, "key": "order_id", "title": "Order ID", "type": "text"},
            {"id": SLA_FIELD, "key": "sla_due", "title": "SLA due", "type": "text"},
        ],
        "users": [{"id": 1001, "name": "Léa Dubois", "email": "lea@example.net"}],
        "tickets": [
            {
                "id": 1,
                "subject": "Hello",
                "requester_id": 1001,
                "created_at": "2026-10-20T09:00:00Z",
                "comments": [{"body": "Just a question about sizes."}],
            }
        ],
    }


@dataclass
class Stack:
    backend: Backend
    app: Flask
    store: Resources
    app_url: str
    zendesk: ZendeskSandbox


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    maker = sqlite_backend if request.param == "sqlite" else postgresql_backend
    with maker(tmp_path) as found:
        yield found


@pytest.fixture
def stack(backend: Backend, tmp_path: Path) -> Iterator[Stack]:
    app = backend.app()
    bind_app(app)
    server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app_url = f"http://127.0.0.1:{server.server_port}"
    zendesk = start_sandbox(parse_seed(seed(), "seed"), app_url=app_url, webhook_secret=SECRET)
    pem = tmp_path / "zendesk.pem"
    pem.write_text(zendesk.public_key_pem)
    result = backend.claimdesk(
        "connect", "zendesk", NAME, "--subdomain", zendesk.subdomain,
        "--installation-id", str(zendesk.installation_id), "--public-key", str(pem),
        "--url", zendesk.url, "--email", zendesk.credentials.email,
        "--api-token", zendesk.credentials.api_token, "--webhook-secret", SECRET,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    store = resources(app)
    try:
        yield Stack(backend, app, store, app_url, zendesk)
    finally:
        zendesk.stop()
        server.shutdown()
        store.close()
