"""Generated sellers shared by the generator tests (each made once per session)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from plugin.generator import GenerationSummary, generate_seller

AS_OF = date(2026, 10, 31)
SEED = 7

Make = Callable[..., GenerationSummary]


@pytest.fixture(scope="session")
def make_seller(tmp_path_factory: pytest.TempPathFactory) -> Make:
    """``make_seller(layout, seed=, as_of=, ledger_rows=)``: generate once, then reuse."""
    made: dict[tuple[object, ...], GenerationSummary] = {}

    def make(
        layout: str = "tsv", *, seed: int = SEED, as_of: date = AS_OF, ledger_rows: int = 20_000
    ) -> GenerationSummary:
        key = (layout, seed, as_of, ledger_rows)
        if key not in made:
            folder = tmp_path_factory.mktemp(f"seller-{layout}-{seed}") / "seller"
            made[key] = generate_seller(
                folder, seed=seed, as_of=as_of, layout=layout, ledger_rows=ledger_rows
            )
        return made[key]

    return make


@pytest.fixture(scope="session")
def tsv_seller(make_seller: Make) -> Path:
    return make_seller("tsv").directory


@pytest.fixture(scope="session")
def csv_seller(make_seller: Make) -> Path:
    return make_seller("csv").directory
