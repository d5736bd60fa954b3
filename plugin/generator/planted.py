"""The answer key: the planted claims as spec §4 writes them (without evidence).

Windows, statuses and amounts come from ``valuation`` (the spec's formulas, written apart from
the engine); quantities, references and event dates from each scenario's own design.
"""

from __future__ import annotations

from datetime import date
from fractions import Fraction
from typing import Any

from plugin.generator.scenarios import Expectation, Plan
from plugin.generator.valuation import (
    INBOUND_SHORTAGE,
    RETURN_DAMAGED_BY_AMAZON,
    RETURN_DISPUTED_GRADING,
    RETURN_NOT_RECEIVED,
    REVIEW,
    WAITING,
    PriceBook,
    amount_text,
    currency_of,
    status_on,
    window,
)


def planted_claims(plan: Plan, prices: PriceBook) -> list[dict[str, Any]]:
    """Every planted claim, sorted by (kind, reference_id, sku)."""
    claims = [_claim(e, plan.as_of, prices) for e in plan.expectations]
    claims.sort(key=lambda c: (c["kind"], c["reference_id"], c["sku"]))
    identities = [(c["kind"], c["reference_id"], c["sku"]) for c in claims]
    duplicated = {i for i in identities if identities.count(i) > 1}
    assert not duplicated, f"two scenarios plant the same claim: {sorted(duplicated)}"
    return claims


def claims_document(plan: Plan, prices: PriceBook, *, seed: int, layout: str) -> dict[str, Any]:
    return {
        "as_of": plan.as_of.isoformat(),
        "seed": seed,
        "layout": layout,
        "claims": planted_claims(plan, prices),
    }


def scenarios_document(plan: Plan, *, seed: int, layout: str) -> dict[str, Any]:
    """What each scenario tests and the identities it expects, for people reading the data."""
    return {
        "as_of": plan.as_of.isoformat(),
        "seed": seed,
        "layout": layout,
        "scenarios": [
            {
                "name": s.name,
                "kind": s.kind,
                "tests": s.tests,
                "expects": [
                    {
                        "kind": e.kind,
                        "reference_id": e.reference_id,
                        "sku": e.product.sku,
                        "quantity": e.quantity,
                    }
                    for e in s.expectations
                ]
                or "no claim",
            }  # fmt: skip
            for s in plan.scenarios
        ],
    }


def _claim(e: Expectation, as_of: date, prices: PriceBook) -> dict[str, Any]:
    opens_on = deadline = None
    if e.kind == RETURN_DISPUTED_GRADING:
        status = REVIEW
    elif e.event_date is None:
        status = WAITING
    else:
        opens_on, deadline = window(e.kind, e.marketplace, e.event_date)
        status = status_on(as_of, opens_on, deadline)
    amount, currency, basis = _value(e, prices)
    return {
        "kind": e.kind,
        "reference_id": e.reference_id,
        "sku": e.product.sku,
        "fnsku": e.product.fnsku,
        "asin": e.product.asin,
        "marketplace": e.marketplace,
        "quantity": e.quantity,
        "event_date": _iso(e.event_date),
        "opens_on": _iso(opens_on),
        "deadline": _iso(deadline),
        "status": status,
        "estimated_amount": amount,
        "currency": currency,
        "valuation_basis": basis,
        "status_reason": e.status_reason,
    }


def _value(e: Expectation, prices: PriceBook) -> tuple[str | None, str | None, str | None]:
    """(amount, currency, basis) by spec §3; a flag has none of them."""
    if e.kind == RETURN_DISPUTED_GRADING:
        return None, None, None
    if e.kind in (RETURN_NOT_RECEIVED, RETURN_DAMAGED_BY_AMAZON):
        if e.refund is None:
            return None, None, "unknown"
        unit = Fraction(e.refund.principal_cents, 100 * e.refund.units)
        return amount_text(e.quantity, unit, e.marketplace), e.refund.currency, "refunded_principal"
    assert e.kind != INBOUND_SHORTAGE or e.refund is None
    cost = e.product.cost
    if cost is not None:
        unit = Fraction(cost.unit_cost)
        return amount_text(e.quantity, unit, e.marketplace), cost.currency, "manufacturing_cost"
    currency = currency_of(e.marketplace)
    average = prices.average(e.product.sku, currency) if currency else None
    if average is None or currency is None:
        return None, None, "unknown"
    return amount_text(e.quantity, average, e.marketplace), currency, "sale_price_estimate"


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None
