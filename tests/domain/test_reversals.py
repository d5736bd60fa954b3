"""Reimbursement_Reversal rows (spec §2 "Offsets"): giving reimbursed units back."""

from __future__ import annotations

import pytest

from plugin.domain.policy import (
    INBOUND_SHORTAGE,
    RETURN_DAMAGED_BY_AMAZON,
    RETURN_NOT_RECEIVED,
    WAREHOUSE_DAMAGED,
    WAREHOUSE_LOST,
)

from .builders import (
    OTHER_FNSKU,
    OTHER_SKU,
    SKU,
    damaged,
    found,
    inbound,
    item,
    lost,
    receipt,
    refund,
    reimb,
    ret,
    reversal,
    run,
    shipment,
    units,
)

AS_OF = "2026-03-01"
LW = "Lost_Warehouse"
DW = "Damaged_Warehouse"

# ---------------------------------------------------------------------------------------------
# Kinds 1 and 2
# ---------------------------------------------------------------------------------------------

WAREHOUSE = [
    pytest.param(
        [lost("2026-01-01", 2, ref="L1")],
        [reimb("2026-01-10", LW, 2, rid="X"), reversal("2026-01-20", -1, LW, orig_id="X")],
        {"L1": 1},
        {},
        id="original in the data is treated as smaller: 2 - 1",
    ),
    pytest.param(
        # X becomes 0 units, so the found unit of 01-15 closes L1: nothing left
        [lost("2026-01-01", 1, ref="L1"), found("2026-01-15")],
        [reimb("2026-01-10", LW, 1, rid="X"), reversal("2026-01-20", -1, LW, orig_id="X")],
        {},
        {},
        id="smaller original: a later found unit closes the loss",
    ),
    pytest.param(
        # X treated as 0 (1 - 2, never below zero); W closes 2 of L1's 3 units
        [lost("2026-01-01", 3, ref="L1")],
        [
            reimb("2026-01-10", LW, 1, rid="X"),
            reimb("2026-01-11", LW, 2, rid="W"),
            reversal("2026-01-20", -2, LW, orig_id="X"),
        ],
        {"L1": 1},
        {},
        id="original never below zero, the excess is not given back elsewhere",
    ),
    pytest.param(
        [lost("2026-01-01", 1, ref="L1")],
        [reimb("2026-01-10", LW, 1, rid="Z"), reversal("2026-01-20", -1, LW, orig_id="OLD")],
        {"L1": 1},
        {},
        id="original not in the data: re-opens the unit Z closed",
    ),
    pytest.param(
        [lost("2026-01-01", 1, ref="L1")],
        [reimb("2026-01-10", LW, 1, rid="Z"), reversal("2026-01-20", -1, LW, orig_id="")],
        {"L1": 1},
        {},
        id="no original id at all: re-opens",
    ),
    pytest.param(
        [lost("2026-01-01", 1, ref="L1"), found("2026-01-25")],
        [reimb("2026-01-10", LW, 1, rid="Z"), reversal("2026-01-20", -1, LW, orig_id="OLD")],
        {},
        {},
        id="re-opened unit is cancelled again by a later found unit",
    ),
    pytest.param(
        # the found unit of 01-15 finds nothing open (Z closed L1 on 01-10) and is dropped;
        # the reversal re-opens L1 on 01-20
        [lost("2026-01-01", 1, ref="L1"), found("2026-01-15")],
        [reimb("2026-01-10", LW, 1, rid="Z"), reversal("2026-01-20", -1, LW, orig_id="OLD")],
        {"L1": 1},
        {},
        id="re-opened on its own date: an earlier found unit does not help",
    ),
    pytest.param(
        [lost("2026-01-01", 2, ref="L1")],
        [reimb("2026-01-10", LW, 2, rid="Z"), reversal("2026-01-20", -1, LW, orig_id="OLD")],
        {"L1": 1},
        {},
        id="partial reversal re-opens one unit",
    ),
    pytest.param(
        [lost("2026-01-01", 1, ref="L1"), lost("2026-01-03", 1, ref="L2")],
        [
            reimb("2026-01-10", LW, 1, rid="A"),
            reimb("2026-01-12", LW, 1, rid="B"),
            reversal("2026-01-20", -1, LW, orig_id="OLD"),
        ],
        {"L2": 1},
        {},
        id="re-opens the unit most recently closed",
    ),
    pytest.param(
        # spec reading: units are closed one at a time, oldest loss first, so within one
        # reimbursement the unit of L2 is the one most recently closed
        [lost("2026-01-01", 1, ref="L1"), lost("2026-01-03", 1, ref="L2")],
        [reimb("2026-01-10", LW, 2, rid="A"), reversal("2026-01-20", -1, LW, orig_id="OLD")],
        {"L2": 1},
        {},
        id="most recently closed within one reimbursement",
    ),
    pytest.param(
        # L1 closed by a found unit, L2 by a reimbursement: only L2 can be re-opened
        [lost("2026-01-01", 1, ref="L1"), lost("2026-01-02", 1, ref="L2"), found("2026-01-05")],
        [reimb("2026-01-10", LW, 1, rid="Z"), reversal("2026-01-20", -1, LW, orig_id="OLD")],
        {"L2": 1},
        {},
        id="units closed by found units are not re-opened",
    ),
    pytest.param(
        # ledger rows come before reimbursements on the same date: the found unit closes L1,
        # reimbursement Z (listed first) finds nothing and closes nothing, so the reversal of
        # a Lost_Warehouse reimbursement has nothing to re-open
        [lost("2026-01-01", 1, ref="L1"), found("2026-01-10")],
        [reimb("2026-01-10", LW, 1, rid="Z"), reversal("2026-01-20", -1, LW, orig_id="OLD")],
        {},
        {},
        id="same date: the found unit closes before the reimbursement",
    ),
    pytest.param(
        [lost("2026-01-01", 1, ref="L1")],
        [
            reimb("2026-01-10", LW, 1, rid="X"),
            reversal("2026-01-20", 0, LW, orig_id="X", cash=-1, inventory=1),
        ],
        {},
        {},
        id="cash -1 / inventory +1 gives nothing back (original in data)",
    ),
    pytest.param(
        [lost("2026-01-01", 1, ref="L1")],
        [
            reimb("2026-01-10", LW, 1, rid="Z"),
            reversal("2026-01-20", 0, LW, orig_id="OLD", cash=-1, inventory=1),
        ],
        {},
        {},
        id="cash -1 / inventory +1 gives nothing back (original absent)",
    ),
    pytest.param(
        [lost("2026-01-01", 1, ref="L1")],
        [
            reimb("2026-01-10", LW, 1, rid="Z"),
            reversal("2026-01-20", -1, LW, orig_id="OLD", fnsku=OTHER_FNSKU, sku=OTHER_SKU),
        ],
        {},
        {},
        id="reversal of another FNSKU re-opens nothing here",
    ),
    pytest.param(
        [lost("2026-01-01", 1, ref="L1"), damaged("2026-01-02", 1, ref="D1")],
        [
            reimb("2026-01-10", LW, 1, rid="A"),
            reimb("2026-01-10", DW, 1, rid="B"),
            reversal("2026-01-20", -1, DW, orig_id="OLD"),
        ],
        {},
        {"D1": 1},
        id="original-reimbursement-type Damaged_Warehouse re-opens damage",
    ),
    pytest.param(
        [lost("2026-01-01", 1, ref="L1"), damaged("2026-01-02", 1, ref="D1")],
        [
            reimb("2026-01-10", LW, 1, rid="A"),
            reimb("2026-01-10", DW, 1, rid="B"),
            reversal("2026-01-20", -1, LW, orig_id="OLD"),
        ],
        {"L1": 1},
        {},
        id="original-reimbursement-type Lost_Warehouse re-opens the loss",
    ),
    pytest.param(
        [damaged("2026-01-02", 2, ref="D1")],
        [reimb("2026-01-10", DW, 2, rid="B"), reversal("2026-01-20", -2, DW, orig_id="B")],
        {},
        {"D1": 2},
        id="damaged: original in data reversed in full",
    ),
    pytest.param(
        [lost("2026-01-01", 1, ref="L1")],
        [reversal("2026-01-20", -1, LW, orig_id="OLD")],
        {"L1": 1},
        {},
        id="a reversal alone is no offset",
    ),
    pytest.param(
        # a reversal is a reimbursements row: on its date the found unit comes first, finds
        # nothing open (Z closed L1) and is dropped; then the reversal re-opens L1
        [lost("2026-01-01", 1, ref="L1"), found("2026-01-20")],
        [reimb("2026-01-10", LW, 1, rid="Z"), reversal("2026-01-20", -1, LW, orig_id="OLD")],
        {"L1": 1},
        {},
        id="found on the reversal date comes before the reversal",
    ),
    pytest.param(
        # spec reading: one reimbursement-id may span several lines (research §2.5); the
        # reversal makes smaller the line of its own FNSKU/SKU, not the other unit's line
        [
            lost("2026-01-01", 1, ref="L1"),
            lost("2026-01-01", 1, ref="L2", fnsku=OTHER_FNSKU, msku=OTHER_SKU),
        ],
        [
            reimb("2026-01-10", LW, 1, rid="X"),
            reimb("2026-01-10", LW, 1, rid="X", fnsku=OTHER_FNSKU, sku=OTHER_SKU),
            reversal("2026-01-20", -1, LW, orig_id="X", fnsku=OTHER_FNSKU, sku=OTHER_SKU),
        ],
        {"L2": 1},
        {},
        id="a multi-line original shrinks on the reversal's own unit",
    ),
]


@pytest.mark.parametrize(("rows", "reimbursements", "lost_units", "damaged_units"), WAREHOUSE)
def test_warehouse_reversals(
    rows: list, reimbursements: list, lost_units: dict, damaged_units: dict
) -> None:
    claims = run(AS_OF, ledger=rows, reimbursements=reimbursements)
    assert units(claims, WAREHOUSE_LOST) == lost_units
    assert units(claims, WAREHOUSE_DAMAGED) == damaged_units


# ---------------------------------------------------------------------------------------------
# Kind 5
# ---------------------------------------------------------------------------------------------

INBOUND = [
    pytest.param(
        [
            reimb("2026-03-20", "Lost_Inbound", 2, rid="Z"),
            reversal("2026-03-30", -1, "Lost_Inbound", orig_id="OLD"),
        ],
        {"FBA1": 1},
        id="original absent: re-opens one unit for the SKU",
    ),
    pytest.param(
        [
            reimb("2026-03-20", "Damaged_Inbound", 2, rid="X"),
            reversal("2026-03-30", -2, "Damaged_Inbound", orig_id="X"),
        ],
        {"FBA1": 2},
        id="original in data reversed in full",
    ),
    pytest.param(
        [
            reimb("2026-03-20", "Lost_Inbound", 2, rid="X"),
            reversal("2026-03-30", 0, "Lost_Inbound", orig_id="X", cash=-1, inventory=1),
        ],
        {},
        id="cash -1 / inventory +1 gives nothing back",
    ),
    pytest.param(
        [
            reimb("2026-03-20", "Lost_Inbound", 2, rid="Z"),
            reversal(
                "2026-03-30", -1, "Lost_Inbound", orig_id="OLD", sku=OTHER_SKU, fnsku=OTHER_FNSKU
            ),
        ],
        {},
        id="reversal of another SKU",
    ),
    pytest.param(
        [
            reimb("2026-03-20", "Lost_Inbound", 2, rid="Z"),
            reversal("2026-03-30", -1, LW, orig_id="OLD"),
        ],
        {},
        id="reversal of a Lost_Warehouse reimbursement does not re-open inbound units",
    ),
]


@pytest.mark.parametrize(("reimbursements", "expected"), INBOUND)
def test_inbound_reversals(reimbursements: list, expected: dict) -> None:
    claims = run(
        "2026-04-15",
        shipments=[shipment("FBA1")],
        items=[inbound("FBA1", 10, 8)],
        ledger=[receipt("2026-03-09", "FBA1")],
        reimbursements=reimbursements,
    )
    assert units(claims, INBOUND_SHORTAGE) == expected


# ---------------------------------------------------------------------------------------------
# Kinds 3 and 4
# ---------------------------------------------------------------------------------------------

CR = "CustomerReturn"

ORDERS = [
    pytest.param(
        1,
        [],
        [
            reimb("2026-02-01", CR, 1, order="O1", rid="A"),
            reversal("2026-02-20", -1, CR, orig_id="A", order="O1"),
        ],
        {"O1": 1},
        {},
        id="original in data reversed: the refund is open again",
    ),
    pytest.param(
        1,
        [],
        [
            reimb("2026-02-01", CR, 1, order="O1", rid="A"),
            reversal("2026-02-20", -1, CR, orig_id="OLD", order="O1"),
        ],
        {"O1": 1},
        {},
        id="original absent: re-opens for the order and SKU",
    ),
    pytest.param(
        2,
        [],
        [
            reimb("2026-02-01", CR, 1, order="O1", rid="A"),
            reversal("2026-02-20", -3, CR, orig_id="A", order="O1"),
        ],
        {"O1": 2},
        {},
        id="original never below zero",
    ),
    pytest.param(
        1,
        [],
        [
            reimb("2026-02-01", CR, 1, order="O1", rid="A"),
            reversal("2026-02-20", 0, CR, orig_id="A", order="O1", cash=-1, inventory=1),
        ],
        {},
        {},
        id="cash -1 / inventory +1 gives nothing back",
    ),
    pytest.param(
        1,
        [],
        [
            reimb("2026-02-01", CR, 1, order="O1", rid="A"),
            reversal("2026-02-20", -1, CR, orig_id="OLD", order="O2"),
        ],
        {},
        {},
        id="reversal of another order re-opens nothing here",
    ),
    pytest.param(
        1,
        [],
        [
            reimb("2026-02-01", CR, 1, order="O1", rid="A"),
            reversal(
                "2026-02-20", -1, CR, orig_id="OLD", order="O1", sku=OTHER_SKU, fnsku=OTHER_FNSKU
            ),
        ],
        {},
        {},
        id="reversal of another SKU of the order re-opens nothing here",
    ),
    pytest.param(
        # spec reading: the reversal re-opens "units most recently closed by reimbursements of
        # its original-reimbursement-type"; a CustomerServiceIssue reimbursement closed the
        # unit, the reversal names CustomerReturn, so nothing is re-opened
        1,
        [],
        [
            reimb("2026-02-01", "CustomerServiceIssue", 1, order="O1", rid="A"),
            reversal("2026-02-20", -1, CR, orig_id="OLD", order="O1"),
        ],
        {},
        {},
        id="original-reimbursement-type must match",
    ),
    pytest.param(
        1,
        [],
        [reversal("2026-02-20", -1, CR, orig_id="OLD", order="O1")],
        {"O1": 1},
        {},
        id="a reversal is never an offset itself",
    ),
    pytest.param(
        # refund 2, one unit back DAMAGED; A (2 units) closes kind 3's unit, then kind 4's.
        # Giving one back re-opens the unit closed last: kind 4's.
        2,
        [("DAMAGED", 1)],
        [
            reimb("2026-02-01", CR, 2, order="O1", rid="A"),
            reversal("2026-02-20", -1, CR, orig_id="OLD", order="O1"),
        ],
        {},
        {"O1": 1},
        id="original absent: the kind 4 unit is re-opened",
    ),
    pytest.param(
        # A becomes 1 unit: it offsets kind 3 first, kind 4 stays open
        2,
        [("DAMAGED", 1)],
        [
            reimb("2026-02-01", CR, 2, order="O1", rid="A"),
            reversal("2026-02-20", -1, CR, orig_id="A", order="O1"),
        ],
        {},
        {"O1": 1},
        id="original in data: kind 3 is offset first",
    ),
    pytest.param(
        2,
        [("DAMAGED", 1)],
        [
            reimb("2026-02-01", CR, 2, order="O1", rid="A"),
            reversal("2026-02-20", -2, CR, orig_id="A", order="O1"),
        ],
        {"O1": 1},
        {"O1": 1},
        id="full reversal re-opens both kinds",
    ),
    pytest.param(
        # reversal dated before the reimbursement: order kinds ignore dates ("whatever its date")
        1,
        [],
        [
            reimb("2026-02-20", CR, 1, order="O1", rid="A"),
            reversal("2026-02-01", -1, CR, orig_id="A", order="O1"),
        ],
        {"O1": 1},
        {},
        id="order kinds: dates do not matter",
    ),
]


@pytest.mark.parametrize(("refunded", "returned", "reimbursements", "k3", "k4"), ORDERS)
def test_order_reversals(
    refunded: int, returned: list[tuple[str, int]], reimbursements: list, k3: dict, k4: dict
) -> None:
    events = [refund("O1", "2026-01-10", item(refunded, f"-{10 * refunded}.00"))]
    returns = [ret("2026-01-05", "O1", disposition, qty=qty) for disposition, qty in returned]
    claims = run("2026-03-15", refunds=events, returns=returns, reimbursements=reimbursements)
    assert units(claims, RETURN_NOT_RECEIVED) == k3
    assert units(claims, RETURN_DAMAGED_BY_AMAZON) == k4
    for claim in claims:
        assert claim.sku == SKU
