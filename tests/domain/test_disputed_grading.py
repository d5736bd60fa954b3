"""Kind 6 (spec §2): return_disputed_grading flags (sellable grade, damaging customer reason)."""

from __future__ import annotations

from datetime import date

import pytest

from plugin.domain.claims import REVIEW
from plugin.domain.policy import RETURN_DISPUTED_GRADING

from .builders import (
    OTHER_SKU,
    SKU,
    costs,
    item,
    money,
    of_kind,
    one,
    order,
    refund,
    ret,
    run,
)

K6 = RETURN_DISPUTED_GRADING
AS_OF = "2026-03-15"
REASONS = [
    "DEFECTIVE",
    "DAMAGED_BY_FC",
    "DAMAGED_BY_CARRIER",
    "QUALITY_UNACCEPTABLE",
    "MISSING_PARTS",
    "SWITCHEROO",
]


@pytest.mark.parametrize("reason", REASONS)
def test_sellable_grade_with_damaging_reason_is_a_flag(reason: str) -> None:
    row = ret("2026-02-10", "114-1234567-1234567", "SELLABLE", reason=reason, qty=1, line=9)
    claim = one(
        run(
            AS_OF,
            returns=[row],
            orders=[order("114-1234567-1234567", 1, "20.00")],
            costs=costs((SKU, "5.00", "USD")),
        )
    )
    assert claim.kind == "return_disputed_grading"
    assert claim.identity == ("return_disputed_grading", "114-1234567-1234567", SKU)
    assert (claim.reference_id, claim.sku, claim.quantity) == ("114-1234567-1234567", SKU, 1)
    assert claim.event_date == date(2026, 2, 10)
    assert (claim.opens_on, claim.deadline) == (None, None)
    assert claim.status == REVIEW
    # a flag, not money: no amount, currency or basis even when a cost and a price are known
    assert money(claim) == (None, None, None)
    assert claim.evidence == (row.source,)
    assert claim.marketplace == "US"  # the order's sales-channel


@pytest.mark.parametrize(
    "reason",
    [
        "UNWANTED_ITEM",
        "NOT_AS_DESCRIBED",
        "APPAREL_TOO_SMALL",
        "NO_REASON_GIVEN",
        "ORDERED_WRONG_ITEM",
        "NEVER_ARRIVED",
        "EXTRA_ITEM",
        "FOUND_BETTER_PRICE",
        "WARRANTY",
        "OTHER",
        "",
    ],
)
def test_other_customer_reasons_are_not_flagged(reason: str) -> None:
    assert run(AS_OF, returns=[ret("2026-02-10", "O1", "SELLABLE", reason=reason)]) == []


@pytest.mark.parametrize(
    "disposition",
    [
        "DAMAGED",
        "CARRIER_DAMAGED",
        "CUSTOMER_DAMAGED",
        "DEFECTIVE",
        "EXPIRED",
    ],
)
@pytest.mark.parametrize("reason", ["DEFECTIVE", "SWITCHEROO"])
def test_only_sellable_grades_are_flagged(disposition: str, reason: str) -> None:
    claims = run(AS_OF, returns=[ret("2026-02-10", "O1", disposition, reason=reason)])
    assert of_kind(claims, K6) == []


def test_one_flag_per_order_and_sku_summing_matching_rows() -> None:
    rows = [
        ret("2026-03-05", "O1", "SELLABLE", reason="DEFECTIVE", qty=1, line=30),
        ret("2026-03-02", "O1", "SELLABLE", reason="SWITCHEROO", qty=2, line=31),
        ret("2026-03-01", "O1", "SELLABLE", reason="UNWANTED_ITEM", qty=1, line=32),  # no match
        ret("2026-02-27", "O1", "CUSTOMER_DAMAGED", reason="DEFECTIVE", qty=1, line=33),
        ret("2026-02-20", "O1", "SELLABLE", reason="DEFECTIVE", sku=OTHER_SKU, line=34),
        ret("2026-02-21", "O2", "SELLABLE", reason="MISSING_PARTS", qty=4, line=35),
    ]
    claims = of_kind(run(AS_OF, returns=rows), K6)
    by_key = {(c.reference_id, c.sku): c for c in claims}
    assert sorted(by_key) == [("O1", SKU), ("O1", OTHER_SKU), ("O2", SKU)]
    flag = by_key["O1", SKU]
    assert flag.quantity == 3  # 1 + 2 (rows 30, 31)
    assert flag.event_date == date(2026, 3, 2)  # the earliest matching return-date
    assert {s.line for s in flag.evidence} == {30, 31}
    assert by_key["O1", OTHER_SKU].quantity == 1
    assert by_key["O2", SKU].quantity == 4
    assert by_key["O2", SKU].event_date == date(2026, 2, 21)


@pytest.mark.parametrize(
    ("channel", "marketplace"),
    [
        ("Amazon.de", "DE"),
        ("Amazon.co.uk", "GB"),
        ("Amazon.com", "US"),
        (None, None),
    ],
)
def test_flag_marketplace_is_the_order_sales_channel(
    channel: str | None, marketplace: str | None
) -> None:
    orders = [order("O1", 1, "20.00", channel=channel)] if channel else []
    claim = one(run(AS_OF, returns=[ret("2026-02-10", "O1", reason="DEFECTIVE")], orders=orders))
    assert claim.marketplace == marketplace


@pytest.mark.parametrize("as_of", ["2026-02-10", "2026-12-31", "2031-01-01"])
def test_flag_status_is_always_review(as_of: str) -> None:
    claim = one(run(as_of, returns=[ret("2026-02-10", "O1", reason="QUALITY_UNACCEPTABLE")]))
    assert claim.status == REVIEW


def test_flag_alongside_a_return_claim_of_the_same_order() -> None:
    # refund 2 units, 1 came back SELLABLE though DEFECTIVE: a kind 3 claim for the other unit
    # and a kind 6 flag for the returned one; identities differ by kind
    claims = run(
        AS_OF,
        refunds=[refund("O1", "2026-01-10", item(2, "-20.00"))],
        returns=[ret("2026-02-10", "O1", "SELLABLE", reason="DEFECTIVE")],
    )
    assert sorted(c.identity for c in claims) == [
        ("return_disputed_grading", "O1", SKU),
        ("return_not_received", "O1", SKU),
    ]
