"""Deadline alerts (issue 7 point 5): the claims that expire soon, as one ticket's content.

Read from the store only; ``deadline_alert_tickets`` writes the result to Zendesk (the daily
job opens or updates one ticket per installation). ``external_id`` is the same for an
installation every day, so the job finds the ticket it wrote before and updates it instead of
opening a duplicate.

A claim is listed when it is current (not gone), claimable today, its deadline is within
``days`` days (today included), and no open or reimbursed case holds it: a filed claim is
Amazon's to answer, not the seller's to file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from plugin.domain import casetext
from plugin.domain.claims import CLAIMABLE, status_on
from plugin.store import case_queries, queries
from plugin.store.models import CASE_CLOSED, ClaimRecord

WINDOW_DAYS = 7

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "subject": "{count} Amazon claim(s) expire within {days} days ({value})",
        "subject_none": "No Amazon claim expires within {days} days",
        "intro": (
            "These claims can still be filed in Seller Central, and their window closes within "
            "{days} days. Values are estimates, not what Amazon will pay."
        ),
        "line": (
            "- {deadline} ({left}): {claim_type}, {kind} {reference}, SKU {sku}, {units}{value}"
        ),
        "today": "last day",
        "left": "{n} day(s) left",
        "none": "Nothing to file before its deadline this week.",
    },
    "fr": {
        "subject": "{count} réclamation(s) Amazon expirent sous {days} jours ({value})",
        "subject_none": "Aucune réclamation Amazon n'expire sous {days} jours",
        "intro": (
            "Ces réclamations peuvent encore être déposées dans Seller Central et leur délai "
            "se termine sous {days} jours. Les valeurs sont des estimations, pas ce qu'Amazon "
            "paiera."
        ),
        "line": (
            "- {deadline} ({left}) : {claim_type}, {kind} {reference}, SKU {sku}, {units}{value}"
        ),
        "today": "dernier jour",
        "left": "{n} jour(s) restant(s)",
        "none": "Rien à déposer avant son échéance cette semaine.",
    },
    "zh-cn": {
        "subject": "{count} 项亚马逊索赔将在 {days} 天内到期（{value}）",
        "subject_none": "没有亚马逊索赔在 {days} 天内到期",
        "intro": (
            "这些索赔仍可在卖家平台提交，其申请期限将在 {days} 天内结束。"
            "价值仅为估算，并非亚马逊将支付的金额。"
        ),
        "line": (
            "- {deadline}（{left}）：{claim_type}，{kind} {reference}，SKU {sku}，{units}{value}"
        ),
        "today": "最后一天",
        "left": "剩余 {n} 天",
        "none": "本周没有需要在截止日期前提交的索赔。",
    },
}


@dataclass(frozen=True)
class ExpiringClaim:
    kind: str
    reference_id: str
    sku: str
    quantity: int
    deadline: date
    days_left: int
    estimated_amount: Decimal | None
    currency: str | None


@dataclass(frozen=True)
class DeadlineAlert:
    """One ticket's worth: subject, body, the claims listed, and the ticket's stable id."""

    external_id: str
    subject: str
    body: str
    claims: tuple[ExpiringClaim, ...]
    totals: dict[str, Decimal]  # estimated value per currency

    def to_json(self) -> dict[str, Any]:
        return {
            "external_id": self.external_id,
            "subject": self.subject,
            "body": self.body,
            "claims": [
                {
                    "kind": c.kind,
                    "reference_id": c.reference_id,
                    "sku": c.sku,
                    "quantity": c.quantity,
                    "deadline": c.deadline.isoformat(),
                    "days_left": c.days_left,
                    "estimated_amount": None
                    if c.estimated_amount is None
                    else f"{c.estimated_amount:.2f}",
                    "currency": c.currency,
                }
                for c in self.claims
            ],
            "totals": {currency: f"{amount:.2f}" for currency, amount in self.totals.items()},
        }


def expiring_claims(
    session: Session, installation_id: int, today: date, days: int = WINDOW_DAYS
) -> list[ExpiringClaim]:
    """Claims to file before their deadline within ``days`` days, soonest first."""
    held = {
        claim_id
        for claim_id, case in case_queries.filings(session, installation_id)
        if case.status != CASE_CLOSED
    }
    last = today + timedelta(days=days)
    found = [
        _expiring(record, today)
        for record in queries.claims(session, installation_id)
        if record.id not in held and _due(record, today, last)
    ]
    return sorted(found, key=lambda c: (c.deadline, c.kind, c.reference_id, c.sku))


def deadline_alert(
    session: Session,
    installation_id: int,
    today: date,
    *,
    language: str = "en",
    days: int = WINDOW_DAYS,
) -> DeadlineAlert:
    """The alert ticket's content for ``today`` (its body says so when nothing is due)."""
    language = casetext.language_of(language)
    texts = {**TEXTS["en"], **TEXTS.get(language, {})}
    claims = expiring_claims(session, installation_id, today, days)
    totals: dict[str, Decimal] = {}
    for claim in claims:
        if claim.estimated_amount is not None and claim.currency:
            totals[claim.currency] = totals.get(claim.currency, Decimal("0")) + (
                claim.estimated_amount
            )
    value = ", ".join(f"{amount:.2f} {currency}" for currency, amount in sorted(totals.items()))
    if claims:
        subject = texts["subject"].format(count=len(claims), days=days, value=value or "?")
        lines = [_line(claim, texts, language) for claim in claims]
        body = "\n\n".join([texts["intro"].format(days=days), "\n".join(lines)])
    else:
        subject = texts["subject_none"].format(days=days)
        body = texts["none"]
    return DeadlineAlert(
        external_id=f"claimdesk-deadlines-{installation_id}",
        subject=subject,
        body=body,
        claims=tuple(claims),
        totals=totals,
    )


def _due(record: ClaimRecord, today: date, last: date) -> bool:
    if record.opens_on is None or record.deadline is None:
        return False
    return (
        status_on(today, record.opens_on, record.deadline) == CLAIMABLE and record.deadline <= last
    )


def _expiring(record: ClaimRecord, today: date) -> ExpiringClaim:
    assert record.deadline is not None  # _due checked it
    return ExpiringClaim(
        kind=record.kind,
        reference_id=record.reference_id,
        sku=record.sku,
        quantity=record.quantity,
        deadline=record.deadline,
        days_left=(record.deadline - today).days,
        estimated_amount=record.estimated_amount,
        currency=record.currency,
    )


def _line(claim: ExpiringClaim, texts: dict[str, str], language: str) -> str:
    left = texts["today"] if claim.days_left == 0 else texts["left"].format(n=claim.days_left)
    value = (
        f", {claim.estimated_amount:.2f} {claim.currency}"
        if claim.estimated_amount is not None and claim.currency
        else ""
    )
    claim_type = casetext.text(language, "claim_types")[casetext.claim_type_of(claim.kind)]
    return texts["line"].format(
        deadline=casetext.format_date(language, claim.deadline),
        left=left,
        claim_type=claim_type,
        kind=claim.kind,
        reference=claim.reference_id,
        sku=claim.sku,
        units=casetext.units(language, claim.quantity),
        value=value,
    )
