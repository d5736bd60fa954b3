"""Kinds 1 and 2 (spec §2): warehouse_lost and warehouse_damaged from the Inventory Ledger."""

from __future__ import annotations

from datetime import date

import pytest

from connectors.amazon.models import Source
from plugin.domain.claims import CLAIMABLE, EXPIRED, WAITING
from plugin.domain.policy import WAREHOUSE_DAMAGED, WAREHOUSE_LOST

from .builders import (
    ASIN,
    FNSKU,
    OTHER_FNSKU,
    OTHER_SKU,
    SKU,
    costs,
    damaged,
    found,
    ledger,
    lost,
    money,
    of_kind,
    one,
    reimb,
    run,
    units,
    window,
)

AS_OF = "2026-03-01"  # windows do not matter in the netting tests: every status is listed

# ---------------------------------------------------------------------------------------------
# The whole claim, on the spec's own §4 example
# ---------------------------------------------------------------------------------------------


def test_spec_example_warehouse_lost_claim_fields() -> None:
    row = ledger("2026-09-20", -2, "M", ref="482910331", country="US", line=812)
    claims = run("2026-10-31", ledger=[row], costs=costs((SKU, "8.90", "USD")))

    claim = one(claims)
    assert claim.kind == "warehouse_lost"
    assert claim.identity == ("warehouse_lost", "482910331", SKU)
    assert (claim.reference_id, claim.sku, claim.fnsku, claim.asin) == (
        "482910331",
        SKU,
        FNSKU,
        ASIN,
    )
    assert claim.marketplace == "US"
    assert claim.quantity == 2
    # 2026-09-20 + 30 d = 2026-10-20; + 60 d = 2026-11-19 (Sep 30 d, Oct 31 d)
    assert window(claim) == (date(2026, 9, 20), date(2026, 10, 20), date(2026, 11, 19), CLAIMABLE)
    assert money(claim) == ("17.80", "USD", "manufacturing_cost")  # 2 x 8.90
    assert claim.evidence == (Source(file="ledger.tsv", line=812),)


def test_warehouse_damaged_claim_fields() -> None:
    row = ledger("2026-09-20", -1, "E", ref="77001", fnsku="X00DMG0001", asin="B0DMG00001", line=40)
    claim = one(run("2026-10-31", ledger=[row]))
    assert claim.kind == "warehouse_damaged"
    assert claim.identity == ("warehouse_damaged", "77001", SKU)
    assert (claim.fnsku, claim.asin, claim.marketplace, claim.quantity) == (
        "X00DMG0001",
        "B0DMG00001",
        "US",
        1,
    )
    assert window(claim) == (date(2026, 9, 20), date(2026, 10, 20), date(2026, 11, 19), CLAIMABLE)
    assert claim.evidence == (Source(file="ledger.tsv", line=40),)


# ---------------------------------------------------------------------------------------------
# Source selection: event type, reason code, quantity sign
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reason", "kind"),
    [
        ("M", WAREHOUSE_LOST),
        ("5", WAREHOUSE_LOST),
        ("E", WAREHOUSE_DAMAGED),
    ],
)
def test_claim_reasons(reason: str, kind: str) -> None:
    claims = run(AS_OF, ledger=[ledger("2026-01-05", -3, reason, ref="A1")])
    claim = one(claims)
    assert (claim.kind, claim.reference_id, claim.quantity) == (kind, "A1", 3)


@pytest.mark.parametrize(
    ("reason", "qty"),
    [
        ("6", -1),  # carrier-damaged unit damaged again
        ("7", -1),  # expired
        ("H", -1),  # customer-damaged
        ("K", -1),  # defective
        ("U", -1),  # distributor-damaged
        ("Q", -1),  # disposition change out
        ("P", 1),  # disposition change in
        ("P", -1),
        ("D", -1),  # disposed
        ("G", -1),  # donated
        ("3", 1),  # redefinition in
        ("4", -1),  # redefinition out
        ("O", -1),  # inventory correction
        ("N", -1),
        ("F", -1),
        ("Z", -1),  # unknown code
        ("Damaged somewhere", -1),  # unknown raw text is kept as unclassified
        ("", -1),
    ],
)
def test_reasons_that_never_make_claims(reason: str, qty: int) -> None:
    assert run(AS_OF, ledger=[ledger("2026-01-05", qty, reason)]) == []


@pytest.mark.parametrize("reason", ["M", "5", "E"])
@pytest.mark.parametrize("qty", [1, 0])
def test_claim_reasons_need_a_negative_quantity(reason: str, qty: int) -> None:
    assert run(AS_OF, ledger=[ledger("2026-01-05", qty, reason)]) == []


@pytest.mark.parametrize(
    "event",
    [
        "receipts",
        "shipments",
        "customerreturns",
        "whsetransfers",
        "vendorreturns",
    ],
)
@pytest.mark.parametrize("reason", ["M", "5", "E"])
def test_claim_reasons_only_count_on_adjustments(event: str, reason: str) -> None:
    assert run(AS_OF, ledger=[ledger("2026-01-05", -1, reason, event=event)]) == []


# ---------------------------------------------------------------------------------------------
# FIFO netting of kind 1 (found units and Lost_Warehouse reimbursements)
# ---------------------------------------------------------------------------------------------

LOST_NETTING = [
    pytest.param(
        [lost("2026-01-05", 2), found("2026-01-10", 1)],
        {"R1": 1},
        id="found unit cancels one of two lost units",
    ),
    pytest.param(
        [lost("2026-01-05", 1), found("2026-01-05", 1)],
        {},
        id="found on the loss date cancels it (on or before)",
    ),
    pytest.param(
        [found("2026-01-04", 1), lost("2026-01-05", 1)],
        {"R1": 1},
        id="found the day before the loss is dropped",
    ),
    pytest.param(
        [lost("2026-01-05", ref="R1"), lost("2026-01-07", ref="R2"), found("2026-01-10")],
        {"R2": 1},
        id="oldest open loss is cancelled first",
    ),
    pytest.param(
        [lost("2026-01-07", ref="R2"), lost("2026-01-05", ref="R1"), found("2026-01-10")],
        {"R2": 1},
        id="oldest first whatever the input order",
    ),
    pytest.param(
        [lost("2026-01-05", ref="R1"), found("2026-01-06", 2), lost("2026-01-08", ref="R2")],
        {"R2": 1},
        id="unit with no earlier open loss is dropped although a later loss is open",
    ),
    pytest.param(
        [
            lost("2026-01-05", ref="R1"),
            found("2026-01-06"),
            lost("2026-01-08", ref="R2"),
            found("2026-01-09"),
        ],
        {},
        id="each found unit cancels the loss open at its date",
    ),
    pytest.param(
        # 3 found units: R1 has 2 (both cancelled), R2 has 2 (one cancelled) -> R2: 1
        [lost("2026-01-01", 2, ref="R1"), lost("2026-01-02", 2, ref="R2"), found("2026-01-10", 3)],
        {"R2": 1},
        id="units are taken one at a time across loss rows",
    ),
    pytest.param(
        [lost("2026-01-05", 1, ref="R1"), lost("2026-01-06", 1, ref="R2"), found("2026-01-10", 1)],
        {"R2": 1},
        id="one found unit is used once",
    ),
    pytest.param(
        [lost("2026-01-05", reason="5"), found("2026-01-10")], {}, id="reason 5 is netted like M"
    ),
    pytest.param(
        [lost("2026-01-05", fc="PHX7"), found("2026-01-10", fc="ONT8")],
        {},
        id="netting across fulfillment centres",
    ),
    pytest.param(
        [lost("2026-01-05", fnsku=FNSKU), found("2026-01-10", fnsku=OTHER_FNSKU)],
        {"R1": 1},
        id="found unit of another FNSKU does not cancel",
    ),
    pytest.param(
        [lost("2026-01-05", fnsku=FNSKU), found("2026-01-10", fnsku=FNSKU, msku=OTHER_SKU)],
        {},
        id="same FNSKU under another MSKU still cancels (netting is by FNSKU)",
    ),
    pytest.param(
        [lost("2026-01-05"), ledger("2026-01-10", -1, "F")],
        {"R1": 1},
        id="F with a negative quantity is no offset",
    ),
    pytest.param(
        [lost("2026-01-05"), ledger("2026-01-10", 1, "F", event="receipts")],
        {"R1": 1},
        id="F outside Adjustments is no offset",
    ),
    pytest.param(
        # spec reading: §2 kind 1 names only reason F as an offset ("ledger Adjustments with
        # reason F"); research §2.2 lists N as "offsets", but N also marks a unit that came back
        # as a reimbursement, which the reimbursement itself already offsets.
        [lost("2026-01-05"), ledger("2026-01-10", 1, "N")],
        {"R1": 1},
        id="N is not an offset (spec names F only)",
    ),
    pytest.param(
        [lost("2026-01-05"), ledger("2026-01-10", 1, "P")], {"R1": 1}, id="P is not an offset"
    ),
]


@pytest.mark.parametrize(("rows", "expected"), LOST_NETTING)
def test_lost_netting_with_found_units(rows: list, expected: dict[str, int]) -> None:
    assert units(run(AS_OF, ledger=rows), WAREHOUSE_LOST) == expected


LOST_REIMBURSED = [
    pytest.param(
        [lost("2026-01-05", 2)],
        [reimb("2026-01-20", "Lost_Warehouse", 1)],
        {"R1": 1},
        id="reimbursed unit cancels",
    ),
    pytest.param(
        [lost("2026-01-05", 2)],
        [reimb("2026-01-05", "Lost_Warehouse", 2)],
        {},
        id="reimbursed on the loss date cancels",
    ),
    pytest.param(
        [lost("2026-01-05", 2)],
        [reimb("2026-01-04", "Lost_Warehouse", 2)],
        {"R1": 2},
        id="reimbursed before the loss is dropped",
    ),
    pytest.param(
        [lost("2026-01-05", 2)],
        [reimb("2026-01-20", "Lost_Warehouse", 1, cash=0, inventory=1)],
        {"R1": 1},
        id="inventory (replacement) units count",
    ),
    pytest.param(
        [lost("2026-01-05", 2)],
        [reimb("2026-01-20", "Lost_Warehouse", 2, cash=1, inventory=1)],
        {},
        id="cash and inventory units both count (quantity-reimbursed-total)",
    ),
    pytest.param(
        [lost("2026-01-05", ref="R1"), lost("2026-01-06", ref="R2")],
        [reimb("2026-01-20", "Lost_Warehouse", 1)],
        {"R2": 1},
        id="reimbursement cancels the oldest loss",
    ),
    pytest.param(
        [lost("2026-01-05")],
        [reimb("2026-01-20", "Lost_Warehouse", 1, fnsku=OTHER_FNSKU)],
        {"R1": 1},
        id="reimbursement of another FNSKU does not cancel",
    ),
    pytest.param(
        [lost("2026-01-05")],
        [reimb("2026-01-20", "Damaged_Warehouse", 1)],
        {"R1": 1},
        id="Damaged_Warehouse does not offset a loss",
    ),
    pytest.param(
        [lost("2026-01-05")],
        [reimb("2026-01-20", "Lost_Inbound", 1)],
        {"R1": 1},
        id="Lost_Inbound does not offset a warehouse loss",
    ),
    pytest.param(
        [lost("2026-01-05")],
        [reimb("2026-01-20", "CustomerReturn", 1)],
        {"R1": 1},
        id="CustomerReturn does not offset a warehouse loss",
    ),
    pytest.param(
        # R1, R2, R3 open; on 01-05 one found unit and one reimbursed unit: R1 and R2 closed
        [
            lost("2026-01-01", ref="R1"),
            lost("2026-01-02", ref="R2"),
            lost("2026-01-03", ref="R3"),
            found("2026-01-05"),
        ],
        [reimb("2026-01-05", "Lost_Warehouse", 1)],
        {"R3": 1},
        id="found and reimbursed units are each used once",
    ),
    pytest.param(
        # found 01-03 closes R1 (01-01); the reimbursement 01-04 finds nothing open on or before
        # it (R2 is dated 01-06) and is dropped
        [lost("2026-01-01", ref="R1"), found("2026-01-03"), lost("2026-01-06", ref="R2")],
        [reimb("2026-01-04", "Lost_Warehouse", 1)],
        {"R2": 1},
        id="found and reimbursements share one timeline",
    ),
]


@pytest.mark.parametrize(("rows", "reimbursements", "expected"), LOST_REIMBURSED)
def test_lost_netting_with_reimbursements(
    rows: list, reimbursements: list, expected: dict[str, int]
) -> None:
    claims = run(AS_OF, ledger=rows, reimbursements=reimbursements)
    assert units(claims, WAREHOUSE_LOST) == expected


# ---------------------------------------------------------------------------------------------
# Kind 2 netting: Damaged_Warehouse reimbursements only
# ---------------------------------------------------------------------------------------------

DAMAGED_NETTING = [
    pytest.param(
        [damaged("2026-01-05", 2)],
        [reimb("2026-01-20", "Damaged_Warehouse", 1)],
        {"R1": 1},
        id="Damaged_Warehouse cancels",
    ),
    pytest.param(
        [damaged("2026-01-05", 2)],
        [reimb("2026-01-04", "Damaged_Warehouse", 2)],
        {"R1": 2},
        id="reimbursed before the damage is dropped",
    ),
    pytest.param(
        [damaged("2026-01-05", ref="R1"), damaged("2026-01-06", ref="R2")],
        [reimb("2026-01-20", "Damaged_Warehouse", 1)],
        {"R2": 1},
        id="oldest damage is cancelled first",
    ),
    pytest.param(
        [damaged("2026-01-05"), found("2026-01-10")],
        [],
        {"R1": 1},
        id="found units do not offset damaged units",
    ),
    pytest.param(
        [damaged("2026-01-05")],
        [reimb("2026-01-20", "Lost_Warehouse", 1)],
        {"R1": 1},
        id="Lost_Warehouse does not offset damaged units",
    ),
    pytest.param(
        [damaged("2026-01-05", fc="PHX7")],
        [reimb("2026-01-20", "Damaged_Warehouse", 1)],
        {},
        id="reimbursements are not per FC",
    ),
    pytest.param(
        [damaged("2026-01-05")],
        [reimb("2026-01-20", "Damaged_Warehouse", 1, fnsku=OTHER_FNSKU)],
        {"R1": 1},
        id="another FNSKU does not offset",
    ),
]


@pytest.mark.parametrize(("rows", "reimbursements", "expected"), DAMAGED_NETTING)
def test_damaged_netting(rows: list, reimbursements: list, expected: dict[str, int]) -> None:
    claims = run(AS_OF, ledger=rows, reimbursements=reimbursements)
    assert units(claims, WAREHOUSE_DAMAGED) == expected


def test_found_unit_skips_an_older_damaged_unit_and_cancels_the_loss() -> None:
    rows = [damaged("2026-01-01", ref="D1"), lost("2026-01-02", ref="L1"), found("2026-01-05")]
    claims = run(AS_OF, ledger=rows)
    assert units(claims, WAREHOUSE_LOST) == {}
    assert units(claims, WAREHOUSE_DAMAGED) == {"D1": 1}


def test_lost_and_damaged_reimbursements_each_close_their_own_kind() -> None:
    rows = [damaged("2026-01-01", ref="D1"), lost("2026-01-02", ref="L1")]
    reimbursements = [reimb("2026-01-10", "Lost_Warehouse", 1)]
    claims = run(AS_OF, ledger=rows, reimbursements=reimbursements)
    assert units(claims, WAREHOUSE_LOST) == {}
    assert units(claims, WAREHOUSE_DAMAGED) == {"D1": 1}


# ---------------------------------------------------------------------------------------------
# Unreconciled Quantity cap
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lost_units", "unreconciled", "found_units", "expected"),
    [
        pytest.param(5, None, 0, 5, id="empty: no cap"),
        pytest.param(5, 2, 0, 2, id="cap below the open units"),
        pytest.param(5, -2, 0, 2, id="negative value taken as a positive count"),
        pytest.param(5, 7, 0, 5, id="cap above the open units changes nothing"),
        pytest.param(5, 0, 0, None, id="0 means nothing left to claim"),
        pytest.param(5, 3, 1, 3, id="cap applies after offsetting: 5 - 1 = 4, capped to 3"),
        pytest.param(5, 3, 3, 2, id="after offsetting 5 - 3 = 2 is under the cap 3"),
        pytest.param(5, -3, 4, 1, id="5 - 4 = 1 is under the cap |-3|"),
        pytest.param(5, 3, 5, None, id="fully offset"),
    ],
)
def test_unreconciled_quantity_cap_on_lost(
    lost_units: int, unreconciled: int | None, found_units: int, expected: int | None
) -> None:
    rows = [lost("2026-01-05", lost_units, unreconciled=unreconciled)]
    if found_units:
        rows.append(found("2026-01-10", found_units))
    result = units(run(AS_OF, ledger=rows), WAREHOUSE_LOST)
    assert result == ({} if expected is None else {"R1": expected})


@pytest.mark.parametrize(
    ("unreconciled", "expected"),
    [
        (None, {"R1": 4}),
        (2, {"R1": 2}),
        (-2, {"R1": 2}),
        (0, {}),
    ],
)
def test_unreconciled_quantity_cap_on_damaged(
    unreconciled: int | None, expected: dict[str, int]
) -> None:
    rows = [damaged("2026-01-05", 4, unreconciled=unreconciled)]
    assert units(run(AS_OF, ledger=rows), WAREHOUSE_DAMAGED) == expected


def test_cap_is_applied_after_fifo_on_the_row_units() -> None:
    # spec reading: "the open units (after offsetting) are never more than that number" - the
    # offsets are taken against the row's own units (5), the cap is applied to what is left.
    # A: 5 lost (cap 3) on 01-01, B: 2 lost on 01-02, 4 found on 01-03.
    # FIFO: all 4 found units go to A (oldest) -> A open 1 (<= cap 3), B open 2.
    # (Capping first would give A 3 -> 4 found close A's 3 and 1 of B -> A 0, B 1.)
    rows = [
        lost("2026-01-01", 5, ref="A", unreconciled=3),
        lost("2026-01-02", 2, ref="B"),
        found("2026-01-03", 4),
    ]
    assert units(run(AS_OF, ledger=rows), WAREHOUSE_LOST) == {"A": 1, "B": 2}


def test_cap_applies_per_row_when_rows_share_a_reference() -> None:
    # spec reading: the cap belongs to the row that carries it ("When the row carries ... the
    # open units are never more than that number"), then the remaining rows are added up.
    # row a: 3 lost, cap 1 -> 1; row b: 2 lost, no cap -> 2; one claim of 1 + 2 = 3.
    rows = [
        lost("2026-01-05", 3, ref="R1", unreconciled=1),
        lost("2026-01-06", 2, ref="R1", unreconciled=None),
    ]
    assert units(run(AS_OF, ledger=rows), WAREHOUSE_LOST) == {"R1": 3}


# ---------------------------------------------------------------------------------------------
# Rows sharing Reference ID and SKU form one claim
# ---------------------------------------------------------------------------------------------


def test_rows_sharing_reference_and_sku_form_one_claim() -> None:
    rows = [lost("2026-01-05", 1, ref="R1", line=10), lost("2026-01-03", 2, ref="R1", line=11)]
    claim = one(run(AS_OF, ledger=rows))
    assert claim.identity == (WAREHOUSE_LOST, "R1", SKU)
    assert claim.quantity == 3  # 1 + 2
    assert claim.event_date == date(2026, 1, 3)  # the earliest row dates it
    assert claim.opens_on == date(2026, 2, 2)  # 2026-01-03 + 30 d
    assert claim.deadline == date(2026, 3, 4)  # 2026-01-03 + 60 d (Jan 31 d, Feb 28 d)
    assert sorted(claim.evidence, key=lambda s: s.line or 0) == [
        Source(file="ledger.tsv", line=10),
        Source(file="ledger.tsv", line=11),
    ]


def test_same_reference_across_fcs_is_one_claim() -> None:
    rows = [lost("2026-01-05", 1, ref="R1", fc="PHX7"), lost("2026-01-05", 1, ref="R1", fc="ONT8")]
    assert units(run(AS_OF, ledger=rows), WAREHOUSE_LOST) == {"R1": 2}


def test_same_reference_other_sku_is_another_claim() -> None:
    rows = [
        lost("2026-01-05", 1, ref="R1", msku=SKU),
        lost("2026-01-05", 2, ref="R1", msku=OTHER_SKU, fnsku=OTHER_FNSKU),
    ]
    claims = run(AS_OF, ledger=rows)
    assert sorted((c.reference_id, c.sku, c.quantity) for c in claims) == [
        ("R1", SKU, 1),
        ("R1", OTHER_SKU, 2),
    ]


def test_other_reference_same_sku_is_another_claim() -> None:
    rows = [lost("2026-01-05", 1, ref="R1"), lost("2026-01-05", 2, ref="R2")]
    assert units(run(AS_OF, ledger=rows), WAREHOUSE_LOST) == {"R1": 1, "R2": 2}


def test_lost_and_damaged_rows_sharing_a_reference_stay_separate_kinds() -> None:
    rows = [lost("2026-01-05", 1, ref="R1"), damaged("2026-01-05", 2, ref="R1")]
    claims = run(AS_OF, ledger=rows)
    assert units(claims, WAREHOUSE_LOST) == {"R1": 1}
    assert units(claims, WAREHOUSE_DAMAGED) == {"R1": 2}


def test_fully_offset_row_does_not_date_the_claim() -> None:
    # spec reading: "Remaining rows that share Reference ID and SKU form one claim ... the
    # earliest row dates it" - only rows with units still open remain.
    # row a (01-01, 1 unit) is cancelled by the found unit of 01-03; row b (01-05, 2) remains.
    a = lost("2026-01-01", 1, ref="R1", line=20)
    b = lost("2026-01-05", 2, ref="R1", line=21)
    claim = one(run(AS_OF, ledger=[a, b, found("2026-01-03")]))
    assert claim.quantity == 2
    assert claim.event_date == date(2026, 1, 5)
    assert Source(file="ledger.tsv", line=21) in claim.evidence


def test_partly_offset_rows_add_their_open_units() -> None:
    # a: 2 lost 01-01, b: 2 lost 01-02 (same reference); 3 found 01-10 -> a 0, b 1 -> claim of 1
    rows = [
        lost("2026-01-01", 2, ref="R1"),
        lost("2026-01-02", 2, ref="R1"),
        found("2026-01-10", 3),
    ]
    assert units(run(AS_OF, ledger=rows), WAREHOUSE_LOST) == {"R1": 1}


# ---------------------------------------------------------------------------------------------
# Windows of kinds 1 and 2
# ---------------------------------------------------------------------------------------------

# (event date, opens_on, deadline)
NEW_RULE = ("2026-09-20", "2026-10-20", "2026-11-19")  # +30 d, +60 d
FIRST_NEW_DAY = ("2024-10-23", "2024-11-22", "2024-12-22")  # Oct 23 + 60 d = Dec 22
LAST_OLD_DAY = ("2024-10-22", "2024-11-21", "2026-04-22")  # 18 calendar months, same day
MONTH_END = ("2024-08-31", "2024-09-30", "2026-02-28")  # Feb 2026 has 28 days
LEAP_MONTH_END = ("2022-08-31", "2022-09-30", "2024-02-29")  # Feb 2024 has 29 days
OCT_31 = ("2023-10-31", "2023-11-30", "2025-04-30")  # April has 30 days
# research §4 example uses 60 d for 2024-10-01; spec §2: events before 2024-10-23 keep 18 months
RESEARCH_EXAMPLE = ("2024-10-01", "2024-10-31", "2026-04-01")


def _boundaries(event: tuple[str, str, str]) -> list[tuple[str, str, str, str, str]]:
    day, opens, deadline = event
    before = date.fromisoformat(opens).toordinal() - 1
    after = date.fromisoformat(deadline).toordinal() + 1
    return [
        (day, opens, deadline, date.fromordinal(before).isoformat(), WAITING),
        (day, opens, deadline, opens, CLAIMABLE),
        (day, opens, deadline, deadline, CLAIMABLE),
        (day, opens, deadline, date.fromordinal(after).isoformat(), EXPIRED),
    ]


WINDOW_CASES = [
    *_boundaries(NEW_RULE),
    *_boundaries(FIRST_NEW_DAY),
    *_boundaries(LAST_OLD_DAY),
    *_boundaries(MONTH_END),
    *_boundaries(LEAP_MONTH_END),
    *_boundaries(OCT_31),
    *_boundaries(RESEARCH_EXAMPLE),
]


@pytest.mark.parametrize("reason", ["M", "E"])
@pytest.mark.parametrize(("event", "opens", "deadline", "as_of", "status"), WINDOW_CASES)
def test_warehouse_windows(
    reason: str, event: str, opens: str, deadline: str, as_of: str, status: str
) -> None:
    claim = one(run(as_of, ledger=[ledger(event, -1, reason)]))
    assert window(claim) == (
        date.fromisoformat(event),
        date.fromisoformat(opens),
        date.fromisoformat(deadline),
        status,
    )


@pytest.mark.parametrize(
    ("as_of", "status"),
    [
        ("2024-12-22", CLAIMABLE),  # 2024-10-23: new rule, last day
        ("2024-12-23", EXPIRED),
    ],
)
def test_event_on_the_change_day_uses_the_new_rule(as_of: str, status: str) -> None:
    # the same as_of would still be claimable for an event one day earlier (18 months)
    claims = run(as_of, ledger=[lost("2024-10-23", ref="NEW"), lost("2024-10-22", ref="OLD")])
    by_ref = {c.reference_id: c for c in claims}
    assert by_ref["NEW"].status == status
    assert by_ref["NEW"].deadline == date(2024, 12, 22)
    assert by_ref["OLD"].status == CLAIMABLE
    assert by_ref["OLD"].deadline == date(2026, 4, 22)


@pytest.mark.parametrize(
    ("country", "marketplace"),
    [
        ("US", "US"),
        ("DE", "DE"),
        ("UK", "GB"),
        ("GB", "GB"),
        ("JP", "JP"),
        ("", None),
    ],
)
@pytest.mark.parametrize("reason", ["M", "E"])
def test_warehouse_marketplace_and_one_window_everywhere(
    country: str, marketplace: str | None, reason: str
) -> None:
    claim = one(run("2026-10-31", ledger=[ledger("2026-09-20", -1, reason, country=country)]))
    assert claim.marketplace == marketplace
    # kinds 1 and 2 have one window everywhere: +30 / +60
    assert window(claim) == (date(2026, 9, 20), date(2026, 10, 20), date(2026, 11, 19), CLAIMABLE)


def test_lost_claims_are_listed_in_every_status() -> None:
    rows = [
        lost("2026-09-20", ref="OPEN"),
        lost("2026-10-15", ref="SOON"),
        lost("2026-08-01", ref="GONE"),
    ]
    claims = run("2026-10-31", ledger=rows)
    assert {c.reference_id: c.status for c in claims} == {
        "OPEN": CLAIMABLE,  # opens 10-20, deadline 11-19
        "SOON": WAITING,  # opens 10-15 + 30 d = 11-14
        "GONE": EXPIRED,  # deadline 08-01 + 60 d = 09-30
    }


def test_claims_are_independent_of_input_order() -> None:
    rows = [
        lost("2026-01-01", 2, ref="R1"),
        lost("2026-01-02", 2, ref="R2"),
        found("2026-01-03", 1),
        damaged("2026-01-04", 1, ref="D1"),
        lost("2026-01-06", 1, ref="R3"),
        found("2026-01-08", 2),
    ]
    reimbursements = [
        reimb("2026-01-07", "Lost_Warehouse", 1),
        reimb("2026-01-09", "Damaged_Warehouse", 1),
    ]
    forward = run(AS_OF, ledger=rows, reimbursements=reimbursements)
    backward = run(AS_OF, ledger=rows[::-1], reimbursements=reimbursements[::-1])
    # 01-03 found 1 -> R1 1 left; 01-07 reimb 1 -> R1 0; 01-08 found 2 -> R2 0; R3 (01-06) open
    assert units(forward, WAREHOUSE_LOST) == {"R3": 1}
    assert units(forward, WAREHOUSE_DAMAGED) == {}
    key = sorted((c.kind, c.reference_id, c.sku, c.quantity, c.event_date) for c in forward)
    assert (
        sorted((c.kind, c.reference_id, c.sku, c.quantity, c.event_date) for c in backward) == key
    )
    assert of_kind(forward, WAREHOUSE_LOST)[0].event_date == date(2026, 1, 6)
