"""Blueprint ``sidebar``: the ticket sidebar page, its panels, its JSON, and the dev SDK.

- ``POST /sidebar``: Zendesk's signed launch. Verified by ``accept_launch``; the page embeds
  the app token in a data attribute (never a cookie) and is served at the URL Zendesk posted
  to, so ``origin`` and ``app_guid`` stay in ``location.search`` for the ZAF SDK.
- ``GET|POST /api/v1/sidebar/context``: the panel data as JSON (docs/sidebar-api.md).
- ``GET|POST /sidebar/panels``: the same data as HTML fragments in the agent's language and
  time zone; ``panel=tracking`` asks for one panel (the script polls a refreshing one).
- ``GET /vendor/zaf_sdk.js``: the npm SDK bundled, when ``ZAF_SDK_URL`` is ``bundled``.

Inputs come as query parameters, or as a JSON object in a POST body (a long ticket
description does not fit in a URL); both carry the same names.

Both data endpoints answer from a short-lived cache in Redis (``SIDEBAR_CACHE_SECONDS``,
default 60): agents reopen the same tickets all day, and a panel built from a dozen queries
costs far more than a Redis read. The key holds the installation and every input, so tenants
and time zones never share an entry; nothing is cached while a parcel's snapshot is stale
(the refresh the panel waits for must show at once), and no entry outlives the earliest
snapshot expiry it shows. Each process also keeps recent answers for what remains of their
time in Redis (at most 10 s), so a hit costs no round trip. ``fresh=1`` bypasses both.
``X-Claimdesk-Cache`` says hit or miss.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Blueprint, Response, current_app, json, render_template, request, url_for
from werkzeug.exceptions import BadRequest

from plugin import i18n
from plugin.extensions import resources
from plugin.memo import ExpiringMemo
from plugin.security.web import accept_launch, app_token_required, current_identity
from plugin.services import sidebar as service
from plugin.sidebar import presenter
from plugin.sidebar.sdk_bundle import Bundle, BundleError, bundle_sdk, package_folder

logger = logging.getLogger(__name__)

bp = Blueprint("sidebar", __name__)

LOCATION = "ticket_sidebar"
CDN_SDK_URL = "https://static.zdassets.com/zendesk_app_framework_sdk/2.0/zaf_sdk.min.js"
BUNDLED = "bundled"
PANELS = ("timeline", "tracking", "eligibility")
MAX_FIELD = 100_000  # characters accepted per text input (the service reads fewer)
PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent


def _now() -> datetime:
    return datetime.now(UTC)


# --- the page ----------------------------------------------------------------------------


@bp.post("/sidebar")
def page() -> Response:
    """The signed launch: verify it, then serve the page with a fresh app token."""
    _, app_token = accept_launch(LOCATION)
    locale = i18n.locale_of(request.accept_languages.best_match(["en", "fr", "zh-cn", "zh"]))
    html = render_template(
        "sidebar/page.html",
        app_token=app_token,
        sdk_url=sdk_url(),
        locale=locale,
        t=i18n.translator(locale),
        messages=presenter.script_messages(),
        panels_url=url_for("sidebar.panels"),
    )
    response = Response(html, content_type="text/html; charset=utf-8")
    response.headers["Cache-Control"] = "no-store"  # it carries a token
    return response


def sdk_url() -> str:
    """Where the page loads the ZAF SDK: the CDN in production, our bundle in development."""
    configured = current_app.config.get("ZAF_SDK_URL")
    if not configured:
        production = current_app.config.get("ENV") == "production"
        configured = CDN_SDK_URL if production else BUNDLED
    return url_for("sidebar.zaf_sdk") if configured == BUNDLED else str(configured)


@bp.get("/vendor/zaf_sdk.js")
def zaf_sdk() -> Response:
    """The npm ZAF SDK as one script (development and tests; 404 when not configured)."""
    if sdk_url() != url_for("sidebar.zaf_sdk"):
        return _text_error(404, "The ZAF SDK is served by Zendesk's CDN in this deployment.")
    folder = Path(current_app.config.get("ZAF_SDK_PACKAGE") or package_folder(PROJECT_ROOT))
    try:
        bundle = _bundle(folder, _mtime(folder))
    except BundleError as exc:
        return _text_error(404, f"{exc}")
    response = Response(bundle.source, content_type="application/javascript; charset=utf-8")
    response.headers["X-ZAF-SDK-Version"] = bundle.version
    response.headers["Cache-Control"] = "no-cache"
    return response


def _mtime(folder: Path) -> float:
    try:
        return (folder / "package.json").stat().st_mtime
    except OSError:
        return 0.0


@cache
def _bundle(folder: Path, mtime: float) -> Bundle:
    """Bundled once per installed package version (``mtime`` changes on reinstall)."""
    return bundle_sdk(folder)


def _text_error(status: int, message: str) -> Response:
    return Response(f"// {message}\n", status=status, content_type="text/plain; charset=utf-8")


# --- data --------------------------------------------------------------------------------


@bp.route("/api/v1/sidebar/context", methods=["GET", "POST"])
@app_token_required
def context_json() -> Response:
    """The sidebar's data for one ticket as JSON (schema: docs/sidebar-api.md)."""
    inputs = _inputs()

    def build() -> tuple[str, float]:
        context = _context(inputs)
        body = presenter.context_document(context, inputs.zone, inputs.locale)
        return json.dumps(body), _cache_seconds(context)

    return _cached_json("context", inputs, build)


@bp.route("/sidebar/panels", methods=["GET", "POST"])
@app_token_required
def panels() -> Response:
    """The panels as HTML fragments (escaped), in the agent's language and time zone."""
    inputs = _inputs()
    return _cached_json("panels", inputs, lambda: _render_panels(inputs))


def _render_panels(inputs: Inputs) -> tuple[str, float]:
    wanted = inputs.panel
    context = _context(inputs)
    refreshing = False
    if context.stale_tracking and wanted in (None, "tracking") and context.tracking.ok:
        refreshing = _request_refresh(context)
    view = presenter.PanelView(
        context, inputs.zone, inputs.locale, refreshing=refreshing, insert=_insert_wording(inputs)
    )
    t = i18n.translator(inputs.locale)
    fragments = {
        name: render_template(f"sidebar/panel_{name}.html", view=view, t=t)
        for name in PANELS
        if wanted in (None, name)
    }
    body: dict[str, Any] = {
        "locale": inputs.locale,
        "empty": not context.orders,
        "refreshing": refreshing,
        "panels": fragments,
    }
    if wanted is None:
        body["orders"] = render_template("sidebar/orders.html", view=view, t=t)
        body["empty_state"] = (
            render_template("sidebar/empty.html", view=view, t=t) if not context.orders else None
        )
    return json.dumps(body), 0.0 if refreshing else _cache_seconds(context)


def _cache_seconds(context: service.SidebarContext) -> float:
    """How long this answer may be served again: never while a parcel is stale."""
    if context.stale_tracking:
        return 0.0
    limit = float(current_app.config.get("SIDEBAR_CACHE_SECONDS", 60))
    expiries = [
        (view.expires_at - context.now).total_seconds()
        for views in context.tracking.data.values()
        for view in views
    ]
    return max(0.0, min([limit, *expiries]))


def _cache_key(kind: str, inputs: Inputs) -> str:
    ticket = inputs.ticket
    parts = [
        kind,
        str(current_identity().installation_id),
        ticket.subject,
        ticket.description,
        ticket.requester_email,
        ticket.order_field,
        str(ticket.ticket_id),
        inputs.zone.key,
        inputs.locale,
        str(inputs.panel),
        inputs.requester_name,
        inputs.requester_locale,
    ]
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return f"claimdesk:sidebar:{current_identity().installation_id}:{digest}"


# Recent answers also stay in this process for what remains of their time in Redis (at most
# LOCAL_SECONDS): a hit then costs no round trip. The Redis copy is what workers share.
LOCAL_ANSWERS = "claimdesk.sidebar_answers"
LOCAL_SECONDS = 10.0


def _local_answers() -> ExpiringMemo[str, str]:
    memo: ExpiringMemo[str, str] | None = current_app.extensions.get(LOCAL_ANSWERS)
    if memo is None:
        memo = current_app.extensions.setdefault(LOCAL_ANSWERS, ExpiringMemo(512))
    return memo


def _cached_json(kind: str, inputs: Inputs, build: Callable[[], tuple[str, float]]) -> Response:
    """``build()``'s JSON body, from the cache when an equal request was answered recently."""
    key = _cache_key(kind, inputs)
    fresh = request.args.get("fresh") == "1"
    redis = resources().redis
    local = _local_answers()
    body: str | None = None
    if not fresh:
        body = local.get(key)
        if body is None:
            try:
                pipe = redis.pipeline(transaction=False)
                pipe.get(key)
                pipe.pttl(key)
                cached, left_ms = pipe.execute()
            except Exception:  # Redis down: answer from the store, slower but right
                logger.warning("sidebar cache unavailable", exc_info=True)
                cached, left_ms = None, 0
            if cached is not None:
                body = cached.decode("utf-8") if isinstance(cached, bytes) else str(cached)
                local.put(key, body, min(LOCAL_SECONDS, max(0, int(left_ms)) / 1000))
    state = "hit" if body is not None else "miss"
    if body is None:
        body, seconds = build()
        if seconds >= 1:
            try:
                redis.set(key, body.encode("utf-8"), ex=int(seconds))
                local.put(key, body, min(LOCAL_SECONDS, float(int(seconds))))
            except Exception:
                logger.warning("sidebar cache unavailable", exc_info=True)
    response = Response(body, content_type="application/json")
    response.headers["Cache-Control"] = "no-store"  # customer data: never in a browser cache
    response.headers["X-Claimdesk-Cache"] = state
    return response


def _request_refresh(context: service.SidebarContext) -> bool:
    """Queue refreshes of stale snapshots; a queue failure leaves the stored data showing."""
    try:
        service.refresh_stale(resources().redis, current_identity().installation_id, context)
    except Exception:  # Redis down: the panel shows what is stored, marked stale, no spinner
        logger.exception("could not queue tracking refreshes")
        return False
    return True


class Inputs:
    """The request's ticket, time zone, locale and panel, checked."""

    def __init__(self, values: Mapping[str, Any]):
        self.ticket = service.TicketInput(
            subject=_text(values, "subject"),
            description=_text(values, "description"),
            requester_email=_text(values, "requester_email"),
            order_field=_text(values, "order_id"),
            ticket_id=_ticket_id(values.get("ticket_id")),
        )
        self.zone = _zone(_text(values, "tz") or "UTC")
        self.locale = i18n.locale_of(_text(values, "locale"))
        panel = _text(values, "panel") or None
        if panel is not None and panel not in PANELS:
            raise BadRequest(f"panel must be one of {', '.join(PANELS)}")
        self.panel = panel
        # The customer's name and language, for the "Insert tracking" reply (issue 5).
        self.requester_name = _text(values, "requester_name")[:200]
        self.requester_locale = _text(values, "requester_locale")[:20]


def _inputs() -> Inputs:
    if request.method == "POST":
        values = request.get_json(silent=True)
        if not isinstance(values, dict):
            raise BadRequest("send the ticket as a JSON object (Content-Type: application/json)")
        return Inputs(values)
    return Inputs(request.args)


def _text(values: Mapping[str, Any], name: str) -> str:
    value = values.get(name)
    if value is None:
        return ""
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise BadRequest(f"{name} must be text")
    text = str(value)
    if len(text) > MAX_FIELD:
        raise BadRequest(f"{name} is longer than {MAX_FIELD} characters")
    return text


def _ticket_id(value: Any) -> int | None:
    if value in (None, ""):
        return None
    text = str(value).strip()
    if isinstance(value, bool) or not text.isdigit() or not 0 < int(text) < 2**63:
        raise BadRequest("ticket_id must be a positive whole number")
    return int(text)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise BadRequest(
            f"tz must be an IANA time zone such as Europe/Paris, not {name!r}"
        ) from None


def _context(inputs: Inputs) -> service.SidebarContext:
    identity = current_identity()
    with resources().session() as session:
        return service.sidebar_context(session, identity.installation_id, inputs.ticket, _now())


def _insert_wording(inputs: Inputs) -> presenter.InsertWording:
    """The installation's "Insert tracking" wording in the customer's language (else the
    agent's), with the customer's name."""
    from plugin.domain.replies import TRACKING_INSERT, reply_language
    from plugin.services.reply_templates import template_for

    language = reply_language(inputs.requester_locale or inputs.locale)
    with resources().session() as session:
        wording = template_for(
            session, current_identity().installation_id, TRACKING_INSERT, language
        )
    return presenter.InsertWording(language, wording.body, inputs.requester_name)
