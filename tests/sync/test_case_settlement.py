"""Issue 7 acceptance through the real pipeline: a case recorded with Amazon's case id is
reimbursed when a sync brings reimbursement rows carrying that id, with the right totals, and
a later reversal brought by another sync reopens it.

The rows reach us as Amazon would send them: written into the seller's files, served by the
SP-API sandbox in the reimbursements report, and stored by ``claimdesk sync``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from connectors.amazon.sandbox import AmazonSandbox
from tests.sync.support import AS_OF, Backend, prepare

CASE_ID = "18273645501"
HEADER = (
    "approval-date\treimbursement-id\tcase-id\tamazon-order-id\treason\tsku\tfnsku\tasin\t"
    "product-name\tcondition\tcurrency-unit\tamount-per-unit\tamount-total\t"
    "quantity-reimbursed-cash\tquantity-reimbursed-inventory\tquantity-reimbursed-total\t"
    "original-reimbursement-id\toriginal-reimbursement-type"
)


def row(claim: dict[str, Any], reimbursement: str, when: str, *, units: int, **extra: str) -> str:
    per_unit = Decimal("11.25")
    values = {
        "approval-date": when,
        "reimbursement-id": reimbursement,
        "case-id": CASE_ID,
        "amazon-order-id": "",
        "reason": extra.get("reason", "Lost_Warehouse"),
        "sku": claim["sku"],
        "fnsku": claim.get("fnsku") or "",
        "asin": claim.get("asin") or "",
        "product-name": "",
        "condition": "New",
        "currency-unit": "USD",
        "amount-per-unit": str(per_unit),
        "amount-total": str(per_unit * units),
        "quantity-reimbursed-cash": str(units),
        "quantity-reimbursed-inventory": "0",
        "quantity-reimbursed-total": str(units),
        "original-reimbursement-id": extra.get("original", ""),
        "original-reimbursement-type": extra.get("original_type", ""),
    }
    return "\t".join(values[name] for name in HEADER.split("\t"))


def sync(backend: Backend, sandbox_for: Callable[[Path], AmazonSandbox], folder: Path) -> None:
    """Serve the folder as it is now (a fresh sandbox reads it) and sync it."""
    sandbox = sandbox_for(folder)
    prepare(backend, "shop", sandbox.url, folder)
    synced = backend.claimdesk("sync", "shop", "--wait", "--as-of", AS_OF.isoformat())
    assert synced.exit_code == 0, synced.output


def the_case(backend: Backend) -> dict[str, Any]:
    listed = backend.claimdesk("cases", "shop", "--json")
    assert listed.exit_code == 0, listed.output
    document = json.loads(listed.output)
    cases = document["cases"] if isinstance(document, dict) else document
    assert len(cases) == 1
    found: dict[str, Any] = cases[0]
    return found


def test_a_synced_case_id_reimburses_the_case_and_a_reversal_reopens_it(
    backend: Backend,
    seller: Callable[[int, str], Path],
    sandbox_for: Callable[[Path], AmazonSandbox],
    tmp_path: Path,
) -> None:
    extra_dir = tmp_path / "with-case"
    # A copy of the seller we can add files to (the generated folder is shared by tests).
    extra_dir.mkdir()
    for path in seller(1, "tsv").iterdir():
        if path.is_file():
            (extra_dir / path.name).symlink_to(path)
    sync(backend, sandbox_for, extra_dir)

    claims = json.loads(
        backend.claimdesk("claims", "shop", "--json", "--as-of", AS_OF.isoformat()).output
    )["claims"]
    claim = next(c for c in claims if c["kind"] in ("warehouse_lost", "warehouse_damaged"))
    key = f"{claim['kind']}:{claim['reference_id']}:{claim['sku']}"
    opened = backend.claimdesk("case", "open", "shop", "--claim", key, "--case-id", CASE_ID)
    assert opened.exit_code == 0, opened.output
    case = the_case(backend)
    assert case["status"] == "open"
    units = int(claim["quantity"])

    # Amazon pays the case: cash for every claimed unit, carrying the case id.
    paid = extra_dir / "reimbursements-case.txt"
    paid.write_text(
        HEADER + "\n" + row(claim, "9900000001", "2026-10-29T10:00:00+00:00", units=units) + "\n"
    )
    sync(backend, sandbox_for, extra_dir)
    case = the_case(backend)
    assert case["status"] == "reimbursed", case
    assert case["reimbursed_units"] == units
    assert Decimal(str(case["reimbursed_amount"])) == Decimal("11.25") * units

    # Then reverses it: the case is open again, and its totals drop back.
    paid.write_text(
        paid.read_text()
        + row(
            claim,
            "9900000002",
            "2026-10-30T10:00:00+00:00",
            units=-units,
            reason="Reimbursement_Reversal",
            original="9900000001",
            original_type="Cash",
        )
        + "\n"
    )
    sync(backend, sandbox_for, extra_dir)
    case = the_case(backend)
    assert case["status"] == "open", case
    assert case["reimbursed_units"] == 0
