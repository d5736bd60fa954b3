"""Benchmark: ``reconcile`` against the bare cost of reading the same files with csv.

Run with ``scripts/bench`` (not part of the default test run). Prints, per size, reconcile's
wall time and peak memory next to a baseline that reads every file with Python's csv module
(json for JSON documents) and does nothing else, measured in the same run. Targets (issue 2):
reconcile <= 1.0x the baseline and <= 1 GiB peak at 2,000,000 ledger rows; time linear in size.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest
from bench_support import BASELINE, RECONCILE, measure

from plugin.generator import generate_seller

AS_OF = date(2026, 10, 31)
REPEAT = int(os.environ.get("CLAIMDESK_BENCH_REPEAT", "2"))
SIZES = [
    int(n)
    for n in os.environ.get("CLAIMDESK_BENCH_ROWS", "500000,1000000,2000000,4000000").split(",")
]


@pytest.mark.parametrize("layout", ["tsv", "csv"])
def test_reconcile_is_no_slower_than_reading_with_csv(
    tmp_path_factory: pytest.TempPathFactory, layout: str
) -> None:
    print(f"\nreconcile vs csv-module baseline, layout {layout}")
    print(
        f"{'ledger rows':>12} {'files MiB':>9} {'baseline s':>10} {'reconcile s':>11} "
        f"{'ratio':>6} {'base MiB':>8} {'recon MiB':>9} {'µs/row':>7} {'claims':>6}"
    )
    results = {}
    for rows in SIZES:
        directory = tmp_path_factory.mktemp(f"seller-{layout}-{rows}")
        generate_seller(
            directory, seed=11, as_of=AS_OF, ledger_rows=rows, layout=layout, days=540, skus=400
        )
        size = sum(p.stat().st_size for p in Path(directory).rglob("*") if p.is_file()) / 2**20
        # Best of REPEAT alternating runs: the machine is shared, the minimum is the signal.
        baseline = reconcile = None
        for _ in range(REPEAT):
            b = measure(BASELINE.format(directory=str(directory)))
            r = measure(RECONCILE.format(directory=str(directory), as_of=AS_OF.isoformat()))
            baseline = b if baseline is None or b["seconds"] < baseline["seconds"] else baseline
            reconcile = r if reconcile is None or r["seconds"] < reconcile["seconds"] else reconcile
        assert baseline is not None and reconcile is not None
        ratio = reconcile["seconds"] / baseline["seconds"]
        results[rows] = (ratio, reconcile)
        print(
            f"{rows:>12,} {size:>9.0f} {baseline['seconds']:>10.2f} "
            f"{reconcile['seconds']:>11.2f} {ratio:>6.2f} {baseline['peak_mib']:>8.0f} "
            f"{reconcile['peak_mib']:>9.0f} {reconcile['seconds'] / rows * 1e6:>7.2f} "
            f"{reconcile['result']:>6}"
        )
    # The target is for Amazon's own report format (tab-separated, as SP-API documents come).
    # The quoted, gzipped layout goes through the pure-Python reader and is printed as is.
    if 2_000_000 in results and layout == "tsv":
        ratio, reconcile = results[2_000_000]
        assert ratio <= 1.0, f"reconcile took {ratio:.2f}x the csv baseline at 2M rows"
        assert reconcile["peak_mib"] <= 1024, f"peak {reconcile['peak_mib']:.0f} MiB > 1 GiB"
