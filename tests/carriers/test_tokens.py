"""Tokens shared through Redis: two clients (two workers) fetch one token between them; a
token the carrier refused is dropped for both; tokens are encrypted at rest with a keyring."""

from __future__ import annotations

import redis
from cryptography.fernet import Fernet

from connectors.carriers import client_for, models
from connectors.carriers.sandbox import CarrierSandbox
from connectors.carriers.sandbox_data import Seed, numbers_of
from connectors.carriers.tokens import MemoryTokenCache, token_key
from plugin.services.carrier_tokens import RedisTokenCache
from plugin.store.crypto import Keyring

from .conftest import SettingsFor


def test_two_workers_share_one_token(
    redis_connection: redis.Redis,
    carrier_sandbox: CarrierSandbox,
    make_settings: SettingsFor,
    seed: Seed,
) -> None:
    keyring = Keyring([Fernet.generate_key().decode()])
    first = client_for(
        "usps", make_settings("usps"), tokens=RedisTokenCache(redis_connection, keyring)
    )
    # The second worker: its own Redis connection, HTTP session and client.
    other = redis.Redis(connection_pool=redis_connection.connection_pool)
    second = client_for("usps", make_settings("usps"), tokens=RedisTokenCache(other, keyring))
    numbers = numbers_of(seed)["usps"]
    assert first.track(numbers[:3])[2].found
    assert second.track(numbers[3:6])[0].found
    assert [r.route for r in carrier_sandbox.requests] == ["token", "track", "track"]
    assert first.transport.stats.token_requests == 1  # type: ignore[attr-defined]
    assert second.transport.stats.token_requests == 0  # type: ignore[attr-defined]
    assert second.transport.stats.token_reuses == 1  # type: ignore[attr-defined]

    # Stored encrypted, with the token's lifetime (less the margin) as its TTL.
    key = "claimdesk:carrier-token:" + token_key(
        "usps", carrier_sandbox.base_url("usps"), carrier_sandbox.credentials.usps_client_id
    )
    raw = redis_connection.get(key)
    assert isinstance(raw, bytes) and raw.startswith(b"gAAAA")  # a Fernet token
    ttl = redis_connection.ttl(key)
    assert 28799 - 300 - 5 <= ttl <= 28799 - 300

    # The carrier revokes it: the worker that sees the 401 replaces it for both.
    carrier_sandbox.expire_tokens("usps")
    assert second.track(numbers[:1])[0].status != models.UNKNOWN
    assert first.track(numbers[:1])[0].found
    routes = [(r.route, r.status) for r in carrier_sandbox.requests][3:]
    assert routes == [("track", 401), ("token", 200), ("track", 200), ("track", 200)]


def test_usps_revokes_on_reissue_so_unshared_tokens_collide(
    redis_connection: redis.Redis,
    carrier_sandbox: CarrierSandbox,
    make_settings: SettingsFor,
    seed: Seed,
) -> None:
    """Each worker with its own cache: every new token revokes the other's (401, refetch).
    Sharing one cache through Redis: one token, no 401."""
    number = numbers_of(seed)["usps"][4]
    apart = [client_for("usps", make_settings("usps"), tokens=MemoryTokenCache()) for _ in range(2)]
    for client in (*apart, *apart):
        assert client.track([number])[0].status == models.DELIVERED
    refused = [r for r in carrier_sandbox.requests if r.route == "track" and r.status == 401]
    assert len(refused) == 2
    carrier_sandbox.clear_requests()
    together = [
        client_for("usps", make_settings("usps"), tokens=RedisTokenCache(redis_connection))
        for _ in range(2)
    ]
    for client in (*together, *together):
        assert client.track([number])[0].status == models.DELIVERED
    routes = [(r.route, r.status) for r in carrier_sandbox.requests]
    assert routes == [("token", 200)] + [("track", 200)] * 4


def test_discard_keeps_a_newer_token(redis_connection: redis.Redis) -> None:
    cache = RedisTokenCache(redis_connection)
    cache.put("ups:abc", "old", 60)
    cache.put("ups:abc", "new", 60)  # another worker refreshed meanwhile
    cache.discard("ups:abc", "old")
    assert cache.get("ups:abc") == "new"
    cache.discard("ups:abc", "new")
    assert cache.get("ups:abc") is None


def test_a_token_sealed_with_a_retired_key_is_a_miss(redis_connection: redis.Redis) -> None:
    old = RedisTokenCache(redis_connection, Keyring([Fernet.generate_key().decode()]))
    old.put("fedex:abc", "secret-token", 60)
    new = RedisTokenCache(redis_connection, Keyring([Fernet.generate_key().decode()]))
    assert new.get("fedex:abc") is None


def test_memory_cache_expires() -> None:
    now = [100.0]
    cache = MemoryTokenCache(clock=lambda: now[0])
    cache.put("k", "t", 10)
    assert cache.get("k") == "t"
    now[0] = 110.0
    assert cache.get("k") is None


def test_token_keys_hold_no_secret() -> None:
    key = token_key("ups", "https://onlinetools.ups.com", "my-client-id")
    assert key.startswith("ups:") and "my-client-id" not in key
    assert key != token_key("ups", "https://wwwcie.ups.com", "my-client-id")
