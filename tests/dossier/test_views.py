"""The audit and dossier endpoints on the real store and Redis: who may call them, what they
record, what they refuse, and that one installation never sees another's orders."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from plugin.services import audit
from plugin.store import sidebar_queries as sq
from plugin.store.models import AuditEvent
from tests.sidebar.support import (
    AMAZON_ORDER,
    TRACKING_NUMBER,
    add_history,
    add_order,
    add_tracking,
    order_document,
)

Bearer = Callable[..., dict[str, str]]
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture
def shop(sessions: sessionmaker[Session], make_installation: Callable[[str], int]) -> int:
    """An installation with one order, its parcel and its history, not connected to Zendesk."""
    installation_id = make_installation("shop")
    with sessions.begin() as session:
        add_order(session, installation_id)
        add_tracking(session, installation_id, fetched=datetime.now(UTC) - timedelta(hours=1))
        add_history(session, installation_id)
    return installation_id


def events(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count()).select_from(AuditEvent)) or 0)


def unzip(data: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {n.split("/", 1)[1]: archive.read(n).decode() for n in archive.namelist()}


# --- reply insert ---------------------------------------------------------------------------


def test_reply_insert_is_recorded_for_the_agent_with_the_snapshot_as_proof(
    client: FlaskClient, bearer: Bearer, sessions: sessionmaker[Session], shop: int
) -> None:
    answer = client.post(
        "/api/v1/audit/reply-insert",
        json={
            "ticket_id": "31",
            "order_id": AMAZON_ORDER,
            "tracking_number": TRACKING_NUMBER,
            "carrier": "UPS",
        },
        headers=bearer(shop),
    )
    assert answer.status_code == 201, answer.get_data(as_text=True)
    with sessions() as session:
        (event,) = audit.events_for_ticket(session, shop, 31)
        assert event.id == answer.get_json()["id"]
        assert event.actor == "agent:7"  # the app token's user
        assert event.action == "reply_insert"
        assert event.order_id == AMAZON_ORDER
        snapshot = event.proof["tracking_snapshot"]  # type: ignore[index]
        assert (snapshot["carrier"], snapshot["tracking_number"]) == ("ups", TRACKING_NUMBER)
        assert snapshot["status"] == "in_transit"
        assert event.detail["carrier"] == "ups"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"order_id": AMAZON_ORDER}, 400),  # no tracking number
        ({"tracking_number": TRACKING_NUMBER}, 400),  # no order
        ({"order_id": AMAZON_ORDER, "tracking_number": TRACKING_NUMBER, "ticket_id": "x"}, 400),
        ({"order_id": AMAZON_ORDER, "tracking_number": ["1Z"]}, 400),
        ({"order_id": AMAZON_ORDER, "tracking_number": "1Z\nX"}, 400),
        ({"order_id": AMAZON_ORDER, "tracking_number": "1ZUNKNOWN"}, 404),
        ({"order_id": "999-0000000-0000000", "tracking_number": TRACKING_NUMBER}, 404),
    ],
)
def test_bad_reply_inserts_are_refused_and_record_nothing(
    client: FlaskClient,
    bearer: Bearer,
    sessions: sessionmaker[Session],
    shop: int,
    body: dict[str, object],
    status: int,
) -> None:
    before = events(sessions)
    answer = client.post("/api/v1/audit/reply-insert", json=body, headers=bearer(shop))
    assert answer.status_code == status
    assert answer.get_json()["message"]
    assert events(sessions) == before


def test_reply_insert_needs_an_app_token(
    client: FlaskClient, sessions: sessionmaker[Session], shop: int, bearer: Bearer
) -> None:
    body = {"order_id": AMAZON_ORDER, "tracking_number": TRACKING_NUMBER}
    before = events(sessions)
    assert client.post("/api/v1/audit/reply-insert", json=body).status_code == 401
    forged = bearer(shop, secret="not-the-secret")
    assert client.post("/api/v1/audit/reply-insert", json=body, headers=forged).status_code == 401
    assert events(sessions) == before


def test_no_route_changes_or_deletes_audit_events(app: Flask) -> None:
    for rule in app.url_map.iter_rules():
        if "audit" in rule.rule:
            assert rule.methods is not None
            assert not rule.methods & {"PUT", "PATCH", "DELETE"}, rule


# --- dossier export -------------------------------------------------------------------------


def test_the_export_gives_the_zip_to_an_app_token_in_the_query(
    client: FlaskClient, bearer: Bearer, shop: int
) -> None:
    token = bearer(shop)["Authorization"].removeprefix("Bearer ")
    answer = client.get(f"/api/v1/orders/{AMAZON_ORDER}/dossier?token={token}&locale=fr")
    assert answer.status_code == 200
    assert answer.headers["Content-Disposition"].startswith("attachment")
    assert f"dossier-{AMAZON_ORDER}.zip" in answer.headers["Content-Disposition"]
    files = unzip(answer.data)
    document = json.loads(files["dossier.json"])
    assert document["order"]["order_id"] == AMAZON_ORDER
    assert document["locale"] == "fr"
    assert "Chronologie de la commande" in files["dossier.html"]
    # The store's history is all there: claims, the case event, the parcel.
    assert {c["kind"] for c in document["claims"]} == {
        "return_disputed_grading",
        "return_not_received",
    }
    assert [e["action"] for e in document["audit"]] == ["case_open"]
    assert [p["tracking_number"] for p in document["tracking"]] == [TRACKING_NUMBER]
    assert document["tickets"] == [] and document["gaps"] == []


def test_a_linked_ticket_without_zendesk_credentials_is_a_stated_gap(
    client: FlaskClient, bearer: Bearer, sessions: sessionmaker[Session], shop: int
) -> None:
    with sessions.begin() as session:
        sq.link_ticket(session, shop, 77, [("amazon", AMAZON_ORDER, "subject")], datetime.now(UTC))
    answer = client.get(f"/api/v1/orders/{AMAZON_ORDER}/dossier", headers=bearer(shop))
    assert answer.status_code == 200
    files = unzip(answer.data)
    document = json.loads(files["dossier.json"])
    assert [t["ticket_id"] for t in document["tickets"]] == [77]
    assert document["tickets"][0]["read_from_zendesk"] is False
    assert [g["reason"] for g in document["gaps"]] == ["zendesk_not_connected"]
    assert 'id="gaps"' in files["dossier.html"]


def test_another_installations_order_is_not_found_and_nothing_leaks(
    client: FlaskClient,
    bearer: Bearer,
    sessions: sessionmaker[Session],
    make_installation: Callable[[str], int],
    shop: int,
) -> None:
    other = make_installation("other")
    answer = client.get(f"/api/v1/orders/{AMAZON_ORDER}/dossier", headers=bearer(other))
    assert answer.status_code == 404
    text = answer.get_data(as_text=True)
    assert AMAZON_ORDER not in text and TRACKING_NUMBER not in text
    assert answer.headers["Content-Type"] == "application/json"
    # The same id in the other installation is that installation's own order only.
    with sessions.begin() as session:
        add_order(session, other, buyer="someone@example.com")
    mine = unzip(client.get(f"/api/v1/orders/{AMAZON_ORDER}/dossier", headers=bearer(other)).data)
    document = json.loads(mine["dossier.json"])
    assert document["installation"]["name"] == "other"
    assert document["order"]["buyer_email"] == "someone@example.com"
    assert document["tracking"] == [] and document["claims"] == [] and document["audit"] == []


def test_the_export_needs_an_app_token(client: FlaskClient, shop: int) -> None:
    answer = client.get(f"/api/v1/orders/{AMAZON_ORDER}/dossier")
    assert answer.status_code == 401
    assert AMAZON_ORDER not in answer.get_data(as_text=True)


def test_customer_text_is_escaped_in_the_page(
    client: FlaskClient, bearer: Bearer, sessions: sessionmaker[Session], shop: int
) -> None:
    """Markup in an audit summary, a product title and a buyer address stays text."""
    with sessions.begin() as session:
        audit.record(
            session,
            shop,
            actor="claimdesk",
            action="note",
            summary=HOSTILE,
            order_id=AMAZON_ORDER,
            proof={"row": HOSTILE},
            now=datetime.now(UTC),
        )
    files = unzip(client.get(f"/api/v1/orders/{AMAZON_ORDER}/dossier", headers=bearer(shop)).data)
    html = files["dossier.html"]
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "<script" not in html.lower()
    assert "default-src 'none'" in html
    assert json.loads(files["dossier.json"])["audit"][-1]["summary"] == HOSTILE


def test_an_unreadable_order_document_leaves_a_dossier_with_the_gap_stated(
    client: FlaskClient, bearer: Bearer, sessions: sessionmaker[Session], shop: int
) -> None:
    """A package time without a zone cannot be placed on the timeline: the rest still comes."""
    with sessions.begin() as session:
        add_order(session, shop, "113-0000000-0000001", document=order_document(
            "113-0000000-0000001", ship_time="2026-09-02T08:00:00"
        ))  # fmt: skip
    answer = client.get("/api/v1/orders/113-0000000-0000001/dossier", headers=bearer(shop))
    assert answer.status_code == 200
    files = unzip(answer.data)
    document = json.loads(files["dossier.json"])
    assert document["timeline"] == []
    assert [(g["part"], g["reason"]) for g in document["gaps"]] == [("timeline", "failed")]
    assert document["order"]["items"][0]["sku"] == "MUG-1"
    assert "timeline could not be built" in files["dossier.html"]
