"""Where OAuth access tokens are kept between calls, so every worker reuses one token.

Carriers hand out client-credentials tokens that last hours, and some (USPS, reportedly)
revoke the previous token when a new one is asked for: every process must share one. The
clients take any ``TokenCache``; ``MemoryTokenCache`` serves one process, and the plugin's
Redis cache (``plugin.services.carrier_tokens``) serves all workers (connectors may not import
redis).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from typing import Protocol


class TokenCache(Protocol):
    def get(self, key: str) -> str | None:
        """The token stored under ``key``, None when absent or expired."""
        ...

    def put(self, key: str, token: str, ttl: float) -> None:
        """Keep ``token`` under ``key`` for ``ttl`` seconds."""
        ...

    def discard(self, key: str, token: str) -> None:
        """Forget ``key`` if it still holds ``token`` (the carrier refused it); a newer token
        another worker stored meanwhile stays."""
        ...


def token_key(carrier: str, base_url: str, client_id: str) -> str:
    """The cache key of one set of credentials at one host; holds no secret."""
    digest = hashlib.sha256(f"{base_url}\n{client_id}".encode()).hexdigest()[:24]
    return f"{carrier}:{digest}"


class MemoryTokenCache:
    """A ``TokenCache`` for one process (tests, the CLI): a dict with expiry times."""

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self._clock = clock
        self._lock = threading.Lock()
        self._tokens: dict[str, tuple[str, float]] = {}

    def get(self, key: str) -> str | None:
        with self._lock:
            held = self._tokens.get(key)
            if held is None or held[1] <= self._clock():
                return None
            return held[0]

    def put(self, key: str, token: str, ttl: float) -> None:
        with self._lock:
            self._tokens[key] = (token, self._clock() + ttl)

    def discard(self, key: str, token: str) -> None:
        with self._lock:
            held = self._tokens.get(key)
            if held is not None and held[0] == token:
                del self._tokens[key]
