"""A local SP-API serving one seller from a folder of Amazon files.

It answers the operations ``client.py`` calls, on their official paths, with their parameters,
paging and error bodies (``{"errors": [{"code", "message", "details"}]}``):

- Login with Amazon ``POST /auth/o2/token`` (refresh-token grant; checks the credentials it
  was started with; tokens live 3600 s on the sandbox clock);
- Reports 2021-06-30: createReport, getReport, cancelReport, getReportDocument, for the
  ledger detail, reimbursements, customer returns and All Orders (by order date) reports.
  A report holds the rows whose day (ledger Date, approval-date, return-date; purchase-date
  to the second) falls in [dataStartTime, dataEndTime), so back-to-back windows never share
  a row. Reports go IN_QUEUE, IN_PROGRESS, then DONE (CANCELLED when the window holds no
  rows, as Amazon does); documents are gzip TSV in Amazon's layout at a pre-signed
  ``/documents/...`` URL that expires after 5 minutes and refuses an ``x-amz-access-token``
  header, as S3 refuses unsigned ``x-amz-*`` headers;
- Finances v0 listFinancialEvents: the RefundEventList elements as they were in the files,
  PostedAfter inclusive, PostedBefore exclusive, windows over 180 days answered empty;
- Fulfillment Inbound v0 getShipments, getShipmentItemsByShipmentId, getShipmentItems.
  Shipments carry no update time, so a shipment was "last updated" at its latest ledger
  Receipt (Reference ID = shipment id), else on the data's last day;
- Orders 2026-01-01 searchOrders and getOrder, built from the All Orders rows.

Every operation is metered with its published usage plan (``ratelimit.RATE_PLANS``); beyond
it the answer is 429 ``QuotaExceeded`` with ``x-amzn-RateLimit-Limit``. ``time_scale`` F runs
the sandbox clock F times faster: buckets refill F times faster (the header announces rate x F,
in real requests per second), reports finish and tokens expire F times sooner.

Tests drive it through ``start_sandbox`` (``inject`` faults, ``advance`` the clock, read the
``requests`` it received, secrets masked); a sandbox in another process offers the same under
``/_sandbox/`` (GET/DELETE ``requests``, POST ``faults`` and ``advance``). Unknown query
parameters and the Host header are ignored, as in production.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import hmac
import json
import logging
import re
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from connectors.amazon.ratelimit import RATE_PLANS, TokenBucket
from connectors.amazon.sandbox_data import (
    OrderLine,
    Seller,
    Timed,
    day_start,
    fulfilled_by,
    fulfillment_status,
    group_orders,
    iter_windowed,
    ledger_tsv,
    load_seller,
    marketplace_id,
    order_json,
    order_times,
    orders_tsv,
    reimbursements_tsv,
    returns_tsv,
)

logger = logging.getLogger(__name__)

TOKEN_LIFETIME = 3600.0  # sandbox seconds, as LWA's expires_in
DOCUMENT_URL_LIFETIME = 300.0  # "This URL expires after 5 minutes."
FINANCES_MAX_WINDOW = timedelta(days=180)
SETTLE_DELAY = timedelta(minutes=2)  # "must be more than two minutes before the request"
INBOUND_PAGE_SIZE = 50

SHIPMENT_STATUSES = frozenset(
    "WORKING READY_TO_SHIP SHIPPED RECEIVING CANCELLED DELETED CLOSED ERROR IN_TRANSIT "
    "DELIVERED CHECKED_IN".split()
)
FULFILLMENT_STATUSES = frozenset(
    "PENDING_AVAILABILITY PENDING UNSHIPPED PARTIALLY_SHIPPED SHIPPED CANCELLED "
    "UNFULFILLABLE".split()
)
INCLUDED_DATA = frozenset(
    "BUYER RECIPIENT PROCEEDS EXPENSE PROMOTION CANCELLATION FULFILLMENT PACKAGES TAX PAYMENT "
    "FULFILLMENT_ORDERS".split()
)
_SECRET_FIELDS = frozenset({"client_secret", "refresh_token", "access_token"})
_SECRET_HEADERS = frozenset({"x-amz-access-token", "authorization", "cookie"})
MASK = "[redacted]"

_ERROR_CODES = {
    400: "InvalidInput",
    403: "Unauthorized",
    404: "NotFound",
    413: "RequestEntityTooLarge",
    415: "UnsupportedMediaType",
    429: "QuotaExceeded",
    500: "InternalFailure",
    503: "ServiceUnavailable",
}
_ERROR_MESSAGES = {
    429: "You exceeded your quota for the requested resource.",
    500: "We encountered an internal error. Please try again.",
    503: "Service temporarily unavailable. Please try again.",
}


@dataclass(frozen=True)
class Credentials:
    """The one application + seller authorization the sandbox accepts."""

    client_id: str = "amzn1.application-oa2-client.sandbox"
    client_secret: str = field(default="sandbox-client-secret", repr=False)
    refresh_token: str = field(default="Atzr|sandbox-refresh-token", repr=False)


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the sandbox received it, secrets masked."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: Any  # parsed JSON or form (masked), else None
    operation: str  # "lwa", "document", an SP-API operationId, or "" when unrouted
    status: int


@dataclass
class _Fault:
    status: int
    remaining: int
    operation: str | None
    retry_after: float | None


@dataclass
class _Report:
    report_id: str
    report_type: str
    marketplace_ids: list[str]
    data_start: str | None
    data_end: str | None
    created: float  # sandbox clock
    created_time: datetime
    outcome: str  # DONE, CANCELLED or FATAL once processed
    document_id: str | None
    cancelled: bool = False


@dataclass(frozen=True)
class _Reply:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class _Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    match: re.Match[str]

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else None

    def csv(self, name: str) -> list[str]:
        value = self.param(name)
        return [part for part in value.split(",") if part] if value else []


class InvalidInput(Exception):
    """A 400 with SP-API's error body."""


@dataclass(frozen=True)
class _ReportType:
    rows: Callable[[Seller], Sequence[Any]]
    moment: Callable[[Any], datetime | None]
    write: Callable[[Iterable[Any]], str]
    event_type: Callable[[Any], str] | None = None  # for reportOptions.eventType


REPORT_TYPES: dict[str, _ReportType] = {
    "GET_LEDGER_DETAIL_VIEW_DATA": _ReportType(
        lambda s: s.ledger, lambda r: day_start(r.date), ledger_tsv, lambda r: r.event_type
    ),
    "GET_FBA_REIMBURSEMENTS_DATA": _ReportType(
        lambda s: s.reimbursements, lambda r: day_start(r.approval_date), reimbursements_tsv
    ),
    "GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA": _ReportType(
        lambda s: s.returns, lambda r: day_start(r.return_date), returns_tsv
    ),
    "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL": _ReportType(
        lambda s: s.orders, lambda line: line.purchased, orders_tsv
    ),
}


class AmazonSandbox:
    """The sandbox's state and its HTTP server. Make one with ``start_sandbox``."""

    def __init__(
        self,
        seller: Seller,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        time_scale: float = 1.0,
        credentials: Credentials | None = None,
        queue_seconds: float = 10.0,
        processing_seconds: float = 20.0,
        page_size: int = INBOUND_PAGE_SIZE,
    ):
        if time_scale <= 0:
            raise ValueError("time_scale must be positive")
        self.seller = seller
        self.time_scale = time_scale
        self.credentials = credentials or Credentials()
        self.queue_seconds = queue_seconds
        self.processing_seconds = processing_seconds
        self.page_size = page_size
        self._lock = threading.Lock()
        self._started = time.monotonic()
        self._offset = 0.0  # sandbox seconds added by advance()
        self._buckets = TokenBucket(clock=self.clock)
        self._tokens: dict[str, float] = {}  # access token -> expiry (sandbox clock)
        self._reports: dict[str, _Report] = {}
        self._documents: dict[str, tuple[bytes, bool]] = {}  # id -> (content, gzipped)
        self._signatures: dict[str, tuple[str, float]] = {}  # signature -> (document, expiry)
        self._forced: dict[str, str] = {}  # report type -> outcome of its next report
        self._faults: list[_Fault] = []
        self._recorded: list[RecordedRequest] = []
        self._next_report = 50_000_000_000
        self._signing_key = secrets.token_bytes(32)
        self._orders = group_orders(seller.orders)
        self._httpd = ThreadingHTTPServer((host, port), _handler_for(self))
        self._httpd.daemon_threads = True
        bound_host, bound_port = self._httpd.server_address[:2]
        self.port = int(bound_port)
        shown = "127.0.0.1" if bound_host in ("0.0.0.0", "") else str(bound_host)
        self.url = f"http://{shown}:{self.port}"
        self._thread: threading.Thread | None = None

    # --- lifecycle -------------------------------------------------------------------------------

    def start(self) -> AmazonSandbox:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            args=(0.05,),
            name=f"amazon-sandbox:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> AmazonSandbox:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    # --- the clock -------------------------------------------------------------------------------

    def clock(self) -> float:
        """Sandbox seconds: real seconds since start x time_scale, plus ``advance``."""
        return (time.monotonic() - self._started) * self.time_scale + self._offset

    def now(self) -> datetime:
        """The sandbox's wall time: real UTC now, plus whatever ``advance`` added."""
        return datetime.now(UTC) + timedelta(seconds=self._offset)

    def advance(self, seconds: float) -> None:
        """Move the sandbox clock (and wall time) forward: tokens expire, reports finish."""
        with self._lock:
            self._offset += seconds

    def real_seconds(self, sandbox_seconds: float) -> float:
        return sandbox_seconds / self.time_scale

    # --- test controls ---------------------------------------------------------------------------

    def inject(
        self,
        status: int,
        count: int = 1,
        *,
        operation: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        """Answer the next ``count`` calls of ``operation`` (any SP-API operation when None;
        ``"lwa"`` and ``"document"`` name the token and download endpoints) with ``status``,
        an SP-API error body and, if given, ``Retry-After`` (real seconds).
        """
        with self._lock:
            self._faults.append(_Fault(status, count, operation, retry_after))

    def force_report_outcome(self, report_type: str, outcome: str) -> None:
        """The next report of ``report_type`` ends ``outcome`` (FATAL, CANCELLED or DONE)."""
        if outcome not in ("DONE", "CANCELLED", "FATAL"):
            raise ValueError(f"unknown report outcome {outcome!r}")
        with self._lock:
            self._forced[report_type] = outcome

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far (not the /_sandbox/ controls), oldest first."""
        with self._lock:
            return list(self._recorded)

    def clear_requests(self) -> None:
        with self._lock:
            self._recorded.clear()

    def issued_tokens(self) -> int:
        with self._lock:
            return len(self._tokens)

    # --- dispatch --------------------------------------------------------------------------------

    def handle(self, method: str, target: str, headers: dict[str, str], body: bytes) -> _Reply:
        """Answer one HTTP request (called by the server's handler threads)."""
        parts = urlsplit(target)
        path = parts.path
        query = parse_qs(parts.query, keep_blank_values=True)
        if path.startswith("/_sandbox/"):
            return self._control(method, path, body)
        operation, reply = self._route(method, path, query, headers, body)
        self._record(method, path, query, headers, body, operation, reply.status)
        return reply

    def _route(
        self,
        method: str,
        path: str,
        query: dict[str, list[str]],
        headers: dict[str, str],
        body: bytes,
    ) -> tuple[str, _Reply]:
        for route_method, pattern, operation, handler in _ROUTES:
            match = pattern.fullmatch(path)
            if match is None or route_method != method:
                continue
            request = _Request(method, path, query, headers, body, match)
            fault = self._take_fault(operation)
            if fault is not None:
                return operation, self._fault_reply(operation, fault)
            if operation in ("lwa", "document"):
                return operation, handler(self, request)
            return operation, self._metered(operation, request, handler)
        if any(p.fullmatch(path) for _, p, _, _ in _ROUTES):
            return "", _error(405, "MethodNotAllowed", f"{method} is not allowed on {path}")
        return "", _error(404, "NotFound", f"No operation at {path}")

    def _metered(
        self,
        operation: str,
        request: _Request,
        handler: Callable[[AmazonSandbox, _Request], _Reply],
    ) -> _Reply:
        token = request.headers.get("x-amz-access-token", "")
        with self._lock:
            expiry = self._tokens.get(token)
        if expiry is None:
            return _error(
                403,
                "Unauthorized",
                "Access to requested resource is denied.",
                "The access token you provided is revoked, malformed or invalid.",
            )
        if self.clock() >= expiry:
            return _error(
                403,
                "Unauthorized",
                "Access to requested resource is denied.",
                "The access token you provided has expired.",
            )
        plan = RATE_PLANS[operation]
        announced = (("x-amzn-RateLimit-Limit", f"{plan.rate * self.time_scale:g}"),)
        if not self._buckets.try_take(operation, plan.rate, plan.burst):
            reply = _error(429, "QuotaExceeded", _ERROR_MESSAGES[429])
            return _with_headers(reply, announced)
        try:
            reply = handler(self, request)
        except InvalidInput as problem:
            reply = _error(400, "InvalidInput", str(problem))
        return _with_headers(reply, announced)

    def _take_fault(self, operation: str) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                wanted = fault.operation
                if wanted == operation or (wanted is None and operation not in ("lwa", "document")):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def _fault_reply(self, operation: str, fault: _Fault) -> _Reply:
        if operation == "lwa":
            reply = _json(fault.status, {"error": "server_error", "error_description": "fault"})
        else:
            code = _ERROR_CODES.get(fault.status, "InternalFailure")
            message = _ERROR_MESSAGES.get(fault.status, "Injected fault.")
            reply = _error(fault.status, code, message)
        extra: list[tuple[str, str]] = []
        if fault.retry_after is not None:
            extra.append(("Retry-After", f"{fault.retry_after:g}"))
        if operation in RATE_PLANS:
            rate = RATE_PLANS[operation].rate * self.time_scale
            extra.append(("x-amzn-RateLimit-Limit", f"{rate:g}"))
        return _with_headers(reply, tuple(extra))

    def _record(
        self,
        method: str,
        path: str,
        query: dict[str, list[str]],
        headers: dict[str, str],
        body: bytes,
        operation: str,
        status: int,
    ) -> None:
        shown = {k: (MASK if k in _SECRET_HEADERS else v) for k, v in headers.items()}
        parsed: Any = None
        if body:
            kind = headers.get("content-type", "")
            if "json" in kind:
                try:
                    parsed = json.loads(body)
                except ValueError:
                    parsed = None
            elif "form" in kind:
                form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
                parsed = {k: (MASK if k in _SECRET_FIELDS else v[-1]) for k, v in form.items()}
        entry = RecordedRequest(method, path, query, shown, parsed, operation, status)
        with self._lock:
            self._recorded.append(entry)

    def _control(self, method: str, path: str, body: bytes) -> _Reply:
        try:
            data = json.loads(body) if body else {}
        except ValueError:
            return _error(400, "InvalidInput", "control bodies are JSON")
        if path == "/_sandbox/requests" and method == "GET":
            return _json(200, [vars(r) for r in self.requests])
        if path == "/_sandbox/requests" and method == "DELETE":
            self.clear_requests()
            return _json(200, {})
        if path == "/_sandbox/faults" and method == "POST":
            self.inject(
                int(data["status"]),
                int(data.get("count", 1)),
                operation=data.get("operation"),
                retry_after=data.get("retry_after"),
            )
            return _json(200, {})
        if path == "/_sandbox/advance" and method == "POST":
            self.advance(float(data["seconds"]))
            return _json(200, {"clock": self.clock()})
        return _error(404, "NotFound", f"No control at {path}")

    # --- Login with Amazon -----------------------------------------------------------------------

    def _lwa(self, request: _Request) -> _Reply:
        form = {k: v[-1] for k, v in parse_qs(request.body.decode("utf-8", "replace")).items()}
        grant = form.get("grant_type")
        if grant != "refresh_token":
            return _lwa_error(
                "unsupported_grant_type", f"The grant type {grant!r} is not supported"
            )
        missing = [k for k in ("refresh_token", "client_id", "client_secret") if not form.get(k)]
        if missing:
            return _lwa_error("invalid_request", f"The request is missing {', '.join(missing)}")
        expected = self.credentials
        if not (
            hmac.compare_digest(form["client_id"], expected.client_id)
            and hmac.compare_digest(form["client_secret"], expected.client_secret)
        ):
            return _lwa_error("invalid_client", "Client authentication failed")
        if not hmac.compare_digest(form["refresh_token"], expected.refresh_token):
            return _lwa_error(
                "invalid_grant", "The request has an invalid grant parameter : refresh_token"
            )
        token = "Atza|" + secrets.token_urlsafe(48)
        with self._lock:
            self._tokens[token] = self.clock() + TOKEN_LIFETIME
        return _json(
            200,
            {
                "access_token": token,
                "refresh_token": form["refresh_token"],
                "token_type": "bearer",
                "expires_in": max(1, round(self.real_seconds(TOKEN_LIFETIME))),
            },
        )

    # --- Reports ---------------------------------------------------------------------------------

    def _create_report(self, request: _Request) -> _Reply:
        spec = _json_body(request)
        report_type = spec.get("reportType")
        marketplaces = spec.get("marketplaceIds")
        if not isinstance(report_type, str) or not report_type:
            raise InvalidInput("reportType is required")
        if not isinstance(marketplaces, list) or not marketplaces:
            raise InvalidInput("marketplaceIds is required")
        if report_type not in REPORT_TYPES:
            raise InvalidInput(f"Report type {report_type} is not supported by this sandbox")
        now = self.now()
        start = _time_param(spec.get("dataStartTime"), "dataStartTime")
        end = _time_param(spec.get("dataEndTime"), "dataEndTime")
        for name, moment in (("dataStartTime", start), ("dataEndTime", end)):
            if moment is not None and moment > now:
                raise InvalidInput(f"{name} must be prior to or equal to the current time")
        if start is not None and end is not None and start > end:
            raise InvalidInput("dataStartTime must be before dataEndTime")
        options = spec.get("reportOptions") or {}
        kind = REPORT_TYPES[report_type]
        rows = list(iter_windowed(kind.rows(self.seller), kind.moment, start, end))
        wanted_event = options.get("eventType") if isinstance(options, dict) else None
        if wanted_event and kind.event_type is not None:
            event = re.sub(r"[^a-z0-9]", "", str(wanted_event).lower())
            rows = [row for row in rows if kind.event_type(row) == event]
        with self._lock:
            self._next_report += 1
            report_id = str(self._next_report)
            outcome = self._forced.pop(report_type, "DONE" if rows else "CANCELLED")
        document_id: str | None = None
        if outcome == "DONE":
            document_id = self._store_document(kind.write(rows).encode("utf-8"))
        elif outcome == "FATAL":
            detail = {"errorDetails": "The report could not be generated (sandbox fault)."}
            document_id = self._store_document(json.dumps(detail).encode())
        report = _Report(
            report_id=report_id,
            report_type=report_type,
            marketplace_ids=[str(m) for m in marketplaces],
            data_start=_iso(start) if start else None,
            data_end=_iso(end) if end else None,
            created=self.clock(),
            created_time=now,
            outcome=outcome,
            document_id=document_id,
        )
        with self._lock:
            self._reports[report_id] = report
        logger.info(
            "report %s (%s): %d rows, will be %s", report_id, report_type, len(rows), outcome
        )
        return _json(202, {"reportId": report_id})

    def _store_document(self, content: bytes) -> str:
        document_id = f"amzn1.spdoc.1.4.na.{uuid.uuid4()}"
        with self._lock:
            self._documents[document_id] = (gzip.compress(content, mtime=0), True)
        return document_id

    def _status(self, report: _Report) -> tuple[str, float]:
        """The report's processingStatus now, and sandbox seconds since it was created."""
        elapsed = self.clock() - report.created
        if report.cancelled:
            return "CANCELLED", elapsed
        if elapsed < self.queue_seconds:
            return "IN_QUEUE", elapsed
        if elapsed < self.queue_seconds + self.processing_seconds:
            return "IN_PROGRESS", elapsed
        return report.outcome, elapsed

    def _get_report(self, request: _Request) -> _Reply:
        report = self._report(request.match["id"])
        status, _elapsed = self._status(report)
        body: dict[str, Any] = {
            "reportId": report.report_id,
            "reportType": report.report_type,
            "marketplaceIds": report.marketplace_ids,
            "createdTime": _iso(report.created_time),
            "processingStatus": status,
        }
        if report.data_start:
            body["dataStartTime"] = report.data_start
        if report.data_end:
            body["dataEndTime"] = report.data_end
        scale = self.time_scale
        if status != "IN_QUEUE":
            started = report.created_time + timedelta(seconds=self.queue_seconds / scale)
            body["processingStartTime"] = _iso(started)
        if status in ("DONE", "CANCELLED", "FATAL") and not report.cancelled:
            total = (self.queue_seconds + self.processing_seconds) / scale
            body["processingEndTime"] = _iso(report.created_time + timedelta(seconds=total))
        if status in ("DONE", "FATAL") and report.document_id:
            body["reportDocumentId"] = report.document_id
        return _json(200, body)

    def _cancel_report(self, request: _Request) -> _Reply:
        report = self._report(request.match["id"])
        status, _elapsed = self._status(report)
        if status != "IN_QUEUE":
            raise InvalidInput(f"Report {report.report_id} is {status} and cannot be cancelled")
        report.cancelled = True
        return _Reply(200, b"")

    def _report(self, report_id: str) -> _Report:
        with self._lock:
            report = self._reports.get(report_id)
        if report is None:
            raise _NotFound(f"Report {report_id} not found")
        return report

    def _get_report_document(self, request: _Request) -> _Reply:
        document_id = request.match["id"]
        with self._lock:
            known = document_id in self._documents
        if not known:
            raise _NotFound(f"Report document {document_id} not found")
        signature = hmac.new(
            self._signing_key, f"{document_id}:{self.clock()}".encode(), hashlib.sha256
        ).hexdigest()
        with self._lock:
            self._signatures[signature] = (document_id, self.clock() + DOCUMENT_URL_LIFETIME)
        stamp = self.now().strftime("%Y%m%dT%H%M%SZ")
        url = (
            f"{self.url}/documents/{document_id}?X-Amz-Algorithm=AWS4-HMAC-SHA256"
            f"&X-Amz-Date={stamp}&X-Amz-Expires={int(DOCUMENT_URL_LIFETIME)}"
            f"&X-Amz-SignedHeaders=host&X-Amz-Signature={signature}"
        )
        return _json(
            200,
            {"reportDocumentId": document_id, "url": url, "compressionAlgorithm": "GZIP"},
        )

    def _download(self, request: _Request) -> _Reply:
        signature = request.param("X-Amz-Signature") or ""
        with self._lock:
            signed = self._signatures.get(signature)
        if signed is None or signed[0] != request.match["id"]:
            return _s3_error("SignatureDoesNotMatch", "The request signature does not match.")
        if self.clock() > signed[1]:
            return _s3_error("AccessDenied", "Request has expired")
        unsigned = sorted(h for h in request.headers if h.startswith("x-amz-"))
        if unsigned:
            return _s3_error(
                "AccessDenied",
                "There were headers present in the request which were not signed",
                f"<HeadersNotSigned>{', '.join(unsigned)}</HeadersNotSigned>",
            )
        with self._lock:
            content, _gzipped = self._documents[request.match["id"]]
        return _Reply(200, content, "text/plain; charset=UTF-8")

    # --- Finances v0 -----------------------------------------------------------------------------

    def _list_financial_events(self, request: _Request) -> _Reply:
        page_size = _page_size(request.param("MaxResultsPerPage"), "MaxResultsPerPage")
        arguments = {
            "PostedAfter": request.param("PostedAfter"),
            "PostedBefore": request.param("PostedBefore"),
            "MaxResultsPerPage": str(page_size),
        }
        offset = 0
        token = request.param("NextToken")
        if token:  # "include the same arguments as the call that produced the token"
            state = _decode_token(token)
            for name in ("PostedAfter", "PostedBefore"):
                issued = state["args"].get(name)
                if arguments[name] is not None and arguments[name] != issued:
                    raise InvalidInput(f"NextToken was issued for a different {name}")
                arguments[name] = issued
            if request.param("MaxResultsPerPage") is None:
                page_size = int(state["args"].get("MaxResultsPerPage") or 100)
            offset = int(state["offset"])
        latest = self.now() - SETTLE_DELAY
        after = _time_param(arguments["PostedAfter"], "PostedAfter")
        before = _time_param(arguments["PostedBefore"], "PostedBefore")
        if before is not None and after is None:
            raise InvalidInput("PostedBefore requires PostedAfter")
        if after is None:
            raise InvalidInput("PostedAfter or NextToken is required")
        if after > latest:
            raise InvalidInput("PostedAfter must be more than two minutes before the request")
        if before is None:
            before = latest
        elif before > latest:
            raise InvalidInput("PostedBefore must be more than two minutes before the request")
        if before <= after:
            raise InvalidInput("PostedBefore must be later than PostedAfter")
        events: list[Timed] = []
        if before - after <= FINANCES_MAX_WINDOW:  # a longer window is answered empty
            events = sorted(
                (e for e in self.seller.refunds if after <= e.moment < before),
                key=lambda e: e.moment,
            )
        page = events[offset : offset + page_size]
        payload: dict[str, Any] = {
            "FinancialEvents": {"RefundEventList": [e.element for e in page]}
        }
        if offset + page_size < len(events):
            payload["NextToken"] = _encode_token(arguments, offset + page_size)
        return _json(200, {"payload": payload})

    # --- Fulfillment Inbound v0 ------------------------------------------------------------------

    def _inbound_query(self, request: _Request, types: Sequence[str]) -> tuple[dict[str, Any], int]:
        """The listing's arguments (from the request or its NextToken) and the offset."""
        if not request.param("MarketplaceId"):
            raise InvalidInput("MarketplaceId is required")
        query_type = request.param("QueryType")
        if query_type not in (*types, "NEXT_TOKEN"):
            raise InvalidInput(f"QueryType must be one of {', '.join((*types, 'NEXT_TOKEN'))}")
        if query_type == "NEXT_TOKEN":
            token = request.param("NextToken")
            if not token:
                raise InvalidInput("NextToken is required when QueryType is NEXT_TOKEN")
            state = _decode_token(token)
            return dict(state["args"]), int(state["offset"])
        statuses = request.csv("ShipmentStatusList")
        unknown = sorted(set(statuses) - SHIPMENT_STATUSES)
        if unknown:
            raise InvalidInput(f"Invalid ShipmentStatus {', '.join(unknown)}")
        ids = request.csv("ShipmentIdList")
        if len(ids) > 999:
            raise InvalidInput("ShipmentIdList holds at most 999 ids")
        args: dict[str, Any] = {"QueryType": query_type, "statuses": statuses, "ids": ids}
        if query_type == "SHIPMENT" and not statuses and not ids:
            raise InvalidInput("QueryType SHIPMENT needs ShipmentStatusList or ShipmentIdList")
        if query_type == "DATE_RANGE":
            after = _time_param(request.param("LastUpdatedAfter"), "LastUpdatedAfter")
            before = _time_param(request.param("LastUpdatedBefore"), "LastUpdatedBefore")
            if after is None or before is None:
                raise InvalidInput("QueryType DATE_RANGE needs LastUpdatedAfter and Before")
            if before < after:
                raise InvalidInput("LastUpdatedBefore must not be before LastUpdatedAfter")
            args["after"], args["before"] = _iso(after), _iso(before)
        return args, 0

    def _get_shipments(self, request: _Request) -> _Reply:
        args, offset = self._inbound_query(request, ("SHIPMENT", "DATE_RANGE"))
        chosen = [s for s in self.seller.shipments if _inbound_match(s, args, "ShipmentStatus")]
        return self._inbound_page(chosen, args, offset, "ShipmentData")

    def _get_shipment_items(self, request: _Request) -> _Reply:
        args, offset = self._inbound_query(request, ("DATE_RANGE",))
        chosen = [i for i in self.seller.items if _inbound_match(i, args, None)]
        return self._inbound_page(chosen, args, offset, "ItemData")

    def _inbound_page(
        self, chosen: list[Timed], args: dict[str, Any], offset: int, key: str
    ) -> _Reply:
        page = chosen[offset : offset + self.page_size]
        payload: dict[str, Any] = {key: [t.element for t in page]}
        if offset + self.page_size < len(chosen):
            payload["NextToken"] = _encode_token(args, offset + self.page_size)
        return _json(200, {"payload": payload})

    def _get_items_by_shipment(self, request: _Request) -> _Reply:
        shipment_id = request.match["id"]
        items = [i.element for i in self.seller.items if i.element.get("ShipmentId") == shipment_id]
        known = any(s.element.get("ShipmentId") == shipment_id for s in self.seller.shipments)
        if not items and not known:
            raise _NotFound(f"Shipment {shipment_id} not found")
        return _json(200, {"payload": {"ItemData": items}})

    # --- Orders 2026-01-01 -----------------------------------------------------------------------

    def _search_orders(self, request: _Request) -> _Reply:
        token = request.param("paginationToken")
        if token:
            state = _decode_token(token)
            args, offset = dict(state["args"]), int(state["offset"])
        else:
            args, offset = self._order_query(request), 0
        field_name = "created" if args.get("createdAfter") else "lastUpdated"
        after = datetime.fromisoformat(args[f"{field_name}After"])
        before = datetime.fromisoformat(args[f"{field_name}Before"])
        matched = []
        for order_id, lines in self._orders.items():
            created, updated = order_times(lines)
            moment = created if field_name == "created" else updated
            if moment is None or not after <= moment <= before:
                continue
            if not _order_filters_match(lines, args):
                continue
            matched.append((moment, order_id, lines))
        matched.sort(key=lambda entry: (entry[0], entry[1]))
        size = int(args["maxResultsPerPage"])
        page = matched[offset : offset + size]
        now = self.now()
        body: dict[str, Any] = {
            "orders": [order_json(oid, lines, args["includedData"], now) for _, oid, lines in page],
            f"{field_name}Before": args[f"{field_name}Before"].replace("+00:00", "Z"),
        }
        if offset + size < len(matched):
            body["pagination"] = {"nextToken": _encode_token(args, offset + size)}
        return _json(200, body)

    def _order_query(self, request: _Request) -> dict[str, Any]:
        created_after = _time_param(request.param("createdAfter"), "createdAfter")
        created_before = _time_param(request.param("createdBefore"), "createdBefore")
        updated_after = _time_param(request.param("lastUpdatedAfter"), "lastUpdatedAfter")
        updated_before = _time_param(request.param("lastUpdatedBefore"), "lastUpdatedBefore")
        if (created_after is None) == (updated_after is None):
            raise InvalidInput("Exactly one of createdAfter and lastUpdatedAfter is required")
        if created_after is not None and updated_before is not None:
            raise InvalidInput("lastUpdatedBefore cannot be used with createdAfter")
        if updated_after is not None and created_before is not None:
            raise InvalidInput("createdBefore cannot be used with lastUpdatedAfter")
        latest = self.now() - SETTLE_DELAY
        after = created_after or updated_after
        before = created_before if created_after is not None else updated_before
        name = "createdBefore" if created_after is not None else "lastUpdatedBefore"
        assert after is not None
        if before is None:
            before = latest
        elif before > latest:
            raise InvalidInput(f"{name} must be at least two minutes before the request")
        if before < after:
            raise InvalidInput(f"{name} must be equal to or after the After date")
        statuses = request.csv("fulfillmentStatuses")
        by = request.csv("fulfilledBy")
        included = request.csv("includedData")
        for label, values, allowed in (
            ("fulfillmentStatuses", statuses, FULFILLMENT_STATUSES),
            ("fulfilledBy", by, frozenset({"MERCHANT", "AMAZON"})),
            ("includedData", included, INCLUDED_DATA),
        ):
            unknown = sorted(set(values) - allowed)
            if unknown:
                raise InvalidInput(f"Invalid {label} value {', '.join(unknown)}")
        marketplaces = request.csv("marketplaceIds")
        if len(marketplaces) > 50:
            raise InvalidInput("marketplaceIds holds at most 50 ids")
        prefix = "created" if created_after is not None else "lastUpdated"
        return {
            f"{prefix}After": after.isoformat(),
            f"{prefix}Before": before.isoformat(),
            "fulfillmentStatuses": statuses,
            "fulfilledBy": by,
            "marketplaceIds": marketplaces,
            "includedData": included,
            "maxResultsPerPage": _page_size(
                request.param("maxResultsPerPage"), "maxResultsPerPage"
            ),
        }

    def _get_order(self, request: _Request) -> _Reply:
        included = request.csv("includedData")
        unknown = sorted(set(included) - INCLUDED_DATA)
        if unknown:
            raise InvalidInput(f"Invalid includedData value {', '.join(unknown)}")
        order_id = request.match["id"]
        lines = self._orders.get(order_id)
        if lines is None:
            raise _NotFound(f"Order {order_id} not found")
        return _json(200, {"order": order_json(order_id, lines, included, self.now())})


class _NotFound(InvalidInput):
    """A 404 with SP-API's error body."""


# --- routing -------------------------------------------------------------------------------------

_Handler = Callable[[AmazonSandbox, _Request], _Reply]


def _not_found_aware(handler: _Handler) -> _Handler:
    def run(sandbox: AmazonSandbox, request: _Request) -> _Reply:
        try:
            return handler(sandbox, request)
        except _NotFound as missing:
            return _error(404, "NotFound", str(missing))

    return run


_ID = r"(?P<id>[^/]+)"
_ROUTES: list[tuple[str, re.Pattern[str], str, _Handler]] = [
    (method, re.compile(pattern), operation, _not_found_aware(handler))
    for method, pattern, operation, handler in [
        ("POST", r"/auth/o2/token", "lwa", AmazonSandbox._lwa),
        ("POST", r"/reports/2021-06-30/reports", "createReport", AmazonSandbox._create_report),
        ("GET", rf"/reports/2021-06-30/reports/{_ID}", "getReport", AmazonSandbox._get_report),
        (
            "DELETE",
            rf"/reports/2021-06-30/reports/{_ID}",
            "cancelReport",
            AmazonSandbox._cancel_report,
        ),
        (
            "GET",
            rf"/reports/2021-06-30/documents/{_ID}",
            "getReportDocument",
            AmazonSandbox._get_report_document,
        ),
        ("GET", rf"/documents/{_ID}", "document", AmazonSandbox._download),
        (
            "GET",
            r"/finances/v0/financialEvents",
            "listFinancialEvents",
            AmazonSandbox._list_financial_events,
        ),
        ("GET", r"/fba/inbound/v0/shipments", "getShipments", AmazonSandbox._get_shipments),
        (
            "GET",
            rf"/fba/inbound/v0/shipments/{_ID}/items",
            "getShipmentItemsByShipmentId",
            AmazonSandbox._get_items_by_shipment,
        ),
        (
            "GET",
            r"/fba/inbound/v0/shipmentItems",
            "getShipmentItems",
            AmazonSandbox._get_shipment_items,
        ),
        ("GET", r"/orders/2026-01-01/orders", "searchOrders", AmazonSandbox._search_orders),
        ("GET", rf"/orders/2026-01-01/orders/{_ID}", "getOrder", AmazonSandbox._get_order),
    ]
]


def _handler_for(sandbox: AmazonSandbox) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "Server"
        timeout = 30  # an idle keep-alive connection lets its thread go
        disable_nagle_algorithm = True  # headers and body go out in two writes

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {name.lower(): value for name, value in self.headers.items()}
            try:
                reply = sandbox.handle(self.command, self.path, headers, body)
            except Exception:  # the boundary: a sandbox bug answers 500, and is logged
                logger.exception("sandbox failed on %s %s", self.command, self.path)
                reply = _error(500, "InternalFailure", _ERROR_MESSAGES[500])
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
            for name, value in reply.headers:
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(reply.body)

        do_GET = do_POST = do_DELETE = do_PUT = _serve

        def log_message(self, format: str, *args: Any) -> None:
            logger.debug("%s %s", self.address_string(), format % args)

    return Handler


# --- helpers -------------------------------------------------------------------------------------


def _json(status: int, body: Any) -> _Reply:
    return _Reply(status, json.dumps(body, separators=(",", ":")).encode())


def _error(status: int, code: str, message: str, details: str = "") -> _Reply:
    return _json(status, {"errors": [{"code": code, "message": message, "details": details}]})


def _lwa_error(error: str, description: str) -> _Reply:
    return _json(400, {"error_description": description, "error": error})


def _s3_error(code: str, message: str, extra: str = "") -> _Reply:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message>{extra}</Error>"
    )
    return _Reply(403, body.encode(), "application/xml")


def _with_headers(reply: _Reply, headers: tuple[tuple[str, str], ...]) -> _Reply:
    return _Reply(reply.status, reply.body, reply.content_type, reply.headers + headers)


def _json_body(request: _Request) -> dict[str, Any]:
    try:
        body = json.loads(request.body or b"null")
    except ValueError:
        raise InvalidInput("The request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise InvalidInput("The request body must be a JSON object")
    return body


def _time_param(value: object, name: str) -> datetime | None:
    """An ISO-8601 date-time parameter (UTC when it has no zone); 400 when it is not one."""
    if value is None or value == "":
        return None
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput(f"{name} {value!r} is not an ISO 8601 date-time") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _page_size(value: str | None, name: str) -> int:
    if value is None or value == "":
        return 100
    try:
        size = int(value)
    except ValueError:
        raise InvalidInput(f"{name} must be an integer between 1 and 100") from None
    if not 1 <= size <= 100:
        raise InvalidInput(f"{name} must be between 1 and 100")
    return size


def _encode_token(args: dict[str, Any], offset: int) -> str:
    raw = json.dumps({"args": args, "offset": offset}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_token(token: str) -> dict[str, Any]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        state = json.loads(raw)
        if not isinstance(state, dict) or not isinstance(state.get("args"), dict):
            raise ValueError
        int(state["offset"])
    except (ValueError, KeyError, TypeError):
        raise InvalidInput("The NextToken is invalid") from None
    return state


def _inbound_match(entry: Timed, args: dict[str, Any], status_key: str | None) -> bool:
    element = entry.element
    if status_key and args.get("statuses"):
        if str(element.get(status_key, "")).upper() not in args["statuses"]:
            return False
    if args.get("ids") and element.get("ShipmentId") not in args["ids"]:
        return False
    if args.get("QueryType") == "DATE_RANGE":
        after = datetime.fromisoformat(args["after"].replace("Z", "+00:00"))
        before = datetime.fromisoformat(args["before"].replace("Z", "+00:00"))
        return after <= entry.moment <= before
    return True


def _order_filters_match(lines: list[OrderLine], args: dict[str, Any]) -> bool:
    if args["fulfillmentStatuses"] and fulfillment_status(lines) not in args["fulfillmentStatuses"]:
        return False
    if args["fulfilledBy"] and fulfilled_by(lines) not in args["fulfilledBy"]:
        return False
    market = marketplace_id(lines)
    return not (args["marketplaceIds"] and market and market not in args["marketplaceIds"])


def start_sandbox(
    data_dir: Path | str,
    port: int = 0,
    time_scale: float = 1.0,
    credentials: Credentials | None = None,
    *,
    host: str = "127.0.0.1",
    queue_seconds: float = 10.0,
    processing_seconds: float = 20.0,
    page_size: int = INBOUND_PAGE_SIZE,
) -> AmazonSandbox:
    """Read ``data_dir`` and serve it on ``host:port`` (0: a free port) in a background
    thread. Returns the running sandbox: ``.url``, ``.stop()``, ``.requests``, ``.inject``.
    """
    seller = load_seller(Path(data_dir))
    sandbox = AmazonSandbox(
        seller,
        host=host,
        port=port,
        time_scale=time_scale,
        credentials=credentials,
        queue_seconds=queue_seconds,
        processing_seconds=processing_seconds,
        page_size=page_size,
    )
    return sandbox.start()
