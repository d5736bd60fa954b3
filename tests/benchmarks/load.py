"""Simulated agents against a running web server: latency percentiles and throughput.

Each agent is a thread with its own keep-alive connection (as a browser tab keeps one to our
server). ``run_agents`` runs them in a separate process, so the load generator's own GIL
does not slow the server it measures, and returns every request's latency.
"""

from __future__ import annotations

import http.client
import json
import multiprocessing
import random
import statistics
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class LoadResult:
    """What a run measured: per-request latencies (ms), the run's length, errors."""

    latencies_ms: list[float]
    seconds: float
    errors: int
    statuses: dict[int, int]

    @property
    def requests(self) -> int:
        return len(self.latencies_ms)

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies_ms)
        if not ordered:
            return float("nan")
        index = min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))
        return ordered[index]

    def line(self, label: str) -> str:
        return (
            f"{label:<28} {self.requests:>7} req  {self.throughput:>8.1f} req/s  "
            f"p50 {self.percentile(0.50):6.1f} ms  p95 {self.percentile(0.95):6.1f} ms  "
            f"p99 {self.percentile(0.99):6.1f} ms  "
            f"mean {statistics.fmean(self.latencies_ms or [0]):6.1f} ms  errors {self.errors}"
        )


def _agent(
    base: str,
    paths: list[str],
    headers: dict[str, str],
    stop_at: float,
    think_s: float,
    seed: int,
    out: list[tuple[float, int]],
    errors: list[str],
) -> None:
    parts = urlsplit(base)
    chooser = random.Random(seed)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    while time.perf_counter() < stop_at:
        path = chooser.choice(paths)
        for attempt in (1, 2):
            started = time.perf_counter()
            try:
                connection.request("GET", path, headers=headers)
                response = connection.getresponse()
                response.read()
                out.append(((time.perf_counter() - started) * 1000, response.status))
                break
            except (OSError, http.client.HTTPException) as error:
                connection.close()
                connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
                # A kept-alive connection the server closed while the agent was reading: a
                # browser opens a new one and sends again; only a second failure counts.
                if attempt == 2:
                    errors.append(type(error).__name__)
        if think_s:
            # Agents read what they opened: exponential think time around the mean.
            time.sleep(chooser.expovariate(1 / think_s))
    connection.close()


def _run(
    base: str,
    paths: list[str],
    headers: dict[str, str],
    agents: int,
    seconds: float,
    think_s: float,
    queue: multiprocessing.Queue,  # type: ignore[type-arg]
) -> None:
    out: list[tuple[float, int]] = []
    errors: list[str] = []
    stop_at = time.perf_counter() + seconds
    started = time.perf_counter()
    threads = [
        threading.Thread(
            target=_agent, args=(base, paths, headers, stop_at, think_s, seed, out, errors)
        )
        for seed in range(agents)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    queue.put(
        json.dumps({"out": out, "errors": len(errors), "seconds": time.perf_counter() - started})
    )


def run_agents(
    base: str,
    paths: list[str],
    *,
    headers: dict[str, str] | None = None,
    agents: int = 50,
    seconds: float = 10.0,
    think_s: float = 0.0,
) -> LoadResult:
    """``agents`` agents GET random ``paths`` for ``seconds``; ``think_s`` mean pause between."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(
        target=_run, args=(base, paths, headers or {}, agents, seconds, think_s, queue)
    )
    process.start()
    data = json.loads(queue.get(timeout=seconds + 120))
    process.join()
    statuses: dict[int, int] = {}
    for _, status in data["out"]:
        statuses[status] = statuses.get(status, 0) + 1
    ok = [latency for latency, status in data["out"] if status == 200]
    bad = sum(count for status, count in statuses.items() if status != 200)
    return LoadResult(ok, data["seconds"], data["errors"] + bad, statuses)
