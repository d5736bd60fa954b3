"""The sidebar over HTTP: signed page, panels and JSON behind the app token, escaping, time
zones and languages, on the real store and Redis."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from html import unescape
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape
from rq import Queue
from sqlalchemy.orm import Session, sessionmaker

from plugin import create_app
from plugin.domain.tracking import tracking_url
from plugin.extensions import resources
from plugin.security.app_token import mint_app_token, read_app_token
from plugin.services.zendesk_accounts import ZendeskCredentials, connect_zendesk
from plugin.store import tracking_queries
from plugin.store.crypto import generate_key
from tests.sidebar.conftest import SECRET
from tests.sidebar.support import (
    AMAZON_ORDER,
    BUYER,
    NOW,
    TRACKING_NUMBER,
    add_history,
    add_order,
    add_tracking,
    add_warehouse_claim,
)
from tests.store.conftest import Database

Sessions = sessionmaker[Session]
Bearer = Callable[..., dict[str, str]]
DEADLINE = datetime.now(UTC).date() + timedelta(days=10)
SIGNED_URL = "/sidebar?origin=https://acme.zendesk.com&app_guid=g-1"


def seed(sessions: Sessions, installation_id: int, *, fetched: datetime | None = None) -> None:
    """An order with its history; the claim's deadline 10 days from today (the views' clock)."""
    with sessions.begin() as session:
        add_order(session, installation_id)
        add_history(session, installation_id, deadline=DEADLINE)
        add_tracking(session, installation_id, fetched=fetched or datetime.now(UTC))


def panels(client: FlaskClient, headers: dict[str, str], **values: Any) -> Any:
    response = client.post("/sidebar/panels", json=values, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json


# --- the signed page ---------------------------------------------------------------------


@pytest.fixture
def zendesk_key(app: Flask) -> tuple[rsa.RSAPrivateKey, int]:
    """Installation "acme-seller" connected to Zendesk acme / 101 with a pinned public key."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )
    found = resources(app)
    with found.session() as session:
        installation, _ = connect_zendesk(
            session,
            found.keyring,
            "acme-seller",
            subdomain="acme",
            zendesk_installation_id=101,
            app_id=None,
            url=None,
            secrets=ZendeskCredentials(public_key_pem=pem),
            now=datetime.now(UTC),
        )
        return private, installation.id


def launch_token(private: rsa.RSAPrivateKey) -> str:
    at = int(datetime.now(UTC).timestamp())
    claims = {
        "iss": "acme.zendesk.com",
        "aud": "https://acme.zendesk.com/api/v2/apps/installations/101.json",
        "sub": "https://acme.zendesk.com/api/v2/users/7.json",
        "iat": at,
        "nbf": at,
        "exp": at + 300,
        "context": {"product": "support", "location": "ticket_sidebar"},
    }
    return jwt.encode(claims, private, algorithm="RS256")


def test_the_signed_page_embeds_an_app_token_and_loads_the_sdk(
    client: FlaskClient, zendesk_key: tuple[rsa.RSAPrivateKey, int]
) -> None:
    private, installation_id = zendesk_key
    response = client.post(SIGNED_URL, data={"token": launch_token(private)})
    assert response.status_code == 200, response.get_data(as_text=True)
    html = response.get_data(as_text=True)
    token = unescape(re.search(r'data-app-token="([^"]+)"', html).group(1))  # type: ignore[union-attr]
    identity = read_app_token(SECRET, token, datetime.now(UTC))
    assert (identity.installation_id, identity.user_id) == (installation_id, 7)
    assert identity.location == "ticket_sidebar"
    assert '<script src="/vendor/zaf_sdk.js"></script>' in html
    assert '<script src="/static/sidebar.js"></script>' in html
    for stable_id in ("panel-timeline", "panel-tracking", "panel-eligibility"):
        assert f'id="{stable_id}"' in html
    assert "Set-Cookie" not in response.headers  # the token is in the page, never a cookie
    assert response.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors" in response.headers["Content-Security-Policy"]


def test_the_page_without_a_signed_token_is_refused(client: FlaskClient) -> None:
    response = client.post(SIGNED_URL, data={})
    assert response.status_code == 401
    assert "data-app-token" not in response.get_data(as_text=True)


def test_production_loads_the_sdk_from_zendesk(
    app: Flask, client: FlaskClient, zendesk_key: tuple[rsa.RSAPrivateKey, int]
) -> None:
    app.config["ZAF_SDK_URL"] = (
        "https://static.zdassets.com/zendesk_app_framework_sdk/2.0/zaf_sdk.min.js"
    )
    html = client.post(SIGNED_URL, data={"token": launch_token(zendesk_key[0])}).get_data(
        as_text=True
    )
    assert (
        '<script src="https://static.zdassets.com/zendesk_app_framework_sdk/2.0/zaf_sdk.min.js">'
        in html
    )
    assert client.get("/vendor/zaf_sdk.js").status_code == 404


# --- tokens ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/sidebar/context", "/sidebar/panels"])
def test_data_needs_a_valid_app_token(
    client: FlaskClient, make_installation: Callable[[str], int], path: str
) -> None:
    seller = make_installation("seller")
    query = {"subject": AMAZON_ORDER}
    assert client.get(path, query_string=query).status_code == 401
    forged = mint_app_token(
        "not-our-secret", installation_id=seller, user_id=1, location="ticket_sidebar", now=NOW
    )
    for token in (forged, "garbage", ""):
        response = client.get(
            path, query_string=query, headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 401
        assert AMAZON_ORDER not in response.get_data(as_text=True)
    expired = mint_app_token(
        SECRET,
        installation_id=seller,
        user_id=1,
        location="ticket_sidebar",
        now=datetime.now(UTC) - timedelta(hours=2),
    )
    response = client.get(path, query_string=query, headers={"Authorization": f"Bearer {expired}"})
    assert response.status_code == 401


def test_a_token_of_tenant_a_cannot_read_tenant_b(
    client: FlaskClient, sessions: Sessions, make_installation: Callable[[str], int], bearer: Bearer
) -> None:
    a, b = make_installation("seller-a"), make_installation("seller-b")
    seed(sessions, b)
    query = {"order_id": AMAZON_ORDER, "requester_email": BUYER}
    # Tenant B's own token sees its order first, so the same request is in the cache too.
    own = client.get("/api/v1/sidebar/context", query_string=query, headers=bearer(b)).json
    assert [order["order_id"] for order in own["orders"]] == [AMAZON_ORDER]
    assert TRACKING_NUMBER in str(panels(client, bearer(b), order_id=AMAZON_ORDER))
    body = client.get("/api/v1/sidebar/context", query_string=query, headers=bearer(a)).json
    assert body["orders"] == []
    assert body["looked_for"]["references"] == [
        {"channel": "amazon", "order_id": AMAZON_ORDER, "found_in": "order_field"}
    ]
    html = panels(client, bearer(a), order_id=AMAZON_ORDER)
    assert html["empty"] is True and TRACKING_NUMBER not in str(html)


# --- JSON --------------------------------------------------------------------------------


def test_the_json_document(
    client: FlaskClient, sessions: Sessions, make_installation: Callable[[str], int], bearer: Bearer
) -> None:
    seller = make_installation("seller")
    seed(sessions, seller)
    response = client.get(
        "/api/v1/sidebar/context",
        query_string={
            "subject": f"Order {AMAZON_ORDER}",
            "ticket_id": "42",
            "tz": "Europe/Paris",
            "locale": "fr-FR",
        },
        headers=bearer(seller),
    )
    assert response.status_code == 200
    body = response.json
    assert body["time_zone"] == "Europe/Paris" and body["locale"] == "fr"
    assert body["orders"] == [
        {
            "channel": "amazon",
            "order_id": AMAZON_ORDER,
            "marketplace": "US",
            "status": "SHIPPED",
            "purchased_at": "2026-09-01T22:30:00+00:00",
            "found_in": "subject",
        }
    ]
    timeline = body["panels"]["timeline"]
    assert timeline["ok"] is True
    ordered = timeline["orders"][AMAZON_ORDER][0]
    assert ordered == {
        "kind": "ordered",
        "at": "2026-09-01T22:30:00+00:00",
        "local_at": "2026-09-02T00:30:00+02:00",
        "date_only": False,
        "details": {"channel": "amazon"},
    }
    (parcel,) = body["panels"]["tracking"]["orders"][AMAZON_ORDER]
    assert parcel["tracking_number"] == TRACKING_NUMBER and parcel["stale"] is False
    assert parcel["url"].startswith("https://www.ups.com/")
    claims = body["panels"]["eligibility"]["orders"][AMAZON_ORDER]["claims"]
    assert body["panels"]["eligibility"]["orders"][AMAZON_ORDER]["other_sku_claims"] == []
    refund = next(c for c in claims if c["kind"] == "return_not_received")
    assert refund["estimated_amount"] == "19.99" and refund["disputed_grading"] is True
    assert refund["deadline"] == DEADLINE.isoformat() and refund["days_left"] == 10


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"tz": "Mars/Olympus"}, "IANA time zone"),
        ({"tz": "../../etc/passwd"}, "IANA time zone"),
        ({"ticket_id": "12abc"}, "ticket_id"),
        ({"ticket_id": "-3"}, "ticket_id"),
        ({"panel": "everything"}, "panel"),
    ],
)
def test_bad_input_is_a_clear_400(
    client: FlaskClient,
    make_installation: Callable[[str], int],
    bearer: Bearer,
    query: dict[str, str],
    message: str,
) -> None:
    seller = make_installation("seller")
    response = client.get("/sidebar/panels", query_string=query, headers=bearer(seller))
    assert response.status_code == 400
    assert response.json["error"] == "bad_request" and message in response.json["message"]


def test_a_post_body_must_be_a_json_object(
    client: FlaskClient, make_installation: Callable[[str], int], bearer: Bearer
) -> None:
    seller = make_installation("seller")
    response = client.post("/sidebar/panels", data="subject=x", headers=bearer(seller))
    assert response.status_code == 400 and "JSON object" in response.json["message"]
    response = client.post("/sidebar/panels", json={"subject": ["x"]}, headers=bearer(seller))
    assert response.status_code == 400 and "subject must be text" in response.json["message"]


# --- HTML panels -------------------------------------------------------------------------


def test_panels_show_the_facts_in_the_agents_time_zone(
    client: FlaskClient, sessions: Sessions, make_installation: Callable[[str], int], bearer: Bearer
) -> None:
    seller = make_installation("seller")
    seed(sessions, seller)
    with sessions.begin() as session:
        add_warehouse_claim(session, seller, "MUG-1", "X00AB12CD3")
    body = panels(
        client, bearer(seller), subject=AMAZON_ORDER, tz="America/Los_Angeles", locale="en-US"
    )
    assert body["empty"] is False and body["empty_state"] is None
    timeline = body["panels"]["timeline"]
    assert timeline.startswith('<section id="panel-timeline"')
    assert "2026-09-01 15:30 PDT" in timeline  # ordered at 22:30 UTC
    assert "Return received: 1 × MUG-1, graded SELLABLE" in timeline
    assert "Refunded 19.99 USD" in timeline
    assert "Amazon reimbursed 8.90 USD for 1 × MUG-1" in timeline
    tracking = body["panels"]["tracking"]
    assert 'class="insert-tracking"' in tracking and TRACKING_NUMBER in tracking
    insert = re.search(r'data-insert-html="([^"]*)"', tracking).group(1)  # type: ignore[union-attr]
    url = tracking_url("ups", TRACKING_NUMBER)
    assert url is not None and "&" in url  # the link's own "&" is escaped inside the HTML
    # The "Insert tracking" reply wording (tests/replies covers it): the link and the parcel.
    assert f'<a href="{escape(url)}">{escape(url)}</a>' in unescape(insert)
    assert f"UPS, tracking number {TRACKING_NUMBER}" in unescape(insert)
    text = re.search(r'data-insert-text="([^"]*)"', tracking).group(1)  # type: ignore[union-attr]
    assert f"Follow your parcel: {url}" in unescape(text)
    eligibility = body["panels"]["eligibility"]
    assert "Refunded, return never received" in eligibility
    assert f"Deadline {DEADLINE.isoformat()}: 10 days left" in eligibility
    assert "Disputed grading" in eligibility
    assert "/claims/?claim=return_not_received%3A112-1234567-7654321%3AMUG-1" in eligibility
    assert "refunded price: an upper bound" in eligibility
    assert "Other claims on MUG-1, not about this order: 1" in eligibility
    assert 'href="/claims/?q=MUG-1"' in eligibility
    assert AMAZON_ORDER in body["orders"] and "Marketplace: US" in body["orders"]

    shanghai = panels(client, bearer(seller), subject=AMAZON_ORDER, tz="Asia/Shanghai")
    assert "2026-09-02 06:30 CST" in shanghai["panels"]["timeline"]


@pytest.mark.parametrize(
    ("locale", "strings"),
    [
        (
            "fr",
            ["Historique", "Suivi", "Réclamations", "Retour reçu : 1 × MUG-1", "Insérer le suivi"],
        ),
        ("zh-CN", ["时间线", "物流跟踪", "索赔", "已收到退货：1 × MUG-1", "插入物流信息"]),
        ("de", ["Timeline", "Tracking", "Claims", "Insert tracking"]),  # no German: English
    ],
)
def test_panels_speak_the_agents_language(
    client: FlaskClient,
    sessions: Sessions,
    make_installation: Callable[[str], int],
    bearer: Bearer,
    locale: str,
    strings: list[str],
) -> None:
    seller = make_installation("seller")
    seed(sessions, seller)
    body = panels(client, bearer(seller), order_id=AMAZON_ORDER, locale=locale)
    html = "".join(body["panels"].values())
    for string in strings:
        assert string in html


def test_customer_text_is_escaped(
    client: FlaskClient, sessions: Sessions, make_installation: Callable[[str], int], bearer: Bearer
) -> None:
    seller = make_installation("seller")
    seed(sessions, seller)
    script = "<script>alert(1)</script>"
    with sessions.begin() as session:
        snapshot = tracking_queries.snapshot(session, seller, "ups", TRACKING_NUMBER)
        assert snapshot is not None
        snapshot.events = [
            {"time": None, "place": script, "text": '"><img src=x onerror=alert(2)>'}
        ]
    body = panels(
        client,
        bearer(seller),
        subject=f"{script} {AMAZON_ORDER}",
        description=script,
        requester_email=f"{script}@example.com",
    )
    html = "".join(body["panels"].values()) + body["orders"]
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body["panels"]["tracking"]
    assert "&#34;&gt;&lt;img src=x onerror=alert(2)&gt;" in body["panels"]["tracking"]

    empty = panels(client, bearer(seller), requester_email=f"{script}@example.com")
    assert empty["empty"] is True
    assert "<script>" not in empty["empty_state"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;@example.com" in empty["empty_state"]


def test_a_ticket_without_an_order_gets_a_helpful_empty_state(
    client: FlaskClient, make_installation: Callable[[str], int], bearer: Bearer
) -> None:
    seller = make_installation("seller")
    body = panels(
        client, bearer(seller), subject="Re: order #4321", requester_email="ann@example.com"
    )
    assert body["empty"] is True
    state = body["empty_state"]
    assert state.startswith('<section id="empty-state"')
    assert "No order found for this ticket" in state
    assert "112-1234567-1234567" in state and "#1001" in state and "18 digits" in state
    assert "orders placed with ann@example.com" in state
    assert "no order with them is stored: #4321" in state
    assert "Order ID field" in state
    fr = panels(client, bearer(seller), subject="bonjour", locale="fr")
    assert "Aucune commande trouvée pour ce ticket" in fr["empty_state"]
    assert "ce ticket n&#39;en a pas" in fr["empty_state"]


def test_stale_tracking_says_refreshing_and_queues_one_job(
    app: Flask,
    client: FlaskClient,
    sessions: Sessions,
    make_installation: Callable[[str], int],
    bearer: Bearer,
) -> None:
    seller = make_installation("seller")
    seed(sessions, seller, fetched=datetime.now(UTC) - timedelta(days=1))
    first = panels(client, bearer(seller), order_id=AMAZON_ORDER)
    assert first["refreshing"] is True
    assert "refreshing…" in first["panels"]["tracking"]
    assert 'data-refreshing="true"' in first["panels"]["tracking"]
    again = panels(client, bearer(seller), order_id=AMAZON_ORDER, panel="tracking")
    assert set(again["panels"]) == {"tracking"} and again["refreshing"] is True
    assert "orders" not in again
    queue = Queue("default", connection=resources(app).redis)
    assert queue.count == 1  # two loads, one job

    fresh = make_installation("fresh")
    seed(sessions, fresh)
    assert panels(client, bearer(fresh), order_id=AMAZON_ORDER)["refreshing"] is False


def test_a_failing_panel_shows_its_message_and_the_others_render(
    client: FlaskClient, sessions: Sessions, make_installation: Callable[[str], int], bearer: Bearer
) -> None:
    from tests.sidebar.support import order_document

    seller = make_installation("seller")
    with sessions.begin() as session:
        add_order(session, seller, document=order_document(ship_time="not a time"))
        add_history(session, seller)
    body = panels(client, bearer(seller), order_id=AMAZON_ORDER)
    assert "The timeline could not be built" in body["panels"]["timeline"]
    assert 'role="alert"' in body["panels"]["timeline"]
    assert "Refunded, return never received" in body["panels"]["eligibility"]
    json_body = client.get(
        "/api/v1/sidebar/context", query_string={"order_id": AMAZON_ORDER}, headers=bearer(seller)
    ).json
    assert json_body["panels"]["timeline"] == {
        "ok": False,
        "error": {
            "code": "timeline_failed",
            "message": "The timeline could not be built for this order. "
            "The other panels are not affected.",
        },
    }
    assert json_body["panels"]["eligibility"]["ok"] is True


def test_stale_tracking_with_redis_down_still_shows_the_stored_parcel(
    migrated: Database, sessions: Sessions, make_installation: Callable[[str], int]
) -> None:
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": SECRET,
            "DATABASE_URL": migrated.url,
            "REDIS_URL": "redis://127.0.0.1:1/0",  # nothing listens there
            "AUTO_MIGRATE": False,
            "CREDENTIALS_KEY": generate_key(),
        }
    )
    seller = make_installation("seller")
    seed(sessions, seller, fetched=datetime.now(UTC) - timedelta(days=1))
    token = mint_app_token(
        SECRET, installation_id=seller, user_id=7, location="ticket_sidebar", now=datetime.now(UTC)
    )
    try:
        body = panels(
            app.test_client(), {"Authorization": f"Bearer {token}"}, order_id=AMAZON_ORDER
        )
    finally:
        resources(app).close()
    assert body["refreshing"] is False  # no job could be queued: no spinner that never ends
    tracking = body["panels"]["tracking"]
    assert TRACKING_NUMBER in tracking and "Last checked" in tracking
    assert "refreshing…" not in tracking
