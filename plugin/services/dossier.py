"""An order's dossier: everything an A-to-z claim or an account audit asks about, in one zip.

Amazon decides A-to-z claims on documentation: when the buyer wrote and from which channel,
who answered and how fast against the response targets, what the carrier said (tracking
events, delivery time, proof of delivery), what the seller noted internally, and every action
taken. ``build_dossier`` gathers it from the store and from Zendesk (the tickets linked to the
order) into:

- ``dossier.json``: the data, schema ``claimdesk.dossier`` version ``SCHEMA_VERSION``
  (``plugin/templates/dossier/SCHEMA.md``, also in the zip);
- ``dossier.html``: the same, printable (print CSS; "Save as PDF" in any browser), with no
  script: customer text is escaped by Jinja's autoescaping and a CSP forbids scripts;
- ``SCHEMA.md``: what each JSON field means.

When Zendesk cannot be read (not connected, unreachable, refused, ticket gone), the dossier
is still built from the store and ``gaps`` says which part is missing and why.

No PDF: the libraries that turn this HTML into PDF need system libraries (WeasyPrint: Pango)
or their own layout and embedded fonts to show buyers' Chinese and Japanese (ReportLab,
fpdf2); the printable HTML gives the same PDF from the agent's browser.
"""

from __future__ import annotations

import io
import json
import logging
import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.orm import Session

from connectors.errors import AuthError, ConnectorError, NotFound, RateLimited
from plugin import i18n
from plugin.domain.triage import A_TO_Z, A_TO_Z_RESPONSE, AMAZON_RESPONSE
from plugin.errors import PluginError
from plugin.services import audit
from plugin.services import sidebar as sidebar_service
from plugin.services.tracking import view_of
from plugin.store import audit_queries, case_queries, queries, tracking_queries
from plugin.store import sidebar_queries as sq
from plugin.store.crypto import CredentialsError, Keyring
from plugin.store.models import (
    Case,
    ClaimRecord,
    Installation,
    Order,
    TicketLink,
    TicketTriage,
    TrackingSnapshot,
)

if TYPE_CHECKING:
    from connectors.zendesk.client import ZendeskClient
    from connectors.zendesk.models import CommentData, TicketData, UserData

logger = logging.getLogger(__name__)

SCHEMA = "claimdesk.dossier"
SCHEMA_VERSION = 1
TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
FOLDER = TEMPLATES / "dossier"
AGENT_ROLES = frozenset({"agent", "admin"})
ZENDESK_BUDGET = 10.0  # seconds of Retry-After a dossier waits for in total

# Gap reasons (``gaps[].reason``).
NOT_CONNECTED = "zendesk_not_connected"
UNREACHABLE = "zendesk_unreachable"
REFUSED = "zendesk_refused"
RATE_LIMITED = "zendesk_rate_limited"
TICKET_GONE = "ticket_not_found"
FAILED = "failed"


class DossierError(PluginError):
    """The dossier cannot be built as asked (the message says why)."""


class OrderNotFound(DossierError):
    """This installation has no such order (another's order is not found either)."""


class TicketReader(Protocol):
    """What the dossier reads from Zendesk (``connectors.zendesk.client.ZendeskClient``)."""

    def ticket(self, ticket_id: int) -> TicketData: ...

    def comments(self, ticket_id: int) -> list[CommentData]: ...

    def user(self, user_id: int) -> UserData: ...


@dataclass(frozen=True)
class Gap:
    part: str  # "messages", "ticket", "users"
    reason: str
    message: str
    ticket_id: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "part": self.part,
            "ticket_id": self.ticket_id,
            "reason": self.reason,
            "message": self.message,
        }


def file_name(order_id: str) -> str:
    """``dossier-<order>.zip``, with only safe characters."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", order_id).strip("-.")[:80] or "order"
    return f"dossier-{safe}.zip"


def build_dossier(
    session: Session,
    keyring: Keyring,
    installation_id: int,
    order_id: str,
    now: datetime,
    *,
    client: TicketReader | None = None,
    channel: str | None = None,
    locale: str = "en",
) -> bytes:
    """The zip of the order's dossier (``dossier.html``, ``dossier.json``, ``SCHEMA.md``).

    ``client`` reads Zendesk; by default the installation's own (when it is connected).

    Raises:
        OrderNotFound: the installation has no order ``order_id`` (in ``channel``).
        DossierError: ``now`` is naive, or the id names orders in several channels.
    """
    document = dossier_document(
        session, keyring, installation_id, order_id, now, client=client, channel=channel,
        locale=locale,
    )  # fmt: skip
    html = render_html(document)
    return pack(document, html, now)


def pack(document: Mapping[str, Any], html: str, now: datetime) -> bytes:
    """The zip: one folder named after the order, three files, stamped ``now`` (UTC)."""
    stamp = now.astimezone(UTC).timetuple()[:6]
    folder = file_name(str(document["order"]["order_id"])).removesuffix(".zip")
    files = {
        "dossier.json": json.dumps(document, ensure_ascii=False, indent=1, sort_keys=False),
        "dossier.html": html,
        "SCHEMA.md": (FOLDER / "SCHEMA.md").read_text("utf-8"),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            info = zipfile.ZipInfo(f"{folder}/{name}", date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, text.encode("utf-8"))
    return buffer.getvalue()


# --- the document ---------------------------------------------------------------------------


def dossier_document(
    session: Session,
    keyring: Keyring,
    installation_id: int,
    order_id: str,
    now: datetime,
    *,
    client: TicketReader | None = None,
    channel: str | None = None,
    locale: str = "en",
) -> dict[str, Any]:
    """The dossier's data (what ``dossier.json`` holds)."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise DossierError("now must be timezone-aware")
    now = now.astimezone(UTC)
    locale = i18n.locale_of(locale)
    installation = queries.installation_by_id(session, installation_id)
    if installation is None:
        raise OrderNotFound(f"no order {order_id}")
    order = find_order(session, installation_id, order_id, channel)
    links = audit_queries.ticket_links_for_order(
        session, installation_id, order.channel, order.order_id
    )
    ticket_ids = sorted({link.ticket_id for link in links})
    triage = audit_queries.triage_for_tickets(session, installation_id, ticket_ids)
    gaps: list[Gap] = []
    with ExitStack() as stack:
        reader = client
        if ticket_ids and reader is None:
            own = _default_client(session, keyring, installation, gaps)
            if own is not None:
                stack.callback(own.close)
            reader = own
        tickets = [
            _ticket_document(installation, link, triage.get(link.ticket_id), reader, gaps)
            for link in _first_link_per_ticket(links)
        ]
    snapshots = tracking_queries.snapshots_for_orders(session, installation_id, [order.order_id])
    claims = sq.claims_for_orders(
        session,
        installation_id,
        [order.order_id],
        sidebar_service.ORDER_CLAIM_KINDS,
        include_gone=True,
    )
    filed = case_queries.filings(session, installation_id, [claim.id for claim in claims])
    events = audit.events_for_order_and_tickets(
        session, installation_id, order.order_id, ticket_ids
    )
    return {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "generated_at": now.isoformat(),
        "locale": locale,
        "installation": {
            "name": installation.name,
            "zendesk_subdomain": installation.zendesk_subdomain,
        },
        "order": order_document(order),
        "timeline": _timeline_or_gap(session, installation_id, order, now, locale, gaps),
        "tickets": tickets,
        "tracking": [snapshot_document(snapshot) for snapshot in snapshots],
        "claims": [claim_document(claim) for claim in claims],
        "cases": cases_document(filed, claims),
        "audit": [audit.event_document(event) for event in events],
        "gaps": [gap.to_json() for gap in gaps],
    }


def find_order(session: Session, installation_id: int, order_id: str, channel: str | None) -> Order:
    found = [
        order
        for order in sq.orders_by_ids(session, installation_id, {order_id})
        if channel is None or order.channel == channel
    ]
    if not found:
        raise OrderNotFound(f"no order {order_id}")
    if len(found) > 1:
        channels = ", ".join(sorted(order.channel for order in found))
        raise DossierError(f"order {order_id} exists in several channels ({channels}): name one")
    return found[0]


def order_document(order: Order) -> dict[str, Any]:
    data = order.data if isinstance(order.data, dict) else {}
    summary = sidebar_service.summarize(order, "")
    fulfillment = data.get("fulfillment") if isinstance(data.get("fulfillment"), dict) else {}
    return {
        "channel": order.channel,
        "order_id": order.order_id,
        "marketplace": summary.marketplace,
        "marketplace_id": order.marketplace_id,
        "status": order.status,
        "purchased_at": _iso(order.purchased_at),
        "last_updated_at": _iso(order.last_updated_at),
        "buyer_email": order.buyer_email,
        "fulfillment_status": (fulfillment or {}).get("fulfillmentStatus"),
        "items": order_items(order),
    }


def order_items(order: Order) -> list[dict[str, Any]]:
    """The order's lines: SKU, ASIN, title and units (Orders API ``orderItems``)."""
    data = order.data if isinstance(order.data, dict) else {}
    items = data.get("orderItems")
    lines = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        found = item.get("product")
        product: dict[str, Any] = found if isinstance(found, dict) else {}
        quantity = item.get("quantityOrdered")
        lines.append(
            {
                "sku": _str_or_none(product.get("sellerSku")),
                "asin": _str_or_none(product.get("asin")),
                "title": _str_or_none(product.get("title")),
                "quantity": quantity if isinstance(quantity, int) else None,
            }
        )
    return lines


def single_asin(
    session: Session, installation_id: int, order_id: str, channel: str | None = None
) -> str | None:
    """The order's ASIN when it has exactly one (what an audit event of the order names)."""
    orders = [
        order
        for order in sq.orders_by_ids(session, installation_id, {order_id})
        if channel is None or order.channel == channel
    ]
    asins = {line["asin"] for order in orders for line in order_items(order) if line["asin"]}
    return next(iter(asins)) if len(asins) == 1 else None


def timeline_document(
    session: Session, installation_id: int, order: Order, now: datetime, locale: str
) -> list[dict[str, Any]]:
    """The sidebar's timeline of the order, with each event's text in ``locale``."""
    from plugin.sidebar.presenter import PanelView  # the sidebar's wording, reused

    events = sidebar_service.timelines(session, installation_id, [order]).get(order.order_id, [])
    context = sidebar_service.SidebarContext(
        refs=[],
        requester_email="",
        orders=[],
        timeline=sidebar_service.Panel({order.order_id: events}),
        tracking=sidebar_service.Panel(),
        eligibility=sidebar_service.Panel(),
        now=now,
    )
    view = PanelView(context, ZoneInfo("UTC"), locale)
    return [
        {
            "kind": event.kind,
            "at": event.day.isoformat() if event.date_only else event.at.isoformat(),
            "date_only": event.date_only,
            "details": dict(event.details),
            "text": view.event_text(event),
        }
        for event in events
    ]


def _timeline_or_gap(
    session: Session,
    installation_id: int,
    order: Order,
    now: datetime,
    locale: str,
    gaps: list[Gap],
) -> list[dict[str, Any]]:
    """The timeline; an order document it cannot read (a malformed time) is a stated gap."""
    try:
        with session.begin_nested():
            return timeline_document(session, installation_id, order, now, locale)
    except ValueError as error:
        logger.warning("timeline of order %s failed for a dossier: %s", order.order_id, error)
        gaps.append(Gap("timeline", FAILED, f"The order's timeline could not be built: {error}"))
        return []


def snapshot_document(snapshot: TrackingSnapshot) -> dict[str, Any]:
    """A tracking snapshot as it stands (also the proof of a ``reply_insert`` event)."""
    view = view_of(snapshot, snapshot.fetched_at)
    return {
        "carrier": snapshot.carrier,
        "tracking_number": snapshot.tracking_number,
        "order_id": snapshot.order_id,
        "status": snapshot.status,
        "status_detail": snapshot.status_detail,
        "events": list(snapshot.events or []),
        "estimated_delivery": _iso(snapshot.estimated_delivery),
        "delivered_at": _iso(snapshot.delivered_at),
        "proof_of_delivery": snapshot.proof,
        "source": snapshot.source,
        "fetched_at": _iso(snapshot.fetched_at),
        "url": view.url,
    }


def claim_document(claim: ClaimRecord) -> dict[str, Any]:
    return {
        "kind": claim.kind,
        "reference_id": claim.reference_id,
        "sku": claim.sku,
        "asin": claim.asin,
        "quantity": claim.quantity,
        "status": claim.status,
        "status_reason": claim.status_reason,
        "estimated_amount": (
            None if claim.estimated_amount is None else f"{claim.estimated_amount:.2f}"
        ),
        "currency": claim.currency,
        "valuation_basis": claim.valuation_basis,
        "opens_on": _iso(claim.opens_on),
        "deadline": _iso(claim.deadline),
        "first_seen_at": _iso(claim.first_seen_at),
        "gone_at": _iso(claim.gone_at),
        "evidence": list(claim.evidence or []),
    }


def cases_document(
    filed: Sequence[tuple[int, Case]], claims: Sequence[ClaimRecord]
) -> list[dict[str, Any]]:
    """The cases the order's claims were filed in, each once, with those claims."""
    by_id = {claim.id: claim for claim in claims}
    cases: dict[int, dict[str, Any]] = {}
    for claim_id, case in filed:
        entry = cases.setdefault(
            case.id,
            {
                "reference": case.reference,
                "kind": case.kind,
                "sku": case.sku,
                "status": case.status,
                "amazon_case_id": case.amazon_case_id,
                "opened_at": _iso(case.opened_at),
                "opened_by": case.opened_by,
                "closed_at": _iso(case.closed_at),
                "close_reason": case.close_reason,
                "reimbursed_amount": (
                    None if case.reimbursed_amount is None else f"{case.reimbursed_amount:.2f}"
                ),
                "currency": case.currency,
                "reimbursed_units": case.reimbursed_units,
                "claims": [],
            },
        )
        claim = by_id.get(claim_id)
        if claim is not None:
            entry["claims"].append(f"{claim.kind}:{claim.reference_id}:{claim.sku}")
    return list(cases.values())


# --- tickets --------------------------------------------------------------------------------


def _first_link_per_ticket(links: Iterable[TicketLink]) -> list[TicketLink]:
    first: dict[int, TicketLink] = {}
    for link in links:
        first.setdefault(link.ticket_id, link)
    return list(first.values())


def _default_client(
    session: Session, keyring: Keyring, installation: Installation, gaps: list[Gap]
) -> ZendeskClient | None:
    """The installation's Zendesk client, or None with the reason in ``gaps``."""
    from plugin.services.zendesk_accounts import load_zendesk_credentials, zendesk_settings

    try:
        secrets = load_zendesk_credentials(session, keyring, installation.id)
    except CredentialsError:
        secrets = None
    if not installation.zendesk_subdomain or secrets is None or not secrets.api_token:
        gaps.append(
            Gap(
                "messages",
                NOT_CONNECTED,
                "This installation has no Zendesk API credentials (claimdesk connect zendesk "
                "… --email … --api-token …): ticket messages could not be read.",
            )
        )
        return None
    from connectors.zendesk.client import ZendeskClient

    return ZendeskClient(zendesk_settings(installation, secrets), ratelimit_budget=ZENDESK_BUDGET)


def _ticket_document(
    installation: Installation,
    link: TicketLink,
    triage: TicketTriage | None,
    reader: TicketReader | None,
    gaps: list[Gap],
) -> dict[str, Any]:
    base = installation.zendesk_url or (
        f"https://{installation.zendesk_subdomain}.zendesk.com"
        if installation.zendesk_subdomain
        else None
    )
    document: dict[str, Any] = {
        "ticket_id": link.ticket_id,
        "url": f"{base.rstrip('/')}/agent/tickets/{link.ticket_id}" if base else None,
        "found_in": link.found_in,
        "linked_at": _iso(link.linked_at),
        "read_from_zendesk": False,
        "subject": None,
        "status": None,
        "channel": None,
        "created_at": _iso(triage.ticket_created_at) if triage else None,
        "requester_id": None,
        "tags": [],
        "triage": triage_document(triage),
        "messages": [],
    }
    ticket: TicketData | None = None
    comments: list[CommentData] = []
    if reader is not None:
        ticket, comments = _read_ticket(reader, link.ticket_id, gaps)
    authors: dict[int, UserData | None] = {}
    if ticket is not None:
        document.update(
            read_from_zendesk=True,
            subject=ticket.subject,
            status=ticket.status,
            channel=ticket.channel,
            created_at=_iso(_parse(ticket.created_at)) or document["created_at"],
            requester_id=ticket.requester_id,
            tags=list(ticket.tags),
        )
        assert reader is not None
        authors = _authors(reader, comments, ticket.requester_id, link.ticket_id, gaps)
        document["messages"] = [
            message_document(comment, ticket.requester_id, authors.get(comment.author_id or 0))
            for comment in sorted(comments, key=lambda c: (_parse(c.created_at) or _EPOCH, c.id))
        ]
    document["response"] = response_document(
        _parse(document["created_at"]), document["messages"], triage
    )
    return document


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _read_ticket(
    reader: TicketReader, ticket_id: int, gaps: list[Gap]
) -> tuple[TicketData | None, list[CommentData]]:
    try:
        return reader.ticket(ticket_id), list(reader.comments(ticket_id))
    except Exception as error:  # one ticket's failure leaves the rest of the dossier
        gaps.append(_gap_of(error, ticket_id))
        return None, []


def _gap_of(error: Exception, ticket_id: int) -> Gap:
    if isinstance(error, NotFound):
        reason, text = TICKET_GONE, "Zendesk has no such ticket any more (deleted or merged)."
    elif isinstance(error, AuthError):
        reason, text = REFUSED, "Zendesk refused claimdesk's API token."
    elif isinstance(error, RateLimited):
        reason, text = RATE_LIMITED, "Zendesk's rate limit was reached; build the dossier again."
    elif isinstance(error, ConnectorError):
        reason, text = UNREACHABLE, f"Zendesk could not be read: {error}"
    else:
        logger.exception("reading ticket %s for a dossier failed", ticket_id)
        reason, text = FAILED, "The ticket could not be read (see the server log)."
    return Gap("messages", reason, text + " Its messages are not in this dossier.", ticket_id)


def _authors(
    reader: TicketReader,
    comments: Sequence[CommentData],
    requester_id: int | None,
    ticket_id: int,
    gaps: list[Gap],
) -> dict[int, UserData | None]:
    """Who wrote each comment (name and role): the requester's reply is not an answer."""
    found: dict[int, UserData | None] = {}
    for author in sorted({c.author_id for c in comments if c.author_id is not None}):
        try:
            found[author] = reader.user(author)
        except Exception as error:  # the messages stand without their authors' names
            if not any(g.part == "users" and g.ticket_id == ticket_id for g in gaps):
                gap = _gap_of(error, ticket_id)
                gaps.append(
                    Gap(
                        "users",
                        gap.reason,
                        "Some authors' names and roles could not be read; replies from anyone "
                        "but the requester count as answers.",
                        ticket_id,
                    )
                )
            found[author] = None
    return found


def message_document(
    comment: CommentData, requester_id: int | None, author: UserData | None
) -> dict[str, Any]:
    from_requester = comment.author_id is not None and comment.author_id == requester_id
    if author is not None and author.role is not None:
        by_agent = author.role in AGENT_ROLES and not from_requester
    else:
        by_agent = not from_requester
    if not comment.public:
        kind = "internal_note"
    elif by_agent:
        kind = "agent_reply"
    else:
        kind = "customer_message"
    return {
        "id": comment.id,
        "kind": kind,
        "public": comment.public,
        "created_at": _iso(_parse(comment.created_at)) or comment.created_at,
        "channel": comment.channel,
        "author_id": comment.author_id,
        "author_name": author.name if author is not None else None,
        "author_role": author.role if author is not None else None,
        "body": comment.body,
    }


def triage_document(triage: TicketTriage | None) -> dict[str, Any] | None:
    if triage is None:
        return None
    return {
        "risk": triage.risk,
        "categories": list(triage.categories or []),
        "language": triage.language,
        "reasons": list(triage.reasons or []),
        "sla_due_at": _iso(triage.sla_due_at),
        "first_response_at": _iso(triage.first_response_at),
        "decided_at": _iso(triage.decided_at),
        "rules_version": triage.rules_version,
    }


def response_document(
    created: datetime | None, messages: Sequence[Mapping[str, Any]], triage: TicketTriage | None
) -> dict[str, Any]:
    """When the first agent reply came, and whether it met each target.

    The reply is read from the ticket's messages (the first public agent reply); without them
    (Zendesk unreachable), from what triage recorded. Targets: the installation's SLA
    (triage's ``sla_due_at``), Amazon's 24 hours, and 48 hours for an A-to-z claim.
    """
    answered: datetime | None = None
    by: int | None = None
    source: str | None = None
    if messages:
        source = "zendesk"
        reply = next((m for m in messages if m["kind"] == "agent_reply"), None)
        if reply is not None:
            answered, by = _parse(reply["created_at"]), reply["author_id"]
    elif triage is not None and triage.first_response_at is not None:
        answered, source = triage.first_response_at.astimezone(UTC), "triage"
    targets = []
    if triage is not None and triage.sla_due_at is not None:
        targets.append(_target("internal_sla", triage.sla_due_at.astimezone(UTC), answered))
    if created is not None:
        targets.append(_target("amazon_24h", created + AMAZON_RESPONSE, answered))
        if triage is not None and A_TO_Z in (triage.categories or []):
            targets.append(_target("a_to_z_48h", created + A_TO_Z_RESPONSE, answered))
    seconds = (
        int((answered - created).total_seconds())
        if answered is not None and created is not None
        else None
    )
    return {
        "first_reply_at": _iso(answered),
        "first_reply_by": by,
        "source": source,
        "response_seconds": seconds,
        "targets": targets,
    }


def _target(name: str, due: datetime, answered: datetime | None) -> dict[str, Any]:
    return {
        "name": name,
        "due_at": due.isoformat(),
        "met": None if answered is None else answered <= due,
    }


# --- the page -------------------------------------------------------------------------------


@cache
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


@cache
def _catalog(locale: str) -> Mapping[str, str]:
    strings: dict[str, str] = json.loads(
        (FOLDER / "translations" / f"{locale}.json").read_text("utf-8")
    )
    return strings


def translate(locale: str, key: str, **params: Any) -> str:
    """A dossier string in ``locale`` (English when missing there)."""
    template = _catalog(locale).get(key) if locale in i18n.LOCALES else None
    if template is None:
        template = _catalog(i18n.DEFAULT)[key]
    return template.format(**params) if params else template


def render_html(document: Mapping[str, Any]) -> str:
    """The printable page of ``document`` (everything escaped; no script)."""
    locale = str(document.get("locale") or i18n.DEFAULT)

    def t(key: str, **params: Any) -> str:
        return translate(locale, key, **params)

    def channel(code: str) -> str:
        key = f"channel.{code}"
        return i18n.translate(locale, key) if key in i18n.catalog(i18n.DEFAULT) else code

    def found_in(code: str) -> str:
        key = f"order.found_in.{code}"
        return i18n.translate(locale, key) if key in i18n.catalog(i18n.DEFAULT) else code

    template = _environment().get_template("dossier/dossier.html")
    return template.render(
        d=document,
        t=t,
        when=_when,
        duration=_duration,
        safe_url=_safe_url,
        pretty=_pretty,
        channel=channel,
        carrier=_carrier,
        found_in=found_in,
        chronology=chronology(document, t),
    )


@dataclass(frozen=True)
class Entry:
    """One line of the page's chronology: the order's steps, messages and actions merged."""

    at: datetime
    when: str
    source: str  # "order", "message", "audit"
    kind: str
    text: str


def chronology(document: Mapping[str, Any], t: Any) -> list[Entry]:
    """Everything with a time, oldest first: what an A-to-z reviewer reads top to bottom."""
    entries = []
    for event in document["timeline"]:
        moment = _parse(event["at"])
        if moment is not None:
            when = event["at"] if event["date_only"] else _when(event["at"])
            entries.append(Entry(moment, when, "order", event["kind"], event["text"]))
    for ticket in document["tickets"]:
        for message in ticket["messages"]:
            moment = _parse(message["created_at"])
            if moment is None:
                continue
            body = " ".join(str(message["body"]).split())
            excerpt = body if len(body) <= 160 else body[:159] + "…"
            label = t(f"message.{message['kind']}")
            text = f"#{ticket['ticket_id']} {label}: {excerpt}"
            entries.append(
                Entry(moment, _when(message["created_at"]), "message", message["kind"], text)
            )
    for event in document["audit"]:
        moment = _parse(event["at"])
        if moment is not None:
            text = f"{event['actor']} · {event['action']}: {event['summary']}"
            entries.append(Entry(moment, _when(event["at"]), "audit", event["action"], text))
    order = {"order": 0, "message": 1, "audit": 2}
    return sorted(entries, key=lambda e: (e.at, order[e.source]))


def _when(value: str | None) -> str:
    """``2026-10-31 14:05 UTC`` for a time, the day for a date, '' for none."""
    if not value:
        return ""
    moment = _parse(value)
    if moment is None or len(value) == 10:
        return value
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _duration(seconds: int | None) -> str:
    if seconds is None:
        return ""
    sign = "-" if seconds < 0 else ""
    minutes = abs(seconds) // 60
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return f"{sign}{days} d {hours} h {minutes} min"
    return f"{sign}{hours} h {minutes} min"


def _carrier(code: str) -> str:
    from plugin.sidebar.presenter import CARRIER_NAMES

    return CARRIER_NAMES.get(code) or code


def _safe_url(value: Any) -> str | None:
    from plugin.sidebar.presenter import safe_url

    return safe_url(value)


def _pretty(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True, default=str)


# --- values ---------------------------------------------------------------------------------


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return str(value.isoformat())


def _parse(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
