"""The SP-API client of one installation, as a worker builds it.

Credentials come decrypted from the store; rate limits come from Redis, shared by every process
that calls Amazon for the seller (``RedisLimiter``). Amazon may announce a seller's own rate in
``x-amzn-RateLimit-Limit``; the client learns it per process, so ``AnnouncedRates`` keeps it in
Redis too: a worker started a minute ago meters like one that has run for hours.

``AMAZON_CLIENT`` (``CLAIMDESK_AMAZON_CLIENT``, JSON) overrides the client's waits and polling
(``AmazonSettings`` fields such as ``max_wait`` or ``report_poll_initial``): production keeps
the defaults; a sandbox with ``--time-scale`` wants them shorter.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from redis import Redis

from connectors.amazon.client import AmazonClient
from connectors.amazon.ratelimit import RATE_PLANS
from connectors.amazon.settings import US_MARKETPLACE, AmazonSettings
from plugin.errors import ConfigError
from plugin.services.credentials import AmazonCredentials
from plugin.services.ratelimit import RedisLimiter

# The AmazonSettings fields a deployment may change: limits and timings, never who or where.
TUNABLE = {
    "timeout": tuple,
    "max_attempts": int,
    "max_wait": float,
    "backoff_base": float,
    "backoff_cap": float,
    "report_poll_initial": float,
    "report_poll_max": float,
    "report_timeout": float,
}
ANNOUNCED_PREFIX = "claimdesk:ratelimit:announced:"


def client_overrides(config: Mapping[str, Any]) -> dict[str, Any]:
    """The ``AMAZON_CLIENT`` setting, checked.

    Raises:
        ConfigError: not a JSON object of the tunable fields with numbers.
    """
    value = config.get("AMAZON_CLIENT") or {}
    if not isinstance(value, Mapping):
        raise ConfigError("CLAIMDESK_AMAZON_CLIENT must be a JSON object")
    overrides: dict[str, Any] = {}
    for name, raw in value.items():
        kind = TUNABLE.get(name)
        if kind is None:
            allowed = ", ".join(sorted(TUNABLE))
            raise ConfigError(f"CLAIMDESK_AMAZON_CLIENT: unknown field {name!r} ({allowed})")
        try:
            overrides[name] = tuple(float(x) for x in raw) if kind is tuple else kind(raw)
        except (TypeError, ValueError):
            raise ConfigError(f"CLAIMDESK_AMAZON_CLIENT: {name} must be a number") from None
    return overrides


def amazon_settings(credentials: AmazonCredentials, overrides: Mapping[str, Any]) -> AmazonSettings:
    """Client settings for an installation; the US marketplace when none was stored."""
    return AmazonSettings(
        refresh_token=credentials.refresh_token,
        client_id=credentials.client_id,
        client_secret=credentials.client_secret,
        marketplace_ids=credentials.marketplace_ids or (US_MARKETPLACE,),
        endpoint=credentials.endpoint,
        lwa_endpoint=credentials.lwa_endpoint,
        **overrides,
    )


class AnnouncedRates:
    """A ``Limiter`` that shares across processes the rates Amazon announced.

    The client passes the rate it knows: the usage plan's until Amazon has announced another
    in this process. A rate other than the plan's is kept in Redis for ``ttl`` seconds, and a
    process that only knows the plan's rate gets the kept one instead.
    """

    def __init__(self, redis: Redis, limiter: RedisLimiter, ttl: int = 3600):
        self.redis = redis
        self.limiter = limiter
        self.ttl = ttl
        self._kept: dict[str, tuple[float, float]] = {}  # key -> (rate, when kept)

    def acquire(self, key: str, rate: float, burst: int) -> float:
        plan = RATE_PLANS.get(key.rsplit(":", 1)[-1])
        if plan is not None and rate != plan.rate:
            kept = self._kept.get(key)
            if kept is None or kept[0] != rate or time.monotonic() - kept[1] > self.ttl / 2:
                self.redis.set(ANNOUNCED_PREFIX + key, repr(rate), ex=self.ttl)
                self._kept[key] = (rate, time.monotonic())
        elif plan is not None:
            announced = self.redis.get(ANNOUNCED_PREFIX + key)
            if announced is not None:
                rate = float(announced)
        return self.limiter.acquire(key, rate, burst)

    def penalize(self, key: str, seconds: float) -> None:
        self.limiter.penalize(key, seconds)


def build_client(
    credentials: AmazonCredentials, redis: Redis, overrides: Mapping[str, Any]
) -> AmazonClient:
    """An SP-API client for one installation, metered with every other process on ``redis``."""
    return AmazonClient(
        amazon_settings(credentials, overrides),
        limiter=AnnouncedRates(redis, RedisLimiter(redis)),
    )
