"""Kinds 1 and 2: units lost or damaged in a fulfillment centre, and their decoys.

Each scenario whose offsets could touch another's has its own product (FNSKU). Scenarios
without offsets share one, on purpose: rows that are not offsets (``P``, ``3``, receipts)
then sit next to a real claim, and an engine that counted them would shrink it.
"""

from __future__ import annotations

from datetime import date, timedelta

from plugin.generator.catalog import Cost, RoleSpec
from plugin.generator.scenarios.builder import FULL, PlanBuilder
from plugin.generator.valuation import WAREHOUSE_DAMAGED, WAREHOUSE_LOST

ROLES: tuple[RoleSpec, ...] = (
    RoleSpec("lost-main", ("US",), Cost("7.42", "USD")),
    RoleSpec("lost-price-us", ("US", "DE")),
    RoleSpec("dormant", ()),
    RoleSpec("gb", ("GB", "US")),
    RoleSpec("lost-eur-cost", ("DE",), Cost("11.90", "EUR")),
    RoleSpec("lost-us-only", ("US",)),
    RoleSpec("lost-high-cost", ("US",), Cost("6250.00", "USD"), family="SCOPE"),
    RoleSpec("lost-fifo", ("US",), Cost("5.10", "USD")),
    RoleSpec("lost-partial-find", ("US",)),
    RoleSpec("lost-found-before", ("US",), Cost("3.35", "USD")),
    RoleSpec("lost-reimbursed", ("US",), Cost("8.00", "USD")),
    RoleSpec("lost-reversal-back", ("US",), Cost("12.60", "USD")),
    RoleSpec("lost-reversal-kept", ("US",), Cost("9.99", "USD")),
    RoleSpec("lost-reversal-orphan", ("US",)),
    RoleSpec("lost-capped", ("US",), Cost("2.49", "USD")),
    RoleSpec("lost-same-day", ("US",)),
    RoleSpec("lost-reimbursed-early", ("US",), Cost("6.75", "USD")),
    RoleSpec("dmg-main", ("US",), Cost("14.20", "USD")),
    RoleSpec("dmg-eur", ("DE", "FR")),
    RoleSpec("dmg-reimbursed", ("US",)),
    RoleSpec("dmg-partial", ("US",), Cost("18.45", "USD")),
    RoleSpec("dmg-not-offset", ("US",), Cost("4.05", "USD")),
)

# Ledger history reaches 18 months back; older planted rows would not be in a real download.
_HISTORY = timedelta(days=548)
_POLICY_SWITCH = date(2024, 10, 23)


def add_warehouse_scenarios(b: PlanBuilder) -> None:
    _add_lost_windows(b)
    _add_lost_offsets(b)
    _add_lost_reversals(b)
    _add_lost_row_rules(b)
    _add_old_rule(b)
    _add_damaged(b)
    _add_not_claims(b)


def _add_lost_windows(b: PlanBuilder) -> None:
    main, price_us = b.role("lost-main"), b.role("lost-price-us")
    s = b.scenario(
        "lost_claimable",
        WAREHOUSE_LOST,
        "M loss 45 days old, nothing offsets it: claimable, valued at the unit cost",
    )
    b.expect_row(s, WAREHOUSE_LOST, b.adjust(main, 45, -2, "M", unreconciled=FULL), 2)

    s = b.scenario(
        "lost_waiting",
        WAREHOUSE_LOST,
        "reason 5 loss 12 days old: waiting; no cost, so the average US sale price",
    )
    b.expect_row(s, WAREHOUSE_LOST, b.adjust(price_us, 12, -1, "5"), 1)

    s = b.scenario(
        "lost_expired_in_both_downloads",
        WAREHOUSE_LOST,
        "M loss 160 days old inside the overlap of the two ledger downloads: counted "
        "once; expired; no cost and no sales, so no amount",
    )
    b.expect_row(s, WAREHOUSE_LOST, b.adjust(b.role("dormant"), 160, -1, "M", unreconciled=FULL), 1)

    s = b.scenario(
        "lost_opens_today",
        WAREHOUSE_LOST,
        "loss exactly 30 days old: opens_on == as_of is claimable",
    )
    b.expect_row(s, WAREHOUSE_LOST, b.adjust(main, 30, -1, "M", fc="ONT8"), 1)

    s = b.scenario(
        "lost_deadline_today",
        WAREHOUSE_LOST,
        "loss exactly 60 days old: deadline == as_of is still claimable",
    )
    b.expect_row(s, WAREHOUSE_LOST, b.adjust(price_us, 60, -3, "5", unreconciled=FULL), 3)

    s = b.scenario(
        "lost_uk_country",
        WAREHOUSE_LOST,
        "loss with Country UK: marketplace GB, valued at the average GBP sale price "
        "(its USD sales left out)",
    )
    b.expect_row(
        s,
        WAREHOUSE_LOST,
        b.adjust(b.role("gb"), 40, -1, "M", market="GB", country="UK", fc="BHX4"),
        1,
    )

    s = b.scenario(
        "lost_de_cost_in_eur",
        WAREHOUSE_LOST,
        "DE loss of a product with a EUR unit cost: manufacturing_cost in EUR",
    )
    b.expect_row(
        s, WAREHOUSE_LOST, b.adjust(b.role("lost-eur-cost"), 50, -2, "M", market="DE", fc="LEJ1"), 2
    )

    s = b.scenario(
        "lost_de_without_eur_sales",
        WAREHOUSE_LOST,
        "DE loss of a product sold only in the US and without a cost: basis unknown",
    )
    us_only = b.role("lost-us-only")
    b.ledger(us_only, 120, "Receipts", 6, market="DE", fc="DTM2", reference=b.ids.shipment_id())
    b.expect_row(s, WAREHOUSE_LOST, b.adjust(us_only, 35, -1, "M", market="DE", fc="DTM2"), 1)

    s = b.scenario(
        "lost_above_us_cap",
        WAREHOUSE_LOST,
        "US loss of 2 units costing 6250.00: the unit value is capped at 5000",
    )
    b.expect_row(
        s, WAREHOUSE_LOST, b.adjust(b.role("lost-high-cost"), 38, -2, "M", unreconciled=FULL), 2
    )


def _add_lost_offsets(b: PlanBuilder) -> None:
    fifo = b.role("lost-fifo")
    s = b.scenario(
        "found_at_other_fc_fifo",
        WAREHOUSE_LOST,
        "-2 at PHX7, then -1 at ONT8, then +2 found at BFI4: the oldest loss is "
        "cancelled across FCs, the second stays whole",
    )
    b.adjust(fifo, 52, -2, "M", fc="PHX7")
    later = b.adjust(fifo, 46, -1, "M", fc="ONT8")
    b.adjust(fifo, 41, 2, "F", fc="BFI4")
    b.expect_row(s, WAREHOUSE_LOST, later, 1)

    partial = b.role("lost-partial-find")
    s = b.scenario("partial_find", WAREHOUSE_LOST, "-3 lost, +1 found later: 2 remain")
    loss = b.adjust(partial, 48, -3, "M", fc="PHX7")
    b.adjust(partial, 44, 1, "F", fc="MDW2")
    b.expect_row(s, WAREHOUSE_LOST, loss, 2)

    before = b.role("lost-found-before")
    s = b.scenario(
        "found_before_any_loss",
        WAREHOUSE_LOST,
        "+1 found 70 days ago, -2 lost 50 days ago: the found unit is dropped",
    )
    b.adjust(before, 70, 1, "F", fc="BFI4")
    b.expect_row(s, WAREHOUSE_LOST, b.adjust(before, 50, -2, "M"), 2)

    done = b.role("lost-reimbursed")
    b.scenario(
        "loss_fully_reimbursed",
        WAREHOUSE_LOST,
        "-2 lost, then Lost_Warehouse cash 1 + inventory 1: no claim",
    )
    b.adjust(done, 55, -2, "M")
    b.reimburse(done, 47, "Lost_Warehouse", 1, 1)

    same_day = b.role("lost-same-day")
    b.scenario(
        "loss_reimbursed_same_day",
        WAREHOUSE_LOST,
        "loss and its Lost_Warehouse reimbursement on the same date: no claim",
    )
    b.adjust(same_day, 44, -1, "M")
    b.reimburse(same_day, 44, "Lost_Warehouse", 1)

    early = b.role("lost-reimbursed-early")
    s = b.scenario(
        "reimbursement_before_loss",
        WAREHOUSE_LOST,
        "Lost_Warehouse 60 days ago, loss 50 days ago: the reimbursement is dropped",
    )
    b.reimburse(early, 60, "Lost_Warehouse", 1)
    b.expect_row(s, WAREHOUSE_LOST, b.adjust(early, 50, -1, "M"), 1)


def _add_lost_reversals(b: PlanBuilder) -> None:
    back = b.role("lost-reversal-back")
    s = b.scenario(
        "reversal_gives_units_back",
        WAREHOUSE_LOST,
        "loss reimbursed, then reversed (original present, cash -1 / inventory 0): "
        "the unit is open again",
    )
    loss = b.adjust(back, 50, -1, "M")
    paid = b.reimburse(back, 45, "Lost_Warehouse", 1, case=True)
    b.reverse(paid, back, 20, original_type="Lost_Warehouse", cash=-1)
    b.expect_row(s, WAREHOUSE_LOST, loss, 1)

    kept = b.role("lost-reversal-kept")
    b.scenario(
        "reversal_cash_for_unit",
        WAREHOUSE_LOST,
        "reversal cash -1 / inventory +1 gives back nothing: no claim",
    )
    b.adjust(kept, 50, -1, "M")
    paid = b.reimburse(kept, 45, "Lost_Warehouse", 1)
    b.reverse(paid, kept, 20, original_type="Lost_Warehouse", cash=-1, inventory=1)

    orphan = b.role("lost-reversal-orphan")
    s = b.scenario(
        "reversal_without_original",
        WAREHOUSE_LOST,
        "two losses closed by two reimbursements, then a reversal whose original is "
        "in no file: the most recently closed loss re-opens",
    )
    b.adjust(orphan, 50, -1, "M")
    second = b.adjust(orphan, 44, -1, "M", fc="ONT8")
    b.reimburse(orphan, 42, "Lost_Warehouse", 1)
    b.reimburse(orphan, 38, "Lost_Warehouse", 1)
    b.reverse(None, orphan, 15, original_type="Lost_Warehouse", cash=-1)
    b.expect_row(s, WAREHOUSE_LOST, second, 1)


def _add_lost_row_rules(b: PlanBuilder) -> None:
    capped = b.role("lost-capped")
    s = b.scenario(
        "unreconciled_caps_loss", WAREHOUSE_LOST, "-3 lost with Unreconciled Quantity -1: 1 unit"
    )
    b.expect_row(
        s, WAREHOUSE_LOST, b.adjust(capped, 42, -3, "M", reconciled="-2", unreconciled="-1"), 1
    )

    b.scenario(
        "unreconciled_zero",
        WAREHOUSE_LOST,
        "-2 lost with Unreconciled Quantity 0: Amazon matched it elsewhere, no claim",
    )
    b.adjust(capped, 41, -2, "M", reconciled="-2", unreconciled="0")

    s = b.scenario(
        "same_reference_two_rows",
        WAREHOUSE_LOST,
        "two loss rows with one Reference ID and SKU (-1 PHX7, -2 ONT8 four days "
        "later): one claim of 3, dated by the earlier row",
    )
    first = b.adjust(capped, 47, -1, "M", fc="PHX7", unreconciled=FULL)
    b.adjust(capped, 43, -2, "M", fc="ONT8", reference=first.reference_id, unreconciled=FULL)
    b.expect_row(s, WAREHOUSE_LOST, first, 3)

    s = b.scenario(
        "identical_lines_in_one_file",
        WAREHOUSE_LOST,
        "the same loss line twice in one download counts twice: 2 units",
    )
    twice = b.adjust(b.role("lost-price-us"), 39, -1, "M", fc="SDF8")
    b.duplicate(twice)
    b.expect_row(s, WAREHOUSE_LOST, twice, 2)


def _add_old_rule(b: PlanBuilder) -> None:
    """Losses around the 2024-10-23 switch, when still inside 18 months of history."""
    main = b.role("lost-main")
    oldest = b.as_of - _HISTORY
    cases = (
        (date(2024, 10, 22), "lost_before_policy_switch",
         "loss on 2024-10-22 keeps the old rule: deadline 18 calendar months later"),
        (date(2024, 10, 23), "lost_on_policy_switch",
         "loss on 2024-10-23 takes the 60-day rule"),
        (date(2024, 8, 31), "lost_old_rule_month_end",
         "loss on 2024-08-31: deadline the last day of February 2026"),
    )  # fmt: skip
    for day, name, tests in cases:
        if oldest <= day < b.as_of - timedelta(days=1):
            s = b.scenario(name, WAREHOUSE_LOST, tests)
            b.expect_row(s, WAREHOUSE_LOST, b.adjust(main, day, -1, "M", fc="BFI4"), 1)


def _add_damaged(b: PlanBuilder) -> None:
    main, kind = b.role("dmg-main"), WAREHOUSE_DAMAGED
    s = b.scenario(
        "damaged_claimable",
        kind,
        "E -1 then P +1 into WAREHOUSE_DAMAGED: claimable at the unit cost",
    )
    b.expect_row(s, kind, b.damage(main, 40, -1, unreconciled=FULL, reconciled="0"), 1)

    s = b.scenario(
        "damaged_waiting_de",
        kind,
        "E -2 in DE 10 days ago: waiting; average EUR price over DE and FR sales",
    )
    b.expect_row(s, kind, b.damage(b.role("dmg-eur"), 10, -2, market="DE", fc="LEJ1"), 2)

    s = b.scenario("damaged_expired_uk", kind, "E -1 with Country UK 80 days ago: expired, GBP")
    row = b.damage(b.role("gb"), 80, -1, market="GB", country="UK", fc="LTN1")
    b.expect_row(s, kind, row, 1)

    s = b.scenario(
        "damaged_capped_by_unreconciled", kind, "E -2 with Unreconciled Quantity -1: 1 unit"
    )
    b.expect_row(s, kind, b.damage(main, 35, -2, reconciled="-1", unreconciled="-1"), 1)

    paid = b.role("dmg-reimbursed")
    b.scenario("damaged_reimbursed", kind, "E -1 then Damaged_Warehouse 1: no claim")
    b.damage(paid, 50, -1)
    b.reimburse(paid, 42, "Damaged_Warehouse", 1)

    partial = b.role("dmg-partial")
    s = b.scenario("damaged_partly_reimbursed", kind, "E -3 then Damaged_Warehouse 1: 2 remain")
    row = b.damage(partial, 45, -3, fc="ONT8")
    b.reimburse(partial, 40, "Damaged_Warehouse", 1)
    b.expect_row(s, kind, row, 2)

    other = b.role("dmg-not-offset")
    s = b.scenario(
        "damaged_not_offset_by_found_or_lost",
        kind,
        "E -1, then F +1 and a Lost_Warehouse reimbursement: neither offsets kind 2",
    )
    row = b.damage(other, 46, -1)
    b.adjust(other, 43, 1, "F", fc="BFI4")
    b.reimburse(other, 41, "Lost_Warehouse", 1)
    b.expect_row(s, kind, row, 1)


def _add_not_claims(b: PlanBuilder) -> None:
    main, damaged = b.role("lost-main"), b.role("dmg-main")
    b.scenario(
        "reasons_that_are_not_claims",
        WAREHOUSE_LOST,
        "Q/P, D, G, 3 (with its 4), 6/7/H/K/U each followed by P, and an unknown code X, "
        "dated after real claims on the same FNSKUs: no claim, and no offset",
    )
    q = b.adjust(main, 28, -1, "Q")
    b.adjust(main, 28, 1, "P", disposition="EXPIRED", reference=q.reference_id)
    b.adjust(main, 26, -1, "D", disposition="CUSTOMER_DAMAGED")
    b.adjust(main, 25, -1, "G")
    redefined = b.adjust(main, 24, 1, "3")
    b.adjust(b.catalog.regular[0], 24, -1, "4", reference=redefined.reference_id)
    b.adjust(main, 22, -1, "X")
    for days_ago, reason, disposition in (
        (33, "6", "CARRIER_DAMAGED"), (32, "7", "EXPIRED"), (31, "H", "CUSTOMER_DAMAGED"),
        (29, "K", "DEFECTIVE"), (27, "U", "DISTRIBUTOR_DAMAGED"),
    ):  # fmt: skip
        row = b.adjust(damaged, days_ago, -1, reason, disposition=disposition)
        b.adjust(
            damaged, days_ago, 1, "P", disposition="WAREHOUSE_DAMAGED", reference=row.reference_id
        )
