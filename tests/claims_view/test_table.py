"""The claims table: order, filters and paging, through the JSON API and on the page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from plugin.services import cases as case_service
from tests.claims_view.conftest import NOW, AddClaim, Web


def _keys(body: dict[str, Any]) -> list[str]:
    return [claim["key"] for claim in body["claims"]]


def _get(web: Web, installation_id: int, query: str = "") -> dict[str, Any]:
    response = web.client.get(f"/api/v1/claims?{query}", headers=web.headers(installation_id))
    assert response.status_code == 200, response.get_data(as_text=True)
    body: dict[str, Any] = response.get_json()
    return body


def test_nearest_deadline_comes_first_then_undated_then_the_latest_expired(
    web: Web, make_installation: Callable[[str], int], add_claim: AddClaim
) -> None:
    acme = make_installation("acme")
    later = add_claim(acme, reference_id="LATER", deadline_in=30)
    soon = add_claim(acme, reference_id="SOON", deadline_in=2)
    old = add_claim(acme, reference_id="OLD", opens_in=-90, deadline_in=-40)
    recent = add_claim(acme, reference_id="RECENT", opens_in=-90, deadline_in=-3)
    undated = add_claim(acme, "inbound_shortage", reference_id="FBA1", opens_in=None,
                        deadline_in=None)  # fmt: skip
    waiting = add_claim(acme, reference_id="WAIT", opens_in=3, deadline_in=10)
    body = _get(web, acme)
    order = [soon, waiting, later, undated, recent, old]
    assert _keys(body) == [f"{r.kind}:{r.reference_id}:{r.sku}" for r in order]
    first = body["claims"][0]
    assert (first["days_left"], first["status"]) == (2, "claimable")
    assert first["estimated_amount"] == "17.80"
    assert body["claims"][1]["status"] == "waiting"
    assert body["claims"][-1]["status"] == "expired" and body["claims"][-1]["days_left"] == -40


def test_filters_by_kind_status_search_deadline_and_case(
    web: Web,
    sessions: sessionmaker[Session],
    make_installation: Callable[[str], int],
    add_claim: AddClaim,
) -> None:
    acme = make_installation("acme")
    lost = add_claim(acme, reference_id="482910331", sku="MUG-BLUE-12", deadline_in=5)
    damaged = add_claim(acme, "warehouse_damaged", reference_id="77", sku="TEA_POT%1",
                        asin="B0TEAPOT01", deadline_in=40)  # fmt: skip
    refund = add_claim(acme, "return_not_received", reference_id="113-1234567-7654321",
                       sku="KETTLE-1", deadline_in=6)  # fmt: skip
    expired = add_claim(acme, reference_id="999", opens_in=-90, deadline_in=-2)
    with sessions.begin() as session:
        case_service.open_case(
            session, acme, [(refund.kind, refund.reference_id, refund.sku)], actor="agent:1",
            now=NOW,
        )  # fmt: skip

    def key(record: Any) -> str:
        return f"{record.kind}:{record.reference_id}:{record.sku}"

    assert _keys(_get(web, acme, "kind=warehouse_damaged")) == [key(damaged)]
    assert _keys(_get(web, acme, "kind=warehouse_lost,warehouse_damaged")) == [
        key(lost), key(damaged), key(expired)
    ]  # fmt: skip
    assert _keys(_get(web, acme, "status=expired")) == [key(expired)]
    assert _keys(_get(web, acme, "status=claimable&status=expired")) == [
        key(lost), key(refund), key(damaged), key(expired)
    ]  # fmt: skip
    assert _keys(_get(web, acme, "q=b0teapot")) == [key(damaged)]  # ASIN, any case
    assert _keys(_get(web, acme, "q=1234567")) == [key(refund)]  # order ID
    assert _keys(_get(web, acme, "q=blue")) == [key(lost), key(expired)]  # part of a SKU
    # LIKE wildcards in the search are plain characters.
    assert _keys(_get(web, acme, "q=%25")) == [key(damaged)]
    assert _keys(_get(web, acme, "q=POT_")) == []
    assert _keys(_get(web, acme, "within=5")) == [key(lost)]
    assert _keys(_get(web, acme, "within=7")) == [key(lost), key(refund)]
    assert _keys(_get(web, acme, "case=yes")) == [key(refund)]
    assert key(refund) not in _keys(_get(web, acme, "case=no"))
    in_case = _get(web, acme, "case=yes")["claims"][0]
    assert in_case["in_case"] is True and in_case["case"]["status"] == "open"


def test_pages_split_the_filtered_list(
    web: Web, make_installation: Callable[[str], int], add_claim: AddClaim
) -> None:
    acme = make_installation("acme")
    made = [add_claim(acme, deadline_in=days) for days in range(1, 8)]
    keys = [f"{r.kind}:{r.reference_id}:{r.sku}" for r in made]
    first = _get(web, acme, "per_page=3")
    assert (first["total"], first["pages"], first["page"]) == (7, 3, 1)
    assert _keys(first) == keys[:3]
    assert _keys(_get(web, acme, "per_page=3&page=3")) == keys[6:]
    assert _keys(_get(web, acme, "per_page=3&page=4")) == []


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("kind=warehouse_stolen", "unknown kind 'warehouse_stolen'"),
        ("status=lost", "unknown status 'lost'"),
        ("within=-1", "within must be a whole number"),
        ("within=soon", "within must be a whole number"),
        ("case=maybe", "case must be yes, no or any"),
        ("per_page=1000", "per_page must be a whole number from 1 to 200"),
        ("page=0", "page must be a whole number"),
    ],
)
def test_a_bad_filter_is_a_400_that_says_what_to_send(
    web: Web, make_installation: Callable[[str], int], query: str, message: str
) -> None:
    acme = make_installation("acme")
    response = web.client.get(f"/api/v1/claims?{query}", headers=web.headers(acme))
    assert response.status_code == 400
    body = response.get_json()
    assert body["status"] == 400 and message in body["message"]


def test_the_page_shows_the_filtered_page_and_keeps_filters_in_its_links(
    web: Web, make_installation: Callable[[str], int], add_claim: AddClaim
) -> None:
    acme = make_installation("acme")
    for days in range(1, 5):
        add_claim(acme, deadline_in=days)
    add_claim(acme, "warehouse_damaged", reference_id="DMG1")
    token = web.token(acme)
    response = web.client.get(f"/claims/?token={token}&kind=warehouse_lost&per_page=2")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert page.count('class="claim-row') == 2
    assert "DMG1" not in page
    assert 'rel="next"' in page and "kind=warehouse_lost" in page and "page=2" in page
    assert 'data-days-left="1"' in page and "1 day left" in page


def test_a_bad_filter_on_the_page_shows_the_error_and_the_unfiltered_table(
    web: Web, make_installation: Callable[[str], int], add_claim: AddClaim
) -> None:
    acme = make_installation("acme")
    add_claim(acme, reference_id="VISIBLE1")
    response = web.client.get(f"/claims/?token={web.token(acme)}&within=banana")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'role="alert"' in page and "within must be a whole number" in page
    assert "VISIBLE1" in page
