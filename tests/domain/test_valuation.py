"""Valuation (spec §3) of the inventory kinds 1, 2 and 5: cost, else average sale price."""

from __future__ import annotations

from decimal import Decimal

import pytest

from plugin.domain.policy import WAREHOUSE_DAMAGED, WAREHOUSE_LOST

from .builders import (
    OTHER_SKU,
    SKU,
    costs,
    damaged,
    ledger,
    lost,
    money,
    one,
    order,
    run,
)

AS_OF = "2026-10-31"
DAY = "2026-09-20"


def lost_claim(units: int = 1, *, country: str = "US", **kw: object):
    return one(run(AS_OF, ledger=[lost(DAY, units, country=country)], **kw))


# ---------------------------------------------------------------------------------------------
# Seller cost first
# ---------------------------------------------------------------------------------------------


def test_cost_beats_sale_price() -> None:
    claim = lost_claim(2, costs=costs((SKU, "8.90", "USD")), orders=[order("O1", 1, "20.00")])
    assert money(claim) == ("17.80", "USD", "manufacturing_cost")  # 2 x 8.90


def test_cost_is_in_the_cost_currency() -> None:
    # a German loss valued from a cost written in USD: the amount is in USD
    claim = lost_claim(
        2,
        country="DE",
        costs=costs((SKU, "3.10", "USD")),
        orders=[order("O1", 1, "20.00", currency="EUR", channel="Amazon.de")],
    )
    assert money(claim) == ("6.20", "USD", "manufacturing_cost")


def test_cost_of_another_sku_is_not_used() -> None:
    claim = lost_claim(1, costs=costs((OTHER_SKU, "8.90", "USD")))
    assert money(claim) == (None, None, "unknown")


def test_cost_also_applies_before_2025_03_10() -> None:
    # "the same order of choice applies to earlier events"
    claim = one(
        run(
            "2024-07-01",
            ledger=[lost("2024-06-01", 3)],
            costs=costs((SKU, "1.50", "USD")),
            orders=[order("O1", 1, "20.00")],
        )
    )
    assert money(claim) == ("4.50", "USD", "manufacturing_cost")


def test_cost_with_unknown_marketplace() -> None:
    claim = lost_claim(2, country="", costs=costs((SKU, "4.00", "GBP")))
    assert claim.marketplace is None
    assert money(claim) == ("8.00", "GBP", "manufacturing_cost")


def test_damaged_claims_use_the_same_valuation() -> None:
    claims = run(AS_OF, ledger=[damaged(DAY, 3, ref="D1")], orders=[order("O1", 2, "30.00")])
    claim = one(claims, WAREHOUSE_DAMAGED)
    assert money(claim) == ("45.00", "USD", "sale_price_estimate")  # 3 x 30.00 / 2


# ---------------------------------------------------------------------------------------------
# Average sale price: sum(item-price) / sum(quantity) over the qualifying All Orders rows
# ---------------------------------------------------------------------------------------------

BASE = order("B1", 1, "10.00")  # average 10.00 on its own

AVERAGE = [
    pytest.param(
        [order("A", 1, "10.00"), order("B", 2, "30.00")],
        3,
        "40.00",
        id="(10 + 30) / (1 + 2) x 3 = 40.00",
    ),
    pytest.param(
        [order("A", 1, "10.00"), order("B", 2, "30.00")], 1, "13.33", id="40 / 3 = 13.333..."
    ),
    pytest.param(
        [order("A", 1, "10.00"), order("B", 2, "30.00")], 2, "26.67", id="2 x 13.333... = 26.666..."
    ),
    pytest.param([BASE, order("Z", 0, "100.00")], 1, "10.00", id="quantity 0 left out"),
    pytest.param([BASE, order("Z", -1, "100.00")], 1, "10.00", id="negative quantity left out"),
    pytest.param([BASE, order("Z", 1, None)], 1, "10.00", id="empty item-price left out"),
    pytest.param(
        [BASE, order("Z", 1, "100.00", status="Cancelled")], 1, "10.00", id="Cancelled left out"
    ),
    pytest.param(
        [BASE, order("Z", 1, "100.00", currency="EUR", channel="Amazon.de")],
        1,
        "10.00",
        id="other currency left out",
    ),
    pytest.param(
        [BASE, order("Z", 1, "100.00", currency="CAD", channel="Amazon.ca")],
        1,
        "10.00",
        id="CAD left out of a US claim",
    ),
    pytest.param(
        [BASE, order("Z", 1, "100.00", sku=OTHER_SKU)], 1, "10.00", id="other SKU left out"
    ),
    pytest.param([BASE, order("Z", 1, "30.00", status="Pending")], 1, "20.00", id="Pending counts"),
    pytest.param(
        [BASE, order("Z", 1, "30.00", status="Shipping")], 1, "20.00", id="Shipping counts"
    ),
    pytest.param(
        [BASE, order("Z", 1, "30.00", status="Unshipped")], 1, "20.00", id="Unshipped counts"
    ),
    pytest.param(
        [BASE, order("Z", 1, "0.00")], 1, "5.00", id="0.00 is a non-empty price: (10 + 0) / 2"
    ),
    pytest.param(
        [BASE, order("B1", 1, "30.00")], 1, "20.00", id="rows of the same order count each"
    ),
]


@pytest.mark.parametrize(("orders", "units", "expected"), AVERAGE)
def test_average_sale_price(orders: list, units: int, expected: str) -> None:
    claim = lost_claim(units, orders=orders)
    assert money(claim) == (expected, "USD", "sale_price_estimate")


@pytest.mark.parametrize(
    "orders",
    [
        pytest.param([], id="no orders"),
        pytest.param([order("Z", 1, "10.00", status="Cancelled")], id="only cancelled"),
        pytest.param([order("Z", 0, "10.00")], id="only quantity 0"),
        pytest.param([order("Z", 1, None)], id="only empty prices"),
        pytest.param([order("Z", 1, "10.00", currency="EUR")], id="only other currency"),
        pytest.param([order("Z", 1, "10.00", sku=OTHER_SKU)], id="only other SKU"),
    ],
)
def test_no_cost_and_no_price_is_unknown(orders: list) -> None:
    claim = lost_claim(2, orders=orders)
    assert money(claim) == (None, None, "unknown")
    assert claim.estimated_amount is None and claim.currency is None


@pytest.mark.parametrize(
    ("country", "currency", "expected"),
    [
        # EUR rows 20 + 40 over 1 + 1 -> 30; GBP row 50 / 2 -> 25; USD row 10
        ("DE", "EUR", "30.00"),
        # spec reading: rows are selected by currency only ("the currency of the claim's
        # marketplace"), so the Amazon.de row counts for a French claim too
        ("FR", "EUR", "30.00"),
        ("UK", "GBP", "25.00"),
        ("US", "USD", "10.00"),
        ("CA", None, None),  # no CAD rows
        ("", None, None),  # unknown marketplace: no currency
    ],
)
def test_sale_price_in_the_claim_marketplace_currency(
    country: str, currency: str | None, expected: str | None
) -> None:
    orders = [
        order("E1", 1, "20.00", currency="EUR", channel="Amazon.de"),
        order("E2", 1, "40.00", currency="EUR", channel="Amazon.fr"),
        order("G1", 2, "50.00", currency="GBP", channel="Amazon.co.uk"),
        order("U1", 1, "10.00", currency="USD", channel="Amazon.com"),
    ]
    claim = lost_claim(1, country=country, orders=orders)
    basis = "sale_price_estimate" if expected else "unknown"
    assert money(claim) == (expected, currency, basis)


# ---------------------------------------------------------------------------------------------
# Exact computation, one rounding half up to cents
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cost", "units", "expected"),
    [
        ("0.125", 1, "0.13"),  # half up, not half even (0.12)
        ("0.125", 3, "0.38"),  # 0.375
        ("0.625", 1, "0.63"),  # half even would give 0.62
        ("0.005", 1, "0.01"),
        ("0.0049", 1, "0.00"),
        ("1.0049", 1, "1.00"),
        ("0.3333", 3, "1.00"),  # 0.9999 rounded once; rounding the unit first would give 0.99
        ("0.335", 3, "1.01"),  # 1.005; rounding the unit first (0.34) would give 1.02
        ("4.45", 3, "13.35"),
        ("10", 2, "20.00"),  # always two places
    ],
)
def test_cost_amount_rounding(cost: str, units: int, expected: str) -> None:
    claim = lost_claim(units, costs=costs((SKU, cost, "USD")))
    assert money(claim) == (expected, "USD", "manufacturing_cost")
    assert claim.estimated_amount == Decimal(expected)
    assert claim.estimated_amount.as_tuple().exponent == -2  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("orders", "units", "expected"),
    [
        # 10.00 / 3 per unit x 3 = 10.00 exactly (3 x 3.33 = 9.99 if the unit were rounded)
        pytest.param([order("A", 3, "10.00")], 3, "10.00", id="10/3 x 3"),
        pytest.param([order("A", 3, "10.00")], 2, "6.67", id="10/3 x 2 = 6.666..."),
        # 8 units sold for 1.00: 0.125 per unit -> 0.13
        pytest.param([order("A", 8, "1.00")], 1, "0.13", id="0.125 half up"),
        # 3 x 10.01 / 6 = 5.005 exactly -> 5.01; dividing first in 28-digit decimals gives
        # 1.668333...3 x 3 = 5.004999...9 -> 5.00
        pytest.param([order("A", 6, "10.01")], 3, "5.01", id="5.005 computed exactly"),
        # 3 x 0.65 / 6 = 0.325 -> 0.33
        pytest.param([order("A", 2, "0.30"), order("B", 4, "0.35")], 3, "0.33", id="0.325 exactly"),
    ],
)
def test_sale_price_amount_rounding(orders: list, units: int, expected: str) -> None:
    claim = lost_claim(units, orders=orders)
    assert money(claim) == (expected, "USD", "sale_price_estimate")


# ---------------------------------------------------------------------------------------------
# The US cap: 5,000 per unit
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("country", "cost", "currency", "expected"),
    [
        ("US", "6000.00", "USD", "10000.00"),  # 2 x min(6000, 5000)
        ("US", "5000.00", "USD", "10000.00"),
        ("US", "5000.005", "USD", "10000.00"),  # the unit value, not the amount, is capped
        ("US", "4999.995", "USD", "9999.99"),  # 9999.99 exactly
        ("DE", "6000.00", "EUR", "12000.00"),  # no cap outside the US
        ("UK", "6000.00", "GBP", "12000.00"),
        ("CA", "6000.00", "CAD", "12000.00"),
        ("", "6000.00", "USD", "12000.00"),  # unknown marketplace: no cap
    ],
)
def test_us_cap_on_cost(country: str, cost: str, currency: str, expected: str) -> None:
    claim = lost_claim(2, country=country, costs=costs((SKU, cost, currency)))
    assert money(claim) == (expected, currency, "manufacturing_cost")


def test_us_cap_on_sale_price() -> None:
    # average 18000 / 3 = 6000 per unit, capped at 5000: 2 x 5000
    claim = lost_claim(2, orders=[order("A", 3, "18000.00")])
    assert money(claim) == ("10000.00", "USD", "sale_price_estimate")


def test_us_cap_on_a_many_unit_claim() -> None:
    # 3 units of 7000: 3 x 5000 = 15000 (the cap is per unit, not per claim)
    claims = run(AS_OF, ledger=[ledger(DAY, -3, "M")], costs=costs((SKU, "7000", "USD")))
    claim = one(claims, WAREHOUSE_LOST)
    assert money(claim) == ("15000.00", "USD", "manufacturing_cost")
