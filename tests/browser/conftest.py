"""The whole product in a real browser: Debian's Chromium driven by Playwright.

One stack per module: a generated seller served by the SP-API sandbox and synced into a real
store; the Zendesk sandbox hosting tickets about that seller's orders; our web app on a real
port, loaded into the tickets through Zendesk's signed-launch flow with the real ZAF SDK.

The ``browser`` fixture (tests/conftest.py) is one Chromium for the whole session.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from connectors.amazon.sandbox import AmazonSandbox
from connectors.amazon.sandbox import start_sandbox as start_amazon
from connectors.zendesk.sandbox import ZendeskSandbox
from connectors.zendesk.sandbox import start_sandbox as start_zendesk
from plugin.extensions import resources
from plugin.generator import generate_seller
from plugin.generator.tickets import write_ticket_seed
from tests.connectors.amazon_support import CREDENTIALS
from tests.sync.support import AS_OF, TIME_SCALE, Backend, prepare, sqlite_backend

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "browser"


@dataclass
class Stack:
    backend: Backend
    app: Flask
    app_url: str
    amazon: AmazonSandbox
    zendesk: ZendeskSandbox
    seller: Path
    installation: str


def serve(app: Flask) -> tuple[BaseWSGIServer, str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    workdir = tmp_path_factory.mktemp("browser")
    seller = workdir / "seller"
    generate_seller(seller, seed=3, as_of=AS_OF, ledger_rows=3000)
    with sqlite_backend(workdir) as backend:
        amazon = start_amazon(seller, time_scale=TIME_SCALE, credentials=CREDENTIALS)
        prepare(backend, "shop", amazon.url, seller)
        synced = backend.claimdesk("sync", "shop", "--wait", "--as-of", AS_OF.isoformat())
        assert synced.exit_code == 0, synced.output
        seed_file = workdir / "zendesk-seed.json"
        write_ticket_seed(seller, seed_file, 3)
        app = backend.app()
        server, app_url = serve(app)
        zendesk = start_zendesk(seed_file, app_url=app_url)
        app.config["FRAME_ANCESTORS"] = zendesk.url
        connected = backend.claimdesk(
            "connect", "zendesk", "shop", "--subdomain", zendesk.subdomain,
            "--installation-id", str(zendesk.installation_id), "--app-id", str(zendesk.app_id),
            "--url", zendesk.url, "--email", zendesk.credentials.email,
            "--api-token", zendesk.credentials.api_token,
        )  # fmt: skip
        assert connected.exit_code == 0, connected.output
        try:
            yield Stack(backend, app, app_url, amazon, zendesk, seller, "shop")
        finally:
            server.shutdown()
            zendesk.stop()
            amazon.stop()
            resources(app).close()


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh browser page; its console errors and any dialog are recorded."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    opened.dialogs = []  # type: ignore[attr-defined]
    opened.console_errors = []  # type: ignore[attr-defined]
    opened.on("dialog", lambda dialog: (opened.dialogs.append(dialog.message), dialog.dismiss()))
    opened.on(
        "console",
        lambda message: (
            opened.console_errors.append(message.text) if message.type == "error" else None
        ),
    )
    yield opened
    context.close()


def screenshot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
