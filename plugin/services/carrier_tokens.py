"""Carrier OAuth tokens in Redis, shared by every worker (the connectors' ``TokenCache``).

UPS, FedEx and USPS hand out client-credentials tokens that last hours; USPS reportedly
revokes the previous token when a new one is issued, so workers that each fetched their own
would knock each other's out. One Redis key per credential holds the token until shortly
before it expires. With a ``Keyring`` the token is stored encrypted (a bearer token is a
credential while it lives); a token no configured key opens counts as absent.
"""

from __future__ import annotations

import math

from redis import Redis

from plugin.store.crypto import CredentialsError, Keyring

# Delete the key only if it still holds the value the caller read (another worker may have
# stored a fresh token meanwhile).
_DISCARD = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class RedisTokenCache:
    """``TokenCache`` on Redis: ``claimdesk:carrier-token:{key}`` with the token's TTL."""

    def __init__(
        self,
        redis: Redis,
        keyring: Keyring | None = None,
        prefix: str = "claimdesk:carrier-token:",
    ):
        self.redis = redis
        self.keyring = keyring
        self.prefix = prefix
        self._discard = redis.register_script(_DISCARD)

    def get(self, key: str) -> str | None:
        stored = self._read(key)
        return None if stored is None else self._open(stored)

    def put(self, key: str, token: str, ttl: float) -> None:
        sealed = self.keyring.encrypt(token.encode()) if self.keyring else token.encode()
        self.redis.set(self.prefix + key, sealed, ex=max(1, math.floor(ttl)))

    def discard(self, key: str, token: str) -> None:
        stored = self._read(key)
        if stored is None or self._open(stored) != token:
            return
        self._discard(keys=[self.prefix + key], args=[stored])

    def _read(self, key: str) -> bytes | None:
        stored = self.redis.get(self.prefix + key)
        if stored is None:
            return None
        return stored if isinstance(stored, bytes) else str(stored).encode()

    def _open(self, stored: bytes) -> str | None:
        if self.keyring is None:
            return stored.decode()
        try:
            opened = self.keyring.decrypt(stored, what="a carrier token", stored_key_id="?")
        except CredentialsError:
            return None  # stored under a key no longer configured: fetch a new token
        return opened.decode()
