"""SP-API usage plans and the token buckets that keep us inside them.

Amazon meters each operation per selling partner and application with a token bucket: ``rate``
requests per second refill it, up to ``burst`` tokens (research apis.md §2.3, taken from the
operation descriptions in amzn/selling-partner-api-models). A call beyond it gets HTTP 429.

The client takes a token before every call from a ``Limiter`` under the key
``"{seller_key}:{operation}"``. The in-process ``TokenBucket`` below serves one process; the
workers share a Redis-backed limiter that lives in the plugin (connectors may not import redis)
and is passed in. Its Lua script does what ``TokenBucket.acquire`` does, on the server's clock:

    tokens = min(burst, tokens + (now - stamp) * rate) - 1
    wait   = max(0, -tokens / rate, blocked_until - now)

and ``penalize`` empties the bucket and sets ``blocked_until``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class RatePlan:
    """An operation's default usage plan: requests per second and bucket size."""

    rate: float
    burst: int


# Default usage plans of the operations the client calls (apis.md §2.3; checked against the
# official SDK's docstrings in tests/connectors/test_amazon_contract.py).
RATE_PLANS: dict[str, RatePlan] = {
    "createReport": RatePlan(0.0167, 15),
    "getReport": RatePlan(2.0, 15),
    "getReports": RatePlan(0.0222, 10),
    "cancelReport": RatePlan(0.0222, 10),
    "getReportDocument": RatePlan(0.0167, 15),
    "listFinancialEvents": RatePlan(0.5, 30),
    "getShipments": RatePlan(2.0, 30),
    "getShipmentItemsByShipmentId": RatePlan(2.0, 30),
    "getShipmentItems": RatePlan(2.0, 30),
    "searchOrders": RatePlan(0.0056, 20),
    "getOrder": RatePlan(0.5, 30),
}


class Limiter(Protocol):
    """Shared token buckets, one per key. Times are seconds on the limiter's own clock."""

    def acquire(self, key: str, rate: float, burst: int) -> float:
        """Take one token, borrowing against the refill when the bucket is empty.

        Returns how long the caller must wait before sending (0.0 when a token was there).
        The token is spent even if the caller then gives up, as Amazon's would be.
        """
        ...

    def penalize(self, key: str, seconds: float) -> None:
        """Amazon said 429: the bucket is empty and nobody sends for ``seconds``."""
        ...


class _Bucket:
    __slots__ = ("blocked_until", "stamp", "tokens")

    def __init__(self, tokens: float, stamp: float):
        self.tokens = tokens
        self.stamp = stamp
        self.blocked_until = stamp


class TokenBucket:
    """An in-process ``Limiter``: thread-safe buckets refilled on ``clock`` (monotonic)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, _Bucket] = {}

    def _refilled(self, key: str, rate: float, burst: int, now: float) -> _Bucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(float(burst), now)
        elif now > bucket.stamp:
            bucket.tokens = min(float(burst), bucket.tokens + (now - bucket.stamp) * rate)
            bucket.stamp = now
        return bucket

    def acquire(self, key: str, rate: float, burst: int) -> float:
        with self._lock:
            now = self._clock()
            bucket = self._refilled(key, rate, burst, now)
            bucket.tokens -= 1.0
            wait = -bucket.tokens / rate if bucket.tokens < 0 else 0.0
            return max(wait, bucket.blocked_until - now, 0.0)

    def try_take(self, key: str, rate: float, burst: int) -> bool:
        """Take a token only if one is there now (how a server meters its callers)."""
        with self._lock:
            bucket = self._refilled(key, rate, burst, self._clock())
            if bucket.tokens < 1.0:
                return False
            bucket.tokens -= 1.0
            return True

    def penalize(self, key: str, seconds: float) -> None:
        with self._lock:
            now = self._clock()
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = _Bucket(0.0, now)
            bucket.tokens = min(bucket.tokens, 0.0)
            bucket.stamp = max(bucket.stamp, now)
            bucket.blocked_until = max(bucket.blocked_until, now + seconds)
