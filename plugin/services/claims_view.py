"""The reimbursements view's data: the summary by kind, a page of claims, the monthly series.

Views and the JSON API call these with the installation from the verified token; nothing here
reads a request. Amounts stay ``Decimal`` per currency: a seller selling in the US and in
Europe has dollars and euros, which are never added together.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from plugin.domain import casetext
from plugin.domain.policy import KINDS
from plugin.errors import PluginError
from plugin.services import cases as case_service
from plugin.store import case_queries, queries
from plugin.store import claims_view_queries as view_queries
from plugin.store.claims_view_queries import ClaimFilter
from plugin.store.models import Case, ClaimRecord

ClaimKey = tuple[str, str, str]  # (kind, reference_id, sku): a claim's stable identity

CaseText = casetext.CaseText

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
MAX_WITHIN_DAYS = 3660
SOON_DAYS = 7  # "expires within a week" on the summary
CHART_MONTHS = 12


class ClaimsViewError(PluginError):
    """A request the view cannot answer as asked (a bad filter, an unknown claim key)."""

    status = 400


class ClaimNotFound(ClaimsViewError):
    """A claim key that names no claim of this installation (another tenant's included)."""

    status = 404


def format_key(key: ClaimKey) -> str:
    """``KIND:REFERENCE:SKU``, the form URLs, the CLI and the page use."""
    return ":".join(key)


def parse_key(text: str) -> ClaimKey:
    """``KIND:REFERENCE:SKU`` back to a key; a SKU may itself contain ``:``.

    Raises:
        ClaimsViewError: not three non-empty parts.
    """
    parts = text.split(":", 2)
    if len(parts) != 3 or not all(part.strip() for part in parts):
        raise ClaimsViewError(f"{text!r} is not a claim key like warehouse_lost:482910331:MUG-1")
    return (parts[0], parts[1], parts[2])


# --- filters -------------------------------------------------------------------------------


def read_filter(args: Mapping[str, Any]) -> ClaimFilter:
    """A ``ClaimFilter`` from query arguments (``kind``, ``status``, ``q``, ``within``, ``case``).

    ``kind`` and ``status`` may repeat or hold comma-separated values; ``case`` is ``yes`` or
    ``no``. Empty values mean "any".

    Raises:
        ClaimsViewError: a value outside the known ones, with the allowed values.
    """
    kinds = _many(args, "kind")
    unknown = sorted(set(kinds) - set(KINDS))
    if unknown:
        raise ClaimsViewError(f"unknown kind {unknown[0]!r}; use one of {', '.join(KINDS)}")
    statuses = _many(args, "status")
    unknown = sorted(set(statuses) - set(view_queries.STATUSES))
    if unknown:
        allowed = ", ".join(view_queries.STATUSES)
        raise ClaimsViewError(f"unknown status {unknown[0]!r}; use one of {allowed}")
    within = _number(args, "within", 0, MAX_WITHIN_DAYS)
    case_text = str(args.get("case") or "").strip().lower()
    if case_text not in ("", "any", "yes", "no"):
        raise ClaimsViewError(f"case must be yes, no or any, not {case_text!r}")
    has_case = {"yes": True, "no": False}.get(case_text)
    search = str(args.get("q") or "").strip()[:100] or None
    return ClaimFilter(tuple(kinds), tuple(statuses), search, within, has_case)


def read_paging(args: Mapping[str, Any]) -> tuple[int, int]:
    """``(page, per_page)`` from ``page`` (from 1) and ``per_page`` (1 to 200)."""
    page = _number(args, "page", 1, 1_000_000) or 1
    per_page = _number(args, "per_page", 1, MAX_PAGE_SIZE) or DEFAULT_PAGE_SIZE
    return page, per_page


def _many(args: Mapping[str, Any], name: str) -> list[str]:
    getlist = getattr(args, "getlist", None)
    raw = getlist(name) if getlist is not None else [args.get(name) or ""]
    values = [part.strip() for text in raw for part in str(text).split(",")]
    return sorted({value for value in values if value and value != "any"})


def _number(args: Mapping[str, Any], name: str, low: int, high: int) -> int | None:
    text = str(args.get(name) or "").strip()
    if not text:
        return None
    if not text.isdigit() or not low <= int(text) <= high:
        raise ClaimsViewError(f"{name} must be a whole number from {low} to {high}, not {text!r}")
    return int(text)


# --- the summary ---------------------------------------------------------------------------


@dataclass
class KindSummary:
    """One card of the summary: a claim kind, or ``"all"`` for the totals."""

    kind: str
    claims: int = 0
    units_missing: int = 0
    units_claimed: int = 0
    units_expiring_soon: int = 0
    estimated_value: dict[str, Decimal] = field(default_factory=dict)
    claimable_now: dict[str, Decimal] = field(default_factory=dict)
    expiring_soon: dict[str, Decimal] = field(default_factory=dict)

    def add(self, line: view_queries.KindTotals) -> None:
        self.claims += line.claims
        self.units_missing += line.units_missing
        self.units_claimed += line.units_claimed
        self.units_expiring_soon += line.units_expiring_soon
        if line.currency is None:  # unvalued claims: units count, money does not
            return
        for target, amount in (
            (self.estimated_value, line.estimated_value),
            (self.claimable_now, line.claimable_now),
            (self.expiring_soon, line.expiring_soon),
        ):
            if amount:  # a currency with nothing in this column is left out
                target[line.currency] = target.get(line.currency, Decimal("0.00")) + amount

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "claims": self.claims,
            "units_missing": self.units_missing,
            "units_claimed": self.units_claimed,
            "units_expiring_soon": self.units_expiring_soon,
            "estimated_value": _money_json(self.estimated_value),
            "claimable_now": _money_json(self.claimable_now),
            "expiring_soon": _money_json(self.expiring_soon),
        }


@dataclass(frozen=True)
class Summary:
    """Cards per kind (every kind, in the engine's order) and the overall totals."""

    today: date
    kinds: list[KindSummary]
    total: KindSummary

    def to_json(self) -> dict[str, Any]:
        return {
            "as_of": self.today.isoformat(),
            "soon_days": SOON_DAYS,
            "kinds": [card.to_json() for card in self.kinds],
            "total": self.total.to_json(),
        }


def summarize(session: Session, installation_id: int, today: date) -> Summary:
    """The summary cards: units and value not yet expired, claimed, claimable, expiring soon."""
    cards = {kind: KindSummary(kind) for kind in KINDS}
    total = KindSummary("all")
    for line in view_queries.kind_totals(session, installation_id, today, soon_days=SOON_DAYS):
        cards.setdefault(line.kind, KindSummary(line.kind)).add(line)
        total.add(line)
    return Summary(today, list(cards.values()), total)


def _money_json(amounts: Mapping[str, Decimal]) -> dict[str, str]:
    return {currency: f"{amount:.2f}" for currency, amount in sorted(amounts.items())}


# --- the table -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseRef:
    """The case a claim was last filed in, as the table shows it."""

    id: int
    reference: str
    status: str
    amazon_case_id: str | None

    @classmethod
    def of(cls, case: Case) -> CaseRef:
        return cls(case.id, case.reference, case.status, case.amazon_case_id)


@dataclass(frozen=True)
class ClaimItem:
    """One row of the claims table."""

    key: ClaimKey
    kind: str
    reference_id: str
    sku: str
    fnsku: str | None
    asin: str | None
    marketplace: str | None
    quantity: int
    event_date: date | None
    opens_on: date | None
    deadline: date | None
    days_left: int | None  # until the deadline, from today (negative once expired)
    status: str
    status_reason: str | None
    estimated_amount: Decimal | None
    currency: str | None
    valuation_basis: str | None
    in_case: bool  # held by an open or reimbursed case
    case: CaseRef | None

    @property
    def key_text(self) -> str:
        return format_key(self.key)

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key_text,
            "kind": self.kind,
            "reference_id": self.reference_id,
            "sku": self.sku,
            "fnsku": self.fnsku,
            "asin": self.asin,
            "marketplace": self.marketplace,
            "quantity": self.quantity,
            "event_date": _day(self.event_date),
            "opens_on": _day(self.opens_on),
            "deadline": _day(self.deadline),
            "days_left": self.days_left,
            "status": self.status,
            "status_reason": self.status_reason,
            "estimated_amount": (
                None if self.estimated_amount is None else f"{self.estimated_amount:.2f}"
            ),
            "currency": self.currency,
            "valuation_basis": self.valuation_basis,
            "in_case": self.in_case,
            "case": None
            if self.case is None
            else {
                "id": self.case.id,
                "reference": self.case.reference,
                "status": self.case.status,
                "amazon_case_id": self.case.amazon_case_id,
            },
        }


@dataclass(frozen=True)
class ClaimPage:
    """A page of the table, and where it sits in the whole filtered list."""

    items: list[ClaimItem]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    def to_json(self) -> dict[str, Any]:
        return {
            "claims": [item.to_json() for item in self.items],
            "total": self.total,
            "page": self.page,
            "per_page": self.per_page,
            "pages": self.pages,
        }


def list_claims(
    session: Session,
    installation_id: int,
    filters: ClaimFilter,
    today: date,
    *,
    page: int = 1,
    per_page: int = DEFAULT_PAGE_SIZE,
) -> ClaimPage:
    """One page of the installation's current claims, nearest deadline first."""
    rows = view_queries.claims_page(
        session, installation_id, filters, today, limit=per_page, offset=(page - 1) * per_page
    )
    total = view_queries.count_claims(session, installation_id, filters, today)
    cases = view_queries.cases_of_claims(session, installation_id, [row[0].id for row in rows])
    items = [
        to_item(record, status, held, cases.get(record.id), today) for record, status, held in rows
    ]
    return ClaimPage(items, total, page, per_page)


def find_claims(
    session: Session, installation_id: int, keys: Iterable[ClaimKey], today: date
) -> list[ClaimItem]:
    """The claims with these keys, in the order asked.

    Raises:
        ClaimsViewError: a key names no claim of this installation.
    """
    wanted = list(dict.fromkeys(keys))
    records = {
        (r.kind, r.reference_id, r.sku): r
        for r in view_queries.claims_by_keys(session, installation_id, wanted)
    }
    missing = [format_key(key) for key in wanted if key not in records]
    if missing:
        raise ClaimNotFound(f"no claim {missing[0]} in this account")
    cases = view_queries.cases_of_claims(
        session, installation_id, [record.id for record in records.values()]
    )
    items = []
    for key in wanted:
        record = records[key]
        found = cases.get(record.id)
        held = found is not None and found.status in view_queries.HOLDING_CASE_STATUSES
        items.append(to_item(record, _status_on(record, today), held, found, today))
    return items


def _status_on(record: ClaimRecord, today: date) -> str:
    if record.opens_on is None or record.deadline is None:
        return record.status
    if today < record.opens_on:
        return "waiting"
    return "claimable" if today <= record.deadline else "expired"


def to_item(
    record: ClaimRecord, status: str, held: bool, case: Case | None, today: date
) -> ClaimItem:
    return ClaimItem(
        key=(record.kind, record.reference_id, record.sku),
        kind=record.kind,
        reference_id=record.reference_id,
        sku=record.sku,
        fnsku=record.fnsku,
        asin=record.asin,
        marketplace=record.marketplace,
        quantity=record.quantity,
        event_date=record.event_date,
        opens_on=record.opens_on,
        deadline=record.deadline,
        days_left=None if record.deadline is None else (record.deadline - today).days,
        status=status,
        status_reason=record.status_reason,
        estimated_amount=(
            None
            if record.estimated_amount is None
            else Decimal(str(record.estimated_amount)).quantize(Decimal("0.01"))
        ),
        currency=record.currency,
        valuation_basis=record.valuation_basis,
        in_case=held,
        case=None if case is None else CaseRef.of(case),
    )


def _day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


# --- the chart -----------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthlySeries:
    """Per month (oldest first) and currency: value recovered and value missed.

    Recovered: every reimbursement's ``amount-total`` approved that month (Amazon's own, our
    cases' and others'; reversals count negative). Missed: the estimated value of claims whose
    deadline passed that month without a case.
    """

    months: list[str]  # "2026-01" …
    recovered: dict[str, dict[str, Decimal]]  # currency -> month -> amount
    missed: dict[str, dict[str, Decimal]]

    @property
    def currencies(self) -> list[str]:
        """Currencies with any value, the largest total first."""

        def weight(currency: str) -> Decimal:
            return sum(self.recovered.get(currency, {}).values(), Decimal(0)) + sum(
                self.missed.get(currency, {}).values(), Decimal(0)
            )

        found = set(self.recovered) | set(self.missed)
        return sorted(found, key=lambda currency: (-weight(currency), currency))

    def to_json(self) -> dict[str, Any]:
        return {
            "months": self.months,
            "series": [
                {
                    "currency": currency,
                    "recovered": [
                        f"{self.recovered.get(currency, {}).get(m, Decimal(0)):.2f}"
                        for m in self.months
                    ],
                    "missed": [
                        f"{self.missed.get(currency, {}).get(m, Decimal(0)):.2f}"
                        for m in self.months
                    ],
                }
                for currency in self.currencies
            ],
        }


def monthly_series(
    session: Session, installation_id: int, today: date, *, months: int = CHART_MONTHS
) -> MonthlySeries:
    """The last ``months`` calendar months up to this one."""
    labels = _months_back(today, months)
    since = date.fromisoformat(f"{labels[0]}-01")
    recovered: dict[str, dict[str, Decimal]] = defaultdict(dict)
    for month, currency, amount in view_queries.reimbursed_by_month(
        session, installation_id, since, today
    ):
        recovered[currency][month] = amount
    missed: dict[str, dict[str, Decimal]] = defaultdict(dict)
    for month, currency, value in view_queries.missed_by_month(
        session, installation_id, since, today
    ):
        missed[currency][month] = value
    return MonthlySeries(
        labels,
        {currency: dict(by_month) for currency, by_month in recovered.items()},
        {currency: dict(by_month) for currency, by_month in missed.items()},
    )


def _months_back(today: date, count: int) -> list[str]:
    year, month = today.year, today.month
    labels = []
    for _ in range(count):
        labels.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return labels[::-1]


# --- the wizard ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Wizard:
    """What the wizard shows for claims of one SKU and kind: the claims, the case text, and
    the case already open for that SKU and kind (step 3 records the ID on it), if any."""

    claims: list[ClaimItem]
    language: str
    text: CaseText
    open_case: CaseRef | None

    @property
    def keys(self) -> list[str]:
        return [item.key_text for item in self.claims]

    @property
    def in_open_case(self) -> bool:
        """Every claim is in the open case: step 3 records the ID on that case."""
        found = self.open_case
        return found is not None and all(
            item.case is not None and item.case.id == found.id for item in self.claims
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "claims": self.keys,
            "language": self.language,
            "claim_type": self.text.claim_type,
            "title": self.text.title,
            "body": self.text.body,
            "seller_central_url": self.text.seller_central_url,
            "checklist": list(self.text.checklist),
            "in_open_case": self.in_open_case,
            "open_case": None
            if self.open_case is None
            else {
                "id": self.open_case.id,
                "reference": self.open_case.reference,
                "amazon_case_id": self.open_case.amazon_case_id,
            },
        }


def prepare_wizard(
    session: Session,
    installation_id: int,
    keys: Sequence[ClaimKey],
    today: date,
    language: str,
) -> Wizard:
    """The wizard for ``keys`` (claims of one SKU and one kind), with its case text.

    Raises:
        ClaimsViewError: no keys, an unknown key, or claims of several SKUs or kinds.
    """
    if not keys:
        raise ClaimsViewError("choose at least one claim")
    items = find_claims(session, installation_id, keys, today)
    groups = sorted({(item.kind, item.sku) for item in items})
    if len(groups) > 1:
        raise ClaimsViewError(
            "one case holds claims of one SKU and one kind; these are "
            + ", ".join(f"{kind} {sku}" for kind, sku in groups)
        )
    kind, sku = groups[0]
    records = case_queries.claims_by_identity(session, installation_id, [i.key for i in items])
    facts = [case_service.claim_facts(records[item.key]) for item in items]
    text = casetext.case_text(facts, language)
    found = case_queries.open_case_for(session, installation_id, sku, kind)
    return Wizard(items, language, text, None if found is None else CaseRef.of(found))


def claim_ids(session: Session, installation_id: int, keys: Sequence[ClaimKey]) -> list[int]:
    """The stored ids of these claims, in the order asked (for the evidence workbook).

    Raises:
        ClaimsViewError: a key names no claim of this installation.
    """
    records = {
        (r.kind, r.reference_id, r.sku): r
        for r in view_queries.claims_by_keys(session, installation_id, keys)
    }
    missing = [format_key(key) for key in keys if key not in records]
    if missing:
        raise ClaimNotFound(f"no claim {missing[0]} in this account")
    return [records[key].id for key in dict.fromkeys(keys)]


# --- the whole page ------------------------------------------------------------------------

CASES_SHOWN = 50  # cases in the page's table unless all are asked for


@dataclass(frozen=True)
class Page:
    """Everything the reimbursements page shows, read in one transaction."""

    account_name: str
    summary: Summary
    claims: ClaimPage
    series: MonthlySeries
    cases: list[view_queries.CaseRow]
    cases_total: int
    wizard: Wizard | None
    wizard_error: str | None


def load_page(
    session: Session,
    installation_id: int,
    today: date,
    filters: ClaimFilter,
    *,
    page: int,
    per_page: int,
    wizard_keys: Sequence[ClaimKey] = (),
    case_language: str = "en",
    all_cases: bool = False,
) -> Page:
    """The page's data: summary, one page of claims, the chart, the cases, the wizard if asked.

    The reimbursement totals by attribution are not here: they read every reimbursement row
    and load as their own request (``plugin.services.cases.reimbursement_totals``).
    """
    installation = queries.installation_by_id(session, installation_id)
    cases = view_queries.case_rows(
        session, installation_id, limit=None if all_cases else CASES_SHOWN
    )
    wizard, wizard_error = None, None
    if wizard_keys:
        try:
            wizard = prepare_wizard(session, installation_id, wizard_keys, today, case_language)
        except (ClaimsViewError, case_service.CaseError) as problem:
            wizard_error = str(problem)
    return Page(
        account_name=installation.name if installation is not None else "",
        summary=summarize(session, installation_id, today),
        claims=list_claims(session, installation_id, filters, today, page=page, per_page=per_page),
        series=monthly_series(session, installation_id, today),
        cases=cases,
        cases_total=len(cases) if all_cases else view_queries.count_cases(session, installation_id),
        wizard=wizard,
        wizard_error=wizard_error,
    )
