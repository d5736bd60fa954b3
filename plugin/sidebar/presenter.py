"""The sidebar context as people and programs read it: text in the agent's language and time
zone for the HTML panels, plain values for the JSON document.

Nothing here marks text as safe: every string (customer text included) reaches the page
through Jinja's autoescaping. The "Insert tracking" text is the installation's
``tracking_insert`` wording (``InsertWording``) rendered here per parcel, in the customer's
language: HTML with every value escaped once (``plugin.domain.replies``), and plain text; both
travel in data attributes (escaped again by the template, unescaped by the DOM). Through a
marketplace relay address the reply carries no link (Amazon forbids links in buyer messages).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from plugin import i18n
from plugin.domain import replies
from plugin.domain.timeline import TimelineEvent
from plugin.services.sidebar import ClaimLine, Eligibility, OrderSummary, Panel, SidebarContext

CARRIER_NAMES = {
    "ups": "UPS",
    "fedex": "FedEx",
    "usps": "USPS",
    "dhl": "DHL",
    "amazon": "Amazon Logistics",
    "other": "",
}
SCRIPT_MESSAGES = ("app.loading", "app.unreachable", "app.expired", "app.no_sdk", "panel.failed")


def script_messages() -> dict[str, dict[str, str]]:
    """The few strings the script needs before (or without) an answer, in every locale."""
    return {
        locale: {key: i18n.translate(locale, key) for key in SCRIPT_MESSAGES}
        for locale in i18n.LOCALES
    }


def format_time(moment: datetime | None, zone: ZoneInfo) -> str:
    """``2026-10-31 14:05 CET`` in the agent's zone ('' for none)."""
    if moment is None:
        return ""
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z").strip()


def _time_value(value: Any, zone: ZoneInfo) -> str:
    if isinstance(value, datetime):
        return format_time(value, zone) if value.tzinfo else value.isoformat()
    if isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
        return format_time(parsed, zone) if parsed.tzinfo else value
    return ""


def safe_url(url: Any) -> str | None:
    """``url`` when it is an absolute http(s) link, else None (never a ``javascript:`` href)."""
    if not isinstance(url, str) or not url:
        return None
    parts = urlsplit(url)
    return url if parts.scheme in ("http", "https") and parts.netloc else None


@dataclass(frozen=True)
class InsertWording:
    """What "Insert tracking" writes: a ``tracking_insert`` wording, its language, and the
    customer's name as Zendesk has it (the requester's)."""

    language: str
    body: str
    customer_name: str = ""

    @classmethod
    def default(cls, locale: str, customer_name: str = "") -> InsertWording:
        """The built-in wording in the language of ``locale``."""
        language = replies.reply_language(locale)
        body = replies.default_body(replies.TRACKING_INSERT, language)
        return cls(language, body, customer_name)


@dataclass(frozen=True)
class OrderRow:
    order_id: str
    heading: str
    marketplace: str
    status: str
    found_in: str
    purchased: str


@dataclass(frozen=True)
class EventRow:
    iso: str
    when: str
    text: str
    kind: str


@dataclass(frozen=True)
class TrackingRow:
    carrier: str
    tracking_number: str
    status: str
    status_code: str
    status_detail: str
    last_event: str
    last_event_place: str
    last_event_time: str
    estimated: str
    delivered: str
    checked: str
    url: str | None
    stale: bool
    insert_html: str
    insert_text: str


@dataclass(frozen=True)
class ClaimRow:
    kind: str
    kind_code: str
    sku: str
    units: str
    estimate: str
    basis: str
    deadline: str
    urgent: bool
    status: str
    status_code: str
    status_reason: str
    disputed: bool
    url: str


@dataclass(frozen=True)
class SlaRow:
    risk: str
    risk_code: str
    state: str  # due, overdue, answered, none
    text: str
    limits: list[str]


def _span(delta: Any) -> str:
    """``1 h 05 min`` (or ``12 min``) of a timedelta."""
    minutes = max(0, int(delta.total_seconds() // 60))
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


class PanelView:
    """What the panel templates render for one context."""

    def __init__(
        self,
        context: SidebarContext,
        zone: ZoneInfo,
        locale: str,
        *,
        refreshing: bool = False,
        insert: InsertWording | None = None,
    ):
        self.context = context
        self.zone = zone
        self.locale = locale
        self.refreshing = refreshing
        self.t = i18n.translator(locale)
        self.insert = insert or InsertWording.default(locale)
        self.links = replies.links_allowed(context.requester_email)

    @property
    def orders(self) -> list[OrderRow]:
        return [self._order(order) for order in self.context.orders]

    def _order(self, order: OrderSummary) -> OrderRow:
        channel = (
            self.t(f"channel.{order.channel}")
            if f"channel.{order.channel}" in i18n.catalog("en")
            else order.channel
        )
        return OrderRow(
            order_id=order.order_id,
            heading=self.t("order.heading", channel=channel, order_id=order.order_id),
            marketplace=self.t("order.marketplace", marketplace=order.marketplace)
            if order.marketplace
            else "",
            status=self.t("order.status", status=order.status) if order.status else "",
            found_in=self.t(f"order.found_in.{order.found_in}"),
            purchased=format_time(order.purchased_at, self.zone),
        )

    def error(self, panel: Panel[Any]) -> str | None:
        if panel.ok:
            return None
        key = f"panel.{panel.error}"
        return self.t(key) if key in i18n.catalog("en") else self.t("panel.failed")

    # timeline

    def events(self, order_id: str) -> list[EventRow]:
        return [self._event(event) for event in self.context.timeline.data.get(order_id, [])]

    def _event(self, event: TimelineEvent) -> EventRow:
        when = event.day.isoformat() if event.date_only else format_time(event.at, self.zone)
        iso = event.day.isoformat() if event.date_only else event.at.isoformat()
        return EventRow(iso=iso, when=when, text=self.event_text(event), kind=event.kind)

    def event_text(self, event: TimelineEvent) -> str:
        details: dict[str, str] = {
            "carrier": "",
            "tracking_number": "",
            "quantity": "",
            "sku": "",
            "disposition": "",
            "amount": "",
            "currency": "",
            "case_id": "",
            **event.details,
        }
        if "claim_kind" in details:
            details["claim_kind"] = self.claim_kind(details["claim_kind"])
        if "carrier" in event.details:
            details["carrier"] = CARRIER_NAMES.get(details["carrier"], details["carrier"])
        kind = event.kind
        if kind == "shipped" and (
            event.details.get("carrier") or event.details.get("tracking_number")
        ):
            key = "timeline.shipped_via"
        elif kind == "reimbursed" and not event.details.get("amount"):
            key = "timeline.reimbursed_units"
        else:
            key = f"timeline.{kind}"
        return " ".join(self.t(key, **details).split()).replace("( ", "(").replace(" )", ")")

    def claim_kind(self, kind: str) -> str:
        key = f"claims.kind.{kind}"
        return self.t(key) if key in i18n.catalog("en") else kind

    # tracking

    def tracking(self, order_id: str) -> list[TrackingRow]:
        return [self._tracking(view) for view in self.context.tracking.data.get(order_id, [])]

    def _tracking(self, view: Any) -> TrackingRow:
        carrier = CARRIER_NAMES.get(view.carrier) or str(view.carrier)
        url = safe_url(view.url)
        status_key = f"tracking.status.{view.status}"
        status = self.t(status_key) if status_key in i18n.catalog("en") else str(view.status)
        last = view.last_event if isinstance(view.last_event, Mapping) else {}
        inserted = self.inserted(view, url)
        return TrackingRow(
            carrier=carrier,
            tracking_number=str(view.tracking_number),
            status=status,
            status_code=str(view.status),
            status_detail=str(view.status_detail or ""),
            last_event=str(last.get("text") or ""),
            last_event_place=str(last.get("place") or ""),
            last_event_time=_time_value(last.get("time"), self.zone),
            estimated=format_time(view.estimated_delivery, self.zone),
            delivered=format_time(view.delivered_at, self.zone),
            checked=format_time(view.fetched_at, self.zone),
            url=url,
            stale=bool(view.stale),
            insert_html=inserted.html,
            insert_text=inserted.text,
        )

    def inserted(self, view: Any, url: str | None) -> replies.Rendered:
        """The parcel's reply text in the wording's language (no link through a relay)."""
        facts = replies.ParcelFacts(
            order_id=str(view.order_id or ""),
            carrier=str(view.carrier),
            tracking_number=str(view.tracking_number),
            status=str(view.status),
            url=url,
            estimated_delivery=view.estimated_delivery,
            delivered_at=view.delivered_at,
            customer_name=self.insert.customer_name,
        )
        wording = self.insert
        return replies.render_reply(
            wording.body, facts, wording.language, self.zone, links=self.links
        )

    # eligibility

    def claims(self, order_id: str) -> list[ClaimRow]:
        found = self.context.eligibility.data.get(order_id)
        return [self._claim(line) for line in found.claims] if found else []

    def other_sku_claims(self, order_id: str) -> list[tuple[str, str]]:
        """(text, claims view link) per SKU of the order with claims elsewhere."""
        found = self.context.eligibility.data.get(order_id)
        if not found:
            return []
        return [
            (self.t("claims.other_sku", sku=item.sku, count=item.count), item.claims_url)
            for item in found.other_sku_claims
        ]

    def _claim(self, line: ClaimLine) -> ClaimRow:
        if line.estimated_amount is not None:
            estimate = self.t(
                "claims.estimate",
                amount=f"{line.estimated_amount:.2f}",
                currency=line.currency or "",
            ).strip()
        else:
            estimate = self.t("claims.no_estimate")
        basis_key = f"claims.basis.{line.valuation_basis}"
        basis = (
            self.t(basis_key)
            if line.valuation_basis and basis_key in i18n.catalog("en")
            else (line.valuation_basis or "")
        )
        status_key = f"claims.status.{line.status}"
        status = self.t(status_key) if status_key in i18n.catalog("en") else line.status
        return ClaimRow(
            kind=self.claim_kind(line.kind),
            kind_code=line.kind,
            sku=line.sku,
            units=self.t("claims.units", units=line.units),
            estimate=estimate,
            basis=basis,
            deadline=self._deadline(line.deadline, line.days_left),
            urgent=line.days_left is not None and 0 <= line.days_left <= 14,
            status=status,
            status_code=line.status,
            status_reason=line.status_reason or "",
            disputed=line.disputed_grading,
            url=line.claims_url,
        )

    def _deadline(self, deadline: date | None, days_left: int | None) -> str:
        if deadline is None or days_left is None:
            return self.t("claims.no_deadline")
        if days_left > 0:
            return self.t("claims.deadline_left", date=deadline.isoformat(), days=days_left)
        if days_left == 0:
            return self.t("claims.deadline_today", date=deadline.isoformat())
        return self.t("claims.deadline_passed", date=deadline.isoformat(), days=-days_left)

    # SLA clock (triage)

    @property
    def sla(self) -> SlaRow | None:
        clock = self.context.sla
        if clock is None:
            return None
        when = format_time(clock.due_at, self.zone)
        if clock.answered_at is not None:
            state, text = (
                "answered",
                self.t("sla.answered", time=format_time(clock.answered_at, self.zone)),
            )
        elif clock.remaining is None:
            state, text = "none", self.t("sla.no_target")
        elif clock.overdue:
            state, text = "overdue", self.t("sla.overdue", time=when, late=_span(-clock.remaining))
        else:
            state, text = "due", self.t("sla.due", time=when, remaining=_span(clock.remaining))
        limits = []
        if clock.a_to_z_due_at is not None:
            limits.append(self.t("sla.a_to_z", time=format_time(clock.a_to_z_due_at, self.zone)))
        elif clock.amazon_due_at is not None:
            limits.append(self.t("sla.amazon", time=format_time(clock.amazon_due_at, self.zone)))
        return SlaRow(
            risk=self.t(f"sla.risk.{clock.risk}"), risk_code=clock.risk, state=state,
            text=text, limits=limits,
        )  # fmt: skip

    # empty state

    @property
    def unmatched_refs(self) -> str:
        return ", ".join(ref.order_id for ref in self.context.refs)


# --- JSON --------------------------------------------------------------------------------


def context_document(context: SidebarContext, zone: ZoneInfo, locale: str) -> dict[str, Any]:
    """The JSON body of ``/api/v1/sidebar/context`` (docs/sidebar-api.md)."""
    view = PanelView(context, zone, locale)
    return {
        "generated_at": context.now.isoformat(),
        "time_zone": zone.key,
        "locale": locale,
        "sla": _sla(context),
        "looked_for": {
            "references": [
                {"channel": ref.channel, "order_id": ref.order_id, "found_in": ref.found_in}
                for ref in context.refs
            ],
            "requester_email": context.requester_email or None,
        },
        "orders": [
            {
                "channel": order.channel,
                "order_id": order.order_id,
                "marketplace": order.marketplace,
                "status": order.status,
                "purchased_at": _value(order.purchased_at),
                "found_in": order.found_in,
            }
            for order in context.orders
        ],
        "panels": {
            "timeline": _panel(view, context.timeline, _each(lambda e: _event(e, zone))),
            "tracking": _panel(view, context.tracking, _each(_tracking)),
            "eligibility": _panel(view, context.eligibility, _eligibility),
        },
    }


def _sla(context: SidebarContext) -> dict[str, Any] | None:
    clock = context.sla
    if clock is None:
        return None
    return {
        "risk": clock.risk,
        "due_at": _value(clock.due_at),
        "amazon_due_at": _value(clock.amazon_due_at),
        "a_to_z_due_at": _value(clock.a_to_z_due_at),
        "answered_at": _value(clock.answered_at),
        "overdue": clock.overdue,
        "remaining_seconds": None
        if clock.remaining is None
        else int(clock.remaining.total_seconds()),
    }


def _panel(view: PanelView, panel: Panel[Any], item: Any) -> dict[str, Any]:
    if not panel.ok:
        return {"ok": False, "error": {"code": panel.error, "message": view.error(panel)}}
    return {"ok": True, "orders": {order_id: item(data) for order_id, data in panel.data.items()}}


def _each(item: Any) -> Any:
    return lambda items: [item(x) for x in items]


def _event(event: TimelineEvent, zone: ZoneInfo) -> dict[str, Any]:
    return {
        "kind": event.kind,
        "at": event.day.isoformat() if event.date_only else event.at.isoformat(),
        "local_at": None if event.date_only else event.at.astimezone(zone).isoformat(),
        "date_only": event.date_only,
        "details": dict(event.details),
    }


TRACKING_FIELDS = (
    "carrier",
    "tracking_number",
    "order_id",
    "status",
    "status_detail",
    "last_event",
    "estimated_delivery",
    "delivered_at",
    "url",
    "fetched_at",
    "expires_at",
    "stale",
)


def _tracking(view: Any) -> dict[str, Any]:
    return {name: _value(getattr(view, name, None)) for name in TRACKING_FIELDS}


def _eligibility(found: Eligibility) -> dict[str, Any]:
    return {
        "claims": [_claim(line) for line in found.claims],
        "other_sku_claims": [
            {"sku": item.sku, "count": item.count, "claims_url": item.claims_url}
            for item in found.other_sku_claims
        ],
    }


def _claim(line: ClaimLine) -> dict[str, Any]:
    return {
        "kind": line.kind,
        "reference_id": line.reference_id,
        "sku": line.sku,
        "units": line.units,
        "estimated_amount": _value(line.estimated_amount),
        "currency": line.currency,
        "valuation_basis": line.valuation_basis,
        "deadline": _value(line.deadline),
        "days_left": line.days_left,
        "status": line.status,
        "status_reason": line.status_reason,
        "disputed_grading": line.disputed_grading,
        "claims_url": line.claims_url,
    }


def _value(value: Any) -> Any:
    """JSON-ready: times and days as ISO 8601, money as a decimal string."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, Mapping):
        return {str(k): _value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_value(v) for v in value]
    return value
