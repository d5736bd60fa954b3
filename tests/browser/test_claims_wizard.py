"""Issue 7's browser acceptance: the claim wizard for a generated claim, in the Zendesk
sandbox's nav_bar location. The workbook downloads and opens with openpyxl with the claim's
rows, the case text names the claim's ids, and the Amazon case id is recorded; the expected
values are read from the store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openpyxl
from sqlalchemy import select

from plugin.extensions import resources
from plugin.store import queries
from plugin.store.models import Case, ClaimRecord
from tests.browser.conftest import Stack, screenshot

TIMEOUT_MS = 20_000
CASE_ID = "19283746501"


def fileable_claim(stack: Stack) -> ClaimRecord:
    """A claim the table offers to file (its window is open today), from the store."""
    listed = stack.backend.claimdesk("claims", stack.installation, "--json")
    assert listed.exit_code == 0, listed.output
    claimable = {
        (c["kind"], c["reference_id"], c["sku"])
        for c in json.loads(listed.output)["claims"]
        if c["status"] == "claimable"
    }
    found = resources(stack.app)
    with found.session() as session:
        installation = queries.installation_by_name(session, stack.installation)
        assert installation is not None
        for claim in session.scalars(
            select(ClaimRecord)
            .where(ClaimRecord.installation_id == installation.id, ClaimRecord.gone_at.is_(None))
            .order_by(ClaimRecord.deadline)
        ):
            if (claim.kind, claim.reference_id, claim.sku) in claimable and claim.evidence:
                session.expunge(claim)
                return claim
    raise AssertionError("the generated seller has a claim that can be filed today")


def test_the_wizard_downloads_evidence_shows_case_text_and_records_the_case(
    page: Any, stack: Stack, tmp_path: Path
) -> None:
    claim = fileable_claim(stack)
    key = f"{claim.kind}:{claim.reference_id}:{claim.sku}"
    page.goto(f"{stack.zendesk.url}/agent/apps/claimdesk")
    frame = page.frame_locator("iframe#app-nav-bar")
    frame.locator("#claims-table").wait_for(timeout=TIMEOUT_MS)
    # Find the claim (the table is paged): search for its SKU, then open its wizard.
    search = frame.locator("input[name=q]")
    search.fill(claim.sku)
    search.press("Enter")
    row = frame.locator(f'tr.claim-row[data-claim="{key}"]')
    row.wait_for(timeout=TIMEOUT_MS)
    row.locator("a.file-claim").click()
    wizard = frame.locator("#wizard")
    wizard.wait_for(state="visible", timeout=TIMEOUT_MS)

    # Step 1: the workbook.
    with page.expect_download(timeout=TIMEOUT_MS) as download:
        frame.locator("#wizard-download").click()
    path = tmp_path / "evidence.xlsx"
    download.value.save_as(path)
    workbook = openpyxl.load_workbook(path, read_only=True)
    cells = {
        str(value)
        for sheet in workbook.worksheets
        for line in sheet.iter_rows(values_only=True)
        for value in line
        if value is not None
    }
    assert claim.reference_id in cells and claim.sku in cells
    for source in claim.evidence:
        # Every source row of the claim is in the workbook, with its file.
        assert any(str(source.get("file", "")) in cell for cell in cells), source
    workbook.close()

    # Step 2: the case text names the claim's ids.
    text = frame.locator("#case-text")
    text.wait_for(timeout=TIMEOUT_MS)
    body = text.inner_text()
    assert claim.reference_id in body and claim.sku in body
    if claim.fnsku:
        assert claim.fnsku in body
    assert (
        frame.locator("#seller-central")
        .get_attribute("href", timeout=TIMEOUT_MS)
        .startswith("https://")
    )

    # Step 3: record Amazon's case id.
    frame.locator("#case-id-input").fill(CASE_ID)
    frame.locator("#case-id-save").click()
    frame.locator("#wizard-status").filter(has_text=CASE_ID).wait_for(timeout=TIMEOUT_MS)
    frame.locator("#cases-table").filter(has_text=CASE_ID).wait_for(timeout=TIMEOUT_MS)
    screenshot(page, "claims-wizard")

    found = resources(stack.app)
    with found.session() as session:
        cases = list(session.scalars(select(Case).where(Case.amazon_case_id == CASE_ID)))
    assert len(cases) == 1
    assert (cases[0].kind, cases[0].sku, cases[0].status) == (claim.kind, claim.sku, "open")
    assert page.dialogs == []
