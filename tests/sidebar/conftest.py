"""Sidebar fixtures: the real store (SQLite and PostgreSQL, from tests/store/conftest.py), a
real Redis (``CLAIMDESK_TEST_REDIS_URL``, else an embedded one), and an app wired to both."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from plugin import create_app
from plugin.extensions import resources
from plugin.security.app_token import mint_app_token
from plugin.store.crypto import generate_key
from tests.store import conftest as store
from tests.store.conftest import Database

# The store's fixtures, shared: the same databases, emptied before each test.
migrated = store.migrated
engine = store.engine
sessions = store.sessions
make_installation = store.make_installation

SECRET = "sidebar-test-secret"
REDIS_VARIABLE = "CLAIMDESK_TEST_REDIS_URL"


@pytest.fixture
def app(migrated: Database, sessions: sessionmaker[Session], tmp_path: Path) -> Iterator[Flask]:
    """The app on the emptied test store, its own Redis database flushed."""
    redis_url = os.environ.get(REDIS_VARIABLE)
    if redis_url:
        redis.Redis.from_url(redis_url).flushdb()
    config = {
        "TESTING": True,
        "SECRET_KEY": SECRET,
        "DATABASE_URL": migrated.url,
        "REDIS_URL": redis_url,
        "AUTO_MIGRATE": False,
        "CREDENTIALS_KEY": generate_key(),
    }
    if not redis_url and migrated.backend != "sqlite":
        # The embedded Redis lives beside the SQLite file; give PostgreSQL runs a folder too.
        pytest.skip(f"{REDIS_VARIABLE} is not set")
    built = create_app(config)
    # Answers cached by an earlier test (the embedded Redis lives for the session) must not
    # meet this one's data.
    resources(built).redis.flushdb()
    yield built
    resources(built).close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def bearer(app: Flask) -> Callable[..., dict[str, str]]:
    """``bearer(installation_id)``: the Authorization header of a valid app token."""

    def headers(installation_id: int, *, secret: str = SECRET) -> dict[str, str]:
        token = mint_app_token(
            secret,
            installation_id=installation_id,
            user_id=7,
            location="ticket_sidebar",
            now=datetime.now(UTC),
        )
        return {"Authorization": f"Bearer {token}"}

    return headers
