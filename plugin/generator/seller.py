"""``generate_seller``: a realistic seller's folder with its claims planted and written down.

Tests, benchmarks and the demo share it as one source of truth: the files in the formats of
spec §1, and ``.planted/claims.json`` with exactly the claims the engine must find (spec §4,
without evidence). The same arguments always give the same bytes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from plugin.generator.catalog import Catalog, build_catalog
from plugin.generator.documents import cost_rows, notes_text
from plugin.generator.layouts import LAYOUTS
from plugin.generator.noise import Background
from plugin.generator.planted import claims_document, scenarios_document
from plugin.generator.scenarios import ROLES, Plan, build_plan
from plugin.generator.timeline import iterate_days
from plugin.generator.valuation import PriceBook
from plugin.generator.writer import (
    PLANTED_FOLDER,
    FolderWriter,
    write_costs,
    write_history,
    write_inbound,
    write_reimbursements,
)


@dataclass(frozen=True)
class GenerationSummary:
    """What ``generate_seller`` wrote."""

    directory: Path
    files: list[str]  # paths relative to ``directory``, sorted; .planted/ included
    planted: int  # planted claims and flags
    scenarios: int  # scenarios, decoys without a claim included
    ledger_rows: int  # ledger rows (a row in both overlapping downloads counts once)
    skus: int  # catalogue size, raised to what the scenarios need
    layout: str
    as_of: date
    seed: int


def plan_seller(*, seed: int, as_of: date, skus: int) -> tuple[Catalog, Plan]:
    """The catalogue and the planted rows of a seller, without the background (pure)."""
    catalog = build_catalog(random.Random(f"{seed}:catalog"), skus, ROLES)
    return catalog, build_plan(catalog, as_of, random.Random(f"{seed}:plan"))


def generate_seller(
    directory: Path,
    *,
    seed: int,
    as_of: date,
    skus: int = 40,
    days: int = 400,
    ledger_rows: int = 20000,
    layout: str = "tsv",
) -> GenerationSummary:
    """Write a seller's Amazon files into ``directory`` with every claim kind planted.

    ``directory`` must be new, empty, or a folder this function wrote before (it is replaced).
    ``ledger_rows`` is the ledger's size in all (planted rows included; never fewer than the
    planted rows plus one receipt per SKU); ``days`` the span of the background before
    ``as_of`` (planted rows may be older).
    """
    chosen = LAYOUTS.get(layout)
    if chosen is None:
        raise ValueError(f"layout must be one of {sorted(LAYOUTS)}, not {layout!r}")
    for name, value, least in (
        ("skus", skus, 1),
        ("days", days, 1),
        ("ledger_rows", ledger_rows, 0),
    ):
        if value < least:
            raise ValueError(f"{name} must be at least {least}, not {value}")
    catalog, plan = plan_seller(seed=seed, as_of=as_of, skus=skus)
    background = Background(
        catalog, as_of=as_of, days=days, rows=max(0, ledger_rows - len(plan.ledger)),
        rng=random.Random(f"{seed}:background"),
    )  # fmt: skip
    prices = PriceBook.empty()
    with FolderWriter(Path(directory), chosen) as out:
        history = iterate_days(plan, background, prices, random.Random(f"{seed}:merge"))
        first_day = min(plan.first_day, background.first_day)
        written = write_history(out, history, first_day=first_day, as_of=as_of)
        write_reimbursements(out, plan.reimbursements + background.reimbursements)
        write_inbound(out, plan.shipments, list(background.shipments))
        write_costs(out, cost_rows(catalog))
        out.plain_text("notes.txt", notes_text(catalog, as_of, plan.shipments))
        claims = claims_document(plan, prices, seed=seed, layout=layout)
        out.json(f"{PLANTED_FOLDER}/claims", claims, plain=True)
        out.json(f"{PLANTED_FOLDER}/scenarios",
                 scenarios_document(plan, seed=seed, layout=layout), plain=True)  # fmt: skip
    return GenerationSummary(
        directory=Path(directory),
        files=out.files,
        planted=len(claims["claims"]),
        scenarios=len(plan.scenarios),
        ledger_rows=written,
        skus=len(catalog.products),
        layout=layout,
        as_of=as_of,
        seed=seed,
    )
