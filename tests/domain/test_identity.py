"""Claim identity (spec §2): (kind, reference_id, sku), stable when more data is added."""

from __future__ import annotations

from plugin.domain.claims import Claim

from .builders import (
    OTHER_FNSKU,
    OTHER_SKU,
    SKU,
    found,
    inbound,
    item,
    lost,
    order,
    receipt,
    refund,
    reimb,
    ret,
    run,
    shipment,
)

AS_OF = "2026-03-15"


def _base() -> dict:
    return {
        "ledger": [
            lost("2026-01-05", 2, ref="482910331"),
            lost("2026-01-06", 1, ref="77001", reason="E"),
            receipt("2026-03-01", "FBA15ABC"),
        ],
        "refunds": [
            refund("111-1", "2026-01-10", item(1, "-25.00")),
            refund("111-2", "2026-01-10", item(1, "-25.00")),
        ],
        "returns": [
            ret("2026-01-08", "111-2", "DAMAGED"),
            ret("2026-01-09", "111-3", "SELLABLE", reason="DEFECTIVE"),
        ],
        "shipments": [shipment("FBA15ABC")],
        "items": [inbound("FBA15ABC", 10, 8)],
    }


def _facts(claims: list[Claim]) -> set[tuple]:
    return {
        (c.identity, c.quantity, c.event_date, c.opens_on, c.deadline, c.status, c.marketplace)
        for c in claims
    }


def test_one_claim_of_each_kind_with_its_identity() -> None:
    claims = run(AS_OF, **_base())
    assert sorted(c.identity for c in claims) == sorted(
        [
            ("warehouse_lost", "482910331", SKU),
            ("warehouse_damaged", "77001", SKU),
            ("return_not_received", "111-1", SKU),
            ("return_damaged_by_amazon", "111-2", SKU),
            ("return_disputed_grading", "111-3", SKU),
            ("inbound_shortage", "FBA15ABC", SKU),
        ]
    )


def test_rerun_on_the_same_data_gives_the_same_claims() -> None:
    base = _base()
    assert _facts(run(AS_OF, **base)) == _facts(run(AS_OF, **base))


def test_input_order_does_not_change_the_claims() -> None:
    base = _base()
    reversed_ = {name: list(rows)[::-1] for name, rows in base.items()}
    assert _facts(run(AS_OF, **reversed_)) == _facts(run(AS_OF, **base))


def test_identities_survive_more_data() -> None:
    base = _base()
    first = _facts(run(AS_OF, **base))
    larger = {
        "ledger": [
            *base["ledger"],
            lost("2026-02-01", 1, ref="99", fnsku=OTHER_FNSKU, msku=OTHER_SKU),
            found("2026-02-02", 1, fnsku=OTHER_FNSKU, msku=OTHER_SKU),
            lost("2026-02-03", 3, ref="98", fnsku=OTHER_FNSKU, msku=OTHER_SKU),
        ],
        "refunds": [*base["refunds"], refund("111-9", "2026-02-10", item(1, "-5.00"))],
        "returns": [*base["returns"], ret("2026-02-11", "111-8", "SELLABLE")],
        "shipments": [*base["shipments"], shipment("FBA2"), shipment("FBA3", "RECEIVING")],
        "items": [*base["items"], inbound("FBA2", 5, 5), inbound("FBA3", 5, 1)],
        "orders": [order("111-1", 1, "25.00"), order("111-7", 2, "50.00")],
        "reimbursements": [
            reimb("2026-02-20", "Lost_Warehouse", 1, fnsku=OTHER_FNSKU, sku=OTHER_SKU)
        ],
    }
    second = _facts(run(AS_OF, **larger))
    assert first <= second  # every original claim is still there, unchanged
    extra = {facts[0] for facts in second - first}
    # the other FNSKU: 99 closed by the found unit, 98 reduced 3 -> 2 by the reimbursement
    assert extra == {("warehouse_lost", "98", OTHER_SKU), ("return_not_received", "111-9", SKU)}


def test_a_later_row_of_the_same_reference_keeps_the_identity() -> None:
    first = run(AS_OF, ledger=[lost("2026-01-05", 2, ref="R1")])
    second = run(AS_OF, ledger=[lost("2026-01-05", 2, ref="R1"), lost("2026-01-07", 1, ref="R1")])
    assert (
        [c.identity for c in first]
        == [c.identity for c in second]
        == [("warehouse_lost", "R1", SKU)]
    )
    assert (first[0].quantity, second[0].quantity) == (2, 3)
    assert first[0].event_date == second[0].event_date
