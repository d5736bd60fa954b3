"""Carrier access tokens in Redis: shared by workers, encrypted, and dropped only by the
worker whose token the carrier refused (a newer one another worker stored stays)."""

from __future__ import annotations

import time

import redis
from cryptography.fernet import Fernet

from plugin.services.carrier_accounts import RedisTokenCache
from plugin.store.crypto import Keyring


def test_tokens_are_shared_encrypted_and_expire(redis_connection: redis.Redis) -> None:
    keyring = Keyring([Fernet.generate_key().decode()])
    one, two = (
        RedisTokenCache(redis_connection, keyring),
        RedisTokenCache(redis_connection, keyring),
    )
    one.put("fedex:abc", "token-1", 1.5)
    assert two.get("fedex:abc") == "token-1"
    raw = redis_connection.get("claimdesk:carrier-token:fedex:abc")
    assert raw is not None and b"token-1" not in raw
    time.sleep(2.1)
    assert two.get("fedex:abc") is None


def test_a_refused_token_is_dropped_but_not_a_newer_one(redis_connection: redis.Redis) -> None:
    keyring = Keyring([Fernet.generate_key().decode()])
    worker_a, worker_b = (RedisTokenCache(redis_connection, keyring) for _ in range(2))
    worker_a.put("ups:k", "old", 600)
    assert worker_b.get("ups:k") == "old"
    worker_b.put("ups:k", "new", 600)  # B was refused "old" and fetched "new" meanwhile
    worker_a.discard("ups:k", "old")  # A's late discard of "old" must not drop "new"
    assert worker_a.get("ups:k") == "new"
    worker_a.discard("ups:k", "new")
    assert worker_b.get("ups:k") is None


def test_a_token_sealed_with_a_key_since_removed_is_fetched_again(
    redis_connection: redis.Redis,
) -> None:
    old = RedisTokenCache(redis_connection, Keyring([Fernet.generate_key().decode()]))
    old.put("usps:k", "token", 600)
    rotated = RedisTokenCache(redis_connection, Keyring([Fernet.generate_key().decode()]))
    assert rotated.get("usps:k") is None
