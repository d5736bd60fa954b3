"""Named queries of the reimbursements view: one page of claims, the summary, the chart series.

Every function takes the installation id and filters by it (tenancy). Statuses are worked
out in SQL for the day the view is drawn (``today``), from each claim's window, so a claim
stored as ``waiting`` last week shows ``claimable`` today without a new reconcile run. Only
current claims count (``gone_at`` is null): a gone claim was paid or is no longer found.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Numeric,
    and_,
    case,
    cast,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.orm import Session

from plugin.domain.claims import CLAIMABLE, EXPIRED, REVIEW, WAITING
from plugin.store.models import Case, CaseClaim, ClaimRecord, ReimbursementRecord

STATUSES = (CLAIMABLE, WAITING, EXPIRED, REVIEW)
# Cases that hold their claims: an open case, or one Amazon paid. A case closed without
# reimbursement lets its claims be filed again.
HOLDING_CASE_STATUSES = ("open", "reimbursed")


@dataclass(frozen=True)
class ClaimFilter:
    """What the table shows. Empty tuples and ``None`` mean "any"."""

    kinds: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    search: str | None = None  # part of a SKU, ASIN, FNSKU or reference (order, shipment …)
    within_days: int | None = None  # deadline from today to today + N days
    has_case: bool | None = None  # in an open or reimbursed case, or not


def status_of(today: date) -> ColumnElement[str]:
    """A claim's status on ``today``; flags and undated claims keep their stored status."""
    claim = ClaimRecord
    return case(
        (or_(claim.opens_on.is_(None), claim.deadline.is_(None)), claim.status),
        (claim.opens_on > today, literal(WAITING)),
        (claim.deadline < today, literal(EXPIRED)),
        else_=literal(CLAIMABLE),
    )


def in_case(installation_id: int) -> ColumnElement[bool]:
    """True for a claim held by an open or reimbursed case of the installation.

    The held claims are one uncorrelated subquery, computed once per statement: a correlated
    ``EXISTS`` made SQLite walk every case of the installation for each of 20,000 claims.
    """
    held = (
        select(CaseClaim.claim_id)
        .join(Case, Case.id == CaseClaim.case_id)
        .where(
            Case.installation_id == installation_id,
            Case.status.in_(HOLDING_CASE_STATUSES),
        )
    )
    return ClaimRecord.id.in_(held)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _where(installation_id: int, filters: ClaimFilter, today: date) -> list[ColumnElement[bool]]:
    claim = ClaimRecord
    clauses: list[ColumnElement[bool]] = [
        claim.installation_id == installation_id,
        claim.gone_at.is_(None),
    ]
    if filters.kinds:
        clauses.append(claim.kind.in_(filters.kinds))
    if filters.statuses:
        clauses.append(status_of(today).in_(filters.statuses))
    if filters.search:
        pattern = f"%{_escape_like(filters.search.strip().lower())}%"
        columns = (claim.sku, claim.asin, claim.fnsku, claim.reference_id)
        clauses.append(or_(*(func.lower(column).like(pattern, escape="\\") for column in columns)))
    if filters.within_days is not None:
        clauses.append(claim.deadline >= today)
        clauses.append(claim.deadline <= today + timedelta(days=filters.within_days))
    if filters.has_case is True:
        clauses.append(in_case(installation_id))
    elif filters.has_case is False:
        clauses.append(~in_case(installation_id))
    return clauses


def _urgency(today: date) -> tuple[Any, ...]:
    """Nearest deadline first; then undated claims and flags; then the most recently expired."""
    claim = ClaimRecord
    bucket = case(
        (claim.deadline.is_(None), 1),
        (claim.deadline < today, 2),
        else_=0,
    )
    upcoming = case((claim.deadline >= today, claim.deadline), else_=None)
    return (bucket, upcoming.asc(), claim.deadline.desc(), claim.id)


def claims_page(
    session: Session,
    installation_id: int,
    filters: ClaimFilter,
    today: date,
    *,
    limit: int,
    offset: int = 0,
) -> list[tuple[ClaimRecord, str, bool]]:
    """One page of claims as ``(claim, status today, in a case)``, nearest deadline first."""
    query = (
        select(ClaimRecord, status_of(today), in_case(installation_id))
        .where(*_where(installation_id, filters, today))
        .order_by(*_urgency(today))
        .limit(limit)
        .offset(offset)
    )
    return [(row[0], row[1], bool(row[2])) for row in session.execute(query)]


def count_claims(session: Session, installation_id: int, filters: ClaimFilter, today: date) -> int:
    query = (
        select(func.count())
        .select_from(ClaimRecord)
        .where(*_where(installation_id, filters, today))
    )
    return session.execute(query).scalar_one()


def claims_by_keys(
    session: Session, installation_id: int, keys: Collection[tuple[str, str, str]]
) -> list[ClaimRecord]:
    """The stored claims (gone or not) with these identities ``(kind, reference_id, sku)``."""
    if not keys:
        return []
    claim = ClaimRecord
    match = or_(
        *(
            and_(claim.kind == kind, claim.reference_id == reference, claim.sku == sku)
            for kind, reference, sku in sorted(keys)
        )
    )
    query = select(claim).where(claim.installation_id == installation_id, match)
    return list(session.scalars(query.order_by(claim.id)))


def cases_of_claims(
    session: Session, installation_id: int, claim_ids: Collection[int]
) -> dict[int, Case]:
    """The newest case (any status) each of these claims belongs to, by claim id."""
    if not claim_ids:
        return {}
    query = (
        select(CaseClaim.claim_id, Case)
        .join(Case, Case.id == CaseClaim.case_id)
        .where(Case.installation_id == installation_id, CaseClaim.claim_id.in_(sorted(claim_ids)))
        .order_by(Case.id)
    )
    return {claim_id: found for claim_id, found in session.execute(query)}


@dataclass(frozen=True)
class KindTotals:
    """One (kind, currency) line of the summary; amounts in that currency (None: unvalued)."""

    kind: str
    currency: str | None
    claims: int
    units_missing: int
    units_claimed: int
    estimated_value: Decimal
    claimable_now: Decimal
    expiring_soon: Decimal
    units_expiring_soon: int


def kind_totals(
    session: Session, installation_id: int, today: date, *, soon_days: int = 7
) -> list[KindTotals]:
    """Totals per kind and currency over current claims that are not expired.

    ``units_claimed`` are in an open or reimbursed case; ``claimable_now`` and
    ``expiring_soon`` count only claims not in a case, which the seller can still file.

    The database groups by (kind, currency, status, in a case, deadline soon), a few dozen
    groups, each expression worked out once per claim; the cards are summed from those here.
    Conditional sums over 20,000 claims made SQLite evaluate the status and the case lookup
    once per condition (three times slower).
    """
    claim = ClaimRecord
    status = status_of(today).label("status")
    held = in_case(installation_id).label("held")
    soon = case((claim.deadline <= today + timedelta(days=soon_days), 1), else_=0).label("soon")
    query = (
        select(
            claim.kind,
            claim.currency,
            status,
            held,
            soon,
            func.count(),
            func.sum(claim.quantity),
            func.sum(claim.estimated_amount),
        )
        .where(claim.installation_id == installation_id, claim.gone_at.is_(None))
        .group_by(claim.kind, claim.currency, status, held, soon)
    )
    found: dict[tuple[str, str | None], dict[str, Any]] = {}
    for kind, currency, state, in_a_case, is_soon, count, units, amount in session.execute(query):
        line = found.setdefault(
            (kind, currency),
            {"claims": 0, "missing": 0, "claimed": 0, "soon_units": 0,
             "value": Decimal(0), "now": Decimal(0), "soon": Decimal(0)},
        )  # fmt: skip
        value, units = _cents(amount), int(units or 0)
        line["claims"] += int(count)
        if state != EXPIRED:
            line["missing"] += units
            line["value"] += value
        if in_a_case:
            line["claimed"] += units
        elif state == CLAIMABLE:
            line["now"] += value
            if is_soon:
                line["soon"] += value
                line["soon_units"] += units
    return [
        KindTotals(
            kind=kind,
            currency=currency,
            claims=line["claims"],
            units_missing=line["missing"],
            units_claimed=line["claimed"],
            estimated_value=line["value"],
            claimable_now=line["now"],
            expiring_soon=line["soon"],
            units_expiring_soon=line["soon_units"],
        )
        for (kind, currency), line in sorted(
            found.items(), key=lambda item: (item[0][0], item[0][1] or "")
        )
    ]


def _cents(value: Any) -> Decimal:
    # SQLite sums NUMERIC as a float; amounts are whole cents, so rounding once is exact.
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


def _month(session: Session, column: Any) -> ColumnElement[str]:
    """``"2026-03"`` for a date column, in the database's own dialect."""
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(column, "YYYY-MM")
    return func.strftime("%Y-%m", column)


def missed_by_month(
    session: Session, installation_id: int, since: date, today: date
) -> list[tuple[str, str, Decimal]]:
    """``(month, currency, value)`` of claims whose deadline passed unfiled, by deadline month.

    Unfiled: never in a case that holds claims (an open or reimbursed one). Summed in the
    database: a big seller misses thousands of claims a year.
    """
    claim = ClaimRecord
    month = _month(session, claim.deadline)
    query = (
        select(month, claim.currency, func.sum(claim.estimated_amount))
        .where(
            claim.installation_id == installation_id,
            claim.gone_at.is_(None),
            claim.deadline >= since,
            claim.deadline < today,
            claim.currency.is_not(None),
            claim.estimated_amount.is_not(None),
            ~in_case(installation_id),
        )
        .group_by(month, claim.currency)
    )
    return [
        (row[0], row[1], _cents(row[2]))
        for row in session.execute(query)
        if row[1] is not None  # never: the query leaves them out (for the type checker)
    ]


def reimbursed_by_month(
    session: Session, installation_id: int, since: date, until: date
) -> list[tuple[str, str, Decimal]]:
    """``(month, currency, amount)``: reimbursements' ``amount-total`` by approval month.

    Amounts are stored as exact text (``DecimalText``). PostgreSQL sums them as ``NUMERIC``,
    exactly. SQLite casts them to binary floating point: over a month's rows (thousands of
    amounts in cents) the error stays below a millionth of a cent, so rounding the sum to
    cents gives the exact figure.
    """
    row = ReimbursementRecord
    month = _month(session, row.approval_date)
    query = (
        select(month, row.currency, func.sum(cast(row.amount_total, Numeric(18, 2))))
        .where(
            row.installation_id == installation_id,
            row.approval_date >= since,
            row.approval_date <= until,
            row.amount_total.is_not(None),
            row.currency != "",
        )
        .group_by(month, row.currency)
    )
    return [(found[0], found[1], _cents(found[2])) for found in session.execute(query)]


@dataclass(frozen=True)
class CaseRow:
    """A row of the page's cases table: the case and the totals of the claims filed in it.

    The attribute names are ``plugin.services.cases.CaseView``'s, so a template shows either.
    """

    id: int
    reference: str
    kind: str
    sku: str
    status: str
    amazon_case_id: str | None
    opened_at: Any
    close_reason: str | None
    claimed_units: int
    claimed_amount: Decimal | None  # None unless every claim is valued in one currency
    claimed_currency: str | None
    reimbursed_units: int
    reimbursed_amount: Decimal | None
    currency: str | None


def case_rows(session: Session, installation_id: int, *, limit: int | None) -> list[CaseRow]:
    """The installation's cases, open ones first then the newest, with claimed totals.

    One aggregate query: the page shows a few dozen cases and needs no claim objects.
    """
    link = CaseClaim
    claimed = (
        select(
            link.case_id.label("case_id"),
            func.sum(link.quantity).label("units"),
            func.sum(link.estimated_amount).label("amount"),
            func.count().label("links"),
            func.count(link.estimated_amount).label("valued"),
            func.count(func.distinct(link.currency)).label("currencies"),
            func.min(link.currency).label("currency"),
        )
        .where(link.installation_id == installation_id)
        .group_by(link.case_id)
        .subquery()
    )
    query = (
        select(Case, claimed)
        .outerjoin(claimed, claimed.c.case_id == Case.id)
        .where(Case.installation_id == installation_id)
        .order_by(case((Case.status == "open", 0), else_=1), Case.id.desc())
    )
    if limit is not None:
        query = query.limit(limit)
    rows = []
    for found, _, units, amount, links, valued, currencies, currency in session.execute(query):
        single = bool(links) and valued == links and currencies == 1
        rows.append(
            CaseRow(
                id=found.id,
                reference=found.reference,
                kind=found.kind,
                sku=found.sku,
                status=found.status,
                amazon_case_id=found.amazon_case_id,
                opened_at=found.opened_at,
                close_reason=found.close_reason,
                claimed_units=int(units or 0),
                claimed_amount=_cents(amount) if single else None,
                claimed_currency=currency if single else None,
                reimbursed_units=found.reimbursed_units,
                reimbursed_amount=found.reimbursed_amount,
                currency=found.currency,
            )
        )
    return rows


def count_cases(session: Session, installation_id: int) -> int:
    query = select(func.count()).select_from(Case).where(Case.installation_id == installation_id)
    return session.execute(query).scalar_one()
