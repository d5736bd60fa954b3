"""Pacing of Zendesk API calls, shared by every worker (the connector's ``Pacer``).

Zendesk limits an account to its plan's requests a minute, 100 ticket updates a minute, and 30
updates of one ticket per 10 minutes (research/zendesk.md §4.6); agents' own updates count
too. Several workers writing notes for one account draw from the same Redis token buckets
(``RedisLimiter``, as the SP-API calls do), so together they stay under those limits.

A token bucket lets ``burst`` calls through at once, then ``rate`` a second. In any window of
``w`` seconds it passes at most ``burst + rate * w``; each bucket here is sized so that this is
at most ``share`` of Zendesk's limit for that window, leaving the rest to agents and other apps.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from plugin.errors import ConfigError
from plugin.services.ratelimit import RedisLimiter


@dataclass(frozen=True)
class ZendeskLimits:
    """Zendesk's limits for one account and the share of them claimdesk may use."""

    requests_per_minute: int = 200  # the plan's (Team; Professional 400, Enterprise 700)
    updates_per_minute: int = 100  # ticket updates per account
    updates_per_ticket: int = 30  # per ticket …
    ticket_window: float = 600.0  # … per 10 minutes
    share: float = 0.9

    def __post_init__(self) -> None:
        if not 0 < self.share <= 1:
            raise ConfigError("CLAIMDESK_ZENDESK_SHARE must be in (0, 1]")
        for name in ("requests_per_minute", "updates_per_minute", "updates_per_ticket"):
            if int(getattr(self, name)) < 2:
                raise ConfigError(f"CLAIMDESK_ZENDESK_{name.upper()} must be at least 2")

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> ZendeskLimits:
        """``ZENDESK_REQUESTS_PER_MINUTE``, ``ZENDESK_UPDATES_PER_MINUTE``,
        ``ZENDESK_UPDATES_PER_TICKET``, ``ZENDESK_SHARE`` (each optional)."""
        values: dict[str, Any] = {}
        for name in ("requests_per_minute", "updates_per_minute", "updates_per_ticket"):
            raw = config.get(f"ZENDESK_{name.upper()}")
            if raw not in (None, ""):
                try:
                    values[name] = int(raw)
                except (TypeError, ValueError):
                    raise ConfigError(
                        f"CLAIMDESK_ZENDESK_{name.upper()} must be a whole number"
                    ) from None
        raw_share = config.get("ZENDESK_SHARE")
        if raw_share not in (None, ""):
            try:
                values["share"] = float(raw_share)
            except (TypeError, ValueError):
                raise ConfigError("CLAIMDESK_ZENDESK_SHARE must be a number") from None
        return cls(**values)

    def bucket(self, limit: int, window: float) -> tuple[float, int]:
        """(rate per second, burst) passing at most ``share * limit`` in any ``window`` (but
        never fewer than 2, nor more than ``limit``)."""
        allowed = min(float(limit), max(2.0, self.share * limit))
        burst = max(1, min(10, int(allowed // 6)))
        return (allowed - burst) / window, burst


class ZendeskPacer:
    """The ``connectors.zendesk.client.Pacer`` on Redis token buckets, one set per account."""

    def __init__(self, limiter: RedisLimiter, limits: ZendeskLimits | None = None):
        self.limiter = limiter
        self.limits = limits or ZendeskLimits()

    def request(self, subdomain: str) -> float:
        rate, burst = self.limits.bucket(self.limits.requests_per_minute, 60.0)
        return self.limiter.acquire(f"zendesk:{subdomain}:requests", rate, burst)

    def ticket_update(self, subdomain: str, ticket_id: int) -> float:
        limits = self.limits
        rate, burst = limits.bucket(limits.updates_per_minute, 60.0)
        account = self.limiter.acquire(f"zendesk:{subdomain}:updates", rate, burst)
        rate, burst = limits.bucket(limits.updates_per_ticket, limits.ticket_window)
        ticket = self.limiter.acquire(f"zendesk:{subdomain}:ticket:{ticket_id}", rate, burst)
        return max(account, ticket)

    def throttled(self, subdomain: str, seconds: float) -> None:
        """A 429 holds back every worker's requests and updates to this account."""
        self.limiter.penalize(f"zendesk:{subdomain}:requests", seconds)
        self.limiter.penalize(f"zendesk:{subdomain}:updates", seconds)
