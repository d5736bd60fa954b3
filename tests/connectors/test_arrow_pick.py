"""The Arrow selector picks exactly the rows, fields and line numbers the Python reader does."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from connectors.amazon import arrow
from connectors.amazon.parse import OrderFilter, read_report
from plugin.generator import generate_seller

pytest.importorskip("pyarrow")


@pytest.fixture(scope="module")
def seller(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("seller")
    generate_seller(directory, seed=8, as_of=date(2026, 10, 31), ledger_rows=6000)
    return directory


def both_ways(monkeypatch: pytest.MonkeyPatch, path: Path, **options: object) -> tuple[list, list]:  # type: ignore[type-arg]
    monkeypatch.setattr(arrow, "MIN_BYTES", 0)
    fast = read_report(lambda: path.open("rb"), path.name, **options).rows  # type: ignore[arg-type]
    monkeypatch.setattr(arrow, "pa", None)
    slow = read_report(lambda: path.open("rb"), path.name, **options).rows  # type: ignore[arg-type]
    return fast, slow


def test_ledger_rows_are_the_same(seller: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ledger = sorted(seller.glob("inventory-ledger-*.txt"))[0]
    shipments = {"FBA1511LUEH0", "FBA15489VHQ5"}
    fast, slow = both_ways(
        monkeypatch, ledger, ledger_events={"adjustments", "receipts"}, receipts_of=shipments
    )
    assert len(slow) > 100
    assert fast == slow
    # ... and Arrow really chose them (it did not fall back)
    monkeypatch.undo()
    monkeypatch.setattr(arrow, "MIN_BYTES", 0)
    header = ledger.read_text().splitlines()[0].split("\t")
    from connectors.amazon.parse import _ALIASES, normalize_header

    columns = [_ALIASES.get(c, c) for c in map(normalize_header, header)]
    picked = arrow.pick_rows(
        lambda: ledger.open("rb"),
        columns,
        "\t",
        arrow.LedgerFilter(frozenset({"adjustments", "receipts"}), frozenset(shipments)),
    )
    assert picked is not None and [line for line, _ in picked] == [r.source.line for r in slow]


def test_order_rows_are_the_same(seller: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    orders = seller / "all-orders.txt"
    first = orders.read_text().splitlines()[5].split("\t")
    wanted = OrderFilter(order_ids={first[0]}, skus={first[10]})
    fast, slow = both_ways(monkeypatch, orders, orders=wanted)
    assert len(slow) > 1
    assert fast == slow


def test_blank_line_falls_back_and_keeps_line_numbers(
    seller: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    ledger = sorted(seller.glob("inventory-ledger-*.txt"))[0]
    lines = ledger.read_text().splitlines(keepends=True)
    broken = tmp_path / "ledger.txt"
    broken.write_text("".join(lines[:50] + ["\n"] + lines[50:]))
    fast, slow = both_ways(monkeypatch, broken, ledger_events={"adjustments"})
    assert fast == slow
    assert all(row.source.line != 51 for row in slow)
