"""The JSON API end to end: tokens, tenants, and the wizard's round trip on a generated seller.

The round trip runs on claims the engine really finds in a generated seller's reports, stored
as a sync stores them: the workbook then holds real source rows.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from plugin.domain.claims import find_claims
from plugin.services.claim_store import save_claims
from plugin.services.ingest import load_inputs
from plugin.store.models import AuditEvent
from tests.claims_view.conftest import NOW, AddClaim, Web
from tests.store.test_reconcile_equivalence import ingest_folder

# Every endpoint of the API, with a body where it takes one.
ENDPOINTS = [
    ("GET", "/api/v1/claims", None),
    ("GET", "/api/v1/claims/summary", None),
    ("GET", "/api/v1/claims/warehouse_lost:1:SKU/workbook?lang=en", None),
    ("GET", "/api/v1/claims/warehouse_lost:1:SKU/case-text?lang=en", None),
    ("GET", "/api/v1/cases", None),
    ("POST", "/api/v1/cases", {"claims": ["warehouse_lost:1:SKU"]}),
    ("POST", "/api/v1/cases/1/case-id", {"amazon_case_id": "123"}),
    ("POST", "/api/v1/cases/1/close", {"reason": "no"}),
    ("DELETE", "/api/v1/cases/1", None),
]


def call(web: Web, method: str, path: str, body: Any = None, **headers: str) -> Any:
    return web.client.open(path, method=method, json=body, headers=headers)


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
def test_every_endpoint_refuses_a_call_without_a_valid_token(
    web: Web, make_installation: Callable[[str], int], method: str, path: str, body: Any
) -> None:
    acme = make_installation("acme")
    expired = web.token(acme, now=datetime.now(UTC) - timedelta(hours=2))
    forged = web.token(acme)[:-4] + "AAAA"
    for headers, reason in (
        ({}, "missing_token"),
        ({"Authorization": f"Bearer {expired}"}, "expired"),
        ({"Authorization": f"Bearer {forged}"}, "bad_app_token"),
    ):
        response = call(web, method, path, body, **headers)
        assert response.status_code == 401, (headers, response.get_data(as_text=True))
        assert response.get_json()["reason"] == reason


def test_the_page_refuses_without_a_token_in_readable_html(web: Web) -> None:
    response = web.client.get("/claims/")
    assert response.status_code == 401
    assert response.content_type.startswith("text/html")
    assert "could not sign you in" in response.get_data(as_text=True)
    assert web.client.get("/claims/?token=nonsense").status_code == 401


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS[2:4])
def test_unknown_claims_are_404_and_bad_keys_or_languages_are_400(
    web: Web, make_installation: Callable[[str], int], method: str, path: str, body: Any
) -> None:
    acme = make_installation("acme")
    auth = {"Authorization": f"Bearer {web.token(acme)}"}
    missing = call(web, method, path, body, **auth)
    assert missing.status_code == 404
    assert "no claim warehouse_lost:1:SKU" in missing.get_json()["message"]
    bad_key = call(web, method, path.replace("warehouse_lost:1:SKU", "nonsense"), body, **auth)
    assert bad_key.status_code == 400
    assert "'nonsense' is not a claim key" in bad_key.get_json()["message"]
    bad_language = call(web, method, path.replace("lang=en", "lang=xx"), body, **auth)
    assert bad_language.status_code == 400
    assert "lang must be one of en, fr" in bad_language.get_json()["message"]


def test_bad_request_bodies_are_400_with_a_message(
    web: Web, make_installation: Callable[[str], int]
) -> None:
    acme = make_installation("acme")
    auth = web.headers(acme)
    not_json = web.client.post("/api/v1/cases", data="claims=1", headers=auth)
    assert not_json.status_code == 400 and "JSON object" in not_json.get_json()["message"]
    for body, message in (
        ({"claims": []}, "non-empty list of claim keys"),
        ({"claims": "warehouse_lost:1:SKU"}, "non-empty list"),
        ({"claims": ["warehouse_lost:1:SKU"], "amazon_case_id": 12}, "must be text"),
    ):
        response = web.client.post("/api/v1/cases", json=body, headers=auth)
        assert response.status_code == 400 and message in response.get_json()["message"]
    missing_reason = web.client.post("/api/v1/cases/1/close", json={}, headers=auth)
    assert missing_reason.status_code == 400
    assert "reason is required" in missing_reason.get_json()["message"]


def test_a_tenant_never_sees_or_touches_another_tenants_claims_or_cases(
    web: Web, make_installation: Callable[[str], int], add_claim: AddClaim
) -> None:
    acme, globex = make_installation("acme"), make_installation("globex")
    theirs = add_claim(acme, reference_id="ACME-ONLY", sku="ACME-SKU")
    add_claim(globex, reference_id="GLOBEX-ONLY", sku="GLOBEX-SKU")
    key = f"{theirs.kind}:{theirs.reference_id}:{theirs.sku}"
    a, b = web.headers(acme), web.headers(globex)
    opened = web.client.post("/api/v1/cases", json={"claims": [key]}, headers=a)
    assert opened.status_code == 201
    case_id = opened.get_json()["id"]

    listed = web.client.get("/api/v1/claims", headers=b).get_json()
    assert [c["reference_id"] for c in listed["claims"]] == ["GLOBEX-ONLY"]
    assert web.client.get("/api/v1/claims?q=ACME", headers=b).get_json()["total"] == 0
    assert web.client.get("/api/v1/cases", headers=b).get_json()["cases"] == []
    summary = web.client.get("/api/v1/claims/summary", headers=b).get_json()
    assert summary["total"]["claims"] == 1
    for method, path, body in (
        ("GET", f"/api/v1/claims/{key}/case-text?lang=en", None),
        ("GET", f"/api/v1/claims/{key}/workbook?lang=en", None),
        ("POST", "/api/v1/cases", {"claims": [key], "amazon_case_id": "111"}),
        ("POST", f"/api/v1/cases/{case_id}/case-id", {"amazon_case_id": "222"}),
        ("POST", f"/api/v1/cases/{case_id}/close", {"reason": "not mine"}),
        ("DELETE", f"/api/v1/cases/{case_id}", None),
    ):
        response = call(web, method, path, body, **b)
        assert response.status_code == 404, (method, path, response.get_data(as_text=True))
        # Nothing of Acme's comes back, beyond the key the caller sent.
        assert "ACME" not in response.get_data(as_text=True).replace(key, "")
    page = web.client.get(f"/claims/?token={web.token(globex)}").get_data(as_text=True)
    assert "ACME-ONLY" not in page and "GLOBEX-ONLY" in page
    # Acme's case is untouched.
    acme_cases = web.client.get("/api/v1/cases", headers=a).get_json()["cases"]
    assert [(c["id"], c["status"], c["amazon_case_id"]) for c in acme_cases] == [
        (case_id, "open", None)
    ]


# --- the wizard's round trip on a generated seller -----------------------------------------

AS_OF = date(2026, 10, 31)


@pytest.fixture(scope="session")
def generated_seller(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from plugin.generator import generate_seller

    directory = tmp_path_factory.mktemp("claims-view-seller")
    generate_seller(directory, seed=11, as_of=AS_OF, ledger_rows=3000)
    return directory


@pytest.fixture
def seller(
    sessions: sessionmaker[Session], make_installation: Callable[[str], int], generated_seller: Path
) -> int:
    installation_id = make_installation("acme")
    ingest_folder(sessions, installation_id, generated_seller)
    with sessions.begin() as session:
        claims = find_claims(load_inputs(session, installation_id), AS_OF)
        save_claims(session, installation_id, claims, NOW)
    return installation_id


@pytest.mark.slow
def test_the_wizard_round_trip_files_records_closes_and_deletes_a_case(
    web: Web, sessions: sessionmaker[Session], seller: int
) -> None:
    auth = web.headers(seller)
    listed = web.client.get("/api/v1/claims?kind=warehouse_lost&per_page=200", headers=auth)
    claim = listed.get_json()["claims"][0]
    key = claim["key"]

    text = web.client.get(f"/api/v1/claims/{key}/case-text?lang=en", headers=auth).get_json()
    assert claim["reference_id"] in text["body"] and claim["sku"] in text["body"]
    assert text["seller_central_url"].startswith("https://sellercentral")
    assert text["checklist"] and text["open_case"] is None
    french = web.client.get(f"/api/v1/claims/{key}/case-text?lang=fr", headers=auth).get_json()
    assert french["language"] == "fr" and french["body"] != text["body"]
    assert claim["reference_id"] in french["body"]
    chinese = web.client.get(f"/api/v1/claims/{key}/case-text?lang=zh-cn", headers=auth)
    assert chinese.get_json()["language"] == "zh-cn"
    assert chinese.get_json()["body"] not in (text["body"], french["body"])

    # The download link takes the token in the URL (a link cannot send a header).
    token = auth["Authorization"].removeprefix("Bearer ")
    download = web.client.get(f"/api/v1/claims/{key}/workbook?lang=en&token={token}")
    assert download.status_code == 200
    assert download.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment" in download.headers["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(download.data), read_only=True)
    cells = {
        str(value)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if value is not None
    }
    assert len(book.worksheets) >= 2 and claim["reference_id"] in cells

    opened = web.client.post(
        "/api/v1/cases", json={"claims": [key], "amazon_case_id": "17012345678"}, headers=auth
    )
    assert opened.status_code == 201, opened.get_data(as_text=True)
    case = opened.get_json()
    assert (case["status"], case["amazon_case_id"], case["opened_by"]) == (
        "open", "17012345678", "agent:7"
    )  # fmt: skip
    assert [c["key"] for c in case["claims"]] == [key]
    again = web.client.post("/api/v1/cases", json={"claims": [key]}, headers=auth)
    assert again.status_code == 409 and again.get_json()["case_id"] == case["id"]
    assert (
        web.client.get("/api/v1/claims?case=yes", headers=auth).get_json()["claims"][0]["key"]
        == key
    )
    wizard = web.client.get(f"/api/v1/claims/{key}/case-text?lang=en", headers=auth).get_json()
    assert wizard["in_open_case"] is True and wizard["open_case"]["id"] == case["id"]

    recorded = web.client.post(
        f"/api/v1/cases/{case['id']}/case-id", json={"amazon_case_id": "17099999999"}, headers=auth
    )
    assert recorded.status_code == 200 and recorded.get_json()["amazon_case_id"] == "17099999999"
    cases = web.client.get("/api/v1/cases", headers=auth).get_json()
    assert [c["id"] for c in cases["cases"]] == [case["id"]]
    assert set(cases["totals"]["by_attribution"]) <= {"amazon_own", "ours", "elsewhere"}

    closed = web.client.post(
        f"/api/v1/cases/{case['id']}/close", json={"reason": "Amazon <b>refused</b>"}, headers=auth
    )
    assert closed.status_code == 200 and closed.get_json()["status"] == "closed"
    close_again = web.client.post(
        f"/api/v1/cases/{case['id']}/close", json={"reason": "twice"}, headers=auth
    )
    assert close_again.status_code == 409
    page = web.client.get(f"/claims/?token={token}").get_data(as_text=True)
    assert "Amazon &lt;b&gt;refused&lt;/b&gt;" in page and "<b>refused" not in page

    deleted = web.client.delete(f"/api/v1/cases/{case['id']}", headers=auth)
    assert deleted.status_code == 200 and deleted.get_json() == {"deleted": case["id"]}
    assert web.client.get("/api/v1/cases", headers=auth).get_json()["cases"] == []
    assert web.client.get("/api/v1/claims?case=yes", headers=auth).get_json()["total"] == 0
    with sessions.begin() as session:
        actions = session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.installation_id == seller, AuditEvent.actor == "agent:7")
            .order_by(AuditEvent.id)
        ).all()
    assert actions == ["case_open", "case_record", "case_close", "case_delete"]
