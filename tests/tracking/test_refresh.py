"""``refresh_snapshot`` against the SP-API sandbox over HTTP, on SQLite and PostgreSQL: the
order re-read, an order Amazon no longer knows, a parcel no source can be asked about, a
snapshot of another installation."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from connectors.amazon.client import AmazonClient
from connectors.amazon.sandbox import AmazonSandbox, start_sandbox
from plugin.services.tracking import (
    TrackingError,
    no_carrier,
    order_rows,
    order_snapshots,
    refresh_snapshot,
)
from plugin.store import queries, tracking_queries
from plugin.store.crypto import CredentialsError
from tests.connectors.amazon_support import CREDENTIALS, client_for
from tests.tracking.support import moving_order_ids, write_orders

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture(scope="module")
def order_id() -> str:
    return moving_order_ids(1, NOW)[0]


@pytest.fixture
def sandbox(tmp_path: Path, order_id: str) -> Iterator[AmazonSandbox]:
    folder = write_orders(tmp_path / "seller", [(order_id, NOW - timedelta(days=2))])
    with start_sandbox(folder, time_scale=500.0, credentials=CREDENTIALS) as running:
        yield running


def synced(
    sessions: sessionmaker[Session], installation_id: int, sandbox: AmazonSandbox, order_id: str
) -> tuple[str, str]:
    """Store the order as the sync would; the (carrier, number) of its first parcel."""
    with client_for(sandbox) as client:
        order = client.get_order(order_id, included_data=["BUYER", "PACKAGES", "FULFILLMENT"])
    rows = order_snapshots(order, NOW)
    with sessions.begin() as session:
        queries.upsert_orders(session, installation_id, order_rows([order]), NOW)
        tracking_queries.upsert_snapshots(session, installation_id, rows)
    return rows[0]["carrier"], rows[0]["tracking_number"]


def factory(sandbox: AmazonSandbox) -> Callable[[Session, int], AmazonClient]:
    return lambda _session, _installation: client_for(sandbox)


def test_a_refresh_reads_the_order_again_and_stores_the_news(
    sessions: sessionmaker[Session],
    make_installation: Callable[[str], int],
    sandbox: AmazonSandbox,
    order_id: str,
) -> None:
    shop = make_installation("shop")
    carrier, number = synced(sessions, shop, sandbox, order_id)
    with sessions() as session:
        (before,) = [v for v in tracking_queries.snapshots_for_orders(session, shop, [order_id])]
        assert before.status != "delivered"
    sandbox.advance(8 * 86400)
    later = NOW + timedelta(hours=3)
    with sessions() as session:
        view = refresh_snapshot(
            session, shop, carrier, number, later, factory(sandbox), carrier_factory=no_carrier
        )
        session.commit()
    assert view.status == "delivered" and view.fetched_at == later and not view.stale
    assert view.expires_at == later + timedelta(days=7)
    with sessions() as session:
        (stored,) = queries.orders_by_id(session, shop, [order_id])
        assert stored.data["packages"][0]["packageStatus"]["status"] == "DELIVERED"
        assert stored.data["buyer"]["buyerEmail"].endswith("@marketplace.amazon.com")


def test_an_order_amazon_no_longer_knows_keeps_its_snapshot_for_another_while(
    sessions: sessionmaker[Session],
    make_installation: Callable[[str], int],
    sandbox: AmazonSandbox,
    order_id: str,
) -> None:
    shop = make_installation("shop")
    carrier, number = synced(sessions, shop, sandbox, order_id)
    with sessions.begin() as session:
        snapshot = tracking_queries.snapshot(session, shop, carrier, number)
        assert snapshot is not None
        snapshot.order_id = "114-0000000-0000000"  # an order the sandbox does not have
        status = snapshot.status
    later = NOW + timedelta(hours=3)
    with sessions() as session:
        view = refresh_snapshot(
            session, shop, carrier, number, later, factory(sandbox), carrier_factory=no_carrier
        )
        session.commit()
    assert view.status == status and view.fetched_at == later and not view.stale
    assert view.expires_at > later


def test_a_disconnected_installation_or_an_unknown_parcel(
    sessions: sessionmaker[Session],
    make_installation: Callable[[str], int],
    sandbox: AmazonSandbox,
    order_id: str,
) -> None:
    shop, other = make_installation("shop"), make_installation("other")
    carrier, number = synced(sessions, shop, sandbox, order_id)

    def disconnected(_session: Session, installation_id: int) -> AmazonClient:
        raise CredentialsError(f"installation {installation_id} has no amazon credentials")

    later = NOW + timedelta(hours=3)
    with sessions() as session:
        view = refresh_snapshot(
            session, shop, carrier, number, later, disconnected, carrier_factory=no_carrier
        )
        session.commit()
    assert view.fetched_at == later and not view.stale
    with sessions() as session, pytest.raises(TrackingError, match="no tracking of"):
        refresh_snapshot(
            session, other, carrier, number, later, factory(sandbox), carrier_factory=no_carrier
        )
