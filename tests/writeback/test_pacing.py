"""The Zendesk pacer on real Redis (both backends' Redis): buckets sized under Zendesk's
limits, shared by every client of one account, separate per account, held back by a 429."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from redis import Redis

from plugin.errors import ConfigError
from plugin.extensions import resources
from plugin.services.ratelimit import RedisLimiter
from plugin.services.zendesk_pacing import ZendeskLimits, ZendeskPacer
from tests.sync.support import Backend


@pytest.fixture
def redis(backend: Backend) -> Iterator[Redis]:
    store = resources(backend.app())
    try:
        yield store.redis
    finally:
        store.close()


@pytest.mark.parametrize(
    ("limit", "window"), [(100, 60.0), (30, 600.0), (200, 60.0), (700, 60.0), (2, 600.0)]
)
@pytest.mark.parametrize("share", [0.5, 0.9, 1.0])
def test_a_bucket_never_passes_more_than_its_share(limit: int, window: float, share: float) -> None:
    rate, burst = ZendeskLimits(share=share).bucket(limit, window)
    assert burst >= 1 and rate > 0
    assert burst + rate * window <= min(limit, max(2.0, share * limit)) + 1e-9


def test_limits_from_settings() -> None:
    limits = ZendeskLimits.from_config({"ZENDESK_REQUESTS_PER_MINUTE": "400", "ZENDESK_SHARE": 0.8})
    assert limits.requests_per_minute == 400 and limits.share == 0.8
    assert limits.updates_per_minute == 100 and limits.updates_per_ticket == 30
    with pytest.raises(ConfigError, match="CLAIMDESK_ZENDESK_UPDATES_PER_MINUTE"):
        ZendeskLimits.from_config({"ZENDESK_UPDATES_PER_MINUTE": "many"})
    with pytest.raises(ConfigError, match="CLAIMDESK_ZENDESK_SHARE"):
        ZendeskLimits.from_config({"ZENDESK_SHARE": "2"})


def test_updates_are_paced_per_account_and_per_ticket(redis: Redis) -> None:
    pacer = ZendeskPacer(RedisLimiter(redis, prefix="test:pacing:"))
    rate, burst = pacer.limits.bucket(100, 60.0)
    waits = [pacer.ticket_update("acme", ticket) for ticket in range(1, burst + 3)]
    assert waits[:burst] == [0.0] * burst
    assert 0 < waits[burst] < waits[burst + 1]
    assert waits[burst + 1] == pytest.approx(2 / rate, rel=0.2)
    # Another account has buckets of its own.
    assert pacer.ticket_update("other", 1) == 0.0
    # One ticket: its own bucket (about 23 updates per 10 minutes after a burst of 4).
    one = ZendeskPacer(RedisLimiter(redis, prefix="test:pacing-one:"))
    ticket_rate, ticket_burst = one.limits.bucket(30, 600.0)
    same = [one.ticket_update("acme", 7) for _ in range(ticket_burst + 1)]
    assert same[:ticket_burst] == [0.0] * ticket_burst
    assert same[ticket_burst] == pytest.approx(1 / ticket_rate, rel=0.2)


def test_two_pacers_share_one_bucket_and_a_429_holds_everyone_back(redis: Redis) -> None:
    first = ZendeskPacer(RedisLimiter(redis, prefix="test:shared:"))
    second = ZendeskPacer(RedisLimiter(redis, prefix="test:shared:"))
    _, burst = first.limits.bucket(200, 60.0)
    for _ in range(burst):
        assert first.request("acme") == 0.0
    assert second.request("acme") > 0  # the first one emptied the shared bucket
    second.throttled("acme", 30)
    assert first.request("acme") >= 29
    assert first.ticket_update("acme", 1) >= 29
    assert first.request("other") == 0.0
