"""Kinds 3, 4 and 6: refunds never returned, returns Amazon damaged, returns to re-grade.

Their identity is the order, so every scenario has its own order and may use any product.
Amounts are stated here by hand from the refund each scenario writes.
"""

from __future__ import annotations

from plugin.generator.records import Charge, OrderLine
from plugin.generator.scenarios.builder import PlanBuilder, RefundValue
from plugin.generator.valuation import (
    RETURN_DAMAGED_BY_AMAZON,
    RETURN_DISPUTED_GRADING,
    RETURN_NOT_RECEIVED,
)

_CURRENCY = {"US": "USD", "DE": "EUR", "FR": "EUR", "GB": "GBP"}


def add_return_scenarios(b: PlanBuilder) -> None:
    _add_not_received_windows(b)
    _add_not_received_rules(b)
    _add_damaged_by_amazon(b)
    _add_disputed_grading(b)


def _whole(order: OrderLine, units: int | None = None) -> RefundValue:
    """The value of refunding the whole order line."""
    assert order.price_cents is not None
    return RefundValue(order.price_cents, units or order.quantity, _CURRENCY[order.market.code])


def _add_not_received_windows(b: PlanBuilder) -> None:
    windows = (
        ("refund_not_returned_us_claimable", "US", 100, 90, "US refund 90 days ago, day 60-120"),
        ("refund_not_returned_us_waiting", "US", 28, 20,
         "US refund 20 days ago: waiting; the refund event is also in the recent finances "
         "pull and counts once"),
        ("refund_not_returned_us_expired", "US", 160, 150, "US refund 150 days ago: expired"),
        ("refund_not_returned_us_deadline_today", "US", 125, 120,
         "US refund exactly 120 days ago: deadline == as_of, claimable"),
        ("refund_not_returned_de_claimable", "DE", 78, 70, "Amazon.de refund 70 days ago: EU "
         "window 45-105, EUR"),
        ("refund_not_returned_gb_waiting", "GB", 36, 30,
         "Amazon.co.uk refund 30 days ago: waiting under the EU window, GBP"),
        ("refund_not_returned_fr_expired", "FR", 118, 110, "Amazon.fr refund 110 days ago: "
         "expired under the EU window"),
        ("refund_not_returned_de_opens_today", "DE", 50, 45,
         "Amazon.de refund exactly 45 days ago: opens_on == as_of"),
    )  # fmt: skip
    for name, market, order_ago, refund_ago, tests in windows:
        s = b.scenario(name, RETURN_NOT_RECEIVED, tests)
        order = b.order(b.seller(market), market, order_ago)
        b.refund(order, refund_ago)
        b.expect_order(s, RETURN_NOT_RECEIVED, order, 1, refund_ago, refund=_whole(order))


def _add_not_received_rules(b: PlanBuilder) -> None:
    b.scenario(
        "refund_fully_returned",
        RETURN_NOT_RECEIVED,
        "2 refunded, 2 returned (received before the refund posted): no claim",
    )
    order = b.order(b.seller("US"), "US", 70, 2)
    b.customer_return(order, 64, 2, "SELLABLE", "UNWANTED_ITEM")
    b.refund(order, 62)

    s = b.scenario(
        "refund_partly_returned",
        RETURN_NOT_RECEIVED,
        "3 refunded for 50.00 after a promotion, 1 returned: 2 x 50/3 = 33.33",
    )
    product = b.seller("US")
    order = b.order(product, "US", 86, 3, unit_cents=1999, discount_cents=997)
    b.refund(order, 80, (b.refund_item(product, 3, 5000),))
    b.customer_return(order, 74, 1, "SELLABLE", "NOT_AS_DESCRIBED")
    b.expect_order(s, RETURN_NOT_RECEIVED, order, 2, 80, refund=RefundValue(5000, 3, "USD"))

    b.scenario(
        "refund_reimbursed_by_order",
        RETURN_NOT_RECEIVED,
        "refund not returned, but a reimbursement carries the order ID: no claim",
    )
    order = b.order(b.seller("US"), "US", 95)
    b.refund(order, 85)
    b.reimburse(order.product, 40, "CustomerReturn", 1, order_id=order.order_id, case=True)

    s = b.scenario(
        "order_reimbursement_reversed",
        RETURN_NOT_RECEIVED,
        "the order's reimbursement is reversed (original present): the claim is back",
    )
    order = b.order(b.seller("US"), "US", 96)
    b.refund(order, 88)
    paid = b.reimburse(order.product, 50, "CustomerReturn", 1, order_id=order.order_id)
    b.reverse(
        paid, order.product, 25, original_type="CustomerReturn", cash=-1, order_id=order.order_id
    )
    b.expect_order(s, RETURN_NOT_RECEIVED, order, 1, 88, refund=_whole(order))

    s = b.scenario(
        "refund_in_two_events",
        RETURN_NOT_RECEIVED,
        "two refund events of 1 unit each, 20 days apart: 2 units, dated by the first",
    )
    product = b.seller("US")
    order = b.order(product, "US", 105, 2, unit_cents=1999)
    b.refund(order, 95, (b.refund_item(product, 1, 1999),))
    b.refund(order, 75, (b.refund_item(product, 1, 1999),))
    b.expect_order(s, RETURN_NOT_RECEIVED, order, 2, 95, refund=RefundValue(3998, 2, "USD"))

    s = b.scenario(
        "refund_rounds_half_up",
        RETURN_NOT_RECEIVED,
        "one event, two adjustment entries (6.13 + 6.12 for 2 units), 1 returned: "
        "1 x 6.125 rounds half up to 6.13",
    )
    product = b.seller("US")
    order = b.order(product, "US", 108, 2, unit_cents=613, discount_cents=1)
    b.refund(order, 100, (b.refund_item(product, 1, 613), b.refund_item(product, 1, 612)))
    b.customer_return(order, 96, 1, "SELLABLE", "UNWANTED_ITEM")
    b.expect_order(s, RETURN_NOT_RECEIVED, order, 1, 100, refund=RefundValue(1225, 2, "USD"))

    s = b.scenario(
        "refund_above_us_cap",
        RETURN_NOT_RECEIVED,
        "a US refund of a telescope sold above 5000, never returned: the refunded "
        "principal per unit is capped at 5000",
    )
    order = b.order(b.role("lost-high-cost"), "US", 70)
    b.refund(order, 64)
    b.expect_order(s, RETURN_NOT_RECEIVED, order, 1, 64, refund=_whole(order))

    s = b.scenario(
        "refund_without_marketplace_name",
        RETURN_NOT_RECEIVED,
        "refund event without MarketplaceName: the order's sales-channel Amazon.de "
        "gives DE and the EU window",
    )
    order = b.order(b.seller("DE"), "DE", 68)
    b.refund(order, 60, marketplace_name=None)
    b.expect_order(s, RETURN_NOT_RECEIVED, order, 1, 60, refund=_whole(order))

    s = b.scenario(
        "refund_two_skus_one_returned",
        RETURN_NOT_RECEIVED,
        "one refund event for two SKUs of one order; one SKU came back: one claim",
    )
    first, second = b.seller("US"), b.seller("US")
    order = b.order(first, "US", 82)
    other = b.order(second, "US", 82, order_id=order.order_id)
    b.refund(order, 75, (b.refund_item(first, 1, _cents(order)),
                         b.refund_item(second, 1, _cents(other))))  # fmt: skip
    b.customer_return(order, 70, 1, "SELLABLE", "UNWANTED_ITEM")
    b.expect_order(s, RETURN_NOT_RECEIVED, other, 1, 75, refund=_whole(other))

    s = b.scenario(
        "refund_principal_only",
        RETURN_NOT_RECEIVED,
        "Principal 20.00 + Principal 4.99 + ShippingCharge + Tax: only Principal counts, 24.99",
    )
    product = b.seller("US")
    order = b.order(product, "US", 100, unit_cents=2499)
    item = b.refund_item(
        product, 1, 2000, Charge("Principal", -499), Charge("ShippingCharge", -399)
    )
    b.refund(order, 92, (item,))
    b.expect_order(s, RETURN_NOT_RECEIVED, order, 1, 92, refund=RefundValue(2499, 1, "USD"))


def _cents(order: OrderLine) -> int:
    assert order.price_cents is not None
    return order.price_cents


def _add_damaged_by_amazon(b: PlanBuilder) -> None:
    kind = RETURN_DAMAGED_BY_AMAZON
    s = b.scenario(
        "damaged_return_claimable",
        kind,
        "refunded, returned DAMAGED: kind 4 dated by the refund, claimable",
    )
    order = b.order(b.seller("US"), "US", 92)
    b.refund(order, 85)
    b.customer_return(order, 78, 1, "DAMAGED", "NOT_COMPATIBLE")
    b.expect_order(s, kind, order, 1, 85, refund=_whole(order))

    s = b.scenario(
        "damaged_return_waiting_gb",
        kind,
        "Amazon.co.uk refund 20 days ago, returned CARRIER_DAMAGED: waiting, GBP",
    )
    order = b.order(b.seller("GB"), "GB", 26)
    b.refund(order, 20)
    b.customer_return(order, 14, 1, "CARRIER_DAMAGED", "UNWANTED_ITEM")
    b.expect_order(s, kind, order, 1, 20, refund=_whole(order))

    s = b.scenario("damaged_return_expired", kind, "refund 140 days ago, DAMAGED: expired")
    order = b.order(b.seller("US"), "US", 148)
    b.refund(order, 140)
    b.customer_return(order, 133, 1, "DAMAGED", "DEFECTIVE")
    b.expect_order(s, kind, order, 1, 140, refund=_whole(order))

    s = b.scenario(
        "damaged_return_without_refund",
        kind,
        "two DAMAGED returns, no refund in the data: dated by the earliest return, "
        "no amount (basis unknown), marketplace from the order",
    )
    order = b.order(b.seller("US"), "US", 90, 2)
    b.customer_return(order, 80, 1, "DAMAGED", "UNWANTED_ITEM")
    b.customer_return(order, 75, 1, "DAMAGED", "ORDERED_WRONG_ITEM")
    b.expect_order(s, kind, order, 2, 80)

    s = b.scenario(
        "reimbursement_offsets_kind3_first",
        kind,
        "2 refunded, 1 returned DAMAGED, 1 order reimbursement: the reimbursement "
        "covers the unit never returned (kind 3), the DAMAGED unit stays a kind 4",
    )
    order = b.order(b.seller("US"), "US", 97, 2, unit_cents=2999)
    b.refund(order, 90)
    b.customer_return(order, 85, 1, "DAMAGED", "DEFECTIVE")
    b.reimburse(order.product, 30, "CustomerServiceIssue", 1, order_id=order.order_id)
    b.expect_order(s, kind, order, 1, 90, refund=_whole(order))

    b.scenario(
        "damaged_return_reimbursed",
        kind,
        "refunded, returned CARRIER_DAMAGED, then reimbursed for the order: no claim",
    )
    order = b.order(b.seller("US"), "US", 87)
    b.refund(order, 80)
    b.customer_return(order, 75, 1, "CARRIER_DAMAGED", "UNWANTED_ITEM")
    b.reimburse(order.product, 35, "CustomerReturn", 1, order_id=order.order_id)

    b.scenario(
        "customer_damaged_and_defective",
        kind,
        "returns graded CUSTOMER_DAMAGED and DEFECTIVE are the seller's: no claim",
    )
    order = b.order(b.seller("US"), "US", 97, 2)
    b.refund(order, 90)
    b.customer_return(order, 86, 1, "CUSTOMER_DAMAGED", "DAMAGED_BY_CARRIER")
    b.customer_return(order, 84, 1, "DEFECTIVE", "DEFECTIVE")

    b.scenario("expired_return", kind, "a return graded EXPIRED: no claim, no flag")
    order = b.order(b.seller("DE"), "DE", 60)
    b.refund(order, 55)
    b.customer_return(order, 50, 1, "EXPIRED", "QUALITY_UNACCEPTABLE")


def _add_disputed_grading(b: PlanBuilder) -> None:
    kind = RETURN_DISPUTED_GRADING
    s = b.scenario(
        "sellable_but_defective",
        kind,
        "SELLABLE with reason DEFECTIVE: a flag; the row is in the cp1252 export",
    )
    order = b.order(b.seller("US"), "US", 30)
    b.refund(order, 20)
    b.customer_return(
        order,
        12,
        1,
        "SELLABLE",
        "DEFECTIVE",
        legacy=True,
        comment="Produit défectueux, écran fissuré",
    )
    b.expect_order(s, kind, order, 1, 12)

    s = b.scenario(
        "sellable_twice_one_flag",
        kind,
        "two SELLABLE rows of one order (SWITCHEROO, DAMAGED_BY_FC), one in each "
        "returns file: one flag of 2, dated by the earlier",
    )
    order = b.order(b.seller("DE"), "DE", 45, 2)
    b.refund(order, 35)
    b.customer_return(
        order,
        30,
        1,
        "SELLABLE",
        "SWITCHEROO",
        legacy=True,
        comment="Falscher Artikel – Größe stimmt nicht",
    )
    b.customer_return(order, 25, 1, "SELLABLE", "DAMAGED_BY_FC")
    b.expect_order(s, kind, order, 2, 30)

    s = b.scenario("sellable_missing_parts_gb", kind, "SELLABLE with MISSING_PARTS on Amazon.co.uk")
    order = b.order(b.seller("GB"), "GB", 60)
    b.refund(order, 52)
    b.customer_return(order, 50, 1, "SELLABLE", "MISSING_PARTS", comment='Lid "missing"')
    b.expect_order(s, kind, order, 1, 50)

    s = b.scenario(
        "sellable_two_skus",
        kind,
        "one order, two SKUs returned SELLABLE with QUALITY_UNACCEPTABLE and "
        "DAMAGED_BY_CARRIER: one flag per SKU",
    )
    first, second = b.seller("US"), b.seller("US")
    order = b.order(first, "US", 40)
    other = b.order(second, "US", 40, order_id=order.order_id)
    b.refund(order, 33, (b.refund_item(first, 1, _cents(order)),
                         b.refund_item(second, 1, _cents(other))))  # fmt: skip
    b.customer_return(order, 28, 1, "SELLABLE", "QUALITY_UNACCEPTABLE")
    b.customer_return(other, 27, 1, "SELLABLE", "DAMAGED_BY_CARRIER")
    b.expect_order(s, kind, order, 1, 28)
    b.expect_order(s, kind, other, 1, 27)

    s = b.scenario(
        "sellable_without_refund", kind, "SELLABLE SWITCHEROO return with no refund: still a flag"
    )
    order = b.order(b.seller("US"), "US", 22)
    b.customer_return(order, 9, 1, "SELLABLE", "SWITCHEROO")
    b.expect_order(s, kind, order, 1, 9)

    b.scenario(
        "sellable_ordinary_reason",
        kind,
        "SELLABLE with reason UNWANTED_ITEM: nothing to dispute, no flag",
    )
    order = b.order(b.seller("US"), "US", 40)
    b.refund(order, 33)
    b.customer_return(order, 30, 1, "SELLABLE", "UNWANTED_ITEM")
