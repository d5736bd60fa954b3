"""The answer key: ``.planted/claims.json`` is exact, complete and says what spec §4 says."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from .conftest import AS_OF, Make
from .oracle import find_claims, read_folder

FIELDS = [
    "kind", "reference_id", "sku", "fnsku", "asin", "marketplace", "quantity", "event_date",
    "opens_on", "deadline", "status", "estimated_amount", "currency", "valuation_basis",
    "status_reason",
]  # fmt: skip
KINDS = [
    "warehouse_lost", "warehouse_damaged", "return_not_received", "return_damaged_by_amazon",
    "inbound_shortage",
]  # fmt: skip


def planted(folder: Path) -> dict[str, Any]:
    return json.loads((folder / ".planted" / "claims.json").read_text(encoding="utf-8"))


def comparable(claims: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The oracle cannot know the wording of ``status_reason``, only whether there is one."""
    return [dict(c, status_reason=c["status_reason"] is not None) for c in claims]


@pytest.mark.parametrize("layout", ["tsv", "csv"])
@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("as_of", [AS_OF, date(2026, 3, 31), date(2025, 6, 15)])
def test_the_files_hold_exactly_the_planted_claims(
    make_seller: Make, layout: str, seed: int, as_of: date
) -> None:
    folder = make_seller(layout, seed=seed, as_of=as_of, ledger_rows=4_000).directory
    files = read_folder(folder)
    assert files.skipped == ["notes.txt"]
    expected = planted(folder)["claims"]
    assert comparable(find_claims(files, as_of)) == comparable(expected)


def test_the_planted_claims_have_the_fields_of_spec_section_4_sorted(tsv_seller: Path) -> None:
    document = planted(tsv_seller)
    assert list(document) == ["as_of", "seed", "layout", "claims"]
    assert (document["as_of"], document["seed"], document["layout"]) == ("2026-10-31", 7, "tsv")
    claims = document["claims"]
    assert all(list(claim) == FIELDS for claim in claims)
    keys = [(c["kind"], c["reference_id"], c["sku"]) for c in claims]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    for claim in claims:
        if claim["estimated_amount"] is not None:
            whole, cents = claim["estimated_amount"].split(".")
            assert whole.isdigit() and len(cents) == 2


def test_every_kind_is_planted_in_every_status(tsv_seller: Path) -> None:
    claims = planted(tsv_seller)["claims"]
    statuses = {(c["kind"], c["status"]) for c in claims}
    for kind in KINDS:
        assert {(kind, s) for s in ("claimable", "waiting", "expired")} <= statuses
    assert {c["status"] for c in claims if c["kind"] == "return_disputed_grading"} == {"review"}
    for region, markets in (("US", {"US"}), ("EU", {"DE", "GB", "FR"})):
        found = {c["status"] for c in claims
                 if c["kind"] == "return_not_received" and c["marketplace"] in markets}  # fmt: skip
        assert found == {"claimable", "waiting", "expired"}, region


def test_flags_and_undated_shortages_have_no_window(tsv_seller: Path) -> None:
    claims = planted(tsv_seller)["claims"]
    for flag in (c for c in claims if c["kind"] == "return_disputed_grading"):
        assert flag["event_date"] is not None
        assert [flag[k] for k in ("opens_on", "deadline", "estimated_amount", "currency",
                                  "valuation_basis")] == [None] * 5  # fmt: skip
    undated = [c for c in claims if c["kind"] == "inbound_shortage" and c["event_date"] is None]
    assert undated, "an undated inbound shortage is planted"
    for claim in undated:
        assert claim["status"] == "waiting" and claim["status_reason"]
        assert claim["opens_on"] is claim["deadline"] is claim["marketplace"] is None
    assert all(c["status_reason"] is None for c in claims if c not in undated)


def test_valuation_covers_every_basis_and_the_us_cap(tsv_seller: Path) -> None:
    claims = planted(tsv_seller)["claims"]
    bases = {c["valuation_basis"] for c in claims}
    assert bases == {
        "manufacturing_cost", "sale_price_estimate", "refunded_principal", "unknown", None,
    }  # fmt: skip
    unknown = [c for c in claims if c["valuation_basis"] == "unknown"]
    assert all(c["estimated_amount"] is None and c["currency"] is None for c in unknown)
    assert {"return_damaged_by_amazon", "warehouse_lost"} <= {c["kind"] for c in unknown}
    capped = [c for c in claims if c["marketplace"] == "US" and c["estimated_amount"]
              and float(c["estimated_amount"]) == 5000 * c["quantity"]]  # fmt: skip
    assert {c["kind"] for c in capped} == {"warehouse_lost", "return_not_received"}
    assert {c["currency"] for c in claims if c["currency"]} == {"USD", "EUR", "GBP"}


def test_the_policy_switch_is_planted_when_the_ledger_reaches_it(make_seller: Make) -> None:
    folder = make_seller("tsv", as_of=date(2026, 3, 31), ledger_rows=8_000).directory
    by_date = {c["event_date"]: c for c in planted(folder)["claims"]}
    assert by_date["2024-10-22"]["deadline"] == "2026-04-22"
    assert by_date["2024-10-22"]["status"] == "claimable"
    assert by_date["2024-10-23"]["deadline"] == "2024-12-22"
    assert by_date["2024-10-23"]["status"] == "expired"


def test_scenarios_say_what_they_test_and_expect(tsv_seller: Path) -> None:
    document = json.loads((tsv_seller / ".planted" / "scenarios.json").read_text("utf-8"))
    scenarios = document["scenarios"]
    names = [s["name"] for s in scenarios]
    assert len(names) == len(set(names))
    assert all(s["tests"] and s["kind"] for s in scenarios)
    decoys = [s for s in scenarios if s["expects"] == "no claim"]
    assert len(decoys) >= 15
    expected = {(e["kind"], e["reference_id"], e["sku"])
                for s in scenarios if s["expects"] != "no claim" for e in s["expects"]}  # fmt: skip
    claims = planted(tsv_seller)["claims"]
    assert expected == {(c["kind"], c["reference_id"], c["sku"]) for c in claims}
