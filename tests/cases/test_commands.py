"""``claimdesk cases`` and ``claimdesk case …`` round trip on the real store, JSON included."""

from __future__ import annotations

import getpass
import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from openpyxl import load_workbook
from sqlalchemy.orm import Session, sessionmaker

from plugin.cli import main
from plugin.domain.claims import CLAIMABLE, Claim
from plugin.services.cases import format_claim_key, settle_cases
from plugin.store import case_queries
from tests.cases.conftest import NOW, Seller
from tests.cases.test_case_rules import same_sku_pair
from tests.cases.test_settlement import ingest_reimbursements, line


@pytest.fixture
def claimdesk(database_url: str, tmp_path: Path) -> Callable[..., Result]:
    environment = {
        "CLAIMDESK_ENV": "development",
        "CLAIMDESK_DATABASE_URL": database_url,
        "CLAIMDESK_DATA_DIR": str(tmp_path / "data"),
    }

    def run(*args: str) -> Result:
        return CliRunner().invoke(main, list(args), env=environment)

    return run


def key(claim: Claim) -> str:
    return format_claim_key(claim.identity)


def test_round_trip(
    claimdesk: Callable[..., Result],
    sessions: sessionmaker[Session],
    seller: Seller,
    tmp_path: Path,
) -> None:
    first, second = same_sku_pair(seller)
    # Open with two claims, as JSON.
    opened = claimdesk(
        "case", "open", "acme", "--claim", key(first), "--claim", key(second), "--json"
    )
    assert opened.exit_code == 0, opened.output
    case = json.loads(opened.output)
    assert case["status"] == "open" and case["amazon_case_id"] is None
    assert [c["key"] for c in case["claims"]] == [key(first), key(second)]
    assert case["claimed_units"] == first.quantity + second.quantity
    assert case["opened_by"] == f"cli:{getpass.getuser()}"
    reference = case["reference"]

    # A second open case for the same SKU and kind is refused, naming the first.
    again = claimdesk("case", "open", "acme", "--claim", key(second))
    assert again.exit_code == 1 and reference in again.output

    # Record the case ID, by reference.
    recorded = claimdesk("case", "record", "acme", reference, "--case-id", "17000000009")
    assert recorded.exit_code == 0, recorded.output
    assert "Amazon case 17000000009" in recorded.output

    # A sync brings rows with that case ID covering the units: listed as reimbursed.
    units = first.quantity + second.quantity
    ingest_reimbursements(
        sessions,
        seller.installation_id,
        "reimbursements-cli.tsv",
        [line(first, "9900", "17000000009", units, 0, "30.00")],
    )
    with sessions.begin() as session:
        settle_cases(session, seller.installation_id, NOW)
    listed = claimdesk("cases", "acme", "--json")
    assert listed.exit_code == 0, listed.output
    document = json.loads(listed.output)
    (only,) = document["cases"]
    assert (only["status"], only["reimbursed_units"], only["reimbursed_amount"]) == (
        "reimbursed",
        units,
        "30.00",
    )
    assert document["totals"]["per_case"][str(only["id"])]["units"] == units
    assert document["totals"]["by_attribution"]["ours"]["units"] == units
    table = claimdesk("cases", "acme")
    assert table.exit_code == 0 and reference in table.output and "reimbursed" in table.output
    assert claimdesk("cases", "acme", "--status", "open", "--json").output.count('"id"') == 0

    # Closing a reimbursed case is refused; deleting it frees the claims.
    closed = claimdesk("case", "close", "acme", reference, "--reason", "done")
    assert closed.exit_code == 1 and "reimbursed" in closed.output
    deleted = claimdesk("case", "delete", "acme", str(only["id"]))
    assert deleted.exit_code == 0 and reference in deleted.output
    assert json.loads(claimdesk("cases", "acme", "--json").output)["cases"] == []

    # Open again, then close with a reason.
    reopened = json.loads(claimdesk("case", "open", "acme", "--claim", key(first), "--json").output)
    closed = claimdesk("case", "close", "acme", reopened["reference"], "--reason", "Amazon refused")
    assert closed.exit_code == 0 and "closed: Amazon refused" in closed.output
    twice = claimdesk("case", "close", "acme", reopened["reference"], "--reason", "again")
    assert twice.exit_code == 1 and "already closed" in twice.output

    with sessions() as session:
        actions = [e.action for e in case_queries.audit_events(session, seller.installation_id)]
        actors = {e.actor for e in case_queries.audit_events(session, seller.installation_id)}
    assert actions == [
        "case_open", "case_record", "case_reimbursed", "case_delete", "case_open", "case_close",
    ]  # fmt: skip
    assert actors == {f"cli:{getpass.getuser()}", "claimdesk"}


@pytest.mark.parametrize("language", ["en", "fr"])
def test_text_and_workbook(
    claimdesk: Callable[..., Result], seller: Seller, tmp_path: Path, language: str
) -> None:
    claim = next(c for c in seller.claims if c.kind == "inbound_shortage" and c.status == CLAIMABLE)
    text = claimdesk("case", "text", "acme", "--claim", key(claim), "--lang", language, "--json")
    assert text.exit_code == 0, text.output
    found = json.loads(text.output)
    assert found["language"] == language and claim.reference_id in found["body"]
    assert found["seller_central_url"].endswith("/fba/inbound-queue")
    plain = claimdesk("case", "text", "acme", "--claim", key(claim), "--lang", language)
    assert plain.exit_code == 0 and found["seller_central_url"] in plain.output

    out = tmp_path / "evidence.xlsx"
    written = claimdesk(
        "case", "workbook", "acme", "--claim", key(claim), "--lang", language, "--out", str(out)
    )
    assert written.exit_code == 0, written.output
    book = load_workbook(io.BytesIO(out.read_bytes()))
    assert len(book.sheetnames) == 2 and claim.reference_id in book.sheetnames[1]


def test_bad_input_gets_a_clear_message(claimdesk: Callable[..., Result], seller: Seller) -> None:
    bad_key = claimdesk("case", "open", "acme", "--claim", "warehouse_lost")
    assert bad_key.exit_code == 2 and "KIND:REFERENCE:SKU" in bad_key.output
    unknown = claimdesk("case", "open", "acme", "--claim", "warehouse_lost:1:NOPE")
    assert unknown.exit_code == 1 and "no claim warehouse_lost:1:NOPE" in unknown.output
    bad_case = claimdesk("case", "close", "acme", "twelve", "--reason", "x")
    assert bad_case.exit_code == 2 and "not a case" in bad_case.output
    missing = claimdesk("case", "delete", "acme", "C-000777")
    assert missing.exit_code == 1 and "no case C-000777" in missing.output
    nobody = claimdesk("cases", "nobody")
    assert nobody.exit_code == 1 and "no installation named 'nobody'" in nobody.output
