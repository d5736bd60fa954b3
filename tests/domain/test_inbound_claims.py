"""Kind 5 (spec §2): inbound_shortage from inbound shipments, items and ledger receipts."""

from __future__ import annotations

from datetime import date

import pytest

from plugin.domain.claims import CLAIMABLE, EXPIRED, WAITING
from plugin.domain.policy import INBOUND_SHORTAGE

from .builders import (
    FNSKU,
    OTHER_FNSKU,
    OTHER_SKU,
    SKU,
    costs,
    inbound,
    ledger,
    money,
    one,
    order,
    receipt,
    reimb,
    run,
    shipment,
    units,
    window,
)

K5 = INBOUND_SHORTAGE
AS_OF = "2026-03-30"


def test_shortage_claim_fields() -> None:
    item = inbound("FBA15ABC", 10, 7, sku=SKU, fnsku=FNSKU)
    claims = run(
        AS_OF,
        shipments=[shipment("FBA15ABC", "CLOSED")],
        items=[item],
        ledger=[
            receipt("2026-03-01", "FBA15ABC", 5, country="US"),
            receipt("2026-03-09", "FBA15ABC", 2, msku=OTHER_SKU, country="US"),
        ],
    )
    claim = one(claims)
    assert claim.kind == "inbound_shortage"
    assert claim.identity == ("inbound_shortage", "FBA15ABC", SKU)
    assert (claim.reference_id, claim.sku, claim.fnsku) == ("FBA15ABC", SKU, FNSKU)
    assert claim.quantity == 3  # 10 shipped - 7 received
    assert claim.marketplace == "US"
    # clock = last Receipts row of the shipment (any SKU): 2026-03-09
    # + 15 d = 03-24; + 180 d = 09-05 (Mar 22 + Apr 30 + May 31 + Jun 30 + Jul 31 + Aug 31 = 175)
    assert window(claim) == (date(2026, 3, 9), date(2026, 3, 24), date(2026, 9, 5), CLAIMABLE)
    assert item.source in claim.evidence


@pytest.mark.parametrize(
    "status",
    [
        "WORKING",
        "READY_TO_SHIP",
        "SHIPPED",
        "IN_TRANSIT",
        "DELIVERED",
        "CHECKED_IN",
        "RECEIVING",
        "CANCELLED",
        "DELETED",
        "ERROR",
    ],
)
def test_only_closed_shipments(status: str) -> None:
    claims = run(
        AS_OF,
        shipments=[shipment("FBA1", status)],
        items=[inbound("FBA1", 10, 7)],
        ledger=[receipt("2026-03-09", "FBA1")],
    )
    assert claims == []


def test_items_of_a_shipment_without_status_are_not_claims() -> None:
    # spec reading: "inbound shipment items of shipments whose status is CLOSED" - without the
    # shipment's ShipmentData its status is unknown, so it is not known to be CLOSED.
    claims = run(AS_OF, items=[inbound("FBA1", 10, 7)], ledger=[receipt("2026-03-09", "FBA1")])
    assert claims == []


@pytest.mark.parametrize(
    ("shipped", "received", "expected"),
    [
        (10, 7, {"FBA1": 3}),
        (10, 9, {"FBA1": 1}),
        (10, 10, {}),
        (10, 12, {}),  # an overage is no claim
        (0, 0, {}),
    ],
)
def test_shortage_is_shipped_minus_received_when_positive(
    shipped: int, received: int, expected: dict
) -> None:
    claims = run(
        AS_OF,
        shipments=[shipment("FBA1")],
        items=[inbound("FBA1", shipped, received)],
        ledger=[receipt("2026-03-09", "FBA1")],
    )
    assert units(claims, K5) == expected


def test_no_offsetting_across_skus() -> None:
    # SKU short 3, OTHER_SKU over 3 in the same shipment: the SKU's claim stays 3
    claims = run(
        AS_OF,
        shipments=[shipment("FBA1")],
        items=[
            inbound("FBA1", 10, 7, sku=SKU),
            inbound("FBA1", 5, 8, sku=OTHER_SKU, fnsku=OTHER_FNSKU),
        ],
        ledger=[receipt("2026-03-09", "FBA1")],
    )
    assert [(c.sku, c.quantity) for c in claims] == [(SKU, 3)]


def test_one_claim_per_shipment_and_sku() -> None:
    claims = run(
        AS_OF,
        shipments=[shipment("FBA1"), shipment("FBA2")],
        items=[
            inbound("FBA1", 10, 7, sku=SKU),
            inbound("FBA1", 4, 3, sku=OTHER_SKU, fnsku=OTHER_FNSKU),
            inbound("FBA2", 5, 3, sku=SKU),
        ],
        ledger=[receipt("2026-03-09", "FBA1"), receipt("2026-03-10", "FBA2")],
    )
    assert sorted((c.reference_id, c.sku, c.quantity) for c in claims) == sorted(
        [("FBA1", SKU, 3), ("FBA1", OTHER_SKU, 1), ("FBA2", SKU, 2)]
    )


def test_items_of_one_shipment_and_sku_are_added_up() -> None:
    # spec reading: "per (ShipmentId, SellerSKU), shortage = QuantityShipped - QuantityReceived":
    # the pair's totals, (6 + 4) - (3 + 5) = 2, not the positive parts per entry (3 + 0 = 3)
    claims = run(
        AS_OF,
        shipments=[shipment("FBA1")],
        items=[inbound("FBA1", 6, 3), inbound("FBA1", 4, 5)],
        ledger=[receipt("2026-03-09", "FBA1")],
    )
    assert units(claims, K5) == {"FBA1": 2}


# ---------------------------------------------------------------------------------------------
# The clock: the last Receipts row of the shipment
# ---------------------------------------------------------------------------------------------


def test_clock_is_the_last_receipts_row_of_any_sku_whatever_the_input_order() -> None:
    rows = [
        receipt("2026-03-12", "FBA1", msku=OTHER_SKU, country="US"),  # the last one: the clock
        receipt("2026-03-01", "FBA1", msku=SKU, country="US"),
        receipt("2026-03-20", "FBA2", msku=SKU, country="US"),  # another shipment
        ledger("2026-03-25", -1, "M", ref="FBA1"),  # not a Receipts row
        ledger("2026-03-26", 1, "", ref="FBA1", event="customerreturns"),
    ]
    claims = run(
        "2026-04-01", shipments=[shipment("FBA1")], items=[inbound("FBA1", 10, 7)], ledger=rows
    )
    claim = one(claims, K5)
    # 2026-03-12 + 15 d = 03-27; + 180 d = 09-08
    assert window(claim) == (date(2026, 3, 12), date(2026, 3, 27), date(2026, 9, 8), CLAIMABLE)


@pytest.mark.parametrize(
    ("country", "marketplace"),
    [
        ("CA", "CA"),
        ("UK", "GB"),
        ("DE", "DE"),
        ("US", "US"),
    ],
)
def test_marketplace_is_the_country_of_the_clock_row(country: str, marketplace: str) -> None:
    rows = [
        receipt("2026-03-01", "FBA1", country="MX"),
        receipt("2026-03-09", "FBA1", country=country),
    ]
    claim = one(
        run(AS_OF, shipments=[shipment("FBA1")], items=[inbound("FBA1", 10, 7)], ledger=rows)
    )
    assert claim.marketplace == marketplace
    # kind 5 has one window everywhere: + 15 / + 180
    assert (claim.opens_on, claim.deadline) == (date(2026, 3, 24), date(2026, 9, 5))


@pytest.mark.parametrize(
    ("as_of", "status"),
    [
        ("2026-03-23", WAITING),
        ("2026-03-24", CLAIMABLE),
        ("2026-09-05", CLAIMABLE),
        ("2026-09-06", EXPIRED),
    ],
)
def test_inbound_window_boundaries(as_of: str, status: str) -> None:
    claim = one(
        run(
            as_of,
            shipments=[shipment("FBA1")],
            items=[inbound("FBA1", 10, 7)],
            ledger=[receipt("2026-03-09", "FBA1")],
        )
    )
    assert claim.status == status


@pytest.mark.parametrize("as_of", ["2026-03-30", "2030-01-01"])
def test_shortage_without_receipts_is_undated_and_waiting(as_of: str) -> None:
    claim = one(
        run(
            as_of,
            shipments=[shipment("FBA9")],
            items=[inbound("FBA9", 10, 7)],
            ledger=[receipt("2026-03-09", "FBA1")],
        )
    )  # a receipt of another shipment
    assert (claim.kind, claim.reference_id, claim.sku, claim.quantity) == (K5, "FBA9", SKU, 3)
    assert window(claim) == (None, None, None, WAITING)
    assert claim.marketplace is None
    assert isinstance(claim.status_reason, str) and claim.status_reason.strip()


# ---------------------------------------------------------------------------------------------
# Offsets: Lost_Inbound / Damaged_Inbound reimbursements of the SKU, oldest shortage first
# ---------------------------------------------------------------------------------------------

# dated shipments: (shipment id, clock date, shortage); undated: (shipment id, shortage)
OFFSETS = [
    pytest.param(
        [("FBA1", "2026-03-09", 3)],
        [],
        [("2026-03-20", "Lost_Inbound", 1)],
        {"FBA1": 2},
        id="Lost_Inbound offsets",
    ),
    pytest.param(
        [("FBA1", "2026-03-09", 3)],
        [],
        [("2026-03-20", "Damaged_Inbound", 2)],
        {"FBA1": 1},
        id="Damaged_Inbound offsets",
    ),
    pytest.param(
        [("FBA1", "2026-03-09", 3)],
        [],
        [("2026-03-20", "Lost_Inbound", 3)],
        {},
        id="fully reimbursed",
    ),
    pytest.param(
        [("FBA1", "2026-03-09", 3)],
        [],
        [("2026-03-09", "Lost_Inbound", 1)],
        {"FBA1": 2},
        id="reimbursed on the clock date",
    ),
    pytest.param(
        [("FBA1", "2026-03-09", 3)],
        [],
        [("2026-03-08", "Lost_Inbound", 1)],
        {"FBA1": 3},
        id="reimbursed before the clock and nothing undated: dropped",
    ),
    pytest.param(
        [("FBA1", "2026-03-09", 3)],
        [],
        [("2026-03-20", "Lost_Warehouse", 1)],
        {"FBA1": 3},
        id="Lost_Warehouse is no inbound offset",
    ),
    pytest.param(
        [("FBA1", "2026-03-09", 3)],
        [],
        [("2026-03-20", "CustomerReturn", 1)],
        {"FBA1": 3},
        id="CustomerReturn is no inbound offset",
    ),
    pytest.param(
        [("FBA1", "2026-03-09", 1), ("FBA2", "2026-04-01", 2)],
        [],
        [("2026-04-10", "Lost_Inbound", 2)],
        {"FBA2": 1},
        id="oldest shortage first",
    ),
    pytest.param(
        [("FBA2", "2026-04-01", 2), ("FBA1", "2026-03-09", 1)],
        [],
        [("2026-04-10", "Lost_Inbound", 2)],
        {"FBA2": 1},
        id="oldest shortage first whatever the input order",
    ),
    pytest.param(
        [("FBA1", "2026-03-09", 1), ("FBA2", "2026-04-01", 2)],
        [],
        [("2026-03-20", "Lost_Inbound", 2)],
        {"FBA2": 2},
        id="second unit finds no shortage open on or before it: dropped",
    ),
    pytest.param(
        [("FBA1", "2026-03-09", 1), ("FBA2", "2026-04-01", 2)],
        [],
        [("2026-03-20", "Lost_Inbound", 1), ("2026-04-05", "Damaged_Inbound", 1)],
        {"FBA2": 1},
        id="offsets in date order",
    ),
    pytest.param(
        [("FBA1", "2026-03-09", 1)],
        [("FBA3", 2)],
        [("2026-03-01", "Lost_Inbound", 1)],
        {"FBA1": 1, "FBA3": 1},
        id="unit before every dated shortage goes to undated",
    ),
    pytest.param(
        [("FBA1", "2026-03-09", 1)],
        [("FBA3", 2)],
        [("2026-03-20", "Lost_Inbound", 2)],
        {"FBA3": 1},
        id="dated shortage first, then the undated one",
    ),
    pytest.param(
        [("FBA1", "2026-03-09", 1)],
        [("FBA3", 2)],
        [("2026-03-20", "Lost_Inbound", 5)],
        {},
        id="all closed, extra units dropped",
    ),
    pytest.param(
        [],
        [("FBA3", 2)],
        [("2026-01-01", "Lost_Inbound", 1)],
        {"FBA3": 1},
        id="undated shortage only",
    ),
]


@pytest.mark.parametrize(("dated", "undated", "reimbursed", "expected"), OFFSETS)
def test_inbound_offsets(
    dated: list[tuple[str, str, int]],
    undated: list[tuple[str, int]],
    reimbursed: list[tuple[str, str, int]],
    expected: dict,
) -> None:
    shipments, items, rows = [], [], []
    for shipment_id, clock, short in dated:
        shipments.append(shipment(shipment_id))
        items.append(inbound(shipment_id, 10, 10 - short))
        rows.append(receipt(clock, shipment_id))
    for shipment_id, short in undated:
        shipments.append(shipment(shipment_id))
        items.append(inbound(shipment_id, 10, 10 - short))
    reimbursements = [reimb(day, reason, qty) for day, reason, qty in reimbursed]
    claims = run(
        "2026-05-01", shipments=shipments, items=items, ledger=rows, reimbursements=reimbursements
    )
    assert units(claims, K5) == expected


def test_offsets_are_per_sku() -> None:
    claims = run(
        AS_OF,
        shipments=[shipment("FBA1")],
        items=[
            inbound("FBA1", 10, 7, sku=SKU),
            inbound("FBA1", 10, 8, sku=OTHER_SKU, fnsku=OTHER_FNSKU),
        ],
        ledger=[receipt("2026-03-09", "FBA1")],
        reimbursements=[reimb("2026-03-20", "Lost_Inbound", 2, sku=OTHER_SKU, fnsku=OTHER_FNSKU)],
    )
    assert sorted((c.sku, c.quantity) for c in claims) == [(SKU, 3)]


def test_offset_with_undated_shortage_of_another_sku_is_dropped() -> None:
    claims = run(
        AS_OF,
        shipments=[shipment("FBA1"), shipment("FBA3")],
        items=[
            inbound("FBA1", 10, 9, sku=SKU),
            inbound("FBA3", 10, 8, sku=OTHER_SKU, fnsku=OTHER_FNSKU),
        ],
        ledger=[receipt("2026-03-09", "FBA1")],
        reimbursements=[reimb("2026-03-01", "Lost_Inbound", 1, sku=SKU)],
    )
    assert sorted((c.reference_id, c.sku, c.quantity) for c in claims) == [
        ("FBA1", SKU, 1),
        ("FBA3", OTHER_SKU, 2),
    ]


# ---------------------------------------------------------------------------------------------
# Valuation of kind 5 (§3: cost, else average sale price in the marketplace currency)
# ---------------------------------------------------------------------------------------------


def _shortage_claim(country: str | None, **kw: object):
    rows = [receipt("2026-03-09", "FBA1", country=country)] if country is not None else []
    return one(
        run(AS_OF, shipments=[shipment("FBA1")], items=[inbound("FBA1", 10, 7)], ledger=rows, **kw)
    )


def test_inbound_value_from_cost() -> None:
    claim = _shortage_claim(
        "US", costs=costs((SKU, "4.45", "USD")), orders=[order("O1", 1, "20.00")]
    )
    assert money(claim) == ("13.35", "USD", "manufacturing_cost")  # 3 x 4.45


def test_inbound_value_from_average_sale_price() -> None:
    # (20.00 + 40.00) / (1 + 2) = 20.00 per unit; 3 units -> 60.00
    claim = _shortage_claim("US", orders=[order("O1", 1, "20.00"), order("O2", 2, "40.00")])
    assert money(claim) == ("60.00", "USD", "sale_price_estimate")


def test_inbound_sale_price_only_in_the_marketplace_currency() -> None:
    # the clock row is in Canada: CAD rows only; the USD row is left out
    claim = _shortage_claim(
        "CA",
        orders=[
            order("O1", 1, "20.00", currency="USD"),
            order("O2", 1, "25.00", currency="CAD", channel="Amazon.ca"),
        ],
    )
    assert money(claim) == ("75.00", "CAD", "sale_price_estimate")  # 3 x 25.00


def test_inbound_without_cost_or_price_has_no_amount() -> None:
    claim = _shortage_claim("US")
    assert money(claim) == (None, None, "unknown")


def test_undated_shortage_is_valued_from_cost() -> None:
    claim = _shortage_claim(None, costs=costs((SKU, "2.50", "EUR")))
    assert money(claim) == ("7.50", "EUR", "manufacturing_cost")  # 3 x 2.50


def test_undated_shortage_without_cost_has_no_sale_price_estimate() -> None:
    # spec reading: the average sale price is taken "in the currency of the claim's
    # marketplace"; an undated shortage has marketplace null, and "an unknown marketplace has
    # none" (§1), so no All Orders row qualifies: no amount, basis unknown.
    claim = _shortage_claim(None, orders=[order("O1", 1, "20.00")])
    assert money(claim) == (None, None, "unknown")
