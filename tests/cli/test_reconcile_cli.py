"""``claimdesk reconcile`` end to end on a folder, including files it must refuse."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

from click.testing import CliRunner

from plugin.cli import main

LEDGER = (
    "Date\tFNSKU\tASIN\tMSKU\tTitle\tEvent Type\tReference ID\tQuantity\tFulfillment Center\t"
    "Disposition\tReason\tCountry\tReconciled Quantity\tUnreconciled Quantity\n"
    "10/01/2026\tX001\tB001\tMUG-1\tMug\tAdjustments\t111\t-2\tPHX7\tSELLABLE\tM\tUS\t\t\n"
    "10/02/2026\tX001\tB001\tMUG-1\tMug\tShipments\t999\t-1\tPHX7\tSELLABLE\t\tUS\t\t\n"
)
REIMBURSEMENTS_HEADER = (
    "approval-date\treimbursement-id\tcase-id\tamazon-order-id\treason\tsku\tfnsku\tasin\t"
    "product-name\tcondition\tcurrency-unit\tamount-per-unit\tamount-total\t"
    "quantity-reimbursed-cash\tquantity-reimbursed-inventory\tquantity-reimbursed-total\t"
    "original-reimbursement-id\toriginal-reimbursement-type\n"
)


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_reconcile_prints_json_per_spec(tmp_path: Path) -> None:
    (tmp_path / "ledger.tsv").write_text(LEDGER)
    (tmp_path / "costs.csv").write_text("sku,unit_cost,currency\nMUG-1,8.90,USD\n")
    code, output = run("reconcile", str(tmp_path), "--as-of", "2026-11-05", "--json")
    assert code == 0
    document = json.loads(output)
    assert document["as_of"] == "2026-11-05"
    assert document["skipped_files"] == []
    assert document["claims"] == [
        {
            "kind": "warehouse_lost",
            "reference_id": "111",
            "sku": "MUG-1",
            "fnsku": "X001",
            "asin": "B001",
            "marketplace": "US",
            "quantity": 2,
            "event_date": "2026-10-01",
            "opens_on": "2026-10-31",
            "deadline": "2026-11-30",
            "status": "claimable",
            "estimated_amount": "17.80",
            "currency": "USD",
            "valuation_basis": "manufacturing_cost",
            "evidence": [{"file": "ledger.tsv", "line": 2}],
        }
    ]


def test_costs_option_overrides_folder_costs(tmp_path: Path) -> None:
    (tmp_path / "ledger.tsv").write_text(LEDGER)
    (tmp_path / "costs.csv").write_text("sku,unit_cost,currency\nMUG-1,8.90,USD\n")
    override = tmp_path.parent / f"{tmp_path.name}-costs.csv"
    override.write_text("sku,unit_cost,currency\nMUG-1,5.00,USD\n")
    code, output = run(
        "reconcile", str(tmp_path), "--as-of", "2026-11-05", "--json", "--costs", str(override)
    )
    assert code == 0
    assert json.loads(output)["claims"][0]["estimated_amount"] == "10.00"


def test_bad_files_are_named_with_line_and_the_rest_still_counts(tmp_path: Path) -> None:
    (tmp_path / "ledger.tsv").write_text(LEDGER)
    (tmp_path / "empty.tsv").write_bytes(b"")
    (tmp_path / "cut.tsv.gz").write_bytes(gzip.compress(LEDGER.encode() * 50)[:200])
    (tmp_path / "header-only.txt").write_text(REIMBURSEMENTS_HEADER)
    (tmp_path / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(300))
    (tmp_path / "orders.json").write_text(json.dumps({"payload": {"Orders": []}}))
    (tmp_path / "ledger-typo.tsv").write_text(LEDGER.replace("\t-2\t", "\ttwo\t"))
    code, output = run("reconcile", str(tmp_path), "--as-of", "2026-11-05", "--json")
    assert code == 0
    assert "Traceback" not in output
    document = json.loads(output)
    reasons = {entry["file"]: entry["reason"] for entry in document["skipped_files"]}
    assert reasons == {
        "cut.tsv.gz": reasons["cut.tsv.gz"],
        "empty.tsv": "empty file",
        "header-only.txt": "line 1: header only, no data rows",
        "ledger-typo.tsv": "line 2: Quantity 'two' is not a whole number",
        "orders.json": "JSON is not a recognised document (expected a Finances "
        "RefundEventList, payload.ShipmentData or payload.ItemData)",
        "photo.jpg": reasons["photo.jpg"],
    }
    assert re.fullmatch(
        r"line \d+: gzip data ends early: the file was cut short", reasons["cut.tsv.gz"]
    )
    assert reasons["photo.jpg"] == (
        "binary file (NUL byte at offset 4), not a text report or JSON document"
    )
    # The good ledger still counts: its loss is the one claim.
    assert [(c["kind"], c["reference_id"], c["quantity"]) for c in document["claims"]] == [
        ("warehouse_lost", "111", 2)
    ]


def test_table_names_skipped_files_and_totals(tmp_path: Path) -> None:
    (tmp_path / "ledger.tsv").write_text(LEDGER)
    (tmp_path / "notes.txt").write_text("call the supplier on monday\n")
    code, output = run("reconcile", str(tmp_path), "--as-of", "2026-11-05")
    assert code == 0
    assert "CLAIMABLE NOW" in output and "warehouse_lost" in output and "111" in output
    assert "notes.txt: line 1: not a recognised report" in output
    assert "Claimable now: nothing" in output  # no cost, no orders: no value to estimate


def test_missing_folder_is_a_usage_error(tmp_path: Path) -> None:
    code, output = run("reconcile", str(tmp_path / "nope"))
    assert code == 2
    assert "does not exist" in output


def test_bad_as_of(tmp_path: Path) -> None:
    code, output = run("reconcile", str(tmp_path), "--as-of", "31/10/2026")
    assert code == 2
    assert "is not a date like 2026-10-31" in output


def test_policy_override_changes_windows(tmp_path: Path) -> None:
    (tmp_path / "ledger.tsv").write_text(LEDGER)
    policy = tmp_path.parent / f"{tmp_path.name}-policy.json"
    policy.write_text(
        json.dumps(
            {
                "windows": [
                    {
                        "kind": "warehouse_lost",
                        "marketplaces": ["US"],
                        "opens_after_days": 10,
                        "deadline_days": 90,
                    }
                ]
            }
        )
    )
    code, output = run(
        "reconcile", str(tmp_path), "--as-of", "2026-11-05", "--json", "--policy", str(policy)
    )
    assert code == 0, output
    claim = json.loads(output)["claims"][0]
    assert (claim["opens_on"], claim["deadline"]) == ("2026-10-11", "2026-12-30")
