"""The background never creates, changes or offsets a claim, and looks like a real seller."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from plugin.generator import generate_seller
from plugin.generator.seller import plan_seller

from .conftest import AS_OF, SEED, Make
from .oracle import FLAG_REASONS, Folder, read_folder

LOSS_AND_FOUND = {"M", "5", "E", "F"}


@pytest.fixture(scope="module")
def files(tsv_seller: Path) -> Folder:
    return read_folder(tsv_seller)


@dataclass(frozen=True)
class Planted:
    """What the scenarios own: anything else in the files is background."""

    fnskus: set[str]
    skus: set[str]
    orders: set[str]
    ids: set[str]  # reimbursement and shipment IDs
    losses_and_finds: Counter[tuple[str, str, str, str]]  # (fnsku, reference, quantity, date)


@pytest.fixture(scope="module")
def planted() -> Planted:
    catalog, plan = plan_seller(seed=SEED, as_of=AS_OF, skus=40)
    roles = catalog.roles.values()
    return Planted(
        fnskus={p.fnsku for p in roles},
        skus={p.sku for p in roles},
        orders={o.order_id for o in plan.orders},
        ids={r.reimbursement_id for r in plan.reimbursements}
        | {s.shipment_id for s in plan.shipments},
        losses_and_finds=Counter(
            (r.product.fnsku, r.reference_id, str(r.quantity), f"{r.day:%m/%d/%Y}")
            for r in plan.ledger
            if r.event_type == "Adjustments" and r.reason in LOSS_AND_FOUND
        ),
    )


def test_no_loss_or_find_on_scenario_products_but_the_planted_ones(
    files: Folder, planted: Planted
) -> None:
    seen = Counter(
        (r["fnsku"], r["reference-id"], r["quantity"], r["date"])
        for r in files.ledger
        if r["event-type"] == "Adjustments" and r["reason"] in LOSS_AND_FOUND
        and r["fnsku"] in planted.fnskus
    )  # fmt: skip
    assert seen == planted.losses_and_finds


def test_background_losses_are_already_reconciled(files: Folder, planted: Planted) -> None:
    losses = [r for r in files.ledger if r["event-type"] == "Adjustments"
              and r["reason"] in {"M", "5", "E"} and r["fnsku"] not in planted.fnskus]  # fmt: skip
    assert losses, "the background loses and damages regular products too"
    assert {r["unreconciled-quantity"] for r in losses} == {"0"}


def test_every_background_refund_came_back_undamaged(files: Folder, planted: Planted) -> None:
    planted_orders = planted.orders
    refunded: Counter[tuple[str, str]] = Counter()
    for event in files.refunds:
        for item in event["ShipmentItemAdjustmentList"]:
            refunded[(event["AmazonOrderId"], item["SellerSKU"])] += item["QuantityShipped"]
    returned: Counter[tuple[str, str]] = Counter()
    for r in files.returns:
        if r["order-id"] in planted_orders:
            continue
        returned[(r["order-id"], r["sku"])] += int(r["quantity"])
        assert r["detailed-disposition"] not in {"DAMAGED", "CARRIER_DAMAGED"}
        assert not (r["detailed-disposition"] == "SELLABLE" and r["reason"] in FLAG_REASONS)
    background = {k: v for k, v in refunded.items() if k[0] not in planted_orders}
    assert len(background) > 100
    assert all(returned[key] >= units for key, units in background.items())


def test_only_planted_shipments_closed_short(files: Folder, planted: Planted) -> None:
    status = {s["ShipmentId"]: s["ShipmentStatus"] for s in files.shipments}
    short = {
        item["ShipmentId"]
        for item in files.items
        if status[item["ShipmentId"]] == "CLOSED"
        and item["QuantityShipped"] > item["QuantityReceived"]
    }
    assert short and short <= planted.ids
    assert sum(1 for s in status.values() if s == "CLOSED") > len(short)


def test_no_background_reimbursement_touches_a_scenario(files: Folder, planted: Planted) -> None:
    touching = {r["reimbursement-id"] for r in files.reimbursements
                if r["sku"] in planted.skus or r["amazon-order-id"] in planted.orders}  # fmt: skip
    assert touching and touching <= planted.ids
    assert len(files.reimbursements) > len(touching)


def test_every_sku_is_in_the_ledger_with_its_fnsku_and_asin(files: Folder) -> None:
    catalogue, _ = plan_seller(seed=SEED, as_of=AS_OF, skus=40)
    seen = {(r["msku"], r["fnsku"], r["asin"]) for r in files.ledger}
    assert {(p.sku, p.fnsku, p.asin) for p in catalogue.products} <= seen
    assert len({r["msku"] for r in files.ledger}) == len(catalogue.products) == 40


def test_ledger_events_come_in_realistic_proportions(files: Folder, tsv_seller: Path) -> None:
    events = Counter(r["event-type"] for r in files.ledger)
    total = sum(events.values())
    shares = {kind: count / total for kind, count in events.items()}
    targets = {"Shipments": 0.55, "WhseTransfers": 0.18, "Receipts": 0.15,
               "CustomerReturns": 0.05, "Adjustments": 0.05, "VendorReturns": 0.02}  # fmt: skip
    for kind, share in targets.items():
        assert abs(shares[kind] - share) < 0.04, (kind, shares[kind])
    shipped_orders = sum(1 for r in files.orders if r["order-status"] == "Shipped")
    assert 0.95 < shipped_orders / events["Shipments"] < 1.05
    assert 0.9 < len(files.returns) / events["CustomerReturns"] < 1.1


def test_the_two_ledger_downloads_overlap(tsv_seller: Path, make_seller: Make) -> None:
    older, newer = sorted(tsv_seller.glob("inventory-ledger-*.txt"))
    a = older.read_text("utf-8").split("\n")[1:-1]
    b = newer.read_text("utf-8").split("\n")[1:-1]
    shared = set(a) & set(b)
    assert len(shared) > 1000
    assert len(set(a) | set(b)) > 0.95 * make_seller("tsv").ledger_rows


def test_ledger_rows_is_the_size_asked_for(files: Folder, make_seller: Make) -> None:
    assert make_seller("tsv").ledger_rows == 20_000 == len(files.ledger)


@pytest.mark.slow
def test_200k_ledger_rows_generate_quickly(tmp_path: Path) -> None:
    start = time.perf_counter()
    summary = generate_seller(
        tmp_path / "big", seed=3, as_of=date(2026, 10, 31), ledger_rows=200_000
    )
    elapsed = time.perf_counter() - start
    print(f"\n200,000 ledger rows in {elapsed:.1f}s")
    assert summary.ledger_rows == 200_000
    assert elapsed < 30, f"{elapsed:.1f}s for 200,000 rows: 2,000,000 would take too long"
