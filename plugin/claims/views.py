"""The reimbursements page: summary cards, the monthly chart, the claims table, the wizard, cases.

Server-rendered and readable without JavaScript: filters and paging are plain links and a GET
form carrying the app token; ``?claim=KEY`` opens the wizard with its case text on the server.
``claims.js`` then drives the wizard and the case actions through the JSON API.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from flask import render_template, request, url_for
from werkzeug.datastructures import MultiDict

from plugin.claims import bp
from plugin.claims.chart import render_chart
from plugin.claims.presenters import LANGUAGES, Badge, Translator, deadline_badge, pick_language
from plugin.domain.policy import KINDS, RETURN_DISPUTED_GRADING
from plugin.extensions import resources
from plugin.security.web import accept_launch, app_token_required, current_identity
from plugin.services import cases as case_service
from plugin.services import claims_view
from plugin.services.claims_view import ClaimItem, ClaimsViewError
from plugin.store.claims_view_queries import STATUSES, ClaimFilter
from plugin.store.models import CASE_OPEN, CASE_REIMBURSED

NAV_BAR = "nav_bar"
# Query arguments the page keeps from link to link (the token is added to each link).
KEPT = ("lang", "kind", "status", "q", "within", "case", "per_page", "cases")


def today() -> date:
    """The day the view judges windows on: today in UTC, as the engine's runs do."""
    return datetime.now(UTC).date()


def presented_token() -> str:
    """The app token this request came with (header or ``?token=``), to put in the page."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.args.get("token", "")


@bp.post("/claims/")
def launch() -> str:
    """Zendesk's ``nav_bar`` location: a signed POST; the page then uses an app token."""
    found, token = accept_launch(NAV_BAR)
    return render_page(found.installation_id, token, request.args)


@bp.get("/claims/")
@app_token_required
def standalone() -> str:
    """The same page outside Zendesk, opened with ``?token=`` (``claimdesk claims-link``)."""
    return render_page(current_identity().installation_id, presented_token(), request.args)


@bp.get("/claims/totals")
@app_token_required
def totals() -> str:
    """Reimbursements by whom they are owed to (a fragment the page loads after itself).

    Attributing needs every reimbursement row of the account, the slowest read of the view,
    so the first page does not wait for it. Opened as a link, it reads without JavaScript.
    """
    t = Translator(pick_language(request.args.get("lang"), list(request.accept_languages.values())))
    with resources().session() as session:
        found = case_service.reimbursement_totals(session, current_identity().installation_id)
    return render_template("claims/_totals.html", t=t, totals=found)


@dataclass(frozen=True)
class Row:
    """A claims-table row: the claim, its deadline badge, and what the seller can do."""

    item: ClaimItem
    badge: Badge
    fileable: bool  # can be filed (or its open case recorded) from the wizard
    open_case: claims_view.CaseRef | None


def to_row(item: ClaimItem, t: Translator, day: date) -> Row:
    open_case = item.case if item.case is not None and item.case.status == CASE_OPEN else None
    reimbursed = item.case is not None and item.case.status == CASE_REIMBURSED
    fileable = (
        item.kind != RETURN_DISPUTED_GRADING
        and not reimbursed
        and (item.status == "claimable" or open_case is not None)
    )
    to_open = None if item.opens_on is None else (item.opens_on - day).days
    return Row(item, deadline_badge(t, item.status, item.days_left, to_open), fileable, open_case)


def render_page(installation_id: int, token: str, args: MultiDict[str, str]) -> str:
    """Everything the page shows, for one installation, read in one transaction."""
    t = Translator(pick_language(args.get("lang"), list(request.accept_languages.values())))
    error = None
    try:
        filters = claims_view.read_filter(args)
        page, per_page = claims_view.read_paging(args)
    except ClaimsViewError as problem:
        error, filters, (page, per_page) = str(problem), ClaimFilter(), (1, 50)
    wizard_keys = []
    try:
        wizard_keys = [claims_view.parse_key(text) for text in args.getlist("claim")][:50]
    except ClaimsViewError as problem:
        error = str(problem)
    day = today()
    with resources().session() as session:
        data = claims_view.load_page(
            session,
            installation_id,
            day,
            filters,
            page=page,
            per_page=per_page,
            wizard_keys=wizard_keys,
            case_language=_case_language(args, t),
            all_cases=args.get("cases") == "all",
        )
    return render_template(
        "claims/page.html",
        t=t,
        locale=t.language,
        token=token,
        today=day,
        account_name=data.account_name,
        languages=LANGUAGES,
        kinds=KINDS,
        statuses=STATUSES,
        filters=filters,
        summary=data.summary,
        soon_days=claims_view.SOON_DAYS,
        claims=data.claims,
        rows=[to_row(item, t, day) for item in data.claims.items],
        charts=[(c, render_chart(data.series, c, t)) for c in data.series.currencies],
        cases=data.cases,
        cases_total=data.cases_total,
        wizard=data.wizard,
        error=error or data.wizard_error,
        page_url=_page_url(token, args, t.language),
        api_url=_api_url(token),
    )


def _case_language(args: MultiDict[str, str], t: Translator) -> str:
    asked = args.get("case_lang")
    return asked if asked in LANGUAGES else t.language


def _page_url(token: str, args: MultiDict[str, str], language: str) -> Any:
    """Links back to the page: the current filters and token, with some values changed."""

    def build(reset: bool = False, **changes: Any) -> str:
        values: dict[str, Any] = {"token": token, "lang": language}
        if not reset:
            for name in KEPT:
                found = [value for value in args.getlist(name) if value]
                if found:
                    values[name] = found
            values["lang"] = language
        values.update({name: value for name, value in changes.items() if value is not None})
        return url_for("claims.standalone", **values)

    return build


def _api_url(token: str) -> Any:
    """Download links of the JSON API, which take the token as ``?token=``."""

    def build(endpoint: str, **values: Any) -> str:
        return url_for(f"claims.{endpoint}", token=token, **values)

    return build
