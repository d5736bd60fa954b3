"""Cases against reimbursements (issue 7): who paid what, and whether a case is covered.

Pure. Every reimbursement row is attributed to one of three owners (the research's "auto / our
case / seller's own case", fba.md §3-4):

- ``amazon_own``: no ``case-id`` (Amazon paid on its own);
- ``ours``: the ``case-id`` is the Amazon case ID recorded on one of our cases;
- ``elsewhere``: a ``case-id`` we never recorded (a case filed outside claimdesk).

A reversal (``Reimbursement_Reversal``) without its own ``case-id`` belongs to the owner of the
reimbursement its ``original-reimbursement-id`` names, when that row is in the data.

Units follow the claims spec's reversal rule (spec §2 "Offsets"): a reversal gives back
−``quantity-reimbursed-total`` units (cash −1 / inventory +1 gives back none); when its original
reimbursement is in the data, that reimbursement counts that many units less (never below
zero); otherwise the units come off the total of the reversal's owner. Cash and inventory
units count alike. A case is covered when its net units reach its claimed units; a reimbursed
case whose units drop below that (a later reversal) is open again. Amounts are the
``amount-total`` sums per currency, reversals included (they are negative).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from connectors.amazon.models import ReimbursementRow

AMAZON_OWN = "amazon_own"
OURS = "ours"
ELSEWHERE = "elsewhere"
ATTRIBUTIONS = (AMAZON_OWN, OURS, ELSEWHERE)

OPEN = "open"
REIMBURSED = "reimbursed"
CLOSED = "closed"

# Transitions a settlement reports.
BECAME_REIMBURSED = "reimbursed"
REOPENED = "reopened"


def normalize_case_id(value: str | None) -> str:
    """A case ID compared as Amazon prints it, without surrounding blanks."""
    return (value or "").strip()


def is_reversal(row: ReimbursementRow) -> bool:
    """``Reimbursement_Reversal`` in any case or punctuation."""
    return "".join(c for c in row.reason.lower() if c.isalnum()) == "reimbursementreversal"


@dataclass(frozen=True)
class CaseState:
    """What settling needs of one of our cases."""

    case_id: int
    amazon_case_id: str | None
    claimed_units: int
    status: str  # open, reimbursed, closed


@dataclass
class Totals:
    """Rows, net units and amounts per currency of some set of reimbursement rows."""

    rows: int = 0
    units: int = 0
    amounts: dict[str, Decimal] = field(default_factory=dict)

    def add_amount(self, currency: str, amount: Decimal | None) -> None:
        if amount is None:
            return
        key = currency or ""
        self.amounts[key] = self.amounts.get(key, Decimal("0")) + amount


@dataclass(frozen=True)
class Attributed:
    """One reimbursement row and who it belongs to (``case_id`` when it is ours)."""

    row: ReimbursementRow
    attribution: str
    case_id: int | None


@dataclass(frozen=True)
class CaseOutcome:
    """A case after settling: its net units and amounts, new status, and what changed."""

    case_id: int
    units: int
    amounts: Mapping[str, Decimal]
    rows: tuple[ReimbursementRow, ...]
    status: str
    change: str | None  # BECAME_REIMBURSED, REOPENED or None
    paid_on: date | None  # the last approval date among its rows


@dataclass(frozen=True)
class Settlement:
    outcomes: Mapping[int, CaseOutcome]
    attributed: Sequence[Attributed]
    by_attribution: Mapping[str, Totals]
    overall: Totals


def attribute(rows: Sequence[ReimbursementRow], case_ids: Mapping[str, int]) -> list[Attributed]:
    """Who each row belongs to; ``case_ids`` maps our recorded Amazon case IDs to our cases."""
    by_reimbursement: dict[str, str] = {}
    for row in rows:
        case = normalize_case_id(row.case_id)
        if case and not is_reversal(row):
            by_reimbursement.setdefault(row.reimbursement_id, case)
    found = []
    for row in rows:
        case = normalize_case_id(row.case_id)
        if not case and is_reversal(row) and row.original_reimbursement_id:
            case = by_reimbursement.get(row.original_reimbursement_id, "")
        if not case:
            found.append(Attributed(row, AMAZON_OWN, None))
        elif case in case_ids:
            found.append(Attributed(row, OURS, case_ids[case]))
        else:
            found.append(Attributed(row, ELSEWHERE, None))
    return found


def net_units(rows: Iterable[Attributed]) -> dict[tuple[str, int | None], int]:
    """Net reimbursed units per owner ``(attribution, case_id)``, reversals applied."""
    rows = list(rows)
    payouts: dict[int, int] = {}  # index in rows -> units left
    by_id: dict[str, list[int]] = {}
    for index, item in enumerate(rows):
        if not is_reversal(item.row):
            payouts[index] = max(item.row.quantity_total, 0)
            by_id.setdefault(item.row.reimbursement_id, []).append(index)
    unmatched: dict[tuple[str, int | None], int] = {}
    reversals = sorted(
        (i for i, item in enumerate(rows) if is_reversal(item.row)),
        key=lambda i: (rows[i].row.approval_date, i),
    )
    for index in reversals:
        row = rows[index].row
        units = -row.quantity_total
        if units <= 0:
            continue
        originals = (
            by_id.get(row.original_reimbursement_id) if row.original_reimbursement_id else None
        )
        if not originals:
            owner = (rows[index].attribution, rows[index].case_id)
            unmatched[owner] = unmatched.get(owner, 0) + units
            continue
        same = [
            i for i in originals if rows[i].row.sku == row.sku and rows[i].row.fnsku == row.fnsku
        ]
        for original in same + [i for i in originals if i not in same]:
            taken = min(units, payouts[original])
            payouts[original] -= taken
            units -= taken
    totals: dict[tuple[str, int | None], int] = {}
    for index, units in payouts.items():
        owner = (rows[index].attribution, rows[index].case_id)
        totals[owner] = totals.get(owner, 0) + units
    for owner, units in unmatched.items():
        totals[owner] = totals.get(owner, 0) - units
    return {owner: max(units, 0) for owner, units in totals.items()}


def settle(cases: Sequence[CaseState], rows: Sequence[ReimbursementRow]) -> Settlement:
    """Attribute every row, total it, and decide each case's status from its rows.

    Open (or manually closed) cases whose net units cover their claimed units become
    reimbursed; reimbursed cases that no longer are covered are open again.
    """
    case_ids = {
        normalize_case_id(case.amazon_case_id): case.case_id
        for case in cases
        if normalize_case_id(case.amazon_case_id)
    }
    attributed = attribute(rows, case_ids)
    units = net_units(attributed)
    by_attribution = {name: Totals() for name in ATTRIBUTIONS}
    overall = Totals()
    per_case: dict[int, list[ReimbursementRow]] = {}
    case_amounts: dict[int, Totals] = {}
    for item in attributed:
        for totals in (by_attribution[item.attribution], overall):
            totals.rows += 1
            totals.add_amount(item.row.currency, item.row.amount_total)
        if item.case_id is not None:
            per_case.setdefault(item.case_id, []).append(item.row)
            case_totals = case_amounts.setdefault(item.case_id, Totals())
            case_totals.rows += 1
            case_totals.add_amount(item.row.currency, item.row.amount_total)
    for (attribution, _), count in units.items():
        by_attribution[attribution].units += count
        overall.units += count
    outcomes = {}
    for case in cases:
        case_units = units.get((OURS, case.case_id), 0)
        case_rows = tuple(per_case.get(case.case_id, ()))
        status, change = _decide(case, case_units)
        outcomes[case.case_id] = CaseOutcome(
            case_id=case.case_id,
            units=case_units,
            amounts=dict(case_amounts.get(case.case_id, Totals()).amounts),
            rows=case_rows,
            status=status,
            change=change,
            paid_on=max((row.approval_date for row in case_rows), default=None),
        )
    return Settlement(outcomes, attributed, by_attribution, overall)


def _decide(case: CaseState, units: int) -> tuple[str, str | None]:
    covered = case.claimed_units > 0 and units >= case.claimed_units
    if covered and case.status in (OPEN, CLOSED):
        return REIMBURSED, BECAME_REIMBURSED
    if not covered and case.status == REIMBURSED:
        return OPEN, REOPENED
    return case.status, None


def main_currency(amounts: Mapping[str, Decimal]) -> tuple[Decimal | None, str | None]:
    """The one amount a case shows: its only currency, or the largest when several."""
    if not amounts:
        return None, None
    currency = max(amounts, key=lambda key: (abs(amounts[key]), key))
    return amounts[currency], currency or None
