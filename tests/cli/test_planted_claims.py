"""The generator's planted claims come back exactly from reconcile, with no extras.

The generator computes what it plants from its own scenario design, never by calling the
engine, so this is a real check of the engine and the reader on realistic files.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from plugin.generator import generate_seller
from plugin.reporting import claim_document
from plugin.services.reconcile import reconcile_folder

AS_OF = date(2026, 10, 31)
SEEDS = range(1, 21)


def planted(directory: Path) -> tuple[date, list[dict[str, object]]]:
    document = json.loads((directory / ".planted" / "claims.json").read_text())
    return date.fromisoformat(document["as_of"]), document["claims"]


def found(directory: Path, as_of: date) -> tuple[list[dict[str, object]], list[str]]:
    result = reconcile_folder(directory, as_of)
    claims = []
    for claim in result.claims:
        entry = claim_document(claim)
        del entry["evidence"]
        entry.setdefault("status_reason", None)
        if entry["status_reason"] is not None:
            entry["status_reason"] = "<set>"
        claims.append(entry)
    return claims, [skipped.file for skipped in result.skipped_files]


def normalized(claims: list[dict[str, object]]) -> list[dict[str, object]]:
    out = []
    for claim in claims:
        entry = dict(claim)
        entry.setdefault("status_reason", None)
        if entry["status_reason"] is not None:
            entry["status_reason"] = "<set>"
        out.append(entry)
    return sorted(out, key=lambda c: (str(c["kind"]), str(c["reference_id"]), str(c["sku"])))


@pytest.mark.parametrize("layout", ["tsv", "csv"])
@pytest.mark.parametrize("seed", SEEDS)
def test_planted_claims_come_back_exactly(tmp_path: Path, seed: int, layout: str) -> None:
    generate_seller(tmp_path, seed=seed, as_of=AS_OF, ledger_rows=3000, layout=layout)
    as_of, expected = planted(tmp_path)
    claims, skipped = found(tmp_path, as_of)
    assert skipped == ["notes.txt"]
    expected_by_id = {(c["kind"], c["reference_id"], c["sku"]): c for c in normalized(expected)}
    found_by_id = {(c["kind"], c["reference_id"], c["sku"]): c for c in normalized(claims)}
    assert sorted(found_by_id.keys() - expected_by_id.keys()) == [], "extra claims"
    assert sorted(expected_by_id.keys() - found_by_id.keys()) == [], "missing claims"
    for identity, claim in expected_by_id.items():
        assert found_by_id[identity] == claim, identity


def test_every_kind_and_status_is_planted(tmp_path: Path) -> None:
    generate_seller(tmp_path, seed=5, as_of=AS_OF, ledger_rows=3000)
    _, expected = planted(tmp_path)
    pairs = {(c["kind"], c["status"]) for c in expected}
    for kind in (
        "warehouse_lost",
        "warehouse_damaged",
        "return_not_received",
        "return_damaged_by_amazon",
        "inbound_shortage",
    ):
        for status in ("claimable", "waiting", "expired"):
            assert (kind, status) in pairs, (kind, status)
    assert ("return_disputed_grading", "review") in pairs
    assert {c["marketplace"] for c in expected} >= {"US", "DE", "GB"}


def test_layouts_give_the_same_claims(tmp_path: Path) -> None:
    """Same seed, two text layouts: the evidence lines differ, the claims do not."""
    generate_seller(tmp_path / "tsv", seed=9, as_of=AS_OF, ledger_rows=3000, layout="tsv")
    generate_seller(tmp_path / "csv", seed=9, as_of=AS_OF, ledger_rows=3000, layout="csv")
    assert found(tmp_path / "tsv", AS_OF)[0] == found(tmp_path / "csv", AS_OF)[0]


def test_skipping_rows_early_changes_nothing(tmp_path: Path) -> None:
    """The reader leaves out rows the engine cannot use; reading everything gives the same."""
    from connectors.amazon.models import ReportKind
    from connectors.amazon.parse import read_report
    from plugin.domain.claims import ClaimInputs, find_claims
    from plugin.domain.inputs import merge_costs, merge_rows
    from plugin.services.reconcile import list_input_files

    generate_seller(tmp_path, seed=4, as_of=AS_OF, ledger_rows=4000)
    by_kind: dict[ReportKind, list[list[object]]] = {kind: [] for kind in ReportKind}
    for path in list_input_files(tmp_path):
        if path.name == "notes.txt":
            continue
        report = read_report(lambda p=path: p.open("rb"), path.name)  # no filters at all
        by_kind[report.kind].append(report.rows)
    everything = ClaimInputs(
        ledger=merge_rows(by_kind[ReportKind.LEDGER]),  # type: ignore[arg-type]
        reimbursements=merge_rows(by_kind[ReportKind.REIMBURSEMENTS]),  # type: ignore[arg-type]
        returns=merge_rows(by_kind[ReportKind.RETURNS]),  # type: ignore[arg-type]
        orders=merge_rows(by_kind[ReportKind.ORDERS]),  # type: ignore[arg-type]
        refunds=merge_rows(by_kind[ReportKind.FINANCES]),  # type: ignore[arg-type]
        shipments=merge_rows(by_kind[ReportKind.INBOUND_SHIPMENTS]),  # type: ignore[arg-type]
        items=merge_rows(by_kind[ReportKind.INBOUND_ITEMS]),  # type: ignore[arg-type]
        costs=merge_costs(by_kind[ReportKind.COSTS]),  # type: ignore[arg-type]
    )
    assert len(everything.ledger) > 3000
    assert find_claims(everything, AS_OF) == reconcile_folder(tmp_path, AS_OF).claims


def test_refund_copies_across_files_count_once(tmp_path: Path) -> None:
    """A finances file and a re-saved copy with other key order and spacing: same events."""
    generate_seller(tmp_path, seed=2, as_of=AS_OF, ledger_rows=2000)
    before, _ = found(tmp_path, AS_OF)
    source = sorted(tmp_path.glob("financial-events-*.json"))[-1]
    document = json.loads(source.read_text())

    def reorder(value: object) -> object:
        if isinstance(value, dict):
            return {key: reorder(value[key]) for key in sorted(value, reverse=True)}
        if isinstance(value, list):
            return [reorder(item) for item in value]
        return value

    (tmp_path / "copy-of-finances.json").write_text(json.dumps(reorder(document), indent=3))
    after, _ = found(tmp_path, AS_OF)  # evidence may now cite the copy, the rest is the same
    assert after == before


def test_inbound_document_found_late_still_dates_shortages(tmp_path: Path) -> None:
    """The reader peeks at JSON to find inbound documents early; a miss must not lose clocks."""
    generate_seller(tmp_path, seed=6, as_of=AS_OF, ledger_rows=2000)
    before, _ = found(tmp_path, AS_OF)
    for path in tmp_path.glob("inbound-*.json"):
        document = json.loads(path.read_text())
        padded = {"payload": {"Note": "x" * 70_000, **document.get("payload", document)}}
        path.write_text(json.dumps(padded))  # the shipment list now starts past the peek
    after, _ = found(tmp_path, AS_OF)
    assert after == before
    assert any(c["kind"] == "inbound_shortage" and c["event_date"] for c in after)
