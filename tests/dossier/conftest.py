"""Dossier and audit fixtures.

- The store, app and app-token fixtures of the sidebar tests (SQLite and PostgreSQL, a real
  Redis), for the audit trail and the endpoints.
- ``e2e``: one stack per backend for the end-to-end tests: a generated seller served by the
  SP-API sandbox and synced into a real store; the Zendesk sandbox with tickets about that
  seller's orders, connected to the installation; our app on a real port. Tickets are linked
  to their orders the way production links them: the sidebar's panels, called for each ticket.
- ``chromium``: fresh pages of the session's one headless Chromium (``browser`` in
  tests/conftest.py; skips without it on a developer's machine, fails in CI).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest
from flask import Flask

from connectors.amazon.sandbox import start_sandbox as start_amazon
from connectors.zendesk.client import ZendeskClient
from connectors.zendesk.sandbox import ZendeskSandbox
from connectors.zendesk.sandbox import start_sandbox as start_zendesk
from connectors.zendesk.settings import ZendeskSettings
from plugin.extensions import resources
from plugin.generator import generate_seller
from plugin.generator.tickets import write_ticket_seed
from plugin.security.app_token import mint_app_token
from plugin.store import queries
from tests.browser.conftest import serve
from tests.connectors.amazon_support import CREDENTIALS
from tests.sidebar.conftest import (  # noqa: F401  (store, app and token fixtures)
    app,
    bearer,
    client,
    engine,
    make_installation,
    migrated,
    sessions,
)
from tests.store.conftest import database_url  # noqa: F401
from tests.sync.support import (
    AS_OF,
    TIME_SCALE,
    Backend,
    postgresql_backend,
    prepare,
    sqlite_backend,
)

AGENT_ID = 7  # the agent named in the e2e app tokens
T = TypeVar("T")


@dataclass
class E2E:
    backend: Backend
    app: Flask
    app_url: str
    zendesk: ZendeskSandbox
    seller: Path
    workdir: Path
    installation: str
    installation_id: int

    def token(self, installation_id: int | None = None, user_id: int = AGENT_ID) -> str:
        return mint_app_token(
            str(self.app.config["SECRET_KEY"]),
            installation_id=installation_id or self.installation_id,
            user_id=user_id,
            location="ticket_sidebar",
            now=datetime.now(UTC),
        )

    def headers(self, installation_id: int | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(installation_id)}"}

    def zendesk_client(self, base_url: str | None = None) -> ZendeskClient:
        """A real client of the sandbox (or of ``base_url``), as the installation's own."""
        return ZendeskClient(
            ZendeskSettings(
                subdomain=self.zendesk.subdomain,
                base_url=base_url or self.zendesk.url,
                email=self.zendesk.credentials.email,
                api_token=self.zendesk.credentials.api_token,
                timeout=3.0,
            ),
            ratelimit_budget=2.0,
        )


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def e2e(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[E2E]:
    workdir = tmp_path_factory.mktemp(f"dossier-{request.param}")
    seller = workdir / "seller"
    generate_seller(seller, seed=5, as_of=AS_OF, ledger_rows=2000)
    with ExitStack() as stack:
        maker = sqlite_backend if request.param == "sqlite" else postgresql_backend
        backend = stack.enter_context(maker(workdir))
        amazon = start_amazon(seller, time_scale=TIME_SCALE, credentials=CREDENTIALS)
        stack.callback(amazon.stop)
        prepare(backend, "shop", amazon.url, seller)
        synced = backend.claimdesk("sync", "shop", "--wait", "--as-of", AS_OF.isoformat())
        assert synced.exit_code == 0, synced.output
        seed_file = workdir / "zendesk-seed.json"
        write_ticket_seed(seller, seed_file, 5)
        app = backend.app()
        stack.callback(lambda: resources(app).close())
        server, app_url = serve(app)
        stack.callback(server.shutdown)
        zendesk = start_zendesk(seed_file, app_url=app_url)
        stack.callback(zendesk.stop)
        app.config["FRAME_ANCESTORS"] = zendesk.url  # the sandbox's agent UI frames our app
        connected = backend.claimdesk(
            "connect", "zendesk", "shop", "--subdomain", zendesk.subdomain,
            "--installation-id", str(zendesk.installation_id), "--app-id", str(zendesk.app_id),
            "--url", zendesk.url, "--email", zendesk.credentials.email,
            "--api-token", zendesk.credentials.api_token,
        )  # fmt: skip
        assert connected.exit_code == 0, connected.output
        with resources(app).session() as session:
            installation = queries.installation_by_name(session, "shop")
            assert installation is not None
            installation_id = installation.id
        found = E2E(backend, app, app_url, zendesk, seller, workdir, "shop", installation_id)
        link_every_ticket(found)
        yield found


def link_every_ticket(stack: E2E) -> None:
    """Open each sandbox ticket's sidebar once (what links tickets to orders in production)."""
    test_client = stack.app.test_client()
    with stack.zendesk_client() as zendesk:
        for ticket_id in sorted(stack.zendesk.tickets):
            ticket = zendesk.ticket(ticket_id)
            requester = zendesk.user(ticket.requester_id) if ticket.requester_id else None
            order_field = next(
                (str(v) for v in ticket.custom_fields.values() if isinstance(v, str) and v), ""
            )
            answer = test_client.post(
                "/sidebar/panels",
                json={
                    "ticket_id": str(ticket.id),
                    "subject": ticket.subject,
                    "description": ticket.description,
                    "requester_email": requester.email if requester and requester.email else "",
                    "order_id": order_field,
                    "tz": "UTC",
                    "locale": "en",
                },
                headers=stack.headers(),
            )
            assert answer.status_code == 200, answer.get_data(as_text=True)


class Chromium:
    """Pages of the session's shared Chromium (``browser``, tests/conftest.py): ``run(check)``
    calls ``check(page)`` with a fresh page whose dialogs are recorded in ``page.dialogs``."""

    def __init__(self, browser: Any):
        self.browser = browser

    def run(self, check: Callable[[Any], T]) -> T:
        context = self.browser.new_context(viewport={"width": 1280, "height": 900})
        try:
            page = context.new_page()
            page.dialogs = []
            page.on("dialog", _recorder(page))
            return check(page)
        finally:
            context.close()


def _recorder(page: Any) -> Callable[[Any], None]:
    def record(dialog: Any) -> None:
        page.dialogs.append(dialog.message)
        dialog.dismiss()

    return record


@pytest.fixture
def chromium(browser: Any) -> Chromium:
    """Skips without Chromium or the ZAF SDK on a developer's machine; fails in CI."""
    return Chromium(browser)
