"""Snapshots in the store and the service the sidebar reads them through: per installation,
one row per parcel, stale ones flagged and refreshed by one job each."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import redis
from rq import Queue
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from plugin.services.tracking import (
    SOURCE_AMAZON_ORDERS,
    TrackingView,
    open_refresh_work,
    order_rows,
    order_snapshots,
    refresh_job_id,
    request_refresh,
    tracking_for_orders,
)
from plugin.store import queries, tracking_queries
from plugin.store.models import TicketLink, TrackingSnapshot

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def order(
    order_id: str, *packages: dict[str, Any], email: str = "a@marketplace.amazon.com"
) -> dict[str, Any]:
    return {
        "orderId": order_id,
        "createdTime": "2026-11-18T10:00:00Z",
        "lastUpdatedTime": "2026-11-19T10:00:00Z",
        "salesChannel": {"channelName": "AMAZON", "marketplaceId": "ATVPDKIKX0DER"},
        "buyer": {"buyerName": "Léa O'Brien", "buyerEmail": email},
        "fulfillment": {
            "fulfillmentStatus": "SHIPPED",
            "fulfilledBy": "MERCHANT",
            "deliverByWindow": {
                "earliestDateTime": "2026-11-21T00:00:00Z",
                "latestDateTime": "2026-11-23T00:00:00Z",
            },
        },
        "orderItems": [],
        "packages": list(packages),
    }


def package(carrier: str, number: str, status: str, detailed: str | None = None) -> dict[str, Any]:
    state = {"status": status} | ({"detailedStatus": detailed} if detailed else {})
    return {
        "packageReferenceId": "1",
        "carrier": carrier,
        "trackingNumber": number,
        "shipTime": "2026-11-18T16:00:00Z",
        "shippingService": "UPS Ground",
        "packageStatus": state,
    }


def store(
    sessions: sessionmaker[Session],
    installation_id: int,
    orders: list[dict[str, Any]],
    now: datetime = NOW,
) -> None:
    with sessions.begin() as session:
        queries.upsert_orders(session, installation_id, order_rows(orders), now)
        rows = [row for o in orders for row in order_snapshots(o, now)]
        tracking_queries.upsert_snapshots(session, installation_id, rows)


def count(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count()).select_from(TrackingSnapshot)) or 0)


def test_orders_and_their_parcels_are_stored_once(
    sessions: sessionmaker[Session], make_installation: Callable[[str], int]
) -> None:
    shop = make_installation("shop")
    first = order(
        "111-0000001-0000001",
        package("UPS", "1Z8W7E390268192801", "IN_TRANSIT", "OUT_FOR_DELIVERY"),
        package("AMZN_US", "tba 275755916880", "DELIVERED", "DELIVERED"),
    )
    store(sessions, shop, [first])
    store(sessions, shop, [first])  # a second sync, or two workers: still one row each
    assert count(sessions) == 2
    with sessions() as session:
        (stored,) = queries.orders_by_id(session, shop, ["111-0000001-0000001"])
        assert stored.buyer_email == "a@marketplace.amazon.com"
        assert stored.status == "SHIPPED" and stored.marketplace_id == "ATVPDKIKX0DER"
        assert stored.purchased_at == datetime(2026, 11, 18, 10, tzinfo=UTC)
        assert stored.data["packages"][0]["trackingNumber"] == "1Z8W7E390268192801"
        views = tracking_for_orders(session, shop, ["111-0000001-0000001"], NOW)
    by_carrier = {view.carrier: view for view in views}
    assert set(by_carrier) == {"ups", "amazon"}
    ups, amazon = by_carrier["ups"], by_carrier["amazon"]
    assert ups.status == "out_for_delivery" and ups.status_detail == "IN_TRANSIT / OUT_FOR_DELIVERY"
    assert ups.expires_at == NOW + timedelta(minutes=10) and ups.fetched_at == NOW
    assert ups.estimated_delivery == datetime(2026, 11, 23, tzinfo=UTC)
    assert ups.url == "https://www.ups.com/track?loc=en_US&tracknum=1Z8W7E390268192801"
    assert ups.last_event == {
        "time": "2026-11-18T16:00:00+00:00",
        "place": None,
        "text": "Shipped with UPS (UPS Ground)",
        "code": "shipped",
    }
    assert amazon.tracking_number == "TBA275755916880" and amazon.status == "delivered"
    assert amazon.estimated_delivery is None and amazon.expires_at == NOW + timedelta(days=7)
    assert not ups.stale and not amazon.stale


def test_views_turn_stale_at_their_expiry(
    sessions: sessionmaker[Session], make_installation: Callable[[str], int]
) -> None:
    shop = make_installation("shop")
    store(sessions, shop, [order("111-1", package("USPS", "9400111462757559168801", "IN_TRANSIT"))])
    with sessions() as session:
        (fresh,) = tracking_for_orders(session, shop, ["111-1"], NOW + timedelta(hours=1))
        (stale,) = tracking_for_orders(session, shop, ["111-1"], NOW + timedelta(hours=2))
        assert tracking_queries.stale_snapshots(session, shop, NOW + timedelta(hours=1)) == []
        (found,) = tracking_queries.stale_snapshots(session, shop, NOW + timedelta(hours=2))
    assert not fresh.stale and stale.stale and found.tracking_number == "9400111462757559168801"


def test_installations_never_see_each_others_parcels(
    sessions: sessionmaker[Session], make_installation: Callable[[str], int]
) -> None:
    shop, other = make_installation("shop"), make_installation("other")
    same = order("111-1", package("UPS", "1Z8W7E390268192801", "IN_TRANSIT"))
    store(sessions, shop, [same])
    store(sessions, other, [order("111-1", package("FedEx", "108568192800", "DELIVERED"))])
    later = NOW + timedelta(days=30)
    with sessions() as session:
        assert [v.carrier for v in tracking_for_orders(session, shop, ["111-1"], NOW)] == ["ups"]
        assert [v.carrier for v in tracking_for_orders(session, other, ["111-1"], NOW)] == ["fedex"]
        assert [s.carrier for s in tracking_queries.stale_snapshots(session, shop, later)] == [
            "ups"
        ]
        assert tracking_queries.snapshot(session, other, "ups", "1Z8W7E390268192801") is None
    assert count(sessions) == 2


def test_a_carriers_fresh_answer_is_not_undone_by_a_sync(
    sessions: sessionmaker[Session], make_installation: Callable[[str], int]
) -> None:
    shop = make_installation("shop")
    store(sessions, shop, [order("111-1", package("UPS", "1Z8W7E390268192801", "IN_TRANSIT"))])
    carrier_row = {
        "carrier": "ups", "tracking_number": "1Z8W7E390268192801", "channel": None,
        "order_id": None, "status": "out_for_delivery", "status_detail": "Out For Delivery Today",
        "events": [{"time": "2026-11-22T08:00:00+00:00", "place": "Reno, NV", "text": "Out"}],
        "estimated_delivery": None, "delivered_at": None, "proof": None, "source": "ups",
        "fetched_at": NOW, "expires_at": NOW + timedelta(minutes=10),
    }  # fmt: skip
    with sessions.begin() as session:
        tracking_queries.upsert_snapshots(session, shop, [carrier_row])
    # A sync five minutes later: Amazon's coarser word does not replace the carrier's.
    store(
        sessions,
        shop,
        [order("111-1", package("UPS", "1Z8W7E390268192801", "IN_TRANSIT"))],
        NOW + timedelta(minutes=5),
    )
    with sessions() as session:
        (view,) = tracking_for_orders(session, shop, ["111-1"], NOW)
        assert view.status == "out_for_delivery" and view.order_id == "111-1"
        assert view.last_event is not None and view.last_event["place"] == "Reno, NV"
    # Once the carrier's answer has expired, the sync's is the freshest there is.
    store(
        sessions,
        shop,
        [order("111-1", package("UPS", "1Z8W7E390268192801", "DELIVERED"))],
        NOW + timedelta(hours=1),
    )
    with sessions() as session:
        (view,) = tracking_for_orders(session, shop, ["111-1"], NOW)
        snapshot = tracking_queries.snapshot(session, shop, "ups", "1Z8W7E390268192801")
        assert view.status == "delivered" and snapshot is not None
        assert snapshot.source == SOURCE_AMAZON_ORDERS


def test_a_stale_parcel_is_refreshed_by_one_job_however_often_the_panel_asks(
    sessions: sessionmaker[Session],
    make_installation: Callable[[str], int],
    redis_connection: redis.Redis,
) -> None:
    shop = make_installation("shop")
    store(
        sessions,
        shop,
        [
            order(
                "111-1",
                package("UPS", "1Z8W7E390268192801", "IN_TRANSIT"),
                package("USPS", "9400111462757559168801", "DELIVERED"),
            )
        ],
    )
    later = NOW + timedelta(hours=3)  # the UPS parcel is stale, the delivered one is not
    with sessions() as session:
        views = tracking_for_orders(session, shop, ["111-1"], later)
    assert [v.stale for v in views] == [True, False]
    assert request_refresh(redis_connection, shop, views) == 1
    assert request_refresh(redis_connection, shop, views) == 0
    assert request_refresh(redis_connection, shop, views + views) == 0
    queue = Queue("default", connection=redis_connection)
    assert queue.get_job_ids() == [refresh_job_id(shop, "ups", "1Z8W7E390268192801")]
    job = queue.fetch_job(queue.get_job_ids()[0])
    assert job is not None
    assert job.func_name == "plugin.jobs.tracking.refresh_tracking"
    assert job.args == (shop, "ups", "1Z8W7E390268192801")
    # Another installation's parcel with the same number has its own job.
    assert request_refresh(redis_connection, shop + 1000, views) == 1
    # Once the job is gone (done: result_ttl=0 deletes it), the next expiry enqueues again.
    job.delete()
    assert request_refresh(redis_connection, shop, views) == 1


def test_the_fan_out_takes_stale_parcels_of_ticket_linked_orders_only(
    sessions: sessionmaker[Session], make_installation: Callable[[str], int]
) -> None:
    shop = make_installation("shop")
    store(
        sessions,
        shop,
        [
            order("111-1", package("UPS", "1Z8W7E390268192801", "IN_TRANSIT")),
            order("111-2", package("FedEx", "108568192800", "IN_TRANSIT")),
            order("111-3", package("USPS", "9400111462757559168801", "IN_TRANSIT")),
        ],
    )
    with sessions.begin() as session:
        for ticket, order_id in ((1, "111-1"), (2, "111-3")):
            session.add(
                TicketLink(
                    installation_id=shop,
                    ticket_id=ticket,
                    channel="amazon",
                    order_id=order_id,
                    found_in="subject",
                    linked_at=NOW,
                )
            )
    later = NOW + timedelta(hours=3)
    with sessions() as session:
        ((installation, views),) = open_refresh_work(session, later, limit=10)
        assert installation == shop
        assert sorted(v.order_id or "" for v in views) == ["111-1", "111-3"]
        assert all(isinstance(v, TrackingView) and v.stale for v in views)
        ((_, bounded),) = open_refresh_work(session, later, limit=1)
        assert len(bounded) == 1
        assert open_refresh_work(session, NOW, limit=10) == []
    # A second installation gets its share of a bounded batch.
    other = make_installation("other")
    store(sessions, other, [order("111-9", package("UPS", "1Z8W7E390268192801", "IN_TRANSIT"))])
    with sessions.begin() as session:
        session.add(
            TicketLink(
                installation_id=other,
                ticket_id=1,
                channel="amazon",
                order_id="111-9",
                found_in="subject",
                linked_at=NOW,
            )
        )
    with sessions() as session:
        shares = dict(open_refresh_work(session, later, limit=2))
        assert {key: len(value) for key, value in shares.items()} == {shop: 1, other: 1}
