"""Kind 5: inbound shipments Amazon closed short, and their decoys.

Offsets of kind 5 are per SKU, so a scenario with a reimbursement has its own product.
Shipments without offsets share products; each shortage is still its own claim because the
identity is (shipment, SKU).
"""

from __future__ import annotations

from plugin.generator.catalog import Cost, RoleSpec
from plugin.generator.scenarios.builder import Expectation, PlanBuilder
from plugin.generator.valuation import INBOUND_SHORTAGE

ROLES: tuple[RoleSpec, ...] = (
    RoleSpec("in-cost", ("US",), Cost("4.125", "USD")),
    RoleSpec("in-price", ("US",)),
    RoleSpec("in-reimbursed", ("US",)),
    RoleSpec("in-early", ("US",), Cost("22.00", "USD")),
    RoleSpec("in-damaged", ("US", "GB")),
    RoleSpec("in-undated-offset", ()),
)

UNDATED_REASON = (
    "no Receipts row in the Inventory Ledger carries this shipment ID, so the shipment "
    "cannot be dated; download a ledger that covers its receiving dates"
)


def add_inbound_scenarios(b: PlanBuilder) -> None:
    _add_windows(b)
    _add_offsets(b)
    _add_undated(b)


def _expect(b: PlanBuilder, scenario_name: str, tests: str, expectation: Expectation) -> None:
    b.scenario(scenario_name, INBOUND_SHORTAGE, tests).expect(expectation)


def _add_windows(b: PlanBuilder) -> None:
    cost, price = b.role("in-cost"), b.role("in-price")
    regular = b.catalog.sellers["US"][0]
    s1 = b.shipment(
        "US", "CLOSED", [(cost, 24, 21), (regular, 12, 12)],
        [(cost, 44, 12), (cost, 43, 9), (regular, 42, 12)], created_ago=55, fc="PHX7",
    )  # fmt: skip
    _expect(
        b,
        "inbound_claimable",
        "CLOSED, 24 shipped, 21 received; the clock is the last Receipts row of ANY SKU of "
        "the shipment; unit cost 4.125 is not rounded before multiplying (3 x 4.125)",
        Expectation(INBOUND_SHORTAGE, s1.shipment_id, cost, "US", 3, b.ago(42)),
    )

    s2 = b.shipment(
        "US", "CLOSED", [(price, 10, 8)], [(price, 8, 5), (price, 6, 3)], created_ago=20, fc="ONT8"
    )
    _expect(
        b,
        "inbound_waiting",
        "clock 6 days ago: waiting; average US sale price",
        Expectation(INBOUND_SHORTAGE, s2.shipment_id, price, "US", 2, b.ago(6)),
    )

    dormant = b.role("dormant")
    s3 = b.shipment(
        "US",
        "CLOSED",
        [(dormant, 6, 5)],
        [(dormant, 212, 3), (dormant, 210, 2)],
        created_ago=225,
        fc="BFI4",
    )
    _expect(
        b,
        "inbound_expired",
        "clock 210 days ago: expired; no cost, no sales: unknown",
        Expectation(INBOUND_SHORTAGE, s3.shipment_id, dormant, "US", 1, b.ago(210)),
    )

    eur = b.role("dmg-eur")
    s10 = b.shipment(
        "DE", "CLOSED", [(eur, 20, 17)], [(eur, 26, 10), (eur, 25, 7)], created_ago=40, fc="LEJ1"
    )
    _expect(
        b,
        "inbound_de",
        "shipment received at LEJ1: marketplace DE, EUR sale price",
        Expectation(INBOUND_SHORTAGE, s10.shipment_id, eur, "DE", 3, b.ago(25)),
    )


def _add_offsets(b: PlanBuilder) -> None:
    price = b.role("in-price")
    b.scenario(
        "inbound_not_closed",
        INBOUND_SHORTAGE,
        "RECEIVING shipment with 3 units missing: no claim until CLOSED",
    )
    b.shipment("US", "RECEIVING", [(price, 10, 7)], [(price, 5, 7)], created_ago=15, fc="MDW2")

    paid = b.role("in-reimbursed")
    b.scenario(
        "inbound_fully_reimbursed",
        INBOUND_SHORTAGE,
        "2 units short, Lost_Inbound 2 after the clock: no claim",
    )
    b.shipment("US", "CLOSED", [(paid, 8, 6)], [(paid, 60, 6)], created_ago=75)
    b.reimburse(paid, 30, "Lost_Inbound", 2)

    other = b.catalog.sellers["US"][1]
    s7 = b.shipment(
        "US",
        "CLOSED",
        [(price, 10, 8), (other, 5, 7)],
        [(price, 50, 8), (other, 49, 7)],
        created_ago=62,
        fc="SDF8",
    )
    _expect(
        b,
        "inbound_overage_other_sku",
        "2 short on one SKU, 2 over on another in the same shipment: no netting across SKUs",
        Expectation(INBOUND_SHORTAGE, s7.shipment_id, price, "US", 2, b.ago(49)),
    )

    early = b.role("in-early")
    s8 = b.shipment("US", "CLOSED", [(early, 6, 5)], [(early, 66, 5)], created_ago=80)
    b.reimburse(early, 70, "Lost_Inbound", 1)
    _expect(
        b,
        "inbound_reimbursed_before_clock",
        "Lost_Inbound dated before the shipment's clock finds no open shortage: dropped",
        Expectation(INBOUND_SHORTAGE, s8.shipment_id, early, "US", 1, b.ago(66)),
    )

    damaged = b.role("in-damaged")
    s9 = b.shipment("US", "CLOSED", [(damaged, 12, 9)], [(damaged, 90, 9)], created_ago=100)
    b.reimburse(damaged, 80, "Damaged_Inbound", 1)
    _expect(
        b,
        "inbound_partly_reimbursed",
        "3 short, Damaged_Inbound 1 after the clock: 2 remain",
        Expectation(INBOUND_SHORTAGE, s9.shipment_id, damaged, "US", 2, b.ago(90)),
    )


def _add_undated(b: PlanBuilder) -> None:
    cost = b.role("in-cost")
    s4 = b.shipment("US", "CLOSED", [(cost, 5, 3)], [], created_ago=300, fc="TEB9")
    _expect(
        b,
        "inbound_undated",
        "CLOSED and short but no Receipts row names it: waiting, no dates, no marketplace; "
        "the unit cost still values it",
        Expectation(
            INBOUND_SHORTAGE, s4.shipment_id, cost, None, 2, None, status_reason=UNDATED_REASON
        ),
    )

    undated = b.role("in-undated-offset")
    s11 = b.shipment("US", "CLOSED", [(undated, 4, 1)], [], created_ago=320, fc="ONT8")
    s12 = b.shipment(
        "US", "CLOSED", [(undated, 3, 2)], [(undated, 10, 2)], created_ago=18, fc="PHX7"
    )
    b.reimburse(undated, 20, "Lost_Inbound", 1)
    s = b.scenario(
        "inbound_offset_goes_to_undated",
        INBOUND_SHORTAGE,
        "Lost_Inbound 20 days ago, before the only dated shortage (clock 10 days ago): "
        "it goes to the SKU's undated shortage (3 -> 2); the dated one stays whole",
    )
    s.expect(
        Expectation(
            INBOUND_SHORTAGE, s11.shipment_id, undated, None, 2, None, status_reason=UNDATED_REASON
        )
    )
    s.expect(Expectation(INBOUND_SHORTAGE, s12.shipment_id, undated, "US", 1, b.ago(10)))
