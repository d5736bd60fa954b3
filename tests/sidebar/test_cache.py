"""The sidebar's answer cache: warm answers come from Redis, never across tenants, never
while a parcel is stale, and never older than the data they show allows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete
from sqlalchemy.orm import Session, sessionmaker

from plugin.store.models import TrackingSnapshot
from tests.sidebar.support import AMAZON_ORDER, TRACKING_NUMBER
from tests.sidebar.test_views import seed

Sessions = sessionmaker[Session]
Bearer = Callable[..., dict[str, str]]


def context(client: FlaskClient, headers: dict[str, str], **extra: str) -> tuple[str, dict]:
    response = client.get(
        "/api/v1/sidebar/context", query_string={"order_id": AMAZON_ORDER, **extra}, headers=headers
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.headers["X-Claimdesk-Cache"], response.json


def test_a_repeated_request_is_answered_from_the_cache(
    client: FlaskClient, sessions: Sessions, make_installation: Callable[[str], int], bearer: Bearer
) -> None:
    seller = make_installation("seller")
    seed(sessions, seller)
    first_state, first = context(client, bearer(seller))
    second_state, second = context(client, bearer(seller))
    assert (first_state, second_state) == ("miss", "hit")
    assert second == first and TRACKING_NUMBER in str(second)
    # The store changes; the cached answer stands until it expires or is bypassed.
    with sessions.begin() as session:
        session.execute(delete(TrackingSnapshot))
    assert context(client, bearer(seller))[0] == "hit"
    state, fresh = context(client, bearer(seller), fresh="1")
    assert state == "miss" and TRACKING_NUMBER not in str(fresh["panels"]["tracking"])


def test_tenants_and_time_zones_never_share_an_answer(
    client: FlaskClient, sessions: Sessions, make_installation: Callable[[str], int], bearer: Bearer
) -> None:
    a, b = make_installation("seller-a"), make_installation("seller-b")
    seed(sessions, a)
    assert context(client, bearer(a))[0] == "miss"
    state, other = context(client, bearer(b))
    assert state == "miss" and other["orders"] == []
    assert context(client, bearer(a), tz="Europe/Paris")[0] == "miss"


def test_nothing_is_cached_while_a_parcel_is_stale(
    client: FlaskClient, sessions: Sessions, make_installation: Callable[[str], int], bearer: Bearer
) -> None:
    seller = make_installation("seller")
    seed(sessions, seller, fetched=datetime.now(UTC) - timedelta(days=30))
    assert context(client, bearer(seller))[0] == "miss"
    assert context(client, bearer(seller))[0] == "miss"


def test_a_zero_lifetime_turns_the_cache_off(
    app: Flask,
    client: FlaskClient,
    sessions: Sessions,
    make_installation: Callable[[str], int],
    bearer: Bearer,
) -> None:
    app.config["SIDEBAR_CACHE_SECONDS"] = 0
    seller = make_installation("seller")
    seed(sessions, seller)
    assert context(client, bearer(seller))[0] == "miss"
    assert context(client, bearer(seller))[0] == "miss"
