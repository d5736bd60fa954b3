"""The carriers' one way to send a request: pacing, OAuth tokens, and bounded retries.

Every carrier client builds its requests and parses the answers itself; this is the I/O they
share (karrio's "proxy"):

1. take a token from the ``Limiter`` (the carrier's plan, shared by every worker when the
   plugin passes its Redis limiter) and wait what it says;
2. send with the cached access token (``TokenCache``); fetch one when there is none;
3. on 401, drop the token (only if it is still the one we used), fetch a new one, and try
   once more; a second 401, or a 403, is an ``AuthError``;
4. on 429, wait ``Retry-After`` (or back off) within ``max_retries`` and ``max_wait``; past
   the budget, ``RateLimited``. A long wait (``SHARED_PENALTY_AFTER`` seconds or more: a
   quota is spent) is told to the limiter so every worker holds back. A short one (two calls
   met in one window) is waited out alone: a shared block would release every worker at the
   same instant, and they would meet again;
5. on 5xx, a timeout or a dropped connection, back off and retry within the same budget;
   past it, ``UpstreamError``.

Every other answer (200, 404, 400 …) goes back to the client, which knows what it means.
"""

from __future__ import annotations

import email.utils
import hashlib
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import requests

from connectors.amazon.ratelimit import Limiter, TokenBucket
from connectors.carriers.tokens import MemoryTokenCache, TokenCache
from connectors.errors import AuthError, RateLimited, UpstreamError
from connectors.http import build_session

logger = logging.getLogger(__name__)

USER_AGENT = "claimdesk/0.1 (carrier tracking)"
SHARED_PENALTY_AFTER = 5.0  # seconds of Retry-After from which every worker waits


@dataclass(frozen=True, kw_only=True)
class CarrierSettings:
    """What every carrier client needs besides its credentials: how fast, how long, how often.

    ``rate``/``burst`` pace our own calls (a token bucket) under the carrier's plan.
    ``max_retries`` bounds the extra tries of one call after 429s, 5xx answers and lost
    connections; ``max_wait`` bounds the seconds one call spends waiting on them (a
    ``Retry-After`` beyond it raises ``RateLimited`` at once). ``token_margin``: a cached token
    is dropped this many seconds before the carrier says it expires.
    """

    timeout: tuple[float, float] = (5.0, 20.0)
    max_retries: int = 3
    max_wait: float = 60.0
    backoff_base: float = 0.5
    backoff_cap: float = 20.0
    rate: float = 5.0
    burst: int = 1
    token_margin: float = 300.0
    user_agent: str = USER_AGENT

    def check(self) -> None:
        if self.max_retries < 0:
            raise ValueError("max_retries must not be negative")
        if self.rate <= 0 or self.burst < 1:
            raise ValueError("rate must be positive and burst at least 1")


@dataclass
class CallStats:
    """Counters of one client (thread-safe): what the benchmark and the logs report."""

    requests: int = 0
    token_requests: int = 0
    token_reuses: int = 0
    token_refreshes: int = 0  # 401 -> new token
    throttled: int = 0  # 429 answers received
    retries: int = 0
    waited: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, **counts: float) -> None:
        with self._lock:
            for name, value in counts.items():
                setattr(self, name, getattr(self, name) + value)


TokenFetcher = Callable[[], tuple[str, float]]
ErrorReader = Callable[[requests.Response], tuple[str, str]]


class Transport:
    """Sends one carrier's requests (see the module docstring). Thread-safe."""

    def __init__(
        self,
        carrier: str,
        settings: CarrierSettings,
        *,
        limiter_key: str,
        read_error: ErrorReader,
        fetch_token: TokenFetcher | None = None,
        token_key: str = "",
        tokens: TokenCache | None = None,
        limiter: Limiter | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        settings.check()
        self.carrier = carrier
        self.settings = settings
        self.limiter_key = limiter_key
        self.read_error = read_error
        self.fetch_token = fetch_token
        self.token_key = token_key
        self.tokens: TokenCache = tokens if tokens is not None else MemoryTokenCache()
        self.limiter: Limiter = limiter if limiter is not None else TokenBucket()
        self.session = session or build_session(settings.user_agent, timeout=settings.timeout)
        self.sleep = sleep
        self.stats = CallStats()
        self._token_lock = threading.Lock()

    # --- tokens ----------------------------------------------------------------------------------

    def token(self) -> str:
        """The cached access token, or a new one (fetched by one thread at a time)."""
        cached = self.tokens.get(self.token_key)
        if cached is not None:
            self.stats.add(token_reuses=1)
            return cached
        with self._token_lock:
            cached = self.tokens.get(self.token_key)  # another thread may have fetched it
            if cached is not None:
                self.stats.add(token_reuses=1)
                return cached
            assert self.fetch_token is not None
            token, expires_in = self.fetch_token()
            self.stats.add(token_requests=1)
            ttl = max(1.0, expires_in - self.settings.token_margin)
            if expires_in <= self.settings.token_margin:
                ttl = max(1.0, expires_in / 2)
            self.tokens.put(self.token_key, token, ttl)
            return token

    # --- sending ---------------------------------------------------------------------------------

    def send(
        self, method: str, url: str, *, authorized: bool = True, **kwargs: Any
    ) -> requests.Response:
        """Send with pacing, the access token (when the carrier uses OAuth and ``authorized``)
        and the retries; the answer when it is neither 401/403, 429 nor 5xx."""
        settings = self.settings
        refreshed = False
        attempt = 0
        waited = 0.0
        headers = dict(kwargs.pop("headers", {}) or {})
        while True:
            self._pace()
            token = None
            if authorized and self.fetch_token is not None:
                token = self.token()
                headers["Authorization"] = f"Bearer {token}"
            self.stats.add(requests=1)
            try:
                response = self.session.request(method, url, headers=headers, **kwargs)
            except (requests.ConnectionError, requests.Timeout) as error:
                delay = self._backoff(attempt)
                if attempt >= settings.max_retries or waited + delay > settings.max_wait:
                    raise UpstreamError(
                        f"{self.carrier}: no answer from {_host(url)} ({type(error).__name__})",
                        status=0,
                    ) from None
                attempt, waited = self._wait(attempt, waited, delay)
                continue
            status = response.status_code
            if status == 401 and token is not None and not refreshed:
                # The token expired early or was revoked (USPS revokes on re-issue): once.
                self.tokens.discard(self.token_key, token)
                self.stats.add(token_refreshes=1)
                refreshed = True
                continue
            if status in (401, 403):
                code, message = self.read_error(response)
                raise AuthError(f"{self.carrier}: {message}", status=status, code=code)
            if status == 429:
                self.stats.add(throttled=1)
                retry_after = retry_after_of(response)
                delay = retry_after if retry_after is not None else self._backoff(attempt)
                if delay >= SHARED_PENALTY_AFTER:
                    self.limiter.penalize(self.limiter_key, delay)
                if attempt >= settings.max_retries or waited + delay > settings.max_wait:
                    code, message = self.read_error(response)
                    raise RateLimited(f"{self.carrier}: {message}", retry_after=delay)
                attempt, waited = self._wait(attempt, waited, delay)
                continue
            if status >= 500:
                delay = retry_after_of(response) or self._backoff(attempt)
                if attempt >= settings.max_retries or waited + delay > settings.max_wait:
                    code, message = self.read_error(response)
                    raise UpstreamError(f"{self.carrier}: {message}", status=status, code=code)
                attempt, waited = self._wait(attempt, waited, delay)
                continue
            return response

    def _pace(self) -> None:
        """Wait for the plan's next slot; a slot further off than ``max_wait`` (a quota spent,
        another worker was told to hold back) is ``RateLimited`` now, not an hour's sleep."""
        wait = self.limiter.acquire(self.limiter_key, self.settings.rate, self.settings.burst)
        if wait > self.settings.max_wait:
            raise RateLimited(
                f"{self.carrier}: the rate plan allows the next call in {wait:.0f} s",
                retry_after=wait,
            )
        if wait > 0:
            self.stats.add(waited=wait)
            self.sleep(wait)

    def _wait(self, attempt: int, waited: float, delay: float) -> tuple[int, float]:
        self.stats.add(retries=1, waited=delay)
        self.sleep(delay)
        return attempt + 1, waited + delay

    def _backoff(self, attempt: int) -> float:
        """Exponential with full jitter: base * 2^attempt, capped."""
        ceiling = min(self.settings.backoff_cap, self.settings.backoff_base * 2**attempt)
        return random.uniform(ceiling / 2, ceiling)


def retry_after_of(response: requests.Response) -> float | None:
    """Seconds from ``Retry-After``: a number, or an HTTP date."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def read_token(response: requests.Response, carrier: str) -> tuple[str, float]:
    """``access_token`` and ``expires_in`` (seconds; UPS sends it as a string) of an OAuth
    client-credentials answer; a refusal is an ``AuthError``."""
    body = json_or_none(response)
    if response.status_code != 200 or not isinstance(body, dict):
        raise AuthError(
            f"{carrier}: the token request was refused (HTTP {response.status_code})",
            status=response.status_code,
        )
    token = body.get("access_token")
    try:
        expires_in = float(body.get("expires_in", 3600))
    except (TypeError, ValueError):
        expires_in = 3600.0
    if not isinstance(token, str) or not token:
        raise UpstreamError(f"{carrier}: the token answer has no access_token", status=200)
    return token, expires_in


def fetch_client_credentials(
    transport: Transport, url: str, *, client_id: str, client_secret: str, **form: str
) -> tuple[str, float]:
    """The token of an OAuth client-credentials grant with the credentials in the form body
    (FedEx, USPS; UPS sends them as Basic auth); ``form`` adds fields such as ``scope``."""
    response = transport.send(
        "POST",
        url,
        authorized=False,
        data={
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": client_secret,
            **form,
        },
    )
    return read_token(response, transport.carrier)


def clean_number(number: str) -> str:
    """A tracking number as the carriers' APIs take it: no spaces, upper case."""
    return "".join(number.split()).upper()


def batches(numbers: Sequence[str], size: int) -> Iterator[list[str]]:
    """``numbers`` cleaned, ``size`` at a time (a carrier's most numbers per call)."""
    cleaned = [clean_number(n) for n in numbers]
    for start in range(0, len(cleaned), size):
        yield cleaned[start : start + size]


def credential_key(carrier: str, base_url: str, client_id: str) -> str:
    """A stable, non-secret name for one set of credentials at one host (rate-limit key)."""
    digest = hashlib.sha256(f"{base_url}\n{client_id}".encode()).hexdigest()[:16]
    return f"carrier:{carrier}:{digest}"


def json_or_none(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _host(url: str) -> str:
    return url.split("/")[2] if "://" in url else url
