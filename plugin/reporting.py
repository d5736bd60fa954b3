"""Claims as people and programs read them: the JSON document (spec §4) and a text table."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from connectors.amazon.models import Source
from plugin.domain.claims import CLAIMABLE, EXPIRED, REVIEW, WAITING, Claim
from plugin.domain.policy import KINDS

STATUSES = (CLAIMABLE, WAITING, REVIEW, EXPIRED)


def claim_document(claim: Claim) -> dict[str, Any]:
    """One claim as in spec §4: dates ISO, amounts strings with two decimals, nulls kept."""
    document: dict[str, Any] = {
        "kind": claim.kind,
        "reference_id": claim.reference_id,
        "sku": claim.sku,
        "fnsku": claim.fnsku,
        "asin": claim.asin,
        "marketplace": claim.marketplace,
        "quantity": claim.quantity,
        "event_date": _iso(claim.event_date),
        "opens_on": _iso(claim.opens_on),
        "deadline": _iso(claim.deadline),
        "status": claim.status,
        "estimated_amount": _money(claim.estimated_amount),
        "currency": claim.currency,
        "valuation_basis": claim.valuation_basis,
        "evidence": [_source(source) for source in claim.evidence],
    }
    if claim.status_reason is not None:
        document["status_reason"] = claim.status_reason
    return document


def claims_document(
    as_of: date, claims: Iterable[Claim], skipped: Iterable[tuple[str, str]]
) -> dict[str, Any]:
    return {
        "as_of": as_of.isoformat(),
        "claims": [claim_document(claim) for claim in claims],
        "skipped_files": [{"file": file, "reason": reason} for file, reason in skipped],
    }


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


def _money(amount: Decimal | None) -> str | None:
    return f"{amount:.2f}" if amount is not None else None


def _source(source: Source) -> dict[str, Any]:
    if source.path is not None:
        return {"file": source.file, "path": source.path}
    return {"file": source.file, "line": source.line}


# --- the table a seller acts on ----------------------------------------------------------


def order_for_action(claims: Iterable[Claim]) -> list[Claim]:
    """Claimable by nearest deadline, then waiting by opening day, then flags, then expired."""
    rank = {status: position for position, status in enumerate(STATUSES)}

    def key(claim: Claim) -> tuple[Any, ...]:
        if claim.status == WAITING:
            day = claim.opens_on or date.max
        elif claim.status == EXPIRED:
            day = date.max - (claim.deadline - date.min) if claim.deadline else date.max
        else:
            day = claim.deadline or claim.event_date or date.max
        return (rank.get(claim.status, len(rank)), day, claim.identity)

    return sorted(claims, key=key)


def render_table(
    as_of: date, claims: Sequence[Claim], skipped: Sequence[tuple[str, str]], source: str = ""
) -> str:
    """The text report of ``claimdesk reconcile``."""
    lines = [f"claimdesk reconcile {source} (as of {as_of.isoformat()})".replace("  ", " "), ""]
    ordered = order_for_action(claims)
    sections = [
        (CLAIMABLE, "CLAIMABLE NOW: file these in Seller Central, nearest deadline first"),
        (WAITING, "WAITING: Amazon usually reimburses first; these open later"),
        (REVIEW, "REVIEW: returns graded sellable though the customer reported damage"),
        (EXPIRED, "EXPIRED: the window closed before a case was filed"),
    ]
    for status, title in sections:
        chosen = [claim for claim in ordered if claim.status == status]
        if not chosen:
            continue
        lines.append(f"{title} ({len(chosen)})")
        lines.extend(_claim_rows(chosen, as_of))
        lines.append("")
    if not claims:
        lines.extend(["No claims found.", ""])
    lines.extend(_totals(claims))
    lines.append("")
    lines.append(
        "Claimable now: " + _money_list(_sum_values(c for c in claims if c.status == CLAIMABLE))
    )
    lines.append(
        "Values are estimates (refunds: refunded principal, an upper bound), "
        "not what Amazon will pay."
    )
    if skipped:
        lines.append("")
        lines.append(f"Skipped files ({len(skipped)}): nothing from them was used")
        lines.extend(f"  {file}: {reason}" for file, reason in skipped)
    return "\n".join(lines) + "\n"


def _claim_rows(claims: Sequence[Claim], as_of: date) -> list[str]:
    header = (
        "Deadline",
        "Days",
        "Opens on",
        "Kind",
        "Reference",
        "SKU",
        "Mkt",
        "Units",
        "Est. value",
        "Basis",
    )
    rows = [header]
    for claim in claims:
        days = str((claim.deadline - as_of).days) if claim.deadline else ""
        rows.append(
            (
                _iso(claim.deadline) or "-",
                days,
                _iso(claim.opens_on) or "-",
                claim.kind,
                claim.reference_id,
                claim.sku,
                claim.marketplace or "-",
                str(claim.quantity),
                f"{claim.estimated_amount:,.2f} {claim.currency}"
                if claim.estimated_amount is not None
                else "-",
                claim.valuation_basis or "-",
            )
        )
        if claim.status_reason:
            rows.append(("", "", "", "", f"  ({claim.status_reason})", "", "", "", "", ""))
    return _layout(rows, right={1, 7, 8})


def _layout(rows: Sequence[Sequence[str]], right: set[int]) -> list[str]:
    widths = [
        max(len(row[i]) for row in rows if not row[4].startswith("  (")) if rows else 0
        for i in range(len(rows[0]))
    ]
    out = []
    for row in rows:
        if row[4].startswith("  ("):
            out.append("    " + row[4].strip())
            continue
        cells = [
            cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
            for i, cell in enumerate(row)
        ]
        out.append("  " + "  ".join(cells).rstrip())
    return out


def _sum_values(claims: Iterable[Claim]) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for claim in claims:
        if claim.estimated_amount is not None and claim.currency:
            totals[claim.currency] += claim.estimated_amount
    return dict(totals)


def _money_list(values: dict[str, Decimal]) -> str:
    if not values:
        return "nothing"
    return ", ".join(f"{amount:,.2f} {currency}" for currency, amount in sorted(values.items()))


def _totals(claims: Sequence[Claim]) -> list[str]:
    header = ("Totals", *STATUSES, "units", "estimated value")
    rows: list[tuple[str, ...]] = [header]
    for kind in KINDS:
        of_kind = [claim for claim in claims if claim.kind == kind]
        if not of_kind:
            continue
        counts = [str(sum(1 for c in of_kind if c.status == s) or "") for s in STATUSES]
        rows.append(
            (
                kind,
                *counts,
                str(sum(c.quantity for c in of_kind)),
                _money_list(_sum_values(of_kind)),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return [
        "  "
        + "  ".join(
            cell.rjust(widths[i]) if 0 < i < len(header) - 1 else cell.ljust(widths[i])
            for i, cell in enumerate(row)
        ).rstrip()
        for row in rows
    ]
