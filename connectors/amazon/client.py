"""The SP-API client: the only code here that talks to Amazon.

One method per operation, typed parameters, raw JSON back (``parse.py`` reads it). Every call:

1. takes a token from the limiter (key ``"{seller_key}:{operation}"``, the operation's usage
   plan from ``ratelimit.RATE_PLANS``, or the rate Amazon last announced in
   ``x-amzn-RateLimit-Limit``) and waits if it must;
2. sends ``x-amz-access-token`` from Login with Amazon, cached until shortly before expiry;
3. on 429 waits for ``Retry-After`` (or backs off exponentially with jitter) and tells the
   limiter; retries 5xx and lost connections; all within ``max_attempts`` and ``max_wait``;
4. turns failures into ``connectors.errors``: 401/403 ``AuthError`` (after one retry with a fresh
   token), 404 ``NotFound``, 429 ``RateLimited``, anything else ``UpstreamError`` carrying
   Amazon's ``errors[0].code``.

Tokens, the refresh token and the client secret are never logged, and never part of an error.
"""

from __future__ import annotations

import gzip
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Generic, Protocol, TypeVar
from urllib.parse import quote

import requests

from connectors.amazon.ratelimit import RATE_PLANS, Limiter, TokenBucket
from connectors.amazon.settings import AmazonSettings, credential_key
from connectors.errors import AuthError, NotFound, RateLimited, UpstreamError
from connectors.http import build_session

logger = logging.getLogger(__name__)

REPORTS = "/reports/2021-06-30"
# A token is used until this many seconds before it expires (or half its life, if shorter).
TOKEN_REFRESH_MARGIN = 60.0
REPORT_STATUSES_FINAL = frozenset({"DONE", "CANCELLED", "FATAL"})
_GZIP_MAGIC = b"\x1f\x8b"

T = TypeVar("T")
JSON = dict[str, Any]


# --- what the client returns ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a paged operation. ``next_token`` resumes after it (None on the last)."""

    items: T
    next_token: str | None


@dataclass(frozen=True, slots=True)
class Report:
    """A report request as getReport describes it."""

    report_id: str
    report_type: str
    processing_status: str  # IN_QUEUE, IN_PROGRESS, DONE, CANCELLED, FATAL
    created_time: str
    report_document_id: str | None = None
    data_start_time: str | None = None
    data_end_time: str | None = None


@dataclass(frozen=True, slots=True)
class ReportDocument:
    """Where to download a report. The URL is pre-signed (a credential for 5 minutes)."""

    report_document_id: str
    url: str = field(repr=False)
    compression_algorithm: str | None = None


# --- LWA token cache -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CachedToken:
    token: str = field(repr=False)
    expires_at: float  # on the client's clock (time.time() by default)


class TokenCache(Protocol):
    """Where access tokens wait between calls; a Redis one lets workers share them."""

    def get(self, key: str) -> CachedToken | None: ...

    def put(self, key: str, token: CachedToken) -> None: ...

    def drop(self, key: str) -> None: ...


class MemoryTokenCache:
    """The default ``TokenCache``: one process, thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: dict[str, CachedToken] = {}

    def get(self, key: str) -> CachedToken | None:
        with self._lock:
            return self._tokens.get(key)

    def put(self, key: str, token: CachedToken) -> None:
        with self._lock:
            self._tokens[key] = token

    def drop(self, key: str) -> None:
        with self._lock:
            self._tokens.pop(key, None)


# --- the client ----------------------------------------------------------------------------------


class AmazonClient:
    """SP-API for one seller: Reports 2021-06-30, Finances v0, Inbound v0, Orders 2026-01-01.

    ``limiter`` defaults to an in-process ``TokenBucket``; pass the shared one in workers.
    ``clock`` (wall seconds) dates cached tokens; ``sleep`` is how the client waits.
    """

    def __init__(
        self,
        settings: AmazonSettings,
        *,
        limiter: Limiter | None = None,
        token_cache: TokenCache | None = None,
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ):
        self.settings = settings
        self.limiter: Limiter = limiter if limiter is not None else TokenBucket()
        self.token_cache: TokenCache = (
            token_cache if token_cache is not None else MemoryTokenCache()
        )
        # No connect retries below us: this client retries lost connections itself, bounded.
        self.session = session or build_session(
            settings.user_agent, timeout=settings.timeout, connect_retries=0
        )
        self._clock = clock
        self._sleep = sleep
        self._random = rng or random.Random()
        self._token_key = "lwa:" + credential_key(settings.client_id, settings.refresh_token)
        self._token_lock = threading.Lock()
        self._announced_rates: dict[str, float] = {}

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> AmazonClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # --- Login with Amazon -----------------------------------------------------------------------

    def access_token(self) -> str:
        """An LWA access token for this seller, from the cache while it is fresh."""
        cached = self.token_cache.get(self._token_key)
        if cached is not None and self._clock() < cached.expires_at:
            return cached.token
        with self._token_lock:  # one exchange per process when many threads find it stale
            cached = self.token_cache.get(self._token_key)
            if cached is not None and self._clock() < cached.expires_at:
                return cached.token
            asked_at = self._clock()
            token, lifetime = self._exchange_refresh_token()
            margin = min(TOKEN_REFRESH_MARGIN, lifetime / 2)
            self.token_cache.put(self._token_key, CachedToken(token, asked_at + lifetime - margin))
            return token

    def _exchange_refresh_token(self) -> tuple[str, float]:
        url = f"{self.settings.lwa_endpoint}/auth/o2/token"
        form = {
            "grant_type": "refresh_token",
            "refresh_token": self.settings.refresh_token,
            "client_id": self.settings.client_id,
            "client_secret": self.settings.client_secret,
        }
        response = self._send_plain("lwa", "POST", url, data=form)
        if response.status_code in (400, 401, 403):
            error, description = _lwa_error(response)
            raise AuthError(
                f"Login with Amazon refused the credentials: {error} {description}".strip(),
                status=response.status_code,
                code=error,
            )
        if response.status_code != 200:
            raise UpstreamError(
                f"Login with Amazon answered HTTP {response.status_code}",
                status=response.status_code,
            )
        try:
            body = response.json()
            token = body["access_token"]
            lifetime = float(body.get("expires_in", 3600))
        except (ValueError, KeyError, TypeError):
            raise UpstreamError(
                "Login with Amazon answered without an access token", status=200
            ) from None
        if not isinstance(token, str) or not token:
            raise UpstreamError("Login with Amazon answered without an access token", status=200)
        logger.info("LWA access token obtained (valid %.0fs)", lifetime)
        return token, lifetime

    # --- Reports 2021-06-30 ----------------------------------------------------------------------

    def create_report(
        self,
        report_type: str,
        *,
        marketplace_ids: Sequence[str] | None = None,
        data_start: datetime | None = None,
        data_end: datetime | None = None,
        report_options: Mapping[str, str] | None = None,
    ) -> str:
        """createReport (0.0167/s, burst 15): ask for a report; returns its reportId."""
        body: JSON = {
            "reportType": report_type,
            "marketplaceIds": list(marketplace_ids or self.settings.marketplace_ids),
        }
        if data_start is not None:
            body["dataStartTime"] = iso(data_start)
        if data_end is not None:
            body["dataEndTime"] = iso(data_end)
        if report_options:
            body["reportOptions"] = dict(report_options)
        payload = self._call("createReport", "POST", f"{REPORTS}/reports", body=body)
        return _text(payload, "reportId", "createReport")

    def get_report(self, report_id: str) -> Report:
        """getReport (2/s, burst 15): the report's processing status."""
        payload = self._call("getReport", "GET", f"{REPORTS}/reports/{_segment(report_id)}")
        return Report(
            report_id=_text(payload, "reportId", "getReport"),
            report_type=_text(payload, "reportType", "getReport"),
            processing_status=_text(payload, "processingStatus", "getReport"),
            created_time=str(payload.get("createdTime", "")),
            report_document_id=payload.get("reportDocumentId") or None,
            data_start_time=payload.get("dataStartTime"),
            data_end_time=payload.get("dataEndTime"),
        )

    def cancel_report(self, report_id: str) -> None:
        """cancelReport (0.0222/s, burst 10): cancel a report still IN_QUEUE."""
        self._call("cancelReport", "DELETE", f"{REPORTS}/reports/{_segment(report_id)}")

    def get_report_document(self, report_document_id: str) -> ReportDocument:
        """getReportDocument (0.0167/s, burst 15): the pre-signed URL of a finished report."""
        path = f"{REPORTS}/documents/{_segment(report_document_id)}"
        payload = self._call("getReportDocument", "GET", path)
        return ReportDocument(
            report_document_id=_text(payload, "reportDocumentId", "getReportDocument"),
            url=_text(payload, "url", "getReportDocument"),
            compression_algorithm=payload.get("compressionAlgorithm") or None,
        )

    def download_document(self, document: ReportDocument) -> bytes:
        """The document's content, gunzipped when it is GZIP. Sent without the access token."""
        response = self._send_plain("document", "GET", document.url)
        if response.status_code == 403:
            raise AuthError(
                "the report document URL was refused (it expires after 5 minutes)",
                status=403,
                code="AccessDenied",
            )
        if response.status_code != 200:
            raise UpstreamError(
                f"report document download answered HTTP {response.status_code}",
                status=response.status_code,
            )
        content = response.content
        # With enableContentEncodingUrlHeader the HTTP layer has already decompressed it.
        if document.compression_algorithm == "GZIP" and content[:2] == _GZIP_MAGIC:
            content = gzip.decompress(content)
        return content

    def download_report_document(self, report_document_id: str) -> bytes:
        """getReportDocument then download; a URL that expired in between is asked for again."""
        document = self.get_report_document(report_document_id)
        try:
            return self.download_document(document)
        except AuthError:
            logger.info("report document URL refused; asking for a fresh one")
            return self.download_document(self.get_report_document(report_document_id))

    def wait_for_report(self, report_id: str) -> Report:
        """Poll getReport, backing off, until DONE, CANCELLED or FATAL (or report_timeout)."""
        interval = self.settings.report_poll_initial
        deadline = time.monotonic() + self.settings.report_timeout
        while True:
            report = self.get_report(report_id)
            if report.processing_status in REPORT_STATUSES_FINAL:
                return report
            if time.monotonic() + interval > deadline:
                raise UpstreamError(
                    f"report {report_id} still {report.processing_status} after "
                    f"{self.settings.report_timeout:.0f}s",
                    status=0,
                    code="ReportTimeout",
                )
            self._sleep(interval)
            interval = min(interval * 2, self.settings.report_poll_max)

    def fetch_report(
        self,
        report_type: str,
        *,
        marketplace_ids: Sequence[str] | None = None,
        data_start: datetime | None = None,
        data_end: datetime | None = None,
        report_options: Mapping[str, str] | None = None,
    ) -> bytes:
        """Create a report, wait for it and return its content (b"" when Amazon CANCELLED it:
        no data for the window). A FATAL report raises ``UpstreamError``.
        """
        report_id = self.create_report(
            report_type,
            marketplace_ids=marketplace_ids,
            data_start=data_start,
            data_end=data_end,
            report_options=report_options,
        )
        report = self.wait_for_report(report_id)
        if report.processing_status == "CANCELLED":
            logger.info("report %s (%s) cancelled: no data", report_id, report_type)
            return b""
        if report.processing_status == "FATAL":
            detail = ""
            if report.report_document_id:  # a FATAL report's document explains why
                text = self.download_report_document(report.report_document_id)
                detail = ": " + text.decode("utf-8", "replace").strip()[:300]
            raise UpstreamError(
                f"report {report_id} ({report_type}) ended FATAL{detail}",
                status=200,
                code="FATAL",
            )
        if not report.report_document_id:
            raise UpstreamError(f"report {report_id} is DONE without a document", status=200)
        return self.download_report_document(report.report_document_id)

    # --- Finances v0 -----------------------------------------------------------------------------

    def list_financial_events(
        self,
        posted_after: datetime,
        posted_before: datetime | None = None,
        *,
        max_results_per_page: int = 100,
        next_token: str | None = None,
    ) -> Iterator[Page[JSON]]:
        """listFinancialEvents (0.5/s, burst 30): pages of ``FinancialEvents`` objects.

        Amazon: both times more than two minutes ago; PostedBefore exclusive; a window over
        180 days comes back empty, so callers split long windows. Pages may be empty.
        """
        if not 1 <= max_results_per_page <= 100:
            raise ValueError("max_results_per_page must be 1-100")
        params: JSON = {"PostedAfter": iso(posted_after), "MaxResultsPerPage": max_results_per_page}
        if posted_before is not None:
            params["PostedBefore"] = iso(posted_before)
        token = next_token
        while True:
            query = dict(params, NextToken=token) if token else params
            body = self._call("listFinancialEvents", "GET", "/finances/v0/financialEvents", query)
            payload = body.get("payload") or {}
            token = payload.get("NextToken") or None
            yield Page(payload.get("FinancialEvents") or {}, token)
            if not token:
                return

    # --- Fulfillment Inbound v0 ------------------------------------------------------------------

    def get_shipments(
        self,
        query_type: str,
        *,
        statuses: Sequence[str] = (),
        shipment_ids: Sequence[str] = (),
        last_updated_after: datetime | None = None,
        last_updated_before: datetime | None = None,
        marketplace_id: str | None = None,
        next_token: str | None = None,
    ) -> Iterator[Page[list[JSON]]]:
        """getShipments (2/s, burst 30): pages of ``ShipmentData`` (InboundShipmentInfo).

        ``query_type`` SHIPMENT selects by ``statuses`` and/or ``shipment_ids``; DATE_RANGE by
        the last-updated window. ``next_token`` resumes an earlier listing.
        """
        marketplace = marketplace_id or self.settings.marketplace_ids[0]
        if query_type == "SHIPMENT":
            if not statuses and not shipment_ids:
                raise ValueError("QueryType SHIPMENT needs statuses or shipment_ids")
            params: JSON = {"QueryType": "SHIPMENT", "MarketplaceId": marketplace}
            if statuses:
                params["ShipmentStatusList"] = list(statuses)
            if shipment_ids:
                params["ShipmentIdList"] = list(shipment_ids)
        elif query_type == "DATE_RANGE":
            if last_updated_after is None or last_updated_before is None:
                raise ValueError("QueryType DATE_RANGE needs last_updated_after and _before")
            params = {
                "QueryType": "DATE_RANGE",
                "MarketplaceId": marketplace,
                "LastUpdatedAfter": iso(last_updated_after),
                "LastUpdatedBefore": iso(last_updated_before),
            }
            if statuses:
                params["ShipmentStatusList"] = list(statuses)
        else:
            raise ValueError(f"query_type must be SHIPMENT or DATE_RANGE, not {query_type!r}")
        yield from self._inbound_pages(
            "getShipments", "/fba/inbound/v0/shipments", params, "ShipmentData", next_token
        )

    def get_shipment_items_by_shipment_id(self, shipment_id: str) -> list[JSON]:
        """getShipmentItemsByShipmentId (2/s, burst 30): the shipment's ``ItemData``."""
        path = f"/fba/inbound/v0/shipments/{_segment(shipment_id)}/items"
        body = self._call("getShipmentItemsByShipmentId", "GET", path)
        return list((body.get("payload") or {}).get("ItemData") or [])

    def get_shipment_items(
        self,
        last_updated_after: datetime,
        last_updated_before: datetime,
        *,
        marketplace_id: str | None = None,
        next_token: str | None = None,
    ) -> Iterator[Page[list[JSON]]]:
        """getShipmentItems (2/s, burst 30): items of every shipment updated in the window."""
        params: JSON = {
            "QueryType": "DATE_RANGE",
            "MarketplaceId": marketplace_id or self.settings.marketplace_ids[0],
            "LastUpdatedAfter": iso(last_updated_after),
            "LastUpdatedBefore": iso(last_updated_before),
        }
        yield from self._inbound_pages(
            "getShipmentItems", "/fba/inbound/v0/shipmentItems", params, "ItemData", next_token
        )

    def _inbound_pages(
        self, operation: str, path: str, params: JSON, key: str, token: str | None
    ) -> Iterator[Page[list[JSON]]]:
        while True:
            if token:
                query: JSON = {
                    "QueryType": "NEXT_TOKEN",
                    "NextToken": token,
                    "MarketplaceId": params["MarketplaceId"],
                }
            else:
                query = params
            body = self._call(operation, "GET", path, query)
            payload = body.get("payload") or {}
            token = payload.get("NextToken") or None
            yield Page(list(payload.get(key) or []), token)
            if not token:
                return

    # --- Orders 2026-01-01 -----------------------------------------------------------------------

    def search_orders(
        self,
        *,
        created_after: datetime | None = None,
        created_before: datetime | None = None,
        last_updated_after: datetime | None = None,
        last_updated_before: datetime | None = None,
        fulfillment_statuses: Sequence[str] = (),
        fulfilled_by: Sequence[str] = (),
        marketplace_ids: Sequence[str] | None = None,
        included_data: Sequence[str] = (),
        max_results_per_page: int = 100,
        pagination_token: str | None = None,
    ) -> Iterator[Page[list[JSON]]]:
        """searchOrders (0.0056/s, burst 20): pages of ``Order`` objects.

        Exactly one of ``created_after`` and ``last_updated_after``; the ``*_before`` bound, if
        given, must be at least two minutes ago.
        """
        if (created_after is None) == (last_updated_after is None):
            raise ValueError("give exactly one of created_after and last_updated_after")
        if created_after is not None and last_updated_before is not None:
            raise ValueError("created_after goes with created_before, not last_updated_before")
        if last_updated_after is not None and created_before is not None:
            raise ValueError("last_updated_after goes with last_updated_before")
        if not 1 <= max_results_per_page <= 100:
            raise ValueError("max_results_per_page must be 1-100")
        params: JSON = {}
        for name, moment in (
            ("createdAfter", created_after),
            ("createdBefore", created_before),
            ("lastUpdatedAfter", last_updated_after),
            ("lastUpdatedBefore", last_updated_before),
        ):
            if moment is not None:
                params[name] = iso(moment)
        if fulfillment_statuses:
            params["fulfillmentStatuses"] = list(fulfillment_statuses)
        params["marketplaceIds"] = list(marketplace_ids or self.settings.marketplace_ids)
        if fulfilled_by:
            params["fulfilledBy"] = list(fulfilled_by)
        params["maxResultsPerPage"] = max_results_per_page
        if included_data:
            params["includedData"] = list(included_data)
        token = pagination_token
        while True:
            query = dict(params, paginationToken=token) if token else params
            body = self._call("searchOrders", "GET", "/orders/2026-01-01/orders", query)
            token = (body.get("pagination") or {}).get("nextToken") or None
            yield Page(list(body.get("orders") or []), token)
            if not token:
                return

    def get_order(self, order_id: str, *, included_data: Sequence[str] = ()) -> JSON:
        """getOrder (0.5/s, burst 30): one ``Order``, its items always included."""
        params: JSON = {"includedData": list(included_data)} if included_data else {}
        path = f"/orders/2026-01-01/orders/{_segment(order_id)}"
        body = self._call("getOrder", "GET", path, params)
        order = body.get("order")
        if not isinstance(order, dict):
            raise UpstreamError("getOrder answered without an order", status=200)
        return order

    # --- the request loop ------------------------------------------------------------------------

    def _call(
        self,
        operation: str,
        method: str,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        body: JSON | None = None,
    ) -> JSON:
        """Send one SP-API operation within its usage plan; return the JSON body."""
        plan = RATE_PLANS[operation]
        key = f"{self.settings.seller_key}:{operation}"
        url = self.settings.endpoint + path
        query = _query(params or {})
        limits = self.settings
        waited = 0.0
        refreshed_token = False
        attempt = 0
        while True:
            attempt += 1
            rate = self._announced_rates.get(key, plan.rate)
            # One token stays in reserve: our clock and Amazon's see each request at slightly
            # different moments, and a bucket drained to the last token turns that into 429s.
            wait = self.limiter.acquire(key, rate, max(1, plan.burst - 1))
            if wait > 0:
                if waited + wait > limits.max_wait:
                    raise RateLimited(
                        f"{operation}: the rate limit asks for {wait:.1f}s more than the "
                        f"{limits.max_wait:.0f}s this call may wait",
                        retry_after=wait,
                    )
                self._sleep(wait)
                waited += wait
            headers = {"x-amz-access-token": self.access_token(), "Accept": "application/json"}
            try:
                response = self.session.request(
                    method, url, params=query, json=body, headers=headers, timeout=limits.timeout
                )
            except (requests.ConnectionError, requests.Timeout) as exc:
                delay = self._backoff(attempt)
                if attempt >= limits.max_attempts or waited + delay > limits.max_wait:
                    raise UpstreamError(
                        f"{operation}: no answer from SP-API ({type(exc).__name__})", status=0
                    ) from None
                logger.warning("%s: no answer (%s); retrying", operation, type(exc).__name__)
                self._sleep(delay)
                waited += delay
                continue
            self._remember_rate(key, response)
            status = response.status_code
            if status < 300:
                return _json(response, operation)
            code, message = _amazon_error(response)
            if status == 429:
                retry_after = _retry_after(response)
                delay = retry_after if retry_after is not None else self._backoff(attempt)
                self.limiter.penalize(key, delay)
                if attempt >= limits.max_attempts or waited + delay > limits.max_wait:
                    raise RateLimited(
                        f"{operation}: still throttled after {attempt} attempts "
                        f"({code or 'QuotaExceeded'})",
                        retry_after=delay,
                    )
                logger.info(
                    "%s: throttled (429), retrying in %.2fs (attempt %d of %d)",
                    operation,
                    delay,
                    attempt,
                    limits.max_attempts,
                )
                continue  # the limiter now makes the next acquire wait out the delay
            if status in (401, 403) and not refreshed_token:
                logger.info(
                    "%s: HTTP %d; retrying once with a fresh access token", operation, status
                )
                self.token_cache.drop(self._token_key)
                refreshed_token = True
                continue
            if status >= 500:
                delay = _retry_after(response) or self._backoff(attempt)
                if attempt >= limits.max_attempts or waited + delay > limits.max_wait:
                    raise UpstreamError(
                        f"{operation}: HTTP {status} after {attempt} attempts: {message}",
                        status=status,
                        code=code,
                    )
                logger.warning(
                    "%s: HTTP %d (%s), retrying in %.2fs", operation, status, code, delay
                )
                self._sleep(delay)
                waited += delay
                continue
            raise _error_for(operation, status, code, message)

    def _send_plain(self, what: str, method: str, url: str, **kwargs: Any) -> requests.Response:
        """Send a request outside SP-API's metering (LWA, document download); retry 5xx, 429 and
        lost connections within the same bounds. Returns the last response.
        """
        limits = self.settings
        waited = 0.0
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self.session.request(method, url, timeout=limits.timeout, **kwargs)
            except (requests.ConnectionError, requests.Timeout) as exc:
                delay = self._backoff(attempt)
                if attempt >= limits.max_attempts or waited + delay > limits.max_wait:
                    raise UpstreamError(
                        f"{what}: no answer ({type(exc).__name__})", status=0
                    ) from None
            else:
                if response.status_code != 429 and response.status_code < 500:
                    return response
                delay = _retry_after(response) or self._backoff(attempt)
                if attempt >= limits.max_attempts or waited + delay > limits.max_wait:
                    return response
            logger.warning("%s: retrying in %.2fs (attempt %d)", what, delay, attempt)
            self._sleep(delay)
            waited += delay

    def _backoff(self, attempt: int) -> float:
        """Exponential with jitter: half the step fixed, half random (never a zero wait)."""
        step = min(self.settings.backoff_cap, self.settings.backoff_base * 2 ** (attempt - 1))
        return step / 2 + self._random.uniform(0, step / 2)

    def _remember_rate(self, key: str, response: requests.Response) -> None:
        announced = response.headers.get("x-amzn-RateLimit-Limit")
        if not announced:
            return
        try:
            rate = float(announced)
        except ValueError:
            return
        if rate > 0 and self._announced_rates.get(key) != rate:
            self._announced_rates[key] = rate
            logger.debug("%s: Amazon announces %s requests/s", key, announced)


# --- helpers -------------------------------------------------------------------------------------


def iso(moment: datetime) -> str:
    """ISO 8601 in UTC with a Z, as SP-API documents its times. Naive times are refused."""
    if moment.tzinfo is None:
        raise ValueError(f"{moment!r} has no time zone; SP-API times must be aware")
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _segment(value: str) -> str:
    return quote(value, safe="")


def _query(params: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Query pairs; lists become one comma-separated value (the models' collectionFormat csv)."""
    pairs = []
    for name, value in params.items():
        if value is None:
            continue
        if isinstance(value, list | tuple):
            pairs.append((name, ",".join(str(v) for v in value)))
        elif isinstance(value, bool):
            pairs.append((name, "true" if value else "false"))
        else:
            pairs.append((name, str(value)))
    return pairs


def _json(response: requests.Response, operation: str) -> JSON:
    if not response.content:
        return {}
    try:
        body = response.json()
    except ValueError:
        raise UpstreamError(
            f"{operation}: answer is not JSON", status=response.status_code
        ) from None
    if not isinstance(body, dict):
        raise UpstreamError(f"{operation}: answer is not a JSON object", status=200)
    return body


def _text(payload: JSON, key: str, operation: str) -> str:
    value = payload.get(key)
    if not isinstance(value, str) or not value:
        raise UpstreamError(f"{operation}: answer has no {key}", status=200)
    return value


def _amazon_error(response: requests.Response) -> tuple[str, str]:
    """Amazon's ``errors[0].code`` and ``.message`` (``details`` appended), when it sent them."""
    try:
        body = response.json()
    except ValueError:
        return "", (response.reason or "").strip()
    errors = body.get("errors") if isinstance(body, dict) else None
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        first = errors[0]
        message = str(first.get("message") or "")
        if first.get("details"):
            message = f"{message} ({first['details']})"
        return str(first.get("code") or ""), message
    return "", (response.reason or "").strip()


def _lwa_error(response: requests.Response) -> tuple[str, str]:
    try:
        body = response.json()
    except ValueError:
        return "", ""
    if not isinstance(body, dict):
        return "", ""
    return str(body.get("error") or ""), str(body.get("error_description") or "")


def _retry_after(response: requests.Response) -> float | None:
    """Seconds from ``Retry-After``: a number, or an HTTP date."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _error_for(operation: str, status: int, code: str, message: str) -> Exception:
    text = f"{operation}: HTTP {status} {code}: {message}".rstrip(": ")
    if status in (401, 403):
        return AuthError(text, status=status, code=code)
    if status == 404:
        return NotFound(text, code=code)
    return UpstreamError(text, status=status, code=code)
