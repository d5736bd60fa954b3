"""A local Zendesk: one account with our app installed, for the demo and the tests.

It plays the account ``{subdomain}.zendesk.com`` (default ``acme``) with one app (``app_id``)
installed once (``installation_id``), and serves:

- an agent UI (``sandbox_pages.py``, ``host.js``): ``/agent`` lists the tickets,
  ``/agent/tickets/{id}`` renders one (every customer string escaped) with a reply editor and
  our app in the ``ticket_sidebar``; ``/agent/apps/claimdesk`` is its ``nav_bar`` page. Apps
  load as Zendesk loads signed URLs: a form POSTs ``token`` (RS256, this sandbox's own key) to
  ``{app_url}/sidebar?origin=…&app_guid=…`` into the iframe, and the page answers the ZAF SDK's
  postMessage protocol;
- the REST API subset our workers use (research/zendesk.md §4), Basic auth
  ``email/token:API_TOKEN``, with Zendesk's error bodies and rate limits (plan rpm per account,
  100 ticket updates a minute per account, 30 per user per ticket per 10 minutes; 429 with
  ``Retry-After``): tickets, comments, tags, audits, users, ticket fields, the app's public
  key, installations, webhooks (with signing secrets) and triggers;
- webhooks: every ticket created or updated (API or agent UI) runs the triggers; a trigger's
  ``notification_webhook`` action POSTs its rendered JSON body, signed like Zendesk
  (base64 HMAC-SHA256 of timestamp + body, the signing secret as key), from a background
  thread. Deliveries are recorded and can be replayed, altered, for tests.

Tests drive it in-process through ``start_sandbox`` (``advance`` the clock, ``mint_token``,
``inject`` faults, run a callback ``before`` a call, ``stall`` a call's answer or lose it,
read ``requests`` and ``deliveries``); another process uses the same under
``/_sandbox/`` (GET/DELETE ``requests``, POST ``advance``, ``faults``, ``token``; GET
``deliveries``, POST ``deliveries/{id}/replay``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import logging
import math
import queue
import re
import secrets
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from connectors.zendesk import sandbox_pages
from connectors.zendesk.sandbox_data import (
    PRIORITIES,
    STATUSES,
    Comment,
    Seed,
    Ticket,
    User,
    iso,
    load_seed,
    normalize_tags,
    parse_time,
)

logger = logging.getLogger(__name__)

TOKEN_LIFETIME = 300  # seconds: Zendesk's launch tokens live about 5 minutes
DEFAULT_PLAN_RPM = 700  # Enterprise (research §4.6)
TICKET_UPDATES_PER_MINUTE = 100  # per account
TICKET_UPDATES_PER_TICKET = 30  # per user per ticket ...
TICKET_UPDATE_WINDOW = 600.0  # ... per 10 minutes
MAX_PAGE_SIZE = 100
WEBHOOK_TIMEOUT = 5.0  # seconds per delivery attempt
MASK = "[redacted]"
_SECRET_HEADERS = frozenset({"authorization", "cookie", sandbox_pages.SESSION_HEADER.lower()})

# The trigger body of issue 6, one trigger per event (Zendesk has no "update type" placeholder).
TRIGGER_BODY = (
    '{{"event": "{event}", "ticket_id": "{{{{ticket.id}}}}", "ticket_url": "{{{{ticket.url}}}}", '
    '"subject": "{{{{ticket.title}}}}", "description": "{{{{ticket.description}}}}", '
    '"requester_email": "{{{{ticket.requester.email}}}}", '
    '"order_id": "{{{{ticket.ticket_field_{field}}}}}"}}'
)


@dataclass(frozen=True)
class ApiCredentials:
    """The API user the sandbox accepts: Basic ``{email}/token:{api_token}``."""

    email: str = "claimdesk@acme.test"
    api_token: str = field(default="sandbox-api-token", repr=False)


@dataclass(frozen=True)
class RecordedRequest:
    """One API request as the sandbox received it, credentials masked."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: Any  # parsed JSON, else None
    route: str  # e.g. "tickets.update"; "" when unrouted
    status: int
    at: float = 0.0  # the sandbox clock when it was answered (``clock()``)


@dataclass
class Webhook:
    id: str
    name: str
    endpoint: str
    signing_secret: str
    created_at: datetime
    http_method: str = "POST"
    request_format: str = "json"
    status: str = "active"
    subscriptions: list[str] = field(default_factory=lambda: ["conditional_ticket_events"])
    authentication: dict[str, Any] | None = None
    description: str = ""


@dataclass
class Trigger:
    id: int
    title: str
    conditions: dict[str, list[dict[str, Any]]]
    actions: list[dict[str, Any]]
    created_at: datetime
    active: bool = True
    description: str = ""


@dataclass
class Audit:
    id: int
    ticket_id: int
    author_id: int
    created_at: datetime
    channel: str
    events: list[dict[str, Any]]


@dataclass(frozen=True)
class Delivery:
    """One webhook request the sandbox sent (or tried to)."""

    id: str  # X-Zendesk-Webhook-Invocation-Id
    webhook_id: str
    trigger_id: int | None
    ticket_id: int | None
    url: str
    headers: dict[str, str]
    body: bytes
    status: int | None = None  # None: no answer
    error: str | None = None
    replay_of: str | None = None


@dataclass
class _Fault:
    status: int
    remaining: int
    route: str | None
    retry_after: int | None


@dataclass
class _Hook:
    route: str
    remaining: int
    callback: Callable[[ZendeskSandbox], None]


@dataclass
class _Stall:
    route: str
    remaining: int
    seconds: float
    applied: bool


@dataclass(frozen=True)
class Reply:
    status: int  # 0: no answer at all (the connection is closed)
    body: bytes
    content_type: str = "application/json; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class _Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    match: re.Match[str]
    user: User

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else None


class ApiError(Exception):
    """An answer with Zendesk's error body: ``{"error": code, "description": text}``."""

    def __init__(self, status: int, code: str, description: str, details: Any = None):
        self.status = status
        self.code = code
        self.description = description
        self.details = details
        super().__init__(f"{status} {code}: {description}")

    def reply(self) -> Reply:
        body: dict[str, Any] = {"error": self.code, "description": self.description}
        if self.details is not None:
            body["details"] = self.details
        return json_reply(self.status, body)


class _WebhookError(ApiError):
    """The Webhooks API's newer error body: ``{"errors": [{code, title, detail}]}``."""

    def reply(self) -> Reply:
        error = {"code": self.code, "title": self.description, "detail": self.details or ""}
        return json_reply(self.status, {"errors": [error]})


def _not_found() -> ApiError:
    return ApiError(404, "RecordNotFound", "Not found")


def _invalid(field_name: str, description: str, error: str = "InvalidValue") -> ApiError:
    details = {field_name: [{"description": description, "error": error}]}
    return ApiError(422, "RecordInvalid", "Record validation errors", details)


def sign_webhook(secret: str, timestamp: str, body: bytes) -> str:
    """Zendesk's webhook signature: base64(HMAC-SHA256(key=secret, timestamp + body))."""
    digest = hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


class ZendeskSandbox:
    """The sandbox's state and its HTTP server. Make one with ``start_sandbox``."""

    def __init__(
        self,
        seed: Seed,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        subdomain: str = "acme",
        app_url: str = "http://127.0.0.1:5000",
        app_id: int = 1_000_001,
        installation_id: int = 2_000_001,
        app_name: str = "claimdesk",
        credentials: ApiCredentials | None = None,
        private_key_pem: bytes | None = None,
        plan_rpm: int = DEFAULT_PLAN_RPM,
        ticket_updates_per_minute: int = TICKET_UPDATES_PER_MINUTE,
        ticket_updates_per_ticket: int = TICKET_UPDATES_PER_TICKET,
        webhook_endpoint: str | None = None,
        webhook_secret: str | None = None,
        deliver_webhooks: bool = True,
    ):
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,62}", subdomain):
            raise ValueError(f"subdomain {subdomain!r} is not a Zendesk subdomain")
        parts = urlsplit(app_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"app_url {app_url!r} is not an http(s) URL")
        self.subdomain = subdomain
        self.app_url = app_url.rstrip("/")
        self.app_id = app_id
        self.installation_id = installation_id
        self.app_name = app_name
        self.credentials = credentials or ApiCredentials()
        self.plan_rpm = plan_rpm
        self.ticket_updates_per_minute = ticket_updates_per_minute
        self.ticket_updates_per_ticket = ticket_updates_per_ticket
        self.deliver_webhooks = deliver_webhooks
        if private_key_pem is None:
            self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        else:
            loaded = serialization.load_pem_private_key(private_key_pem, password=None)
            if not isinstance(loaded, rsa.RSAPrivateKey):
                raise ValueError("the key file must hold an RSA private key")
            self._key = loaded
        self.public_key_pem = (
            self._key.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )
        self._lock = threading.RLock()
        self._started = time.monotonic()
        self._offset = 0.0
        self._session_key = secrets.token_bytes(32)  # the agent pages' API session
        self.fields = list(seed.ticket_fields)
        self.requirements = seed.requirements()
        self.users: dict[int, User] = {u.id: u for u in seed.users}
        api_user = self.user_by_email(self.credentials.email)
        if api_user is None:
            api_user = User(
                max(self.users, default=0) + 1, "claimdesk API", self.credentials.email, "admin"
            )
            self.users[api_user.id] = api_user
        self.api_user_id = api_user.id
        self.tickets: dict[int, Ticket] = {t.id: t for t in seed.tickets}
        self._audits: dict[int, list[Audit]] = {t.id: [] for t in seed.tickets}
        self._next_ticket = max(self.tickets, default=0) + 1
        self._next_comment = max((c.id for t in seed.tickets for c in t.comments), default=0) + 1
        self._next_audit = 1
        self._next_user = max(self.users) + 1
        for ticket in seed.tickets:
            self._seed_audit(ticket)
        self.webhooks: dict[str, Webhook] = {}
        self.triggers: dict[int, Trigger] = {}
        self._next_trigger = 360_000_001
        self._recorded: list[RecordedRequest] = []
        self._faults: list[_Fault] = []
        self._hooks: list[_Hook] = []
        self._stalls: list[_Stall] = []
        self._minutes: dict[tuple[str, int], int] = {}  # (meter, minute) -> requests
        self._ticket_updates: dict[tuple[int, int], list[float]] = {}  # (user, ticket) -> times
        self._deliveries: list[Delivery] = []
        self._outbox: queue.Queue[Delivery | None] = queue.Queue()
        self._seed_webhook(webhook_endpoint or f"{self.app_url}/webhooks/zendesk", webhook_secret)
        self._httpd = ThreadingHTTPServer((host, port), _handler_for(self))
        self._httpd.daemon_threads = True
        bound_host, bound_port = self._httpd.server_address[:2]
        self.port = int(bound_port)
        shown = "127.0.0.1" if bound_host in ("0.0.0.0", "") else str(bound_host)
        self.url = f"http://{shown}:{self.port}"
        self._threads: list[threading.Thread] = []

    # --- lifecycle -------------------------------------------------------------------------------

    def start(self) -> ZendeskSandbox:
        server = threading.Thread(
            target=self._httpd.serve_forever,
            args=(0.05,),
            name=f"zendesk-sandbox:{self.port}",
            daemon=True,
        )
        sender = threading.Thread(
            target=self._send_webhooks, name=f"zendesk-webhooks:{self.port}", daemon=True
        )
        self._threads = [server, sender]
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self._outbox.put(None)
        self._httpd.shutdown()
        self._httpd.server_close()
        for thread in self._threads:
            thread.join(timeout=WEBHOOK_TIMEOUT + 1)

    def __enter__(self) -> ZendeskSandbox:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    # --- the clock -------------------------------------------------------------------------------

    def clock(self) -> float:
        """Sandbox seconds: real seconds since start plus ``advance``; rate windows use it."""
        return time.monotonic() - self._started + self._offset

    def now(self) -> datetime:
        """The sandbox's wall time: real UTC now plus whatever ``advance`` added."""
        return datetime.now(UTC) + timedelta(seconds=self._offset)

    def advance(self, seconds: float) -> None:
        """Move the clock forward: rate-limit windows pass, new tokens and times are later."""
        with self._lock:
            self._offset += seconds

    # --- identity and launch tokens --------------------------------------------------------------

    @property
    def host(self) -> str:
        return f"{self.subdomain}.zendesk.com"

    def audience(self, installation_id: int | None = None) -> str:
        installation = self.installation_id if installation_id is None else installation_id
        return f"https://{self.host}/api/v2/apps/installations/{installation}.json"

    def private_key_pem(self) -> bytes:
        return self._key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def mint_token(
        self,
        agent_id: int | None = None,
        location: str = "ticket_sidebar",
        *,
        lifetime: int = TOKEN_LIFETIME,
        issued_at: datetime | None = None,
        expired: bool = False,
        iss: str | None = None,
        aud: str | None = None,
        sub: str | None = None,
        installation_id: int | None = None,
        omit: tuple[str, ...] = (),
        extra: dict[str, Any] | None = None,
        algorithm: str = "RS256",
        hs256_secret: str | None = None,
    ) -> str:
        """A launch token as Zendesk signs it, or with one thing wrong for a test.

        ``expired`` backdates it past its ``exp``; ``iss``/``aud``/``sub`` replace a claim;
        ``installation_id`` names another installation in ``aud``; ``omit`` drops claims;
        ``algorithm="HS256"`` with ``hs256_secret`` forges one with a shared string (the
        alg-confusion attack a verifier must refuse); ``algorithm="none"`` an unsigned one.
        """
        agent = agent_id if agent_id is not None else self.default_agent().id
        moment = issued_at or self.now()
        if expired:
            moment -= timedelta(seconds=lifetime + 120)
        iat = int(moment.timestamp())
        claims: dict[str, Any] = {
            "iss": iss if iss is not None else self.host,
            "aud": aud if aud is not None else self.audience(installation_id),
            "sub": sub if sub is not None else f"https://{self.host}/api/v2/users/{agent}.json",
            "iat": iat,
            "nbf": iat,
            "exp": iat + lifetime,
            "context": {"product": "support", "location": location},
        }
        claims.update(extra or {})
        for name in omit:
            claims.pop(name, None)
        if algorithm == "RS256":
            return jwt.encode(claims, self._key, algorithm="RS256")
        if algorithm not in ("HS256", "none"):
            raise ValueError(f"unknown algorithm {algorithm!r}")
        # Forged by hand: PyJWT rightly refuses to HMAC with a PEM key.
        header = _b64url(json.dumps({"alg": algorithm, "typ": "JWT"}).encode())
        signed = f"{header}.{_b64url(json.dumps(claims).encode())}"
        if algorithm == "none":
            return f"{signed}."
        secret = (hs256_secret or self.public_key_pem).encode()
        return f"{signed}.{_b64url(hmac.new(secret, signed.encode(), hashlib.sha256).digest())}"

    def default_agent(self) -> User:
        agents = sorted(
            (
                u
                for u in self.users.values()
                if u.role in ("agent", "admin") and u.id != self.api_user_id
            ),
            key=lambda u: u.id,
        )
        return agents[0] if agents else self.users[self.api_user_id]

    def session_token(self, agent_id: int) -> str:
        """What an agent page sends on its own API calls (``client.request`` to /api/v2)."""
        mac = hmac.new(self._session_key, str(agent_id).encode(), hashlib.sha256).hexdigest()
        return f"{agent_id}.{mac}"

    # --- test controls ---------------------------------------------------------------------------

    def inject(
        self,
        status: int,
        count: int = 1,
        *,
        route: str | None = None,
        retry_after: int | None = None,
    ) -> None:
        """Answer the next ``count`` API calls of ``route`` (any when None; e.g.
        ``"tickets.update"``) with ``status`` and Zendesk's error body."""
        with self._lock:
            self._faults.append(_Fault(status, count, route, retry_after))

    def before(
        self, route: str, callback: Callable[[ZendeskSandbox], None], count: int = 1
    ) -> None:
        """Run ``callback(sandbox)`` just before the next ``count`` calls of ``route`` are
        handled: e.g. an agent updating the ticket, so a safe update meets a real conflict."""
        with self._lock:
            self._hooks.append(_Hook(route, count, callback))

    def stall(self, route: str, seconds: float, *, applied: bool = True, count: int = 1) -> None:
        """Make the next ``count`` calls of ``route`` slow. ``applied``: the call takes effect
        (and is recorded) at once, its answer comes ``seconds`` later, so a client that dies
        meanwhile never learns it happened. Otherwise the call waits ``seconds`` and is dropped
        unanswered without taking effect (a request lost on the way)."""
        with self._lock:
            self._stalls.append(_Stall(route, count, seconds, applied))

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every API request so far (not the agent pages, nor /_sandbox/), oldest first."""
        with self._lock:
            return list(self._recorded)

    def clear_requests(self) -> None:
        with self._lock:
            self._recorded.clear()

    @property
    def deliveries(self) -> list[Delivery]:
        with self._lock:
            return list(self._deliveries)

    def flush_deliveries(self, timeout: float = 10.0) -> None:
        """Wait until every queued webhook request has been sent (or has failed)."""
        deadline = time.monotonic() + timeout
        while self._outbox.unfinished_tasks:
            if time.monotonic() > deadline:
                raise TimeoutError("webhook deliveries still queued")
            time.sleep(0.01)

    def replay(
        self,
        delivery_id: str,
        *,
        body: bytes | None = None,
        timestamp: str | None = None,
        signature: str | None = None,
        resign: bool = False,
    ) -> None:
        """Send a recorded delivery again: as it was (a replay), or altered. ``resign`` signs
        the (new) body and timestamp with the webhook's secret; ``signature`` forces one."""
        with self._lock:
            original = next((d for d in self._deliveries if d.id == delivery_id), None)
            if original is None:
                raise KeyError(delivery_id)
            webhook = self.webhooks.get(original.webhook_id)
        headers = dict(original.headers)
        new_body = original.body if body is None else body
        stamp = timestamp or headers["X-Zendesk-Webhook-Signature-Timestamp"]
        headers["X-Zendesk-Webhook-Signature-Timestamp"] = stamp
        if resign and webhook is not None:
            headers["X-Zendesk-Webhook-Signature"] = sign_webhook(
                webhook.signing_secret, stamp, new_body
            )
        if signature is not None:
            headers["X-Zendesk-Webhook-Signature"] = signature
        copy = replace(
            original, headers=headers, body=new_body, status=None, error=None, replay_of=original.id
        )
        self._outbox.put(copy)

    # --- dispatch --------------------------------------------------------------------------------

    def handle(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Reply:
        """Answer one HTTP request (called by the server's handler threads)."""
        parts = urlsplit(target)
        path = parts.path
        query = parse_qs(parts.query, keep_blank_values=True)
        if path.startswith("/_sandbox/"):
            return self._control(method, path, body)
        if path.startswith("/api/"):
            route, reply = self._api(method, path, query, headers, body)
            self._record(method, path, query, headers, body, route, reply.status)
            stall = self._take_stall(route, applied=True) if route else None
            if stall is not None:
                time.sleep(stall.seconds)
            return reply
        return sandbox_pages.handle(self, method, path, query, headers, body)

    def _api(
        self,
        method: str,
        path: str,
        query: dict[str, list[str]],
        headers: dict[str, str],
        body: bytes,
    ) -> tuple[str, Reply]:
        user = self._authenticate(headers)
        if user is None:
            return "", json_reply(401, {"error": "Couldn't authenticate you"})
        for route_method, pattern, route, handler in _ROUTES:
            match = pattern.fullmatch(path)
            if match is None or route_method != method:
                continue
            request = _Request(method, path, query, headers, body, match, user)
            self._run_hooks(route)
            lost = self._take_stall(route, applied=False)
            if lost is not None:
                time.sleep(lost.seconds)
                return route, Reply(0, b"")
            fault = self._take_fault(route)
            if fault is not None:
                return route, self._fault_reply(fault)
            limited, limit_headers = self._meter(route, request)
            if limited is not None:
                return route, _with_headers(limited, limit_headers)
            try:
                reply = handler(self, request)
            except ApiError as error:
                reply = error.reply()
            return route, _with_headers(reply, limit_headers)
        if any(p.fullmatch(path) for _, p, _, _ in _ROUTES):
            return "", ApiError(405, "MethodNotAllowed", f"{method} is not allowed").reply()
        return "", ApiError(404, "InvalidEndpoint", "Not found").reply()

    def _authenticate(self, headers: dict[str, str]) -> User | None:
        session = headers.get(sandbox_pages.SESSION_HEADER.lower())
        if session:
            agent, _, _mac = session.partition(".")
            if agent.isdigit() and hmac.compare_digest(session, self.session_token(int(agent))):
                return self.users.get(int(agent))
            return None
        scheme, _, value = headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            decoded = base64.b64decode(value, validate=True).decode()
        except (ValueError, UnicodeDecodeError):
            return None
        login, _, secret = decoded.partition(":")
        email, marker, _ = login.partition("/token")
        expected = self.credentials
        if (
            marker
            and email.lower() == expected.email.lower()
            and hmac.compare_digest(secret.encode(), expected.api_token.encode())
        ):
            return self.users[self.api_user_id]
        return None

    def _take_fault(self, route: str) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.route in (None, route):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def _run_hooks(self, route: str) -> None:
        with self._lock:
            due = [hook for hook in self._hooks if hook.route == route]
            for hook in due:
                hook.remaining -= 1
                if hook.remaining <= 0:
                    self._hooks.remove(hook)
            for hook in due:
                hook.callback(self)

    def _take_stall(self, route: str, *, applied: bool) -> _Stall | None:
        with self._lock:
            for stall in self._stalls:
                if stall.route == route and stall.applied == applied:
                    stall.remaining -= 1
                    if stall.remaining <= 0:
                        self._stalls.remove(stall)
                    return stall
        return None

    def _fault_reply(self, fault: _Fault) -> Reply:
        codes = {
            409: ("UpdateConflict", "Injected conflict"),
            429: ("APIRateLimitExceeded", "Number of allowed API requests per minute exceeded"),
        }
        code, text = codes.get(fault.status, ("InternalError", "Injected fault"))
        reply = ApiError(fault.status, code, text).reply()
        if fault.retry_after is not None:
            return _with_headers(reply, (("Retry-After", str(fault.retry_after)),))
        return reply

    # --- rate limits -----------------------------------------------------------------------------

    def _meter(
        self, route: str, request: _Request
    ) -> tuple[Reply | None, tuple[tuple[str, str], ...]]:
        """Count the request against the account's plan and, for a ticket update, against
        the update limits. Returns the 429 to send (or None) and the rate-limit headers."""
        with self._lock:
            now = self.clock()
            minute = int(now // 60)
            reset = max(1, math.ceil(60 - (now % 60)))
            used = self._minutes.get(("account", minute), 0)
            remaining = max(0, self.plan_rpm - used - 1)
            headers = _limit_headers(self.plan_rpm, remaining, reset)
            if used >= self.plan_rpm:
                error = ApiError(
                    429,
                    "APIRateLimitExceeded",
                    "Number of allowed API requests per minute exceeded",
                )
                return _with_headers(error.reply(), (("Retry-After", str(reset)),)), headers
            self._minutes[("account", minute)] = used + 1
            if route not in _TICKET_UPDATES:
                return None, headers
            ticket_id = int(request.match["id"])
            updates = self._minutes.get(("updates", minute), 0)
            if updates >= self.ticket_updates_per_minute:
                error = ApiError(
                    429,
                    "APIRateLimitExceeded",
                    "Number of allowed ticket updates per minute exceeded",
                )
                return _with_headers(error.reply(), (("Retry-After", str(reset)),)), headers
            wait = self._ticket_update_wait(request.user.id, ticket_id, now)
            if wait is not None:
                error = ApiError(
                    429,
                    "APIRateLimitExceeded",
                    "Number of allowed updates to this ticket per 10 minutes exceeded",
                )
                return _with_headers(error.reply(), (("Retry-After", str(wait)),)), headers
            self._minutes[("updates", minute)] = updates + 1
            self._ticket_updates.setdefault((request.user.id, ticket_id), []).append(now)
            return None, headers

    def _ticket_update_wait(self, user_id: int, ticket_id: int, now: float) -> int | None:
        """Seconds until ``user_id`` may update ``ticket_id`` again, None when it may now."""
        recent = [
            t
            for t in self._ticket_updates.get((user_id, ticket_id), [])
            if t > now - TICKET_UPDATE_WINDOW
        ]
        self._ticket_updates[(user_id, ticket_id)] = recent
        if len(recent) < self.ticket_updates_per_ticket:
            return None
        return max(1, math.ceil(recent[0] + TICKET_UPDATE_WINDOW - now))

    def ui_update_allowed(self, agent_id: int, ticket_id: int) -> int | None:
        """Agent-UI updates count toward the update limits too; the wait, or None."""
        with self._lock:
            now = self.clock()
            minute = int(now // 60)
            updates = self._minutes.get(("updates", minute), 0)
            if updates >= self.ticket_updates_per_minute:
                return max(1, math.ceil(60 - (now % 60)))
            wait = self._ticket_update_wait(agent_id, ticket_id, now)
            if wait is not None:
                return wait
            self._minutes[("updates", minute)] = updates + 1
            self._ticket_updates.setdefault((agent_id, ticket_id), []).append(now)
            return None

    # --- users -----------------------------------------------------------------------------------

    def user_by_email(self, email: str) -> User | None:
        wanted = email.strip().lower()
        return next((u for u in self.users.values() if u.email.lower() == wanted), None)

    def user_json(self, user: User) -> dict[str, Any]:
        return {
            "id": user.id,
            "url": f"{self.url}/api/v2/users/{user.id}.json",
            "name": user.name,
            "email": user.email,
            "created_at": iso(user.created_at),
            "updated_at": iso(user.created_at),
            "time_zone": user.time_zone,
            "iana_time_zone": user.time_zone,
            "locale": user.locale,
            "role": user.role,
            "verified": True,
            "active": True,
            "suspended": False,
            "external_id": None,
            "tags": [],
            "user_fields": {},
        }

    def _list_users(self, request: _Request) -> Reply:
        return self._offset_page(
            request,
            "users",
            [self.user_json(u) for u in sorted(self.users.values(), key=lambda u: u.id)],
        )

    def _show_user(self, request: _Request) -> Reply:
        user = self.users.get(int(request.match["id"]))
        if user is None:
            raise _not_found()
        return json_reply(200, {"user": self.user_json(user)})

    def _me(self, request: _Request) -> Reply:
        return json_reply(200, {"user": self.user_json(request.user)})

    def _search_users(self, request: _Request) -> Reply:
        query = (request.param("query") or "").strip()
        email = request.param("email")
        if not query and not email:
            raise ApiError(400, "InvalidQuery", "query or external_id parameter is required")
        if email is None and query.lower().startswith("email:"):
            email = query[len("email:") :].strip().strip('"')
        users = sorted(self.users.values(), key=lambda u: u.id)
        if email is not None:
            found = [u for u in users if u.email.lower() == email.lower()]
        else:
            needle = query.lower()
            found = [u for u in users if needle in u.email.lower() or needle in u.name.lower()]
        return self._offset_page(request, "users", [self.user_json(u) for u in found])

    def _search(self, request: _Request) -> Reply:
        """``/api/v2/search``: ``type:user`` or ``type:ticket`` with ``email:``, ``requester:``,
        ``tags:``, ``status:`` terms and free words (the subset our code and zenpy send)."""
        query = (request.param("query") or "").strip()
        if not query:
            raise ApiError(400, "InvalidSearch", "query is required")
        terms: dict[str, str] = {}
        words: list[str] = []
        for part in query.split():
            name, colon, value = part.partition(":")
            if colon and name in ("type", "email", "requester", "tags", "tag", "status"):
                terms[name] = value.strip('"').lower()
            else:
                words.append(part.strip('"').lower())
        kind = terms.get("type", "ticket")
        results: list[dict[str, Any]] = []
        with self._lock:
            if kind == "user":
                for user in sorted(self.users.values(), key=lambda u: u.id):
                    text = f"{user.name} {user.email}".lower()
                    if terms.get("email") not in (None, user.email.lower()):
                        continue
                    if all(w in text for w in words):
                        results.append({**self.user_json(user), "result_type": "user"})
            elif kind == "ticket":
                for ticket in sorted(self.tickets.values(), key=lambda t: t.id):
                    requester = self.users[ticket.requester_id]
                    text = " ".join([ticket.subject] + [c.body for c in ticket.comments]).lower()
                    wanted = terms.get("requester") or terms.get("email")
                    if wanted not in (None, requester.email.lower(), str(requester.id)):
                        continue
                    tag = terms.get("tags") or terms.get("tag")
                    if tag is not None and tag not in ticket.tags:
                        continue
                    if terms.get("status") not in (None, ticket.status):
                        continue
                    if all(w in text for w in words):
                        results.append({**self.ticket_json(ticket), "result_type": "ticket"})
            else:
                raise ApiError(400, "InvalidSearch", f"type:{kind} is not searchable here")
        return self._offset_page(request, "results", results)

    # --- ticket fields and apps ------------------------------------------------------------------

    def _ticket_fields(self, request: _Request) -> Reply:
        fields = [
            {
                "id": f.id,
                "url": f"{self.url}/api/v2/ticket_fields/{f.id}.json",
                "type": f.type,
                "title": f.title,
                "raw_title": f.title,
                "description": "",
                "active": True,
                "required": False,
                "visible_in_portal": False,
                "editable_in_portal": False,
                "removable": True,
                "key": f.key,
                "position": i,
            }
            for i, f in enumerate(self.fields)
        ]
        return self._offset_page(request, "ticket_fields", fields)

    def _public_key(self, request: _Request) -> Reply:
        if int(request.match["id"]) != self.app_id:
            raise _not_found()
        return Reply(200, self.public_key_pem.encode(), "application/x-pem-file")

    def _installations(self, request: _Request) -> Reply:
        installation = {
            "id": self.installation_id,
            "app_id": self.app_id,
            "product": "support",
            "settings": {"name": self.app_name, "title": self.app_name},
            "enabled": True,
            "requirements": {"ticket_fields": dict(self.requirements)},
        }
        return json_reply(200, {"installations": [installation]})

    # --- tickets ---------------------------------------------------------------------------------

    def ticket(self, ticket_id: int) -> Ticket:
        ticket = self.tickets.get(ticket_id)
        if ticket is None:
            raise _not_found()
        return ticket

    def ticket_json(self, ticket: Ticket) -> dict[str, Any]:
        fields = [{"id": f.id, "value": ticket.custom_fields.get(f.id)} for f in self.fields]
        return {
            "id": ticket.id,
            "url": f"{self.url}/api/v2/tickets/{ticket.id}.json",
            "external_id": ticket.external_id,
            "via": {"channel": ticket.channel, "source": {"from": {}, "to": {}, "rel": None}},
            "created_at": iso(ticket.created_at),
            "updated_at": iso(ticket.updated_at),
            "generated_timestamp": int(ticket.updated_at.timestamp()),
            "type": ticket.type,
            "subject": ticket.subject,
            "raw_subject": ticket.subject,
            "description": ticket.comments[0].body,
            "priority": ticket.priority,
            "status": ticket.status,
            "recipient": f"support@{self.host}",
            "requester_id": ticket.requester_id,
            "submitter_id": ticket.requester_id,
            "assignee_id": ticket.assignee_id,
            "organization_id": None,
            "group_id": None,
            "collaborator_ids": [],
            "follower_ids": [],
            "email_cc_ids": [],
            "has_incidents": False,
            "is_public": any(c.public for c in ticket.comments),
            "due_at": None,
            "tags": list(ticket.tags),
            "custom_fields": fields,
            "fields": fields,
            "satisfaction_rating": None,
            "allow_channelback": False,
            "allow_attachments": True,
            "from_messaging_channel": False,
        }

    def comment_json(self, comment: Comment, audit_id: int | None = None) -> dict[str, Any]:
        html_body = comment.html_body or _paragraphs(comment.body)
        return {
            "id": comment.id,
            "type": "Comment",
            "author_id": comment.author_id,
            "body": comment.body,
            "html_body": html_body,
            "plain_body": comment.body,
            "public": comment.public,
            "attachments": [],
            "audit_id": audit_id,
            "via": {"channel": comment.channel, "source": {"from": {}, "to": {}, "rel": None}},
            "created_at": iso(comment.created_at),
            "metadata": {"system": {}, "custom": {}},
        }

    def audit_json(self, audit: Audit) -> dict[str, Any]:
        return {
            "id": audit.id,
            "ticket_id": audit.ticket_id,
            "created_at": iso(audit.created_at),
            "author_id": audit.author_id,
            "metadata": {"system": {}, "custom": {}},
            "via": {"channel": audit.channel, "source": {"from": {}, "to": {}, "rel": None}},
            "events": audit.events,
        }

    def _show_ticket(self, request: _Request) -> Reply:
        with self._lock:
            return json_reply(
                200, {"ticket": self.ticket_json(self.ticket(int(request.match["id"])))}
            )

    def _show_many(self, request: _Request) -> Reply:
        raw = request.param("ids") or ""
        try:
            ids = [int(part) for part in raw.split(",") if part.strip()]
        except ValueError:
            raise ApiError(
                400, "InvalidValue", "ids must be a comma-separated list of ids"
            ) from None
        if len(ids) > 100:
            raise ApiError(400, "InvalidValue", "At most 100 ids")
        with self._lock:
            found = [self.ticket_json(self.tickets[i]) for i in ids if i in self.tickets]
        return json_reply(
            200, {"tickets": found, "next_page": None, "previous_page": None, "count": len(found)}
        )

    def _list_tickets(self, request: _Request) -> Reply:
        """``GET /api/v2/tickets.json``, or with ``?external_id=X`` the tickets carrying that
        external id (Zendesk does not keep it unique: every match is listed)."""
        external_id = request.param("external_id")
        with self._lock:
            items = [
                self.ticket_json(t)
                for t in sorted(self.tickets.values(), key=lambda t: t.id)
                if external_id is None or t.external_id == external_id
            ]
        if request.param("page[size]") is not None or request.param("page[after]") is not None:
            return self._cursor_page(request, "tickets", items)
        return self._offset_page(request, "tickets", items)

    def _comments(self, request: _Request) -> Reply:
        with self._lock:
            ticket = self.ticket(int(request.match["id"]))
            audit_of = {
                e["id"]: a.id
                for a in self._audits.get(ticket.id, [])
                for e in a.events
                if e.get("type") == "Comment"
            }
            items = [self.comment_json(c, audit_of.get(c.id)) for c in ticket.comments]
        if request.param("sort_order") == "desc":
            items.reverse()
        if request.param("page[size]") is not None or request.param("page[after]") is not None:
            return self._cursor_page(request, "comments", items)
        return self._offset_page(request, "comments", items)

    def _audits_list(self, request: _Request) -> Reply:
        with self._lock:
            ticket = self.ticket(int(request.match["id"]))
            items = [self.audit_json(a) for a in self._audits.get(ticket.id, [])]
        if request.param("sort_order") == "desc":
            items.reverse()
        if request.param("page[size]") is None and request.param("page[after]") is None:
            return self._offset_page(request, "audits", items)
        return self._cursor_page(request, "audits", items)

    def _create_ticket(self, request: _Request) -> Reply:
        payload = _json_body(request.body).get("ticket")
        if not isinstance(payload, dict):
            raise ApiError(400, "InvalidValue", 'The body must be {"ticket": {...}}')
        with self._lock:
            ticket, audit = self.create_ticket(payload, request.user, "api")
            body = {"ticket": self.ticket_json(ticket), "audit": self.audit_json(audit)}
        return json_reply(201, body, (("Location", f"{self.url}/api/v2/tickets/{ticket.id}.json"),))

    def _update_ticket(self, request: _Request) -> Reply:
        payload = _json_body(request.body).get("ticket")
        if not isinstance(payload, dict):
            raise ApiError(400, "InvalidValue", 'The body must be {"ticket": {...}}')
        with self._lock:
            ticket = self.ticket(int(request.match["id"]))
            audit = self.update_ticket(ticket, payload, request.user, "api")
            return json_reply(
                200, {"ticket": self.ticket_json(ticket), "audit": self.audit_json(audit)}
            )

    def _tags(self, request: _Request) -> Reply:
        with self._lock:
            ticket = self.ticket(int(request.match["id"]))
            if request.method != "GET":
                body = _json_body(request.body)
                try:
                    tags = normalize_tags(body.get("tags", []))
                except ValueError as error:
                    raise _invalid("tags", str(error)) from None
                change: dict[str, Any] = {
                    "safe_update": body.get("safe_update"),
                    "updated_stamp": body.get("updated_stamp"),
                }
                if request.method == "POST":
                    change["tags"] = tags
                elif request.method == "PUT":
                    change["additional_tags"] = tags
                else:
                    change["remove_tags"] = tags
                self.update_ticket(ticket, change, request.user, "api")
            return json_reply(200, {"tags": list(ticket.tags)})

    def create_ticket(
        self, payload: dict[str, Any], author: User, channel: str
    ) -> tuple[Ticket, Audit]:
        """Create a ticket from an API ``ticket`` object; runs the triggers."""
        subject = payload.get("subject")
        comment = payload.get("comment")
        if not isinstance(comment, dict) or not (comment.get("body") or comment.get("html_body")):
            raise _invalid("description", "Description: cannot be blank", "BlankValue")
        requester = self._requester(payload, author)
        if not isinstance(subject, str) or not subject.strip():
            subject = _plain_text(str(comment.get("body") or comment.get("html_body")))[:80]
        now = self.now().replace(microsecond=0)
        ticket = Ticket(
            id=self._next_ticket,
            subject=subject,
            requester_id=requester.id,
            created_at=now,
            updated_at=now,
            comments=[],
            status="new",
            channel=channel,
        )
        self._next_ticket += 1
        events: list[dict[str, Any]] = []
        first = self._new_comment(
            comment,
            author
            if payload.get("requester") is None and payload.get("requester_id") is None
            else requester,
            channel,
            now,
        )
        ticket.comments.append(first)
        events.append(self._comment_event(first))
        rest = {
            k: v
            for k, v in payload.items()
            if k not in ("comment", "subject", "requester", "requester_id")
        }
        self._apply_fields(ticket, rest, events)
        if ticket.status == "new" and payload.get("status") is None and ticket.assignee_id:
            ticket.status = "open"
        for name, value in (
            ("subject", ticket.subject),
            ("requester_id", ticket.requester_id),
            ("status", ticket.status),
            ("priority", ticket.priority),
        ):
            events.append(self._event("Create", name, value))
        self.tickets[ticket.id] = ticket
        self._audits[ticket.id] = []
        audit = self._store_audit(ticket, author.id, channel, events, now)
        self._run_triggers(ticket, "Create")
        return ticket, audit

    def update_ticket(
        self, ticket: Ticket, payload: dict[str, Any], author: User, channel: str
    ) -> Audit:
        """Apply an API ``ticket`` object (comment, tags, fields) with safe_update; triggers."""
        stamp = payload.get("updated_stamp")
        if payload.get("safe_update") is not None and stamp is not None:
            try:
                stale = parse_time(stamp) < ticket.updated_at.replace(microsecond=0)
            except ValueError:
                raise _invalid("updated_stamp", "updated_stamp is not a time") from None
            if stale:
                raise ApiError(
                    409,
                    "UpdateConflict",
                    "Safe Update prevented the update due to outdated ticket data. "
                    "Please fetch the latest ticket data and try again.",
                )
        if ticket.status == "closed":
            raise _invalid(
                "status", "Status: closed prevents ticket update", "ClosedPreventsUpdate"
            )
        now = self.now().replace(microsecond=0)
        if now <= ticket.updated_at:  # every change gets a later stamp, as safe_update needs
            now = ticket.updated_at + timedelta(seconds=1)
        events: list[dict[str, Any]] = []
        comment = payload.get("comment")
        if comment is not None:
            if not isinstance(comment, dict) or not (
                comment.get("body") or comment.get("html_body")
            ):
                raise _invalid("comment", "Comment: body cannot be blank", "BlankValue")
            if len(ticket.comments) >= 5000:
                raise _invalid("comment", "Comment: too many comments on this ticket", "TooMany")
        self._apply_fields(ticket, payload, events)
        if comment is not None:
            author_id = comment.get("author_id")
            writer = self.users.get(author_id) if isinstance(author_id, int) else None
            added = self._new_comment(comment, writer or author, channel, now)
            ticket.comments.append(added)
            events.insert(0, self._comment_event(added))
        if not events:
            return Audit(0, ticket.id, author.id, now, channel, [])
        ticket.updated_at = now
        if ticket.status == "new" and author.role in ("agent", "admin") and comment is not None:
            previous = ticket.status
            ticket.status = "open"
            events.append(self._event("Change", "status", "open", previous))
        audit = self._store_audit(ticket, author.id, channel, events, now)
        self._run_triggers(ticket, "Change")
        return audit

    def _apply_fields(
        self, ticket: Ticket, payload: dict[str, Any], events: list[dict[str, Any]]
    ) -> None:
        """Check every field first, then change: a bad field changes nothing."""
        changes: dict[str, Any] = {}
        try:
            tags = list(ticket.tags)
            if "tags" in payload:
                tags = normalize_tags(payload["tags"])
            if "additional_tags" in payload:
                tags += [t for t in normalize_tags(payload["additional_tags"]) if t not in tags]
            if "remove_tags" in payload:
                removed = set(normalize_tags(payload["remove_tags"]))
                tags = [t for t in tags if t not in removed]
        except ValueError as error:
            raise _invalid("tags", str(error)) from None
        if tags != ticket.tags:
            changes["tags"] = tags
        for name, allowed in (
            ("priority", PRIORITIES),
            ("status", STATUSES),
            ("type", frozenset({"problem", "incident", "question", "task"})),
        ):
            if name in payload:
                value = payload[name]
                if value is not None and value not in allowed:
                    raise _invalid(name, f"{name.capitalize()}: {value!r} is not valid")
                if value != getattr(ticket, name):
                    changes[name] = value
        if "external_id" in payload:
            external_id = payload["external_id"]
            if external_id is not None and not isinstance(external_id, str | int):
                raise _invalid("external_id", "External id: must be text")
            text = None if external_id in (None, "") else str(external_id)
            if text != ticket.external_id:
                changes["external_id"] = text
        if "subject" in payload:
            if not isinstance(payload["subject"], str):
                raise _invalid("subject", "Subject: must be text")
            if payload["subject"] != ticket.subject:
                changes["subject"] = payload["subject"]
        if "assignee_id" in payload:
            assignee = payload["assignee_id"]
            if assignee is not None and (
                not isinstance(assignee, int) or self.users.get(assignee) is None
            ):
                raise _invalid("assignee", "Assignee: is not an agent")
            changes["assignee_id"] = assignee
        raw_fields = payload.get("custom_fields", payload.get("fields"))
        custom: dict[int, str | None] = {}
        if raw_fields is not None:
            if isinstance(raw_fields, dict):  # {"id": value}, as update_many also accepts
                raw_fields = [
                    {"id": int(k), "value": v} for k, v in raw_fields.items() if str(k).isdigit()
                ]
            if not isinstance(raw_fields, list):
                raise _invalid("custom_fields", "custom_fields must be a list of {id, value}")
            known = {f.id for f in self.fields}
            for entry in raw_fields:
                if not isinstance(entry, dict) or entry.get("id") not in known:
                    raise _invalid("custom_fields", f"Unknown ticket field {entry!r}")
                value = entry.get("value")
                if value is not None and not isinstance(value, str | int | float):
                    raise _invalid("custom_fields", f"Field {entry['id']}: value must be text")
                text = None if value in (None, "") else str(value)
                if ticket.custom_fields.get(entry["id"]) != text:
                    custom[entry["id"]] = text
        for name, value in changes.items():
            previous = getattr(ticket, name)
            setattr(ticket, name, value)
            events.append(self._event("Change", name, value, previous))
        for field_id, text in custom.items():
            previous = ticket.custom_fields.get(field_id)
            ticket.custom_fields[field_id] = text
            events.append(self._event("Change", str(field_id), text, previous))

    def _requester(self, payload: dict[str, Any], author: User) -> User:
        if payload.get("requester_id") is not None:
            user = self.users.get(payload["requester_id"])
            if user is None:
                raise _invalid("requester", "Requester: is not a user")
            return user
        requester = payload.get("requester")
        if requester is None:
            return author
        if (
            not isinstance(requester, dict)
            or not isinstance(requester.get("email"), str)
            or "@" not in requester["email"]
        ):
            raise _invalid("requester", "Requester: email is invalid")
        existing = self.user_by_email(requester["email"])
        if existing is not None:
            return existing
        name = requester.get("name") or requester["email"].split("@")[0]
        user = User(
            self._next_user,
            str(name),
            requester["email"],
            "end-user",
            str(requester.get("locale") or "en-US"),
            created_at=self.now(),
        )
        self._next_user += 1
        self.users[user.id] = user
        return user

    def _new_comment(
        self, raw: dict[str, Any], author: User, channel: str, now: datetime
    ) -> Comment:
        html_body = raw.get("html_body")
        body = raw.get("body")
        if html_body is not None and not isinstance(html_body, str):
            raise _invalid("comment", "Comment: html_body must be text")
        if body is not None and not isinstance(body, str):
            raise _invalid("comment", "Comment: body must be text")
        public = raw.get("public", True)
        if not isinstance(public, bool):
            public = str(public).lower() not in ("false", "0")
        comment = Comment(
            id=self._next_comment,
            author_id=author.id,
            body=body if body else _plain_text(html_body or ""),
            html_body=html_body,
            public=public,
            created_at=now,
            channel=channel,
        )
        self._next_comment += 1
        return comment

    def _comment_event(self, comment: Comment) -> dict[str, Any]:
        event = self.comment_json(comment)
        return {k: v for k, v in event.items() if k not in ("via", "created_at", "audit_id")}

    def _event(self, kind: str, name: str, value: Any, previous: Any = None) -> dict[str, Any]:
        self._next_audit += 1
        event: dict[str, Any] = {
            "id": self._next_audit * 10,
            "type": kind,
            "field_name": name,
            "value": value,
        }
        if kind == "Change":
            event["previous_value"] = previous
        return event

    def _store_audit(
        self,
        ticket: Ticket,
        author_id: int,
        channel: str,
        events: list[dict[str, Any]],
        now: datetime,
    ) -> Audit:
        audit = Audit(self._next_audit * 10 + 1, ticket.id, author_id, now, channel, events)
        self._next_audit += 1
        self._audits.setdefault(ticket.id, []).append(audit)
        return audit

    def _seed_audit(self, ticket: Ticket) -> None:
        for index, comment in enumerate(ticket.comments):
            events = [self._comment_event(comment)]
            if index == 0:
                events += [
                    self._event("Create", "subject", ticket.subject),
                    self._event("Create", "requester_id", ticket.requester_id),
                    self._event("Create", "tags", list(ticket.tags)),
                ]
            self._store_audit(
                ticket, comment.author_id, comment.channel, events, comment.created_at
            )

    # --- paging ----------------------------------------------------------------------------------

    def _cursor_page(self, request: _Request, key: str, items: list[dict[str, Any]]) -> Reply:
        """Zendesk's cursor pagination: ``page[size]`` (≤ 100), ``page[after]``/``[before]``."""
        raw_size = request.param("page[size]") or str(MAX_PAGE_SIZE)
        if not raw_size.isdigit() or not 1 <= int(raw_size) <= MAX_PAGE_SIZE:
            raise ApiError(
                400,
                "InvalidPaginationParameter",
                f"page[size] must be between 1 and {MAX_PAGE_SIZE}",
            )
        size = int(raw_size)
        after, before = request.param("page[after]"), request.param("page[before]")
        if after:
            start = _read_cursor(after)
        elif before:
            start = max(0, _read_cursor(before) - size)
        else:
            start = 0
        page = items[start : start + size]
        end = start + len(page)
        has_more = end < len(items)
        after_cursor = _cursor(end) if page else None
        before_cursor = _cursor(start) if page and start > 0 else None
        base = f"{self.url}{request.path}?page%5Bsize%5D={size}"
        body = {
            key: page,
            "meta": {
                "has_more": has_more,
                "after_cursor": after_cursor,
                "before_cursor": before_cursor,
            },
            "links": {
                "next": f"{base}&page%5Bafter%5D={after_cursor}" if has_more else None,
                "prev": f"{base}&page%5Bbefore%5D={before_cursor}" if before_cursor else None,
            },
        }
        return json_reply(200, body)

    def _offset_page(self, request: _Request, key: str, items: list[dict[str, Any]]) -> Reply:
        """Offset pagination: ``page`` and ``per_page`` (≤ 100), ``next_page``, ``count``."""
        try:
            page = int(request.param("page") or 1)
            per_page = int(request.param("per_page") or MAX_PAGE_SIZE)
        except ValueError:
            raise ApiError(
                400, "InvalidPaginationParameter", "page and per_page are numbers"
            ) from None
        if page < 1 or not 1 <= per_page <= MAX_PAGE_SIZE:
            raise ApiError(
                400,
                "InvalidPaginationParameter",
                f"page must be positive and per_page at most {MAX_PAGE_SIZE}",
            )
        start = (page - 1) * per_page
        chunk = items[start : start + per_page]
        base = f"{self.url}{request.path}?per_page={per_page}"
        for name in ("query", "sort_order"):
            if request.param(name):
                base += f"&{name}={quote(request.param(name) or '')}"
        return json_reply(
            200,
            {
                key: chunk,
                "next_page": f"{base}&page={page + 1}" if start + per_page < len(items) else None,
                "previous_page": f"{base}&page={page - 1}" if page > 1 else None,
                "count": len(items),
            },
        )

    # --- webhooks and triggers -------------------------------------------------------------------

    def _seed_webhook(self, endpoint: str, secret: str | None) -> None:
        webhook = self.create_webhook("claimdesk triage", endpoint, secret=secret)
        field_id = self.requirements.get("order_id", 0)
        for event, update_type in (("created", "Create"), ("updated", "Change")):
            self.create_trigger(
                f"claimdesk: ticket {event}",
                {
                    "all": [{"field": "update_type", "operator": "is", "value": update_type}],
                    "any": [],
                },
                [
                    {
                        "field": "notification_webhook",
                        "value": [webhook.id, TRIGGER_BODY.format(event=event, field=field_id)],
                    }
                ],
            )

    def create_webhook(
        self,
        name: str,
        endpoint: str,
        *,
        secret: str | None = None,
        authentication: dict[str, Any] | None = None,
    ) -> Webhook:
        webhook = Webhook(
            id="01" + secrets.token_hex(12).upper(),
            name=name,
            endpoint=endpoint,
            signing_secret=secret or base64.b64encode(secrets.token_bytes(32)).decode(),
            created_at=self.now(),
            authentication=authentication,
        )
        with self._lock:
            self.webhooks[webhook.id] = webhook
        return webhook

    def create_trigger(
        self, title: str, conditions: dict[str, list[dict[str, Any]]], actions: list[dict[str, Any]]
    ) -> Trigger:
        with self._lock:
            trigger = Trigger(self._next_trigger, title, conditions, actions, self.now())
            self._next_trigger += 1
            self.triggers[trigger.id] = trigger
            return trigger

    def webhook_json(self, webhook: Webhook) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": webhook.id,
            "name": webhook.name,
            "status": webhook.status,
            "endpoint": webhook.endpoint,
            "http_method": webhook.http_method,
            "request_format": webhook.request_format,
            "subscriptions": webhook.subscriptions,
            "description": webhook.description,
            "created_at": iso(webhook.created_at),
            "created_by": str(self.api_user_id),
            "updated_at": iso(webhook.created_at),
            "updated_by": str(self.api_user_id),
        }
        if webhook.authentication:
            shown = {k: v for k, v in webhook.authentication.items() if k != "data"}
            body["authentication"] = shown  # the token or password is never returned
        return body

    def trigger_json(self, trigger: Trigger) -> dict[str, Any]:
        return {
            "id": trigger.id,
            "url": f"{self.url}/api/v2/triggers/{trigger.id}.json",
            "title": trigger.title,
            "active": trigger.active,
            "description": trigger.description,
            "conditions": trigger.conditions,
            "actions": trigger.actions,
            "created_at": iso(trigger.created_at),
            "updated_at": iso(trigger.created_at),
            "position": trigger.id - 360_000_000,
            "raw_title": trigger.title,
        }

    def _list_webhooks(self, request: _Request) -> Reply:
        with self._lock:
            items = [self.webhook_json(w) for w in self.webhooks.values()]
        return json_reply(
            200,
            {
                "webhooks": items,
                "meta": {"has_more": False, "after_cursor": None, "before_cursor": None},
                "links": {"next": None, "prev": None},
            },
        )

    def _show_webhook(self, request: _Request) -> Reply:
        webhook = self.webhooks.get(request.match["id"])
        if webhook is None:
            raise _WebhookError(
                404,
                "WebhookNotFound",
                "Webhook not found",
                f"No webhook with id {request.match['id']}",
            )
        return json_reply(200, {"webhook": self.webhook_json(webhook)})

    def _webhook_secret(self, request: _Request) -> Reply:
        webhook = self.webhooks.get(request.match["id"])
        if webhook is None:
            raise _WebhookError(
                404,
                "WebhookNotFound",
                "Webhook not found",
                f"No webhook with id {request.match['id']}",
            )
        return json_reply(
            200, {"signing_secret": {"algorithm": "SHA256", "secret": webhook.signing_secret}}
        )

    def _create_webhook(self, request: _Request) -> Reply:
        raw = _json_body(request.body).get("webhook")
        if not isinstance(raw, dict):
            raise _WebhookError(
                400, "InvalidInput", "Invalid input", 'Body must be {"webhook": {...}}'
            )
        problems = []
        if not isinstance(raw.get("name"), str) or not raw["name"].strip():
            problems.append("name is required")
        endpoint = raw.get("endpoint")
        if not isinstance(endpoint, str) or urlsplit(endpoint).scheme not in ("http", "https"):
            problems.append("endpoint must be an http(s) URL")
        if raw.get("http_method", "POST") not in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            problems.append("http_method is invalid")
        if raw.get("request_format", "json") not in ("json", "xml", "form_encoded"):
            problems.append("request_format is invalid")
        subscriptions = raw.get("subscriptions", ["conditional_ticket_events"])
        if not isinstance(subscriptions, list) or not subscriptions:
            problems.append("subscriptions must be a non-empty list")
        if problems:
            raise _WebhookError(400, "InvalidInput", "Invalid input", "; ".join(problems))
        with self._lock:
            webhook = self.create_webhook(
                raw["name"], str(endpoint), authentication=raw.get("authentication")
            )
            webhook.http_method = raw.get("http_method", "POST")
            webhook.request_format = raw.get("request_format", "json")
            webhook.status = raw.get("status", "active")
            webhook.subscriptions = subscriptions
            webhook.description = str(raw.get("description") or "")
        return json_reply(201, {"webhook": self.webhook_json(webhook)})

    def _list_triggers(self, request: _Request) -> Reply:
        with self._lock:
            items = [self.trigger_json(t) for t in self.triggers.values()]
        return self._offset_page(request, "triggers", items)

    def _show_trigger(self, request: _Request) -> Reply:
        trigger = self.triggers.get(int(request.match["id"]))
        if trigger is None:
            raise _not_found()
        return json_reply(200, {"trigger": self.trigger_json(trigger)})

    def _create_trigger(self, request: _Request) -> Reply:
        raw = _json_body(request.body).get("trigger")
        if not isinstance(raw, dict) or not isinstance(raw.get("title"), str):
            raise _invalid("title", "Title: cannot be blank", "BlankValue")
        conditions = raw.get("conditions")
        actions = raw.get("actions")
        if not isinstance(conditions, dict) or not isinstance(actions, list) or not actions:
            raise _invalid("base", "A trigger needs conditions and at least one action")
        for part in ("all", "any"):
            entries = conditions.setdefault(part, [])
            if not isinstance(entries, list) or any(
                not isinstance(e, dict) or e.get("field") not in _CONDITIONS for e in entries
            ):
                raise _invalid("conditions", f"Unsupported condition in {part!r}")
        for action in actions:
            if not isinstance(action, dict) or not isinstance(action.get("field"), str):
                raise _invalid("actions", "Each action needs a field")
            if action["field"] == "notification_webhook":
                value = action.get("value")
                if not (
                    isinstance(value, list)
                    and len(value) == 2
                    and value[0] in self.webhooks
                    and isinstance(value[1], str)
                ):
                    raise _invalid("actions", "notification_webhook needs [webhook id, body]")
        trigger = self.create_trigger(raw["title"], conditions, actions)
        trigger.active = bool(raw.get("active", True))
        return json_reply(201, {"trigger": self.trigger_json(trigger)})

    def _run_triggers(self, ticket: Ticket, update_type: str) -> None:
        """Zendesk runs every active trigger whose conditions hold, once, after the save."""
        for trigger in list(self.triggers.values()):
            if not trigger.active or not self._conditions_hold(trigger, ticket, update_type):
                continue
            for action in trigger.actions:
                if action.get("field") != "notification_webhook":
                    continue
                webhook_id, template = action["value"]
                webhook = self.webhooks.get(webhook_id)
                if webhook is None or webhook.status != "active":
                    continue
                body = self.render_placeholders(template, ticket, as_json=True).encode()
                self._queue_delivery(webhook, body, trigger.id, ticket.id)

    def _conditions_hold(self, trigger: Trigger, ticket: Ticket, update_type: str) -> bool:
        def holds(condition: dict[str, Any]) -> bool:
            check = _CONDITIONS.get(condition.get("field", ""))
            return bool(
                check
                and check(
                    ticket, update_type, condition.get("operator", "is"), condition.get("value")
                )
            )

        every = trigger.conditions.get("all", [])
        some = trigger.conditions.get("any", [])
        return all(holds(c) for c in every) and (not some or any(holds(c) for c in some))

    def render_placeholders(self, template: str, ticket: Ticket, *, as_json: bool) -> str:
        """Replace ``{{ticket.…}}`` placeholders; values are JSON-escaped in a JSON body."""
        requester = self.users.get(ticket.requester_id)
        values: dict[str, str] = {
            "ticket.id": str(ticket.id),
            "ticket.url": f"{self.host}/agent/tickets/{ticket.id}",
            "ticket.link": f"https://{self.host}/agent/tickets/{ticket.id}",
            "ticket.title": ticket.subject,
            "ticket.description": ticket.comments[0].body,
            "ticket.status": ticket.status,
            "ticket.priority": ticket.priority or "",
            "ticket.tags": " ".join(ticket.tags),
            "ticket.via": ticket.channel,
            "ticket.requester.email": requester.email if requester else "",
            "ticket.requester.name": requester.name if requester else "",
            "ticket.requester.id": str(ticket.requester_id),
            "ticket.latest_comment": ticket.comments[-1].body,
            "ticket.account": self.subdomain,
        }
        for field_id, value in ticket.custom_fields.items():
            values[f"ticket.ticket_field_{field_id}"] = value or ""

        def substitute(match: re.Match[str]) -> str:
            value = values.get(match[1], "")
            return json.dumps(value, ensure_ascii=False)[1:-1] if as_json else value

        return re.sub(r"\{\{\s*([a-z0-9_.]+)\s*\}\}", substitute, template)

    def _queue_delivery(
        self, webhook: Webhook, body: bytes, trigger_id: int | None, ticket_id: int | None
    ) -> None:
        stamp = self.now().strftime("%Y-%m-%dT%H:%M:%SZ")
        invocation = str(uuid.uuid4())
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "Zendesk Webhook",
            "X-Zendesk-Account-Id": "9000001",
            "X-Zendesk-Webhook-Id": webhook.id,
            "X-Zendesk-Webhook-Invocation-Id": invocation,
            "X-Zendesk-Webhook-Signature-Timestamp": stamp,
            "X-Zendesk-Webhook-Signature": sign_webhook(webhook.signing_secret, stamp, body),
        }
        auth = webhook.authentication or {}
        data = auth.get("data") or {}
        if auth.get("type") == "bearer_token" and data.get("token"):
            headers["Authorization"] = f"Bearer {data['token']}"
        elif auth.get("type") == "basic_auth" and data.get("username"):
            raw = f"{data['username']}:{data.get('password', '')}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(raw).decode()
        delivery = Delivery(
            invocation, webhook.id, trigger_id, ticket_id, webhook.endpoint, headers, body
        )
        if self.deliver_webhooks:
            self._outbox.put(delivery)
        else:
            with self._lock:
                self._deliveries.append(delivery)

    def _send_webhooks(self) -> None:
        """The delivery thread: one request at a time, a short timeout, never raises."""
        while True:
            delivery = self._outbox.get()
            try:
                if delivery is None:
                    return
                status, error = self._post(delivery)
                with self._lock:
                    self._deliveries.append(replace(delivery, status=status, error=error))
            except Exception:  # the boundary: a failed delivery never stops the sandbox
                logger.exception("webhook delivery failed")
            finally:
                self._outbox.task_done()

    def _post(self, delivery: Delivery) -> tuple[int | None, str | None]:
        request = urllib.request.Request(
            delivery.url, data=delivery.body, headers=delivery.headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT) as response:
                return int(response.status), None
        except urllib.error.HTTPError as error:
            return int(error.code), None
        except (OSError, ValueError) as error:
            logger.info("webhook %s to %s failed: %s", delivery.id, delivery.url, error)
            return None, f"{type(error).__name__}: {error}"

    # --- /_sandbox/ controls ---------------------------------------------------------------------

    def _control(self, method: str, path: str, body: bytes) -> Reply:
        try:
            payload = json.loads(body or b"{}")
            if not isinstance(payload, dict):
                raise ValueError
        except ValueError:
            return json_reply(400, {"error": "the body must be a JSON object"})
        try:
            return self._run_control(method, path, payload)
        except (KeyError, TypeError, ValueError) as error:
            return json_reply(400, {"error": f"{type(error).__name__}: {error}"})

    def _run_control(self, method: str, path: str, payload: dict[str, Any]) -> Reply:
        if path == "/_sandbox/requests" and method == "GET":
            return json_reply(
                200,
                {
                    "requests": [
                        {
                            "method": r.method,
                            "path": r.path,
                            "query": r.query,
                            "headers": r.headers,
                            "body": r.body,
                            "route": r.route,
                            "status": r.status,
                        }
                        for r in self.requests
                    ]
                },
            )
        if path == "/_sandbox/requests" and method == "DELETE":
            self.clear_requests()
            return json_reply(200, {})
        if path == "/_sandbox/advance" and method == "POST":
            self.advance(float(payload["seconds"]))
            return json_reply(200, {"clock": self.clock(), "now": iso(self.now())})
        if path == "/_sandbox/faults" and method == "POST":
            self.inject(
                int(payload["status"]),
                int(payload.get("count", 1)),
                route=payload.get("route"),
                retry_after=payload.get("retry_after"),
            )
            return json_reply(200, {})
        if path == "/_sandbox/token" and method == "POST":
            allowed = {
                "agent_id",
                "location",
                "lifetime",
                "expired",
                "iss",
                "aud",
                "sub",
                "installation_id",
                "omit",
                "extra",
                "algorithm",
                "hs256_secret",
            }
            unknown = sorted(set(payload) - allowed)
            if unknown:
                raise ValueError(f"unknown token options {unknown}")
            options = dict(payload)
            if "omit" in options:
                options["omit"] = tuple(options["omit"])
            return json_reply(200, {"token": self.mint_token(**options)})
        if path == "/_sandbox/deliveries" and method == "GET":
            self.flush_deliveries()
            return json_reply(
                200,
                {
                    "deliveries": [
                        {
                            "id": d.id,
                            "webhook_id": d.webhook_id,
                            "trigger_id": d.trigger_id,
                            "ticket_id": d.ticket_id,
                            "url": d.url,
                            "headers": d.headers,
                            "body": d.body.decode("utf-8", "replace"),
                            "status": d.status,
                            "error": d.error,
                            "replay_of": d.replay_of,
                        }
                        for d in self.deliveries
                    ]
                },
            )
        replay = re.fullmatch(r"/_sandbox/deliveries/([^/]+)/replay", path)
        if replay and method == "POST":
            body = payload.get("body")
            self.replay(
                replay[1],
                body=body.encode() if isinstance(body, str) else None,
                timestamp=payload.get("timestamp"),
                signature=payload.get("signature"),
                resign=bool(payload.get("resign", False)),
            )
            self.flush_deliveries()
            return json_reply(200, {})
        return json_reply(404, {"error": f"no control {method} {path}"})

    def _record(
        self,
        method: str,
        path: str,
        query: dict[str, list[str]],
        headers: dict[str, str],
        body: bytes,
        route: str,
        status: int,
    ) -> None:
        shown = {k: (MASK if k in _SECRET_HEADERS else v) for k, v in headers.items()}
        parsed: Any = None
        if body:
            try:
                parsed = json.loads(body)
            except ValueError:
                parsed = None
        with self._lock:
            self._recorded.append(
                RecordedRequest(method, path, query, shown, parsed, route, status, self.clock())
            )


# --- trigger conditions --------------------------------------------------------------------------

_Check = Callable[[Ticket, str, str, Any], bool]


def _compare(actual: Any, operator: str, value: Any) -> bool:
    if operator == "is":
        return bool(str(actual) == str(value))
    if operator == "is_not":
        return bool(str(actual) != str(value))
    return False


def _tags_condition(ticket: Ticket, _update: str, operator: str, value: Any) -> bool:
    wanted = set(normalize_tags(str(value or "")))
    present = wanted & set(ticket.tags)
    if operator == "includes":
        return bool(present)
    if operator == "not_includes":
        return not present
    return False


_CONDITIONS: dict[str, _Check] = {
    "update_type": lambda t, u, op, v: _compare(u, op, v),
    "status": lambda t, u, op, v: _compare(t.status, op, v),
    "priority": lambda t, u, op, v: _compare(t.priority, op, v),
    "via_id": lambda t, u, op, v: _compare(t.channel, op, v),
    "current_tags": _tags_condition,
}


# --- routing -------------------------------------------------------------------------------------

_Handler = Callable[[ZendeskSandbox, _Request], Reply]
_ID = r"(?P<id>\d+)"
_J = r"(?:\.json)?"
_TICKET_UPDATES = frozenset({"tickets.update", "tags.add", "tags.set", "tags.remove"})
_ROUTES: list[tuple[str, re.Pattern[str], str, _Handler]] = [
    (method, re.compile(pattern), route, handler)
    for method, pattern, route, handler in [
        ("GET", rf"/api/v2/tickets{_J}", "tickets.list", ZendeskSandbox._list_tickets),
        ("POST", rf"/api/v2/tickets{_J}", "tickets.create", ZendeskSandbox._create_ticket),
        ("GET", rf"/api/v2/tickets/show_many{_J}", "tickets.show_many", ZendeskSandbox._show_many),
        ("GET", rf"/api/v2/tickets/{_ID}{_J}", "tickets.show", ZendeskSandbox._show_ticket),
        ("PUT", rf"/api/v2/tickets/{_ID}{_J}", "tickets.update", ZendeskSandbox._update_ticket),
        ("GET", rf"/api/v2/tickets/{_ID}/comments{_J}", "comments.list", ZendeskSandbox._comments),
        ("GET", rf"/api/v2/tickets/{_ID}/audits{_J}", "audits.list", ZendeskSandbox._audits_list),
        ("GET", rf"/api/v2/tickets/{_ID}/tags{_J}", "tags.list", ZendeskSandbox._tags),
        ("PUT", rf"/api/v2/tickets/{_ID}/tags{_J}", "tags.add", ZendeskSandbox._tags),
        ("POST", rf"/api/v2/tickets/{_ID}/tags{_J}", "tags.set", ZendeskSandbox._tags),
        ("DELETE", rf"/api/v2/tickets/{_ID}/tags{_J}", "tags.remove", ZendeskSandbox._tags),
        ("GET", rf"/api/v2/search{_J}", "search", ZendeskSandbox._search),
        ("GET", rf"/api/v2/users{_J}", "users.list", ZendeskSandbox._list_users),
        ("GET", rf"/api/v2/users/search{_J}", "users.search", ZendeskSandbox._search_users),
        ("GET", rf"/api/v2/users/me{_J}", "users.me", ZendeskSandbox._me),
        ("GET", rf"/api/v2/users/{_ID}{_J}", "users.show", ZendeskSandbox._show_user),
        ("GET", rf"/api/v2/ticket_fields{_J}", "ticket_fields.list", ZendeskSandbox._ticket_fields),
        (
            "GET",
            rf"/api/v2/apps/{_ID}/public_key\.pem",
            "apps.public_key",
            ZendeskSandbox._public_key,
        ),
        (
            "GET",
            rf"/api/v2/apps/installations{_J}",
            "apps.installations",
            ZendeskSandbox._installations,
        ),
        ("GET", r"/api/v2/webhooks", "webhooks.list", ZendeskSandbox._list_webhooks),
        ("POST", r"/api/v2/webhooks", "webhooks.create", ZendeskSandbox._create_webhook),
        (
            "GET",
            r"/api/v2/webhooks/(?P<id>[A-Za-z0-9]+)",
            "webhooks.show",
            ZendeskSandbox._show_webhook,
        ),
        (
            "GET",
            r"/api/v2/webhooks/(?P<id>[A-Za-z0-9]+)/signing_secret",
            "webhooks.signing_secret",
            ZendeskSandbox._webhook_secret,
        ),
        ("GET", rf"/api/v2/triggers{_J}", "triggers.list", ZendeskSandbox._list_triggers),
        ("POST", rf"/api/v2/triggers{_J}", "triggers.create", ZendeskSandbox._create_trigger),
        ("GET", rf"/api/v2/triggers/{_ID}{_J}", "triggers.show", ZendeskSandbox._show_trigger),
    ]
]


def _handler_for(sandbox: ZendeskSandbox) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "nginx"
        timeout = 30
        disable_nagle_algorithm = True

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {name.lower(): value for name, value in self.headers.items()}
            try:
                reply = sandbox.handle(self.command, self.path, headers, body)
            except Exception:  # the boundary: a sandbox bug answers 500, and is logged
                logger.exception("sandbox failed on %s %s", self.command, self.path)
                reply = ApiError(500, "InternalError", "Something went wrong").reply()
            if reply.status == 0:  # a stalled call dropped unanswered
                self.close_connection = True
                return
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            self.send_header("X-Request-Id", uuid.uuid4().hex)
            for name, value in reply.headers:
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD":
                try:
                    self.wfile.write(reply.body)
                except (BrokenPipeError, ConnectionResetError):  # the client went away
                    self.close_connection = True

        do_GET = do_POST = do_DELETE = do_PUT = do_HEAD = _serve

        def log_message(self, format: str, *args: Any) -> None:
            logger.debug("%s %s", self.address_string(), format % args)

    return Handler


# --- helpers -------------------------------------------------------------------------------------


def json_reply(status: int, body: Any, headers: tuple[tuple[str, str], ...] = ()) -> Reply:
    return Reply(status, json.dumps(body, ensure_ascii=False).encode(), headers=headers)


def _with_headers(reply: Reply, headers: tuple[tuple[str, str], ...]) -> Reply:
    return Reply(reply.status, reply.body, reply.content_type, reply.headers + headers)


def _limit_headers(limit: int, remaining: int, reset: int) -> tuple[tuple[str, str], ...]:
    return (
        ("X-Rate-Limit", str(limit)),
        ("X-Rate-Limit-Remaining", str(remaining)),
        ("ratelimit-limit", str(limit)),
        ("ratelimit-remaining", str(remaining)),
        ("ratelimit-reset", str(reset)),
    )


def _json_body(body: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(body or b"{}")
    except ValueError:
        raise ApiError(400, "InvalidJSON", "The request body is not valid JSON") from None
    if not isinstance(parsed, dict):
        raise ApiError(400, "InvalidJSON", "The request body must be a JSON object")
    return parsed


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _cursor(position: int) -> str:
    return base64.urlsafe_b64encode(f"pos:{position}".encode()).decode().rstrip("=")


def _read_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, number = raw.partition(":")
        if prefix != "pos" or not number.isdigit():
            raise ValueError
        return int(number)
    except ValueError:
        raise ApiError(400, "InvalidPaginationParameter", "page[after] is not a cursor") from None


class _TextOf(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("br", "p", "div", "li") and self.parts:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def _plain_text(markup: str) -> str:
    """The text of an HTML comment body (what Zendesk stores as ``body``)."""
    parser = _TextOf()
    parser.feed(markup)
    parser.close()
    return re.sub(r"\n{3,}", "\n\n", "".join(parser.parts)).strip()


def _paragraphs(text: str) -> str:
    blocks = [b for b in re.split(r"\n\s*\n", text) if b.strip()]
    return "".join(
        '<div class="zd-comment" dir="auto"><p dir="auto">'
        + html.escape(block).replace("\n", "<br>")
        + "</p></div>"
        for block in blocks
    )


def start_sandbox(
    seed: Seed | Path | str,
    port: int = 0,
    *,
    host: str = "127.0.0.1",
    **options: Any,
) -> ZendeskSandbox:
    """Serve ``seed`` (a Seed or a seed file) on ``host:port`` (0: a free port) in background
    threads. Options are ZendeskSandbox's (subdomain, app_url, app_id, installation_id,
    credentials, private_key_pem, plan_rpm, webhook_endpoint, webhook_secret, ...)."""
    loaded = seed if isinstance(seed, Seed) else load_seed(seed)
    return ZendeskSandbox(loaded, host=host, port=port, **options).start()
