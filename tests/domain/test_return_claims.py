"""Kinds 3 and 4 (spec §2): return_not_received and return_damaged_by_amazon."""

from __future__ import annotations

from datetime import date

import pytest

from plugin.domain.claims import CLAIMABLE, EXPIRED, WAITING
from plugin.domain.policy import RETURN_DAMAGED_BY_AMAZON, RETURN_NOT_RECEIVED

from .builders import (
    ASIN,
    FNSKU,
    OTHER_SKU,
    SKU,
    costs,
    item,
    money,
    of_kind,
    one,
    order,
    refund,
    reimb,
    ret,
    run,
    window,
)

K3 = RETURN_NOT_RECEIVED
K4 = RETURN_DAMAGED_BY_AMAZON
AS_OF = "2026-03-15"  # claimable for a US refund of 2026-01-10 (opens 03-11, deadline 05-10)
REFUND_DAY = "2026-01-10"


def k3_units(claims: list) -> dict[tuple[str, str], int]:
    return {(c.reference_id, c.sku): c.quantity for c in of_kind(claims, K3)}


def k4_units(claims: list) -> dict[tuple[str, str], int]:
    return {(c.reference_id, c.sku): c.quantity for c in of_kind(claims, K4)}


# ---------------------------------------------------------------------------------------------
# Kind 3: refunded, never returned
# ---------------------------------------------------------------------------------------------


def test_refund_without_return_is_a_claim() -> None:
    event = refund("111-0000001-0000001", REFUND_DAY, item(1, "-25.00"))
    claim = one(run(AS_OF, refunds=[event]))
    assert claim.kind == "return_not_received"
    assert claim.identity == ("return_not_received", "111-0000001-0000001", SKU)
    assert claim.reference_id == "111-0000001-0000001"  # the order ID
    assert (claim.marketplace, claim.quantity) == ("US", 1)
    # US-style: 2026-01-10 + 60 d = 2026-03-11, + 120 d = 2026-05-10
    assert window(claim) == (date(2026, 1, 10), date(2026, 3, 11), date(2026, 5, 10), CLAIMABLE)
    assert money(claim) == ("25.00", "USD", "refunded_principal")
    assert event.source in claim.evidence


def test_refunded_units_sum_quantity_shipped_over_entries_and_events() -> None:
    # event 1: two entries of the SKU (1 + 2), event 2: one entry (1) -> 4 units
    first = refund("O1", "2026-01-10", item(1, "-10.00"), item(2, "-20.00"))
    second = refund("O1", "2026-01-12", item(1, "-10.00"))
    claim = one(run(AS_OF, refunds=[first, second]))
    assert claim.quantity == 4
    assert money(claim) == ("40.00", "USD", "refunded_principal")  # 4 x (40.00 / 4)
    assert {first.source, second.source} <= set(claim.evidence)


def test_refund_date_is_the_earliest_posted_date() -> None:
    later = refund("O1", "2026-01-20", item(1, "-10.00"))
    earlier = refund("O1", "2026-01-10", item(1, "-10.00"))
    claim = one(run(AS_OF, refunds=[later, earlier]))
    assert window(claim)[:3] == (date(2026, 1, 10), date(2026, 3, 11), date(2026, 5, 10))


def test_refund_date_is_the_utc_posted_date() -> None:
    # A PostedDate of 2026-03-01T01:00:00+05:00 is 2026-02-28T20:00:00Z: the refund date is
    # 2026-02-28. The reader stores that UTC date in RefundEvent.posted_date; the engine counts
    # from it: + 60 d = 2026-04-29, + 120 d = 2026-06-28.
    claim = one(run("2026-04-29", refunds=[refund("O1", "2026-02-28", item(1, "-9.00"))]))
    assert window(claim) == (date(2026, 2, 28), date(2026, 4, 29), date(2026, 6, 28), CLAIMABLE)


def test_one_claim_per_order_and_sku() -> None:
    events = [
        refund("O1", REFUND_DAY, item(1, "-10.00", sku=SKU), item(2, "-30.00", sku=OTHER_SKU)),
        refund("O2", REFUND_DAY, item(1, "-10.00", sku=SKU)),
    ]
    claims = run(AS_OF, refunds=events)
    assert k3_units(claims) == {("O1", SKU): 1, ("O1", OTHER_SKU): 2, ("O2", SKU): 1}
    by_key = {(c.reference_id, c.sku): c for c in claims}
    assert money(by_key["O1", OTHER_SKU]) == ("30.00", "USD", "refunded_principal")


@pytest.mark.parametrize(
    "disposition",
    [
        "SELLABLE",
        "DAMAGED",
        "CUSTOMER_DAMAGED",
        "DEFECTIVE",
        "CARRIER_DAMAGED",
        "EXPIRED",
    ],
)
@pytest.mark.parametrize("status", ["Unit returned to inventory", "Reimbursed", "Repackaged"])
def test_any_return_reduces_the_refunded_units(disposition: str, status: str) -> None:
    events = [refund("O1", REFUND_DAY, item(3, "-30.00"))]
    returns = [ret("2026-01-20", "O1", disposition, qty=1, status=status)]
    claims = run(AS_OF, refunds=events, returns=returns)
    assert k3_units(claims) == {("O1", SKU): 2}  # 3 refunded - 1 returned
    assert money(one(claims, K3)) == ("20.00", "USD", "refunded_principal")  # 2 x 30.00 / 3


@pytest.mark.parametrize(
    ("returns", "expected"),
    [
        pytest.param([ret("2025-12-20", "O1")], {}, id="return received before the refund counts"),
        pytest.param([ret("2026-06-01", "O1")], {}, id="return long after the refund counts"),
        pytest.param([ret("2026-01-20", "O1", qty=2)], {}, id="more returned than refunded"),
        pytest.param([ret("2026-01-20", "O2")], {("O1", SKU): 1}, id="other order does not count"),
        pytest.param(
            [ret("2026-01-20", "O1", sku=OTHER_SKU)],
            {("O1", SKU): 1},
            id="other SKU of the order does not count",
        ),
    ],
)
def test_returns_matched_by_order_and_sku(returns: list, expected: dict) -> None:
    claims = run(AS_OF, refunds=[refund("O1", REFUND_DAY, item(1, "-10.00"))], returns=returns)
    assert k3_units(claims) == expected


@pytest.mark.parametrize(
    "reason",
    [
        "CustomerReturn",
        "CustomerServiceIssue",
        "GeneralAdjustment",
        "Lost_Outbound",
        "Lost_Warehouse",
        "SomethingNew",
    ],
)
def test_any_reimbursement_of_the_order_and_sku_offsets(reason: str) -> None:
    events = [refund("O1", REFUND_DAY, item(3, "-30.00"))]
    reimbursements = [reimb("2026-02-01", reason, 2, order="O1")]
    claims = run(AS_OF, refunds=events, reimbursements=reimbursements)
    assert k3_units(claims) == {("O1", SKU): 1}  # 3 refunded - 2 reimbursed


@pytest.mark.parametrize(
    ("reimbursement", "expected"),
    [
        pytest.param(
            reimb("2025-12-01", "CustomerReturn", 1, order="O1"),
            {},
            id="reimbursed before the refund still offsets",
        ),
        pytest.param(
            reimb("2026-01-20", "CustomerReturn", 1, order=""),
            {("O1", SKU): 1},
            id="reimbursement without an order does not offset",
        ),
        pytest.param(
            reimb("2026-01-20", "CustomerReturn", 1, order="O2"),
            {("O1", SKU): 1},
            id="reimbursement of another order does not offset",
        ),
        pytest.param(
            reimb("2026-01-20", "CustomerReturn", 1, order="O1", sku=OTHER_SKU),
            {("O1", SKU): 1},
            id="reimbursement of another SKU of the order does not offset",
        ),
        pytest.param(
            reimb("2026-01-20", "CustomerReturn", 1, order="O1", cash=0, inventory=1),
            {},
            id="inventory units count",
        ),
    ],
)
def test_reimbursements_matched_by_order_and_sku(reimbursement: object, expected: dict) -> None:
    claims = run(
        AS_OF, refunds=[refund("O1", REFUND_DAY, item(1, "-10.00"))], reimbursements=[reimbursement]
    )
    assert k3_units(claims) == expected


def test_returns_and_reimbursements_both_reduce() -> None:
    # 4 refunded - 1 returned - 2 reimbursed = 1
    claims = run(
        AS_OF,
        refunds=[refund("O1", REFUND_DAY, item(4, "-40.00"))],
        returns=[ret("2026-01-20", "O1")],
        reimbursements=[reimb("2026-02-01", "CustomerReturn", 2, order="O1")],
    )
    assert k3_units(claims) == {("O1", SKU): 1}
    assert money(one(claims, K3)) == ("10.00", "USD", "refunded_principal")


# ---------------------------------------------------------------------------------------------
# Marketplace and windows of kinds 3 and 4
# ---------------------------------------------------------------------------------------------

# 2026-01-10: US-style + 60 d = 03-11, + 120 d = 05-10; EU + 45 d = 02-24, + 105 d = 04-25
US_WINDOW = (date(2026, 3, 11), date(2026, 5, 10))
EU_WINDOW = (date(2026, 2, 24), date(2026, 4, 25))


@pytest.mark.parametrize(
    ("name", "marketplace", "expected_window"),
    [
        ("Amazon.com", "US", US_WINDOW),
        ("Amazon.ca", "CA", US_WINDOW),
        ("Amazon.com.mx", "MX", US_WINDOW),
        ("Amazon.com.br", "BR", US_WINDOW),
        ("Amazon.co.jp", "JP", US_WINDOW),
        ("Amazon.com.au", "AU", US_WINDOW),
        ("Amazon.com.tr", "TR", US_WINDOW),  # any other marketplace: US-style
        ("Amazon.in", "IN", US_WINDOW),
        ("Amazon.de", "DE", EU_WINDOW),
        ("Amazon.co.uk", "GB", EU_WINDOW),
        ("Amazon.fr", "FR", EU_WINDOW),
        ("Amazon.it", "IT", EU_WINDOW),
        ("Amazon.es", "ES", EU_WINDOW),
        ("Amazon.nl", "NL", EU_WINDOW),
        ("Amazon.se", "SE", EU_WINDOW),
        ("Amazon.pl", "PL", EU_WINDOW),
        ("Amazon.com.be", "BE", EU_WINDOW),
        ("Amazon.ie", "IE", EU_WINDOW),
        ("UK", "GB", EU_WINDOW),  # a UK code is written GB
        ("GB", "GB", EU_WINDOW),
        ("DE", "DE", EU_WINDOW),
        ("Amazon.example", None, US_WINDOW),  # unknown: US-style, marketplace null
    ],
)
@pytest.mark.parametrize("kind", [K3, K4])
def test_return_marketplace_and_window(
    name: str, marketplace: str | None, expected_window: tuple[date, date], kind: str
) -> None:
    event = refund("O1", REFUND_DAY, item(1, "-10.00"), marketplace=name)
    returns = [ret("2026-01-05", "O1", "DAMAGED")] if kind == K4 else []
    claim = one(run(AS_OF, refunds=[event], returns=returns), kind)
    assert claim.marketplace == marketplace
    assert (claim.opens_on, claim.deadline) == expected_window
    assert claim.event_date == date(2026, 1, 10)


def test_marketplace_of_the_earliest_refund_event() -> None:
    later = refund("O1", "2026-01-20", item(1, "-10.00"), marketplace="Amazon.com")
    earlier = refund("O1", "2026-01-10", item(1, "-10.00"), marketplace="Amazon.de")
    claim = one(run(AS_OF, refunds=[later, earlier]))
    assert claim.marketplace == "DE"
    assert (claim.opens_on, claim.deadline) == EU_WINDOW


@pytest.mark.parametrize(
    ("channel", "marketplace", "expected_window"),
    [
        ("Amazon.co.uk", "GB", EU_WINDOW),
        ("Amazon.de", "DE", EU_WINDOW),
        ("Amazon.com", "US", US_WINDOW),
        ("Non-Amazon", None, US_WINDOW),
    ],
)
def test_marketplace_falls_back_to_the_order_sales_channel(
    channel: str, marketplace: str | None, expected_window: tuple[date, date]
) -> None:
    event = refund("O1", REFUND_DAY, item(1, "-10.00"), marketplace="")
    orders = [order("O1", 1, "10.00", channel=channel)]
    claim = one(run(AS_OF, refunds=[event], orders=orders))
    assert claim.marketplace == marketplace
    assert (claim.opens_on, claim.deadline) == expected_window


def test_refund_marketplace_wins_over_the_sales_channel() -> None:
    event = refund("O1", REFUND_DAY, item(1, "-10.00"), marketplace="Amazon.de")
    orders = [order("O1", 1, "10.00", channel="Amazon.com")]
    assert one(run(AS_OF, refunds=[event], orders=orders)).marketplace == "DE"


def test_no_marketplace_anywhere_is_null_with_us_style_window() -> None:
    event = refund("O1", REFUND_DAY, item(1, "-10.00"), marketplace="")
    claim = one(run(AS_OF, refunds=[event]))
    assert claim.marketplace is None
    assert (claim.opens_on, claim.deadline) == US_WINDOW
    assert money(claim) == ("10.00", "USD", "refunded_principal")  # the refund's currency


@pytest.mark.parametrize(
    ("name", "as_of", "status"),
    [
        ("Amazon.com", "2026-03-10", WAITING),
        ("Amazon.com", "2026-03-11", CLAIMABLE),
        ("Amazon.com", "2026-05-10", CLAIMABLE),
        ("Amazon.com", "2026-05-11", EXPIRED),
        ("Amazon.de", "2026-02-23", WAITING),
        ("Amazon.de", "2026-02-24", CLAIMABLE),
        ("Amazon.de", "2026-04-25", CLAIMABLE),
        ("Amazon.de", "2026-04-26", EXPIRED),
        ("Amazon.co.uk", "2026-02-23", WAITING),
        ("Amazon.co.uk", "2026-02-24", CLAIMABLE),
        ("Amazon.co.uk", "2026-04-25", CLAIMABLE),
        ("Amazon.co.uk", "2026-04-26", EXPIRED),
        ("Amazon.example", "2026-03-10", WAITING),
        ("Amazon.example", "2026-03-11", CLAIMABLE),
        ("Amazon.example", "2026-05-10", CLAIMABLE),
        ("Amazon.example", "2026-05-11", EXPIRED),
    ],
)
@pytest.mark.parametrize("kind", [K3, K4])
def test_return_window_boundaries(name: str, as_of: str, status: str, kind: str) -> None:
    event = refund("O1", REFUND_DAY, item(1, "-10.00"), marketplace=name)
    returns = [ret("2026-01-05", "O1", "CARRIER_DAMAGED")] if kind == K4 else []
    assert one(run(as_of, refunds=[event], returns=returns), kind).status == status


# ---------------------------------------------------------------------------------------------
# Kind 3 valuation: refunded principal per unit
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entries", "returned", "expected"),
    [
        pytest.param([(3, "-30.00")], 1, "20.00", id="2 x 30.00/3"),
        pytest.param([(3, "-10.00")], 0, "10.00", id="3 x 10.00/3 exactly, not 3 x 3.33"),
        pytest.param([(3, "-10.00")], 1, "6.67", id="2 x 3.333... = 6.666... -> 6.67"),
        pytest.param([(3, "-10.00")], 2, "3.33", id="1 x 3.333... -> 3.33"),
        pytest.param([(8, "-1.00")], 7, "0.13", id="1 x 0.125 rounds half up"),
        pytest.param([(8, "-5.00")], 7, "0.63", id="1 x 0.625 rounds half up (not to even)"),
        # 3 x 10.01 / 6 = 5.005 exactly -> 5.01 (dividing first in 28-digit decimals: 5.00)
        pytest.param([(6, "-10.01")], 3, "5.01", id="5.005 computed exactly"),
        pytest.param([(1, "-10.00"), (1, "-20.00")], 1, "15.00", id="(10 + 20) / 2 per unit"),
        pytest.param([(1, "10.00")], 0, "10.00", id="absolute value of a positive principal"),
        # spec reading: "the absolute sum of ChargeType Principal amounts": |(-20) + 4| = 16,
        # not |-20| + |4| = 24; per unit 16 / 2 = 8, 2 units -> 16.00
        pytest.param([(1, "-20.00"), (1, "4.00")], 0, "16.00", id="absolute value of the sum"),
    ],
)
def test_refunded_principal_valuation(
    entries: list[tuple[int, str]], returned: int, expected: str
) -> None:
    event = refund("O1", REFUND_DAY, *(item(qty, principal) for qty, principal in entries))
    returns = [ret("2026-01-20", "O1", qty=returned)] if returned else []
    claim = one(run(AS_OF, refunds=[event], returns=returns))
    assert money(claim) == (expected, "USD", "refunded_principal")


def test_refunded_principal_in_the_refund_currency() -> None:
    event = refund("O1", REFUND_DAY, item(2, "-31.00", currency="GBP"), marketplace="Amazon.co.uk")
    claim = one(run(AS_OF, refunds=[event]))
    assert money(claim) == ("31.00", "GBP", "refunded_principal")


def test_refund_value_ignores_costs_and_sale_prices() -> None:
    event = refund("O1", REFUND_DAY, item(1, "-25.00"))
    claim = one(
        run(
            AS_OF,
            refunds=[event],
            costs=costs((SKU, "4.00", "USD")),
            orders=[order("O1", 1, "99.00")],
        )
    )
    assert money(claim) == ("25.00", "USD", "refunded_principal")


@pytest.mark.parametrize(
    ("name", "principal", "currency", "expected"),
    [
        # US: unit value 12000.00 / 2 = 6000 is capped at 5000 -> 2 x 5000 = 10000.00
        ("Amazon.com", "-12000.00", "USD", "10000.00"),
        ("Amazon.com", "-10000.00", "USD", "10000.00"),  # 5000 per unit: at the cap
        ("Amazon.com", "-10000.02", "USD", "10000.00"),  # 5000.01 per unit -> 5000
        ("Amazon.de", "-12000.00", "EUR", "12000.00"),  # no cap outside the US
        ("Amazon.co.uk", "-12000.00", "GBP", "12000.00"),
    ],
)
def test_us_unit_value_cap_on_refunds(
    name: str, principal: str, currency: str, expected: str
) -> None:
    event = refund("O1", REFUND_DAY, item(2, principal, currency=currency), marketplace=name)
    claim = one(run(AS_OF, refunds=[event]))
    assert money(claim) == (expected, currency, "refunded_principal")


# ---------------------------------------------------------------------------------------------
# Kind 4: returned damaged by Amazon or the carrier
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("disposition", ["DAMAGED", "CARRIER_DAMAGED"])
def test_damaged_return_with_refund(disposition: str) -> None:
    event = refund("O1", REFUND_DAY, item(1, "-25.00"))
    returned = ret("2026-01-05", "O1", disposition, fnsku="X00RET0001", asin="B0RET00001", line=7)
    claims = run(AS_OF, refunds=[event], returns=[returned])
    assert of_kind(claims, K3) == []  # 1 refunded - 1 returned
    claim = one(claims, K4)
    assert claim.identity == (K4, "O1", SKU)
    assert (claim.reference_id, claim.quantity, claim.marketplace) == ("O1", 1, "US")
    # dated from the refund (01-10), not from the return (01-05)
    assert window(claim) == (date(2026, 1, 10), date(2026, 3, 11), date(2026, 5, 10), CLAIMABLE)
    assert money(claim) == ("25.00", "USD", "refunded_principal")
    assert returned.source in claim.evidence
    # spec reading: "fnsku (when known)": the return row knows the unit's FNSKU and ASIN
    assert (claim.fnsku, claim.asin) == ("X00RET0001", "B0RET00001")


@pytest.mark.parametrize("disposition", ["CUSTOMER_DAMAGED", "DEFECTIVE", "EXPIRED", "SELLABLE"])
def test_returns_that_are_not_claims(disposition: str) -> None:
    claims = run(
        AS_OF,
        refunds=[refund("O1", REFUND_DAY, item(1, "-25.00"))],
        returns=[ret("2026-01-05", "O1", disposition, reason="UNWANTED_ITEM")],
    )
    assert claims == []


def test_damaged_units_add_up_per_order_and_sku() -> None:
    returns = [
        ret("2026-01-05", "O1", "DAMAGED", qty=1),
        ret("2026-01-06", "O1", "CARRIER_DAMAGED", qty=2),
        ret("2026-01-07", "O1", "CUSTOMER_DAMAGED", qty=1),  # not Amazon's fault
        ret("2026-01-05", "O1", "DAMAGED", qty=1, sku=OTHER_SKU),
        ret("2026-01-05", "O2", "DAMAGED", qty=1),
    ]
    event = refund("O1", REFUND_DAY, item(4, "-40.00"), item(1, "-5.00", sku=OTHER_SKU))
    claims = run(AS_OF, refunds=[event], returns=returns)
    assert k3_units(claims) == {}  # O1/SKU: 4 refunded - 4 returned; O1/OTHER: 1 - 1
    assert k4_units(claims) == {("O1", SKU): 3, ("O1", OTHER_SKU): 1, ("O2", SKU): 1}
    by_key = {(c.reference_id, c.sku): c for c in of_kind(claims, K4)}
    assert money(by_key["O1", SKU]) == ("30.00", "USD", "refunded_principal")  # 3 x 40/4
    assert money(by_key["O1", OTHER_SKU]) == ("5.00", "USD", "refunded_principal")
    assert money(by_key["O2", SKU]) == (None, None, "unknown")  # no refund for O2


def test_damaged_return_without_refund_is_dated_from_the_return() -> None:
    returns = [
        ret("2026-01-28", "O1", "SELLABLE", qty=1),  # not a damaged row: does not date it
        ret("2026-02-05", "O1", "DAMAGED", qty=1),
        ret("2026-02-01", "O1", "CARRIER_DAMAGED", qty=1),
    ]
    claims = run("2026-04-02", returns=returns, orders=[order("O1", 3, "30.00")])
    claim = one(claims, K4)
    assert claim.quantity == 2
    # earliest DAMAGED/CARRIER_DAMAGED return-date 2026-02-01: + 60 d = 04-02, + 120 d = 06-01
    assert window(claim) == (date(2026, 2, 1), date(2026, 4, 2), date(2026, 6, 1), CLAIMABLE)
    assert claim.marketplace == "US"  # the order's sales-channel
    # no refund: no amount, basis unknown (the All Orders price is not used for kind 4)
    assert money(claim) == (None, None, "unknown")


@pytest.mark.parametrize(
    ("channel", "marketplace", "opens", "deadline"),
    [
        # 2026-02-01 + 45 d = 03-18, + 105 d = 05-17; US-style + 60 d = 04-02, + 120 d = 06-01
        ("Amazon.de", "DE", date(2026, 3, 18), date(2026, 5, 17)),
        ("Amazon.co.uk", "GB", date(2026, 3, 18), date(2026, 5, 17)),
        ("Amazon.com", "US", date(2026, 4, 2), date(2026, 6, 1)),
        (None, None, date(2026, 4, 2), date(2026, 6, 1)),  # no order row: unknown -> US-style
    ],
)
def test_damaged_return_without_refund_marketplace(
    channel: str | None, marketplace: str | None, opens: date, deadline: date
) -> None:
    orders = [order("O1", 1, "10.00", channel=channel)] if channel else []
    claim = one(run(AS_OF, returns=[ret("2026-02-01", "O1", "DAMAGED")], orders=orders), K4)
    assert (claim.marketplace, claim.opens_on, claim.deadline) == (marketplace, opens, deadline)


@pytest.mark.parametrize(
    ("as_of", "status"),
    [
        ("2026-04-01", WAITING),
        ("2026-04-02", CLAIMABLE),
        ("2026-06-01", CLAIMABLE),
        ("2026-06-02", EXPIRED),
    ],
)
def test_damaged_return_without_refund_window_boundaries(as_of: str, status: str) -> None:
    claim = one(run(as_of, returns=[ret("2026-02-01", "O1", "DAMAGED")]), K4)
    assert claim.status == status


# (refunded units, returns as (disposition, units), reimbursed units) -> (kind 3, kind 4) units
SPLIT = [
    pytest.param(1, [("DAMAGED", 1)], 0, (None, 1), id="refund 1, damaged 1"),
    pytest.param(1, [("DAMAGED", 1)], 1, (None, None), id="reimbursed"),
    # kind 3: 2 - 1 returned = 1, the reimbursement covers it; 0 left for kind 4
    pytest.param(2, [("DAMAGED", 1)], 1, (None, 1), id="reimbursement goes to kind 3 first"),
    pytest.param(2, [("DAMAGED", 1)], 2, (None, None), id="leftover reimbursement to kind 4"),
    pytest.param(3, [("DAMAGED", 1)], 1, (1, 1), id="3 refunded: k3 3-1-1 = 1, k4 1"),
    pytest.param(3, [("DAMAGED", 1)], 3, (None, None), id="k3 2 covered, 1 left for k4"),
    pytest.param(0, [("DAMAGED", 2)], 1, (None, 1), id="no refund: all to kind 4"),
    pytest.param(
        2,
        [("CUSTOMER_DAMAGED", 1), ("CARRIER_DAMAGED", 1)],
        0,
        (None, 1),
        id="customer-damaged unit reduces kind 3 only",
    ),
    pytest.param(
        2,
        [("SELLABLE", 1), ("DAMAGED", 1)],
        1,
        (None, None),
        id="k3 0 after returns, reimbursement closes kind 4",
    ),
]


@pytest.mark.parametrize(("refunded", "returned", "reimbursed", "expected"), SPLIT)
def test_reimbursements_offset_kind_3_before_kind_4(
    refunded: int,
    returned: list[tuple[str, int]],
    reimbursed: int,
    expected: tuple[int | None, int | None],
) -> None:
    events = [refund("O1", REFUND_DAY, item(refunded, f"-{10 * refunded}.00"))] if refunded else []
    returns = [ret("2026-01-05", "O1", disposition, qty=qty) for disposition, qty in returned]
    reimbursements = (
        [reimb("2026-02-01", "CustomerReturn", reimbursed, order="O1")] if reimbursed else []
    )
    claims = run(AS_OF, refunds=events, returns=returns, reimbursements=reimbursements)
    k3, k4 = expected
    assert k3_units(claims) == ({} if k3 is None else {("O1", SKU): k3})
    assert k4_units(claims) == ({} if k4 is None else {("O1", SKU): k4})


def test_kind_4_value_uses_the_refunded_principal_per_unit() -> None:
    # 2 refunded for 50.00; both came back DAMAGED: kind 3 none, kind 4 = 2 x 25.00
    claims = run(
        AS_OF,
        refunds=[
            refund("O1", REFUND_DAY, item(2, "-50.00", currency="EUR"), marketplace="Amazon.de")
        ],
        returns=[ret("2026-01-05", "O1", "DAMAGED", qty=2)],
    )
    claim = one(claims)
    assert claim.kind == K4
    assert money(claim) == ("50.00", "EUR", "refunded_principal")
    assert claim.marketplace == "DE"


def test_kind_4_under_the_us_cap() -> None:
    # refund 1 unit for 7000.00 in the US: unit value capped at 5000
    claims = run(
        AS_OF,
        refunds=[refund("O1", REFUND_DAY, item(1, "-7000.00"))],
        returns=[ret("2026-01-05", "O1", "DAMAGED")],
    )
    assert money(one(claims, K4)) == ("5000.00", "USD", "refunded_principal")


def test_kind_3_fields_fnsku_sku() -> None:
    claim = one(run(AS_OF, refunds=[refund("O1", REFUND_DAY, item(1, "-1.00"))]))
    assert claim.sku == SKU
    assert claim.fnsku in (None, FNSKU)  # a refund alone does not name the FNSKU
    assert claim.asin in (None, ASIN)
