"""Cases: claims filed in Seller Central, followed until Amazon pays (issue 7).

Amazon has no API to file a reimbursement case, so the seller files it by hand with the text
and workbook claimdesk prepares, and pastes back the case ID. A case holds claims of one SKU
and one kind; at most one case per ``(SKU, kind)`` is open (the database enforces it too).
``settle_cases`` runs after each sync: reimbursement rows whose ``case-id`` is a case's Amazon
case ID mark it reimbursed once they cover its units, and a later reversal opens it again.

Rules the functions keep:

- Claims are never changed by a case: a case links them and keeps a snapshot of each
  (quantity, estimated amount, status) as filed. Deleting a case removes the links only, so
  the claims are exactly as they were and can be filed again.
- A claim can be filed in a new case only when every case that holds it is closed (a case
  Amazon refused may be filed again); an open or reimbursed case keeps it.
- Filing needs the claim's window to be open today (Amazon penalises premature requests,
  and refuses late ones), unless ``amazon_case_id`` is given: then the case was filed already
  and is only being recorded. Flags (``return_disputed_grading``) have no window.
- Every action appends an audit event (``case_open`` … ``case_reopened``).

Claim keys are written ``KIND:REFERENCE:SKU``. Kinds and reference IDs (ledger reference IDs,
order IDs, shipment IDs) never contain ``:``; a SKU may, so everything after the second
``:`` is the SKU.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from connectors.amazon.models import ReportKind
from plugin.domain import cases as rules
from plugin.domain import casetext
from plugin.domain.claims import CLAIMABLE, EXPIRED, REVIEW, status_on
from plugin.errors import PluginError
from plugin.services.ingest import load_rows
from plugin.store import case_queries
from plugin.store.models import (
    CASE_CLOSED,
    CASE_OPEN,
    CASE_REIMBURSED,
    Case,
    CaseClaim,
    ClaimRecord,
)

ClaimKey = tuple[str, str, str]  # (kind, reference_id, sku)

STATUSES = (CASE_OPEN, CASE_REIMBURSED, CASE_CLOSED)
MAX_REASON = 2000
_CASE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,63}$")


# --- errors --------------------------------------------------------------------------------


class CaseError(PluginError):
    """A case action that cannot be done; the message says why, for the seller to read."""

    status = 400


class InvalidClaimKey(CaseError):
    """A claim key that is not ``KIND:REFERENCE:SKU``."""


class ClaimNotFound(CaseError):
    status = 404


class CaseNotFound(CaseError):
    status = 404


class CaseConflict(CaseError):
    status = 409


class CaseAlreadyOpen(CaseConflict):
    """Another case for the same SKU and kind is open; ``existing`` is its id."""

    def __init__(self, message: str, existing: int):
        super().__init__(message)
        self.existing = existing


class ClaimAlreadyFiled(CaseConflict):
    def __init__(self, message: str, existing: int):
        super().__init__(message)
        self.existing = existing


class AmazonCaseIdInUse(CaseConflict):
    def __init__(self, message: str, existing: int):
        super().__init__(message)
        self.existing = existing


class CaseStateError(CaseConflict):
    """The case's status does not allow the action (closing a closed case …)."""


class ClaimOutsideWindow(CaseError):
    """The claim cannot be filed today: its window is not open yet, or has passed."""


# --- keys ----------------------------------------------------------------------------------


def parse_claim_key(text: str) -> ClaimKey:
    """``"warehouse_lost:482910331:MUG-BLUE-12"`` -> ``("warehouse_lost", "482910331", …)``."""
    parts = text.strip().split(":", 2)
    if len(parts) != 3 or not all(part.strip() for part in parts):
        raise InvalidClaimKey(
            f"{text!r} is not a claim key: write KIND:REFERENCE:SKU, "
            "e.g. warehouse_lost:482910331:MUG-BLUE-12"
        )
    kind, reference, sku = (part.strip() for part in parts)
    return (kind, reference, sku)


def format_claim_key(key: ClaimKey) -> str:
    return ":".join(key)


def case_reference(case_id: int) -> str:
    """The public reference of a case: ``C-000123``."""
    return f"C-{case_id:06d}"


# --- views ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseClaimView:
    """A claim in a case, as it stood when the case was opened."""

    key: ClaimKey
    claim_id: int
    fnsku: str | None
    asin: str | None
    quantity: int
    estimated_amount: Decimal | None
    currency: str | None
    status_before: str
    deadline: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "key": format_claim_key(self.key),
            "kind": self.key[0],
            "reference_id": self.key[1],
            "sku": self.key[2],
            "fnsku": self.fnsku,
            "asin": self.asin,
            "quantity": self.quantity,
            "estimated_amount": _money(self.estimated_amount),
            "currency": self.currency,
            "status_before": self.status_before,
            "deadline": self.deadline,
        }


@dataclass(frozen=True)
class CaseView:
    id: int
    reference: str
    kind: str
    sku: str
    status: str
    amazon_case_id: str | None
    claims: tuple[CaseClaimView, ...]
    claimed_units: int
    claimed_amount: Decimal | None
    claimed_currency: str | None
    reimbursed_units: int
    reimbursed_amount: Decimal | None
    currency: str | None
    opened_at: datetime
    opened_by: str
    closed_at: datetime | None
    close_reason: str | None
    updated_at: datetime

    def to_json(self) -> dict[str, Any]:
        """The case as the JSON API and ``--json`` print it (amounts as strings)."""
        return {
            "id": self.id,
            "reference": self.reference,
            "kind": self.kind,
            "sku": self.sku,
            "status": self.status,
            "amazon_case_id": self.amazon_case_id,
            "claims": [claim.to_json() for claim in self.claims],
            "claimed_units": self.claimed_units,
            "claimed_amount": _money(self.claimed_amount),
            "claimed_currency": self.claimed_currency,
            "reimbursed_units": self.reimbursed_units,
            "reimbursed_amount": _money(self.reimbursed_amount),
            "currency": self.currency,
            "opened_at": self.opened_at.isoformat(),
            "opened_by": self.opened_by,
            "closed_at": self.closed_at.isoformat() if self.closed_at else None,
            "close_reason": self.close_reason,
            "updated_at": self.updated_at.isoformat(),
        }


@dataclass(frozen=True)
class SettleResult:
    """What one settlement changed: case ids per transition."""

    reimbursed: list[int] = field(default_factory=list)
    reopened: list[int] = field(default_factory=list)
    # Reversals that would reopen a case while another case of its SKU and kind is open.
    reopen_blocked: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)  # totals changed, status did not


@dataclass(frozen=True)
class Total:
    rows: int
    units: int
    amounts: dict[str, Decimal]

    def to_json(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "units": self.units,
            "amounts": {currency: _money(amount) for currency, amount in self.amounts.items()},
        }


@dataclass(frozen=True)
class ReimbursementTotals:
    """Reimbursed per case, overall, and by whom it is owed to (``amazon_own`` …)."""

    per_case: dict[int, Total]
    overall: Total
    by_attribution: dict[str, Total]

    def to_json(self) -> dict[str, Any]:
        return {
            "per_case": {str(case): total.to_json() for case, total in self.per_case.items()},
            "overall": self.overall.to_json(),
            "by_attribution": {k: v.to_json() for k, v in self.by_attribution.items()},
        }


CaseText = casetext.CaseText


# --- actions -------------------------------------------------------------------------------


def open_case(
    session: Session,
    installation_id: int,
    claim_keys: Sequence[ClaimKey],
    *,
    actor: str,
    now: datetime,
    amazon_case_id: str | None = None,
) -> CaseView:
    """Open a case for claims of one SKU and kind (optionally with Amazon's case ID).

    Raises:
        CaseError: no claims, unknown claims, claims of several SKUs or kinds, a claim
            already in an open or reimbursed case, a claim outside its window, another open
            case for the SKU and kind (``CaseAlreadyOpen`` names it), a case ID in use.
    """
    actor = _check_actor(actor)
    keys = list(dict.fromkeys(_as_key(key) for key in claim_keys))
    if not keys:
        raise CaseError("a case needs at least one claim")
    amazon = _check_amazon_case_id(amazon_case_id) if amazon_case_id is not None else None
    records = case_queries.claims_by_identity(session, installation_id, keys)
    for key in keys:
        record = records.get(key)
        if record is None:
            raise ClaimNotFound(f"no claim {format_claim_key(key)} for this installation")
        if record.gone_at is not None:
            raise ClaimNotFound(
                f"claim {format_claim_key(key)} is no longer found by the last run "
                f"(since {record.gone_at.date().isoformat()}): Amazon may have paid it"
            )
    chosen = [records[key] for key in keys]
    kinds = {(record.kind, record.sku) for record in chosen}
    if len(kinds) > 1:
        raise CaseError(
            "a case holds claims of one SKU and one kind; these are "
            + ", ".join(f"{kind} {sku}" for kind, sku in sorted(kinds))
        )
    kind, sku = next(iter(kinds))
    filed = case_queries.filings(session, installation_id, [record.id for record in chosen])
    for claim_id, earlier in filed:
        if earlier.status != CASE_CLOSED:
            record = next(r for r in chosen if r.id == claim_id)
            raise ClaimAlreadyFiled(
                f"claim {format_claim_key(_key(record))} is already in case "
                f"{case_reference(earlier.id)} ({earlier.status})",
                earlier.id,
            )
    if amazon is None:
        for record in chosen:
            _check_window(record, now)
    existing = case_queries.open_case_for(session, installation_id, sku, kind)
    if existing is not None:
        raise _already_open(existing)
    if amazon is not None:
        _check_case_id_free(session, installation_id, amazon, None)
    try:
        with session.begin_nested():
            found = case_queries.insert_case(
                session,
                installation_id,
                kind=kind,
                sku=sku,
                status=CASE_OPEN,
                amazon_case_id=amazon,
                opened_at=now,
                opened_by=actor,
                reimbursed_units=0,
                updated_at=now,
            )
    except IntegrityError:
        # Another request opened a case (or recorded this case ID) between our check and insert.
        existing = case_queries.open_case_for(session, installation_id, sku, kind)
        if existing is not None:
            raise _already_open(existing) from None
        if amazon is not None:
            _check_case_id_free(session, installation_id, amazon, None)
        raise
    today = now.date()
    case_queries.insert_case_claims(
        session,
        installation_id,
        found.id,
        [
            {
                "claim_id": record.id,
                "quantity": record.quantity,
                "estimated_amount": record.estimated_amount,
                "currency": record.currency,
                "status_before": _status_today(record, today),
            }
            for record in chosen
        ],
    )
    units = sum(record.quantity for record in chosen)
    _audit(
        session,
        installation_id,
        found,
        chosen,
        now=now,
        actor=actor,
        action="case_open",
        summary=(
            f"Opened case {found.reference} for {units} unit(s) of {sku} ({kind}, "
            f"{len(chosen)} claim(s))" + (f", Amazon case {amazon}" if amazon else "")
        ),
        detail={
            "claims": [format_claim_key(_key(record)) for record in chosen],
            "amazon_case_id": amazon,
        },
    )
    if amazon is not None:
        settle_cases(session, installation_id, now)
    return get_case(session, installation_id, found.id)


def record_case_id(
    session: Session,
    installation_id: int,
    case_id: int,
    amazon_case_id: str,
    *,
    actor: str,
    now: datetime,
) -> CaseView:
    """Record (or correct) the case ID Seller Central gave; then settle against it at once."""
    actor = _check_actor(actor)
    amazon = _check_amazon_case_id(amazon_case_id)
    found = _case(session, installation_id, case_id)
    if found.status == CASE_REIMBURSED:
        raise CaseStateError(
            f"case {found.reference} is reimbursed under Amazon case {found.amazon_case_id}; "
            "its case ID cannot change"
        )
    before = found.amazon_case_id
    if before == amazon:
        return get_case(session, installation_id, found.id)
    _check_case_id_free(session, installation_id, amazon, found.id)
    found.amazon_case_id = amazon
    found.updated_at = now
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        _check_case_id_free(session, installation_id, amazon, found.id)
        raise
    _audit(
        session,
        installation_id,
        found,
        _claims_of(session, installation_id, found.id),
        now=now,
        actor=actor,
        action="case_record",
        summary=(
            f"Recorded Amazon case {amazon} on {found.reference}"
            + (f" (was {before})" if before else "")
        ),
        detail={"amazon_case_id": amazon, "previous": before},
    )
    settle_cases(session, installation_id, now)
    return get_case(session, installation_id, found.id)


def close_case(
    session: Session,
    installation_id: int,
    case_id: int,
    reason: str,
    *,
    actor: str,
    now: datetime,
) -> CaseView:
    """Close an open case without reimbursement, with the seller's reason."""
    actor = _check_actor(actor)
    reason = (reason or "").strip()
    if not reason:
        raise CaseError("closing a case needs a reason")
    if len(reason) > MAX_REASON:
        raise CaseError(f"the reason is {len(reason)} characters; at most {MAX_REASON}")
    found = _case(session, installation_id, case_id)
    if found.status == CASE_CLOSED:
        when = found.closed_at.date().isoformat() if found.closed_at else "earlier"
        raise CaseStateError(
            f"case {found.reference} is already closed ({when}: {found.close_reason})"
        )
    if found.status == CASE_REIMBURSED:
        raise CaseStateError(f"case {found.reference} is reimbursed; there is nothing to close")
    found.status = CASE_CLOSED
    found.closed_at = now
    found.close_reason = reason
    found.updated_at = now
    session.flush()
    _audit(
        session,
        installation_id,
        found,
        _claims_of(session, installation_id, found.id),
        now=now,
        actor=actor,
        action="case_close",
        summary=f"Closed case {found.reference} without reimbursement: {reason}",
        detail={"reason": reason},
    )
    return get_case(session, installation_id, found.id)


def delete_case(
    session: Session, installation_id: int, case_id: int, *, actor: str, now: datetime
) -> None:
    """Delete a case recorded by mistake: its claims are free again, exactly as they were."""
    actor = _check_actor(actor)
    view = get_case(session, installation_id, case_id)
    claims = _claims_of(session, installation_id, case_id)
    found = _case(session, installation_id, case_id)
    _audit(
        session,
        installation_id,
        found,
        claims,
        now=now,
        actor=actor,
        action="case_delete",
        summary=f"Deleted case {view.reference} ({view.status}); its claims are free again",
        detail={"case": view.to_json()},
    )
    case_queries.delete_case(session, installation_id, case_id)
    session.expunge(found)


def list_cases(
    session: Session, installation_id: int, *, status: str | None = None
) -> list[CaseView]:
    """An installation's cases, newest first (optionally one status)."""
    if status is not None and status not in STATUSES:
        raise CaseError(f"unknown case status {status!r}; one of {', '.join(STATUSES)}")
    found = case_queries.cases(session, installation_id, status=status)
    return _views(session, installation_id, found)


def get_case(session: Session, installation_id: int, case_id: int) -> CaseView:
    return _views(session, installation_id, [_case(session, installation_id, case_id)])[0]


def filed_claims(session: Session, installation_id: int) -> dict[ClaimKey, CaseView]:
    """Claims held by a case that is not closed, with that case: the UI marks them filed."""
    found = [
        case for case in case_queries.cases(session, installation_id) if case.status != CASE_CLOSED
    ]
    views = _views(session, installation_id, found)
    return {claim.key: view for view in views for claim in view.claims}


def settle_cases(session: Session, installation_id: int, now: datetime) -> SettleResult:
    """Match reimbursement rows to cases by Amazon case ID; reimburse or reopen; keep totals.

    Runs after each sync (and after a case ID is recorded). A reversal that would reopen a
    case while another case of its SKU and kind is open leaves it reimbursed, with an audit
    event ``case_reopen_blocked``: one open case per SKU and kind holds.
    """
    cases = case_queries.cases_with_amazon_id(session, installation_id)
    result = SettleResult()
    if not cases:
        return result  # no case ID recorded: no row can be ours
    settlement = _settlement(session, installation_id, cases)
    for found in cases:
        outcome = settlement.outcomes[found.id]
        amount, currency = rules.main_currency(outcome.amounts)
        totals_changed = (found.reimbursed_units, found.reimbursed_amount, found.currency) != (
            outcome.units,
            amount,
            currency,
        )
        found.reimbursed_units = outcome.units
        found.reimbursed_amount = amount
        found.currency = currency
        if outcome.change is None:
            if totals_changed:
                found.updated_at = now
                result.updated.append(found.id)
            continue
        claims = _claims_of(session, installation_id, found.id)
        rows = [_row_json(row) for row in outcome.rows]
        if outcome.change == rules.BECAME_REIMBURSED:
            previous = found.status
            found.status = CASE_REIMBURSED
            found.closed_at = now
            found.updated_at = now
            result.reimbursed.append(found.id)
            _audit(
                session,
                installation_id,
                found,
                claims,
                now=now,
                actor="claimdesk",
                action="case_reimbursed",
                summary=(
                    f"Case {found.reference} reimbursed: {outcome.units} unit(s)"
                    + (f", {amount} {currency}" if amount is not None else "")
                    + f" under Amazon case {found.amazon_case_id}"
                ),
                detail={"previous_status": previous, "units": outcome.units, "rows": rows},
            )
            continue
        other = case_queries.open_case_for(session, installation_id, found.sku, found.kind)
        if other is not None and other.id != found.id:
            result.reopen_blocked.append(found.id)
            _audit(
                session,
                installation_id,
                found,
                claims,
                now=now,
                actor="claimdesk",
                action="case_reopen_blocked",
                summary=(
                    f"A reversal leaves case {found.reference} with {outcome.units} of "
                    f"{_claimed(claims)} unit(s) paid, but case {other.reference} is open for "
                    f"{found.sku} ({found.kind}); {found.reference} stays reimbursed"
                ),
                detail={"units": outcome.units, "open_case": other.id, "rows": rows},
            )
            continue
        found.status = CASE_OPEN
        found.closed_at = None
        found.close_reason = None
        found.updated_at = now
        result.reopened.append(found.id)
        _audit(
            session,
            installation_id,
            found,
            claims,
            now=now,
            actor="claimdesk",
            action="case_reopened",
            summary=(
                f"Case {found.reference} reopened: a reversal leaves {outcome.units} of "
                f"{_claimed(claims)} unit(s) paid"
            ),
            detail={"units": outcome.units, "rows": rows},
        )
    session.flush()
    return result


def reimbursement_totals(session: Session, installation_id: int) -> ReimbursementTotals:
    """Every reimbursement row attributed and totalled: per case, overall, and by owner."""
    cases = case_queries.cases_with_amazon_id(session, installation_id)
    settlement = _settlement(session, installation_id, cases)
    per_case = {
        case_id: Total(len(outcome.rows), outcome.units, dict(outcome.amounts))
        for case_id, outcome in settlement.outcomes.items()
    }
    return ReimbursementTotals(
        per_case=per_case,
        overall=_total(settlement.overall),
        by_attribution={k: _total(v) for k, v in settlement.by_attribution.items()},
    )


def attributed_rows(session: Session, installation_id: int) -> list[rules.Attributed]:
    """Every reimbursement row with its owner (``amazon_own``, ``ours`` or ``elsewhere``)."""
    cases = case_queries.cases_with_amazon_id(session, installation_id)
    return list(_settlement(session, installation_id, cases).attributed)


def case_text(
    session: Session, installation_id: int, claim_key: ClaimKey, language: str
) -> CaseText:
    """The text to paste into Seller Central for one claim, with its link and checklist."""
    key = _as_key(claim_key)
    record = case_queries.claims_by_identity(session, installation_id, [key]).get(key)
    if record is None:
        raise ClaimNotFound(f"no claim {format_claim_key(key)} for this installation")
    return casetext.case_text([claim_facts(record)], language)


def case_text_for_case(
    session: Session, installation_id: int, case_id: int, language: str
) -> CaseText:
    """The text for a whole case: every claim it holds, oldest first."""
    claims = _claims_of(session, installation_id, _case(session, installation_id, case_id).id)
    return casetext.case_text([claim_facts(record) for record in claims], language)


def claim_facts(record: ClaimRecord) -> casetext.ClaimFacts:
    return casetext.ClaimFacts(
        kind=record.kind,
        reference_id=record.reference_id,
        sku=record.sku,
        fnsku=record.fnsku,
        asin=record.asin,
        marketplace=record.marketplace,
        quantity=record.quantity,
        event_date=record.event_date,
        deadline=record.deadline,
        estimated_amount=record.estimated_amount,
        currency=record.currency,
    )


# --- helpers -------------------------------------------------------------------------------


def _as_key(key: Sequence[str]) -> ClaimKey:
    """A claim key from any 3-item sequence (a JSON list too); anything else is refused."""
    if len(key) != 3 or not all(isinstance(part, str) and part for part in key):
        raise InvalidClaimKey(f"{key!r} is not a claim key (kind, reference, SKU)")
    return (key[0], key[1], key[2])


def _key(record: ClaimRecord) -> ClaimKey:
    return (record.kind, record.reference_id, record.sku)


def _money(amount: Decimal | None) -> str | None:
    return None if amount is None else f"{amount:.2f}"


def _check_actor(actor: str) -> str:
    actor = (actor or "").strip()
    if not actor or len(actor) > 100:
        raise CaseError("an action needs an actor of 1 to 100 characters")
    return actor


def _check_amazon_case_id(value: str) -> str:
    text = (value or "").strip()
    if not _CASE_ID.match(text):
        raise CaseError(
            f"{value!r} is not a Seller Central case ID (letters, digits and '-', "
            "at most 64, e.g. 12345678901)"
        )
    return text


def _check_case_id_free(
    session: Session, installation_id: int, amazon: str, case_id: int | None
) -> None:
    holder = case_queries.case_by_amazon_id(session, installation_id, amazon)
    if holder is not None and holder.id != case_id:
        raise AmazonCaseIdInUse(
            f"Amazon case {amazon} is already recorded on case {holder.reference}", holder.id
        )


def _already_open(existing: Case) -> CaseAlreadyOpen:
    return CaseAlreadyOpen(
        f"case {existing.reference} is already open for {existing.sku} ({existing.kind})"
        + (f", Amazon case {existing.amazon_case_id}" if existing.amazon_case_id else "")
        + ": add to it or close it first",
        existing.id,
    )


def _status_today(record: ClaimRecord, today: Any) -> str:
    if record.opens_on is None or record.deadline is None:
        return record.status
    return status_on(today, record.opens_on, record.deadline)


def _check_window(record: ClaimRecord, now: datetime) -> None:
    status = _status_today(record, now.date())
    if status in (CLAIMABLE, REVIEW):
        return
    key = format_claim_key(_key(record))
    if status == EXPIRED:
        raise ClaimOutsideWindow(
            f"claim {key} expired on {record.deadline.isoformat() if record.deadline else '?'}; "
            "Amazon refuses late claims (give --case-id to record a case filed earlier)"
        )
    if record.opens_on is None:
        raise ClaimOutsideWindow(
            f"claim {key} cannot be dated yet ({record.status_reason or 'no window'}); "
            "give a case ID to record a case filed already"
        )
    raise ClaimOutsideWindow(
        f"claim {key} can be filed from {record.opens_on.isoformat()}; Amazon penalises "
        "premature requests (give a case ID to record a case filed already)"
    )


def _case(session: Session, installation_id: int, case_id: int) -> Case:
    found = case_queries.case(session, installation_id, case_id)
    if found is None:
        raise CaseNotFound(f"no case {case_reference(case_id)} for this installation")
    return found


def _claims_of(session: Session, installation_id: int, case_id: int) -> list[ClaimRecord]:
    return [record for _, record in case_queries.case_claims(session, installation_id, [case_id])]


def _claimed(records: Sequence[ClaimRecord]) -> int:
    return sum(record.quantity for record in records)


def _audit(
    session: Session,
    installation_id: int,
    found: Case,
    claims: Sequence[ClaimRecord],
    *,
    now: datetime,
    actor: str,
    action: str,
    summary: str,
    detail: dict[str, Any],
) -> None:
    asins = {record.asin for record in claims if record.asin}
    orders = {record.reference_id for record in claims if record.kind.startswith("return_")}
    case_queries.insert_audit_event(
        session,
        installation_id,
        at=now,
        actor=actor,
        action=action,
        sku=found.sku,
        asin=next(iter(asins)) if len(asins) == 1 else None,
        order_id=next(iter(orders)) if len(orders) == 1 else None,
        summary=summary,
        detail={"case_id": found.id, "reference": found.reference, "kind": found.kind, **detail},
    )


def _views(session: Session, installation_id: int, found: Sequence[Case]) -> list[CaseView]:
    links: dict[int, list[tuple[CaseClaim, ClaimRecord]]] = {}
    for link, record in case_queries.case_claims(
        session, installation_id, [case.id for case in found]
    ):
        links.setdefault(link.case_id, []).append((link, record))
    views = []
    for case in found:
        claims = tuple(
            CaseClaimView(
                key=_key(record),
                claim_id=record.id,
                fnsku=record.fnsku,
                asin=record.asin,
                quantity=link.quantity,
                estimated_amount=link.estimated_amount,
                currency=link.currency,
                status_before=link.status_before,
                deadline=record.deadline.isoformat() if record.deadline else None,
            )
            for link, record in links.get(case.id, [])
        )
        amounts = [claim.estimated_amount for claim in claims]
        currencies = {claim.currency for claim in claims}
        single = len(currencies) == 1 and None not in amounts
        views.append(
            CaseView(
                id=case.id,
                reference=case.reference,
                kind=case.kind,
                sku=case.sku,
                status=case.status,
                amazon_case_id=case.amazon_case_id,
                claims=claims,
                claimed_units=sum(claim.quantity for claim in claims),
                claimed_amount=sum((a for a in amounts if a is not None), Decimal("0.00"))
                if single
                else None,
                claimed_currency=next(iter(currencies)) if single else None,
                reimbursed_units=case.reimbursed_units,
                reimbursed_amount=case.reimbursed_amount,
                currency=case.currency,
                opened_at=case.opened_at,
                opened_by=case.opened_by,
                closed_at=case.closed_at,
                close_reason=case.close_reason,
                updated_at=case.updated_at,
            )
        )
    return views


def _settlement(session: Session, installation_id: int, cases: Sequence[Case]) -> rules.Settlement:
    claimed: dict[int, int] = {}
    for link, _ in case_queries.case_claims(session, installation_id, [c.id for c in cases]):
        claimed[link.case_id] = claimed.get(link.case_id, 0) + link.quantity
    states = [
        rules.CaseState(case.id, case.amazon_case_id, claimed.get(case.id, 0), case.status)
        for case in cases
    ]
    rows = load_rows(session, installation_id, ReportKind.REIMBURSEMENTS)
    return rules.settle(states, rows)


def _total(totals: rules.Totals) -> Total:
    return Total(totals.rows, totals.units, dict(totals.amounts))


def _row_json(row: Any) -> dict[str, Any]:
    return {
        "reimbursement_id": row.reimbursement_id,
        "approval_date": row.approval_date.isoformat(),
        "reason": row.reason,
        "quantity_cash": row.quantity_cash,
        "quantity_inventory": row.quantity_inventory,
        "quantity_total": row.quantity_total,
        "amount_total": _money(row.amount_total),
        "currency": row.currency,
        "file": row.source.file,
        "line": row.source.line,
    }
