"""Local UPS, FedEx, USPS and DHL tracking APIs on one port, for the tests and the demo.

Each carrier lives under its own prefix, so a client's base URL is ``{url}/ups``,
``{url}/fedex``, ``{url}/usps`` or ``{url}/dhl`` and every path after it is the carrier's own
(``/security/v1/oauth/token``, ``/api/track/v1/details/{n}``, ``/oauth/token``,
``/track/v1/trackingnumbers``, ``/oauth2/v3/token``, ``/tracking/v3r2/tracking``,
``/track/shipments``). The carriers' request and answer shapes, OAuth and error bodies are in
each carrier's ``sandbox.py``; this module holds what they share:

- the shipments (``sandbox_data``), which move on with the clock;
- OAuth client credentials: tokens with the carrier's lifetime on the sandbox's wall clock
  (``advance`` ages them; ``expire_tokens`` revokes them). A carrier in ``revoke_on_reissue``
  (USPS by default, as reported [U]) revokes a client's earlier tokens when it issues a new
  one, so workers that do not share their token knock each other's out;
- rate plans per credential, fixed windows of ``(calls, seconds)``: 429 with ``Retry-After``
  and the carrier's error body beyond them. ``time_scale`` F runs the windows F times faster
  (Retry-After in real seconds), so a benchmark can live through an hour's quota in seconds;
- recorded requests (secrets masked), and faults to inject (status, count, carrier, route,
  Retry-After, a delay before answering).

Tests call ``start_sandbox``; another process uses ``/_sandbox/`` (GET/DELETE ``requests``,
POST ``advance`` ``{"seconds"}``, ``faults`` ``{"status", "count", "carrier", "route",
"retry_after", "delay"}``, ``expire-tokens`` ``{"carrier"}``).
"""

from __future__ import annotations

import json
import logging
import math
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from connectors.carriers.models import CARRIERS, DHL, FEDEX, UPS, USPS
from connectors.carriers.sandbox_data import Seed, Shipment, load_seed

logger = logging.getLogger(__name__)

MASK = "[redacted]"
_SECRET_HEADERS = frozenset({"authorization", "dhl-api-key"})
_SECRET_FIELDS = frozenset({"client_secret", "access_token"})


@dataclass(frozen=True)
class Credentials:
    """What the sandbox accepts from each carrier's client."""

    ups_client_id: str = "sandbox-ups-client"
    ups_client_secret: str = field(default="sandbox-ups-secret", repr=False)
    fedex_client_id: str = "sandbox-fedex-track-key"
    fedex_client_secret: str = field(default="sandbox-fedex-track-secret", repr=False)
    usps_client_id: str = "sandbox-usps-client"
    usps_client_secret: str = field(default="sandbox-usps-secret", repr=False)
    dhl_api_key: str = field(default="sandbox-dhl-api-key", repr=False)

    def client(self, carrier: str) -> tuple[str, str]:
        """(client id, secret) of an OAuth carrier."""
        return getattr(self, f"{carrier}_client_id"), getattr(self, f"{carrier}_client_secret")


@dataclass(frozen=True)
class RatePlan:
    """Fixed windows a credential may not exceed: ``((calls, seconds), ...)``."""

    windows: tuple[tuple[int, float], ...]


# The plans as documented or as commonly quoted; all [U] (research apis.md §1b) and options.
DEFAULT_PLANS: Mapping[str, RatePlan] = {
    UPS: RatePlan(((10, 1.0),)),  # UPS publishes none; a cautious per-second cap
    FEDEX: RatePlan(((1400, 10.0),)),  # 1,400 transactions per 10 seconds per project
    USPS: RatePlan(((60, 3600.0),)),  # about 60 calls an hour by default
    DHL: RatePlan(((1, 5.0), (250, 86400.0))),  # 1 call per 5 s, 250 a day
}
TOKEN_LIFETIMES: Mapping[str, int] = {UPS: 14399, FEDEX: 3599, USPS: 28799}


@dataclass(frozen=True)
class Request:
    carrier: str
    method: str
    path: str  # after the carrier's prefix
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else None

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    def form(self) -> dict[str, str]:
        return {k: v[-1] for k, v in parse_qs(self.body.decode("utf-8", "replace")).items()}


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()

    def with_headers(self, *headers: tuple[str, str]) -> Reply:
        return Reply(self.status, self.body, self.content_type, self.headers + headers)


def json_reply(status: int, body: Any, headers: tuple[tuple[str, str], ...] = ()) -> Reply:
    return Reply(status, json.dumps(body).encode(), headers=headers)


@dataclass(frozen=True)
class RecordedRequest:
    carrier: str
    route: str  # "token", "track"; "" when unrouted
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any  # parsed JSON or form (secrets masked), else None
    status: int


@dataclass
class _Fault:
    status: int
    remaining: int
    carrier: str | None
    route: str | None
    retry_after: int | None
    delay: float


@dataclass(frozen=True)
class _Token:
    carrier: str
    client_id: str
    expires: datetime


def _apis() -> dict[str, ModuleType]:
    from connectors.carriers.dhl import sandbox as dhl
    from connectors.carriers.fedex import sandbox as fedex
    from connectors.carriers.ups import sandbox as ups
    from connectors.carriers.usps import sandbox as usps

    return {UPS: ups, FEDEX: fedex, USPS: usps, DHL: dhl}


class CarrierSandbox:
    """The four carriers' state and the HTTP server. Make one with ``start_sandbox``."""

    def __init__(
        self,
        seed: Seed,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        credentials: Credentials | None = None,
        plans: Mapping[str, RatePlan] | None = None,
        time_scale: float = 1.0,
        token_lifetimes: Mapping[str, int] | None = None,
        revoke_on_reissue: Collection[str] = (USPS,),
    ):
        if time_scale <= 0:
            raise ValueError("time_scale must be positive")
        self.credentials = credentials or Credentials()
        self.plans = {**DEFAULT_PLANS, **(plans or {})}
        self.time_scale = time_scale
        self.token_lifetimes = {**TOKEN_LIFETIMES, **(token_lifetimes or {})}
        self.revoke_on_reissue = frozenset(revoke_on_reissue)
        self.shipments = seed.by_number()
        self.apis = _apis()
        self._lock = threading.RLock()
        self._started = time.monotonic()
        self._offset = 0.0
        self._tokens: dict[str, _Token] = {}
        self._windows: dict[tuple[str, str, int, int], int] = {}
        self._recorded: list[RecordedRequest] = []
        self._faults: list[_Fault] = []
        self._httpd = _Server((host, port), _handler_for(self))
        self._httpd.daemon_threads = True
        self._httpd.request_queue_size = 64
        bound_host, bound_port = self._httpd.server_address[:2]
        self.port = int(bound_port)
        shown = "127.0.0.1" if bound_host in ("0.0.0.0", "") else str(bound_host)
        self.url = f"http://{shown}:{self.port}"
        self._thread: threading.Thread | None = None

    # --- lifecycle -------------------------------------------------------------------------------

    def start(self) -> CarrierSandbox:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            args=(0.05,),
            name=f"carrier-sandbox:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> CarrierSandbox:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def base_url(self, carrier: str) -> str:
        """What a client of ``carrier`` uses as its base URL."""
        if carrier not in CARRIERS:
            raise ValueError(f"no sandbox for carrier {carrier!r}")
        return f"{self.url}/{carrier}"

    # --- the clock -------------------------------------------------------------------------------

    def clock(self) -> float:
        """Rate-window seconds: real seconds since start times ``time_scale``, plus ``advance``."""
        return (time.monotonic() - self._started) * self.time_scale + self._offset

    def now(self) -> datetime:
        """The sandbox's wall time (real UTC now plus ``advance``): parcels move on it, and
        tokens expire on it."""
        return datetime.now(UTC) + timedelta(seconds=self._offset)

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._offset += seconds

    # --- parcels ---------------------------------------------------------------------------------

    def shipment(self, carrier: str, number: str) -> Shipment | None:
        return self.shipments.get((carrier, "".join(number.split()).upper()))

    # --- OAuth -----------------------------------------------------------------------------------

    def issue_token(self, carrier: str, client_id: str) -> tuple[str, int]:
        lifetime = self.token_lifetimes[carrier]
        token = secrets.token_urlsafe(32)
        with self._lock:
            if carrier in self.revoke_on_reissue:
                for earlier in [
                    t
                    for t, held in self._tokens.items()
                    if held.carrier == carrier and held.client_id == client_id
                ]:
                    del self._tokens[earlier]
            self._tokens[token] = _Token(
                carrier, client_id, self.now() + timedelta(seconds=lifetime)
            )
        return token, lifetime

    def token_owner(self, carrier: str, headers: Mapping[str, str]) -> str | None:
        """The client id a ``Bearer`` token was issued to, None when absent, foreign or
        expired."""
        scheme, _, value = headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer":
            return None
        with self._lock:
            held = self._tokens.get(value.strip())
        if held is None or held.carrier != carrier or held.expires <= self.now():
            return None
        return held.client_id

    def expire_tokens(self, carrier: str | None = None) -> int:
        """Revoke every token (of ``carrier``); how many."""
        with self._lock:
            gone = [t for t, held in self._tokens.items() if carrier in (None, held.carrier)]
            for token in gone:
                del self._tokens[token]
        return len(gone)

    def tokens_issued(self, carrier: str | None = None) -> int:
        """How many tokens the token endpoint handed out (of ``carrier``) so far."""
        return sum(
            1
            for r in self.requests
            if r.route == "token" and r.status == 200 and carrier in (None, r.carrier)
        )

    # --- rate plans ------------------------------------------------------------------------------

    def meter(self, carrier: str, identity: str) -> int | None:
        """Count one call of ``identity`` against the carrier's plan: None when allowed,
        else the whole real seconds until the fullest window resets (the call is not
        counted)."""
        plan = self.plans[carrier]
        with self._lock:
            now = self.clock()
            wait = 0.0
            keys = []
            for index, (calls, seconds) in enumerate(plan.windows):
                window = int(now // seconds)
                key = (carrier, identity, index, window)
                keys.append(key)
                if self._windows.get(key, 0) >= calls:
                    wait = max(wait, (window + 1) * seconds - now)
            if wait > 0:
                return max(1, math.ceil(wait / self.time_scale))
            for key in keys:
                self._windows[key] = self._windows.get(key, 0) + 1
            if len(self._windows) > 10_000:  # old windows are never read again
                current = {k[:3]: k[3] for k in keys}
                for stale in [k for k in self._windows if k[3] < current.get(k[:3], k[3])]:
                    del self._windows[stale]
            return None

    # --- test controls ---------------------------------------------------------------------------

    def inject(
        self,
        status: int,
        count: int = 1,
        *,
        carrier: str | None = None,
        route: str | None = None,
        retry_after: int | None = None,
        delay: float = 0.0,
    ) -> None:
        """Answer the next ``count`` calls (of ``carrier``'s ``route``: ``token``/``track``)
        with ``status`` and the carrier's error body, after ``delay`` seconds."""
        with self._lock:
            self._faults.append(_Fault(status, count, carrier, route, retry_after, delay))

    def _take_fault(self, carrier: str, route: str) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.carrier in (None, carrier) and fault.route in (None, route):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._recorded)

    def clear_requests(self) -> None:
        with self._lock:
            self._recorded.clear()

    # --- dispatch --------------------------------------------------------------------------------

    def handle(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Reply:
        parts = urlsplit(target)
        if parts.path.startswith("/_sandbox/"):
            return self._control(method, parts.path, body)
        carrier, _, rest = parts.path.lstrip("/").partition("/")
        if carrier not in self.apis:
            return json_reply(404, {"error": f"no carrier at /{carrier}"})
        request = Request(
            carrier,
            method,
            "/" + rest,
            parse_qs(parts.query, keep_blank_values=True),
            headers,
            body,
        )
        api = self.apis[carrier]
        route = api.route_of(method, request.path) or ""
        reply = self._answer(api, route, request)
        self._record(request, route, reply.status)
        return reply

    def _answer(self, api: ModuleType, route: str, request: Request) -> Reply:
        error: Callable[..., Reply] = api.error
        if not route:
            return error(404, "not_found")
        fault = self._take_fault(request.carrier, route)
        if fault is not None:
            if fault.delay:
                time.sleep(fault.delay)
            kinds = {400: "bad_request", 401: "unauthorized", 403: "forbidden"}
            kinds |= {404: "not_found", 429: "rate_limited"}
            kind = kinds.get(fault.status, "server")
            reply: Reply = error(fault.status, kind)
            if fault.retry_after is not None:
                reply = reply.with_headers(("Retry-After", str(fault.retry_after)))
            return reply
        if route == "token":
            return api.token(self, request)
        identity = api.authenticate(self, request)
        if identity is None:
            return error(401, "unauthorized")
        wait = self.meter(request.carrier, identity)
        if wait is not None:
            return error(429, "rate_limited").with_headers(("Retry-After", str(wait)))
        return api.answer(self, route, request)

    def _record(self, request: Request, route: str, status: int) -> None:
        headers = {k: (MASK if k in _SECRET_HEADERS else v) for k, v in request.headers.items()}
        parsed: Any = None
        if request.body:
            try:
                parsed = json.loads(request.body)
            except ValueError:
                parsed = {
                    k: (MASK if k in _SECRET_FIELDS else v) for k, v in request.form().items()
                } or None
        with self._lock:
            self._recorded.append(
                RecordedRequest(
                    request.carrier,
                    route,
                    request.method,
                    request.path,
                    request.query,
                    headers,
                    parsed,
                    status,
                )
            )

    # --- /_sandbox/ controls ---------------------------------------------------------------------

    def _control(self, method: str, path: str, body: bytes) -> Reply:
        try:
            payload = json.loads(body or b"{}")
            if not isinstance(payload, dict):
                raise ValueError("the body must be a JSON object")
            if path == "/_sandbox/requests" and method == "GET":
                return json_reply(200, {"requests": [vars(r) for r in self.requests]})
            if path == "/_sandbox/requests" and method == "DELETE":
                self.clear_requests()
                return json_reply(200, {})
            if path == "/_sandbox/advance" and method == "POST":
                self.advance(float(payload["seconds"]))
                return json_reply(200, {"now": self.now().isoformat()})
            if path == "/_sandbox/faults" and method == "POST":
                self.inject(
                    int(payload["status"]),
                    int(payload.get("count", 1)),
                    carrier=payload.get("carrier"),
                    route=payload.get("route"),
                    retry_after=payload.get("retry_after"),
                    delay=float(payload.get("delay", 0.0)),
                )
                return json_reply(200, {})
            if path == "/_sandbox/expire-tokens" and method == "POST":
                return json_reply(200, {"expired": self.expire_tokens(payload.get("carrier"))})
        except (KeyError, TypeError, ValueError) as error:
            return json_reply(400, {"error": f"{type(error).__name__}: {error}"})
        return json_reply(404, {"error": f"no control {method} {path}"})


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up (a timeout test) is not a sandbox failure: log it quietly."""
        logger.debug("connection from %s ended early", client_address, exc_info=True)


def _handler_for(sandbox: CarrierSandbox) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "sandbox"
        timeout = 30
        disable_nagle_algorithm = True

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {name.lower(): value for name, value in self.headers.items()}
            try:
                reply = sandbox.handle(self.command, self.path, headers, body)
            except Exception:  # the boundary: a sandbox bug answers 500, and is logged
                logger.exception("carrier sandbox failed on %s %s", self.command, self.path)
                reply = json_reply(500, {"error": "sandbox failure"})
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            self.send_header("X-Request-Id", uuid.uuid4().hex)
            for name, value in reply.headers:
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(reply.body)

        do_GET = do_POST = do_DELETE = do_PUT = do_HEAD = _serve

        def log_message(self, format: str, *args: Any) -> None:
            logger.debug("%s %s", self.address_string(), format % args)

    return Handler


def start_sandbox(
    seed: Seed | Path | str,
    port: int = 0,
    *,
    host: str = "127.0.0.1",
    **options: Any,
) -> CarrierSandbox:
    """Serve ``seed`` (a Seed or a seed file) on ``host:port`` (0: a free port) in a background
    thread. Options are CarrierSandbox's (credentials, plans, time_scale, token_lifetimes,
    revoke_on_reissue)."""
    loaded = seed if isinstance(seed, Seed) else load_seed(seed)
    return CarrierSandbox(loaded, host=host, port=port, **options).start()
