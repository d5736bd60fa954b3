"""The shared token bucket, on a real Redis server."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator

import pytest
from redis import Redis

from plugin.services.ratelimit import RedisLimiter

REDIS_URL = os.environ.get("CLAIMDESK_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def redis() -> Iterator[Redis]:
    connection = Redis.from_url(REDIS_URL)
    try:
        connection.ping()
    except Exception as exc:  # noqa: BLE001 - any connection failure means: no server here
        pytest.skip(f"no Redis at {REDIS_URL}: {exc}")
    yield connection
    connection.close()


@pytest.fixture
def key() -> str:
    return f"test:{uuid.uuid4().hex}"


def test_burst_is_free_then_each_token_waits_one_interval(redis: Redis, key: str) -> None:
    limiter = RedisLimiter(redis)
    waits = [limiter.acquire(key, rate=2.0, burst=3) for _ in range(5)]
    assert waits[:3] == [0.0, 0.0, 0.0]
    assert waits[3] == pytest.approx(0.5, abs=0.05)  # one token short at 2/s
    assert waits[4] == pytest.approx(1.0, abs=0.05)  # two tokens short


def test_two_workers_share_one_bucket(redis: Redis, key: str) -> None:
    first, second = RedisLimiter(redis), RedisLimiter(Redis.from_url(REDIS_URL))
    assert first.acquire(key, rate=1.0, burst=1) == 0.0
    assert second.acquire(key, rate=1.0, burst=1) == pytest.approx(1.0, abs=0.05)


def test_penalty_holds_everyone_back(redis: Redis, key: str) -> None:
    limiter = RedisLimiter(redis)
    limiter.penalize(key, 3.0)
    assert limiter.acquire(key, rate=10.0, burst=10) == pytest.approx(3.0, abs=0.05)


def test_achieved_rate_matches_the_plan(redis: Redis, key: str) -> None:
    """Callers that honour the waits send at the planned rate after the burst."""
    limiter = RedisLimiter(redis)
    rate, burst, calls = 40.0, 5, 45
    start = time.monotonic()
    for _ in range(calls):
        wait = limiter.acquire(key, rate=rate, burst=burst)
        if wait:
            time.sleep(wait)
    elapsed = time.monotonic() - start
    # 5 free, then 40 at 40/s: about 1.0 s; never faster than the plan allows.
    assert elapsed >= (calls - burst) / rate * 0.95
    assert elapsed < (calls - burst) / rate * 1.5


def test_idle_bucket_expires(redis: Redis, key: str) -> None:
    limiter = RedisLimiter(redis, ttl=60)
    limiter.acquire(key, rate=1.0, burst=1)
    assert 0 < redis.ttl("claimdesk:ratelimit:" + key) <= 60
