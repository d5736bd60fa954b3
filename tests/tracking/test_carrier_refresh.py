"""Live tracking through the carriers' sandboxes over HTTP, on SQLite and PostgreSQL with real
Redis: each carrier's answer stored (status, events, ETA, delivery time, proof), the TTL of
each status, tokens shared between workers, Amazon's ``getOrder`` when the installation has no
account with the carrier (or the carrier refuses it, or does not know the number), and the
bulk refresh batched per carrier call."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
from cryptography.fernet import Fernet
from rq import Queue
from sqlalchemy.orm import Session, sessionmaker

from connectors.amazon.client import AmazonClient
from connectors.amazon.sandbox import AmazonSandbox
from connectors.amazon.sandbox import start_sandbox as start_amazon
from connectors.amazon.sandbox_data import tracking_number
from connectors.carriers import CarrierClient
from connectors.carriers.sandbox import CarrierSandbox, Credentials, start_sandbox
from connectors.carriers.sandbox_data import (
    DELIVERED,
    Seed,
    Shipment,
    milestones,
)
from plugin.domain import tracking as domain
from plugin.services import carrier_accounts as accounts
from plugin.services import tracking
from plugin.store import queries, tracking_queries
from plugin.store.crypto import CredentialsError, Keyring
from plugin.store.models import TicketLink
from tests.connectors.amazon_support import CREDENTIALS, client_for
from tests.tracking.support import moving_order_ids, write_orders

NOW = datetime.now(UTC).replace(microsecond=0)
NAMES = {"ups": "UPS", "fedex": "FedEx", "usps": "USPS", "dhl": "DHL"}
CARRIERS = tuple(NAMES)
# The sandbox's parcels: hours since pickup (72 h in transit): delivered, moving, out for delivery.
AGES = {"delivered": 100, "moving": 30, "out": 68}
BULK_FEDEX = 65
BULK_UPS = 3
# Our clients pace themselves under each carrier's plan; the tests' sandbox runs its rate
# windows 1000 times faster, so the clients may too.
LIMITS = {"rate": 1000.0, "burst": 5, "max_wait": 5.0, "backoff_base": 0.01}


def number(carrier: str, label: str) -> str:
    return tracking_number(NAMES[carrier], f"live-{carrier}-{label}")


def seed() -> Seed:
    shipments = [
        Shipment(carrier=c, number=number(c, label), shipped_at=NOW - timedelta(hours=hours))
        for c in CARRIERS
        for label, hours in AGES.items()
    ]
    for carrier, count in (("fedex", BULK_FEDEX), ("ups", BULK_UPS)):
        shipments += [
            Shipment(
                carrier=carrier,
                number=number(carrier, f"bulk-{i}"),
                shipped_at=NOW - timedelta(hours=30),
            )
            for i in range(count)
        ]
    return Seed(shipments)


@pytest.fixture(scope="module")
def carriers() -> Iterator[CarrierSandbox]:
    with start_sandbox(seed(), time_scale=1000.0) as running:
        yield running


@pytest.fixture
def sandbox(carriers: CarrierSandbox) -> CarrierSandbox:
    carriers.clear_requests()
    carriers.expire_tokens()
    return carriers


@pytest.fixture
def keyring() -> Keyring:
    return Keyring([Fernet.generate_key().decode()])


Factory = Callable[[Session, int, str], CarrierClient | None]


@pytest.fixture
def factory(keyring: Keyring, redis_connection: redis.Redis) -> Factory:
    """What a worker builds: the installation's stored account, Redis tokens and pacing."""

    def build(session: Session, installation_id: int, carrier: str) -> CarrierClient | None:
        return accounts.carrier_client(
            session, keyring, redis_connection, installation_id, carrier, LIMITS
        )

    return build


def connect(
    sessions: sessionmaker[Session],
    keyring: Keyring,
    name: str,
    sandbox: CarrierSandbox,
    carrier: str,
    *,
    wrong: bool = False,
) -> int:
    credentials = Credentials()
    if carrier == "dhl":
        secrets = accounts.CarrierCredentials(
            carrier, api_key="wrong" if wrong else credentials.dhl_api_key
        )
    else:
        client_id, secret = credentials.client(carrier)
        secrets = accounts.CarrierCredentials(
            carrier, client_id=client_id, client_secret="wrong" if wrong else secret
        )
    secrets = accounts.CarrierCredentials(
        carrier,
        secrets.client_id,
        secrets.client_secret,
        secrets.api_key,
        url=sandbox.base_url(carrier),
    )
    with sessions.begin() as session:
        installation, _ = accounts.connect_carrier(session, keyring, name, secrets, NOW)
        return installation.id


def store_snapshot(
    sessions: sessionmaker[Session],
    installation_id: int,
    carrier: str,
    parcel: str,
    *,
    order_id: str = "113-0000001-0000001",
    status: str = domain.IN_TRANSIT,
    fetched_at: datetime = NOW - timedelta(hours=3),
    link_ticket: int | None = None,
) -> None:
    """A snapshot as the Amazon sync stores it, expired."""
    row: dict[str, Any] = {
        "carrier": carrier,
        "tracking_number": parcel,
        "channel": "amazon",
        "order_id": order_id,
        "status": status,
        "status_detail": "SHIPPED",
        "events": [],
        "estimated_delivery": None,
        "delivered_at": None,
        "proof": None,
        "source": tracking.SOURCE_AMAZON_ORDERS,
        "fetched_at": fetched_at,
        "expires_at": fetched_at + timedelta(hours=1),
    }
    with sessions.begin() as session:
        tracking_queries.upsert_snapshots(session, installation_id, [row])
        if link_ticket is not None:
            session.add(
                TicketLink(
                    installation_id=installation_id,
                    ticket_id=link_ticket,
                    channel="amazon",
                    order_id=order_id,
                    found_in="subject",
                    linked_at=NOW,
                )
            )


def refresh(
    sessions: sessionmaker[Session],
    installation_id: int,
    carrier: str,
    numbers: list[str],
    factory: Factory,
    amazon: Callable[[Session, int], AmazonClient] | None = None,
    at: datetime = NOW,
) -> list[tracking.TrackingView]:
    def no_amazon(_session: Session, _installation: int) -> AmazonClient:
        raise AssertionError("Amazon was asked although the carrier answered")

    with sessions() as session:
        views = tracking.refresh_snapshots(
            session,
            installation_id,
            carrier,
            numbers,
            at,
            amazon or no_amazon,
            carrier_factory=factory,
        )
        session.commit()
    return views


@pytest.mark.parametrize("carrier", CARRIERS)
def test_a_delivered_parcel_is_stored_with_its_delivery_time_and_proof(
    sessions: sessionmaker[Session],
    keyring: Keyring,
    sandbox: CarrierSandbox,
    factory: Factory,
    carrier: str,
) -> None:
    shop = connect(sessions, keyring, "shop", sandbox, carrier)
    parcel = number(carrier, "delivered")
    store_snapshot(sessions, shop, carrier, parcel, order_id="113-1111111-1111111")
    (view,) = refresh(sessions, shop, carrier, [parcel], factory)
    assert view.status == domain.DELIVERED and not view.stale
    assert view.expires_at == NOW + domain.TTL_POLICY[domain.DELIVERED]
    shipment = sandbox.shipment(carrier, parcel)
    assert shipment is not None
    scans = milestones(shipment, sandbox.now())
    delivered = next(m for m in scans if m.stage == DELIVERED)
    with sessions() as session:
        stored = tracking_queries.snapshot(session, shop, carrier, parcel)
        assert stored is not None
        assert stored.source == carrier
        assert stored.order_id == "113-1111111-1111111" and stored.channel == "amazon"
        assert stored.delivered_at is not None
        assert abs(stored.delivered_at - delivered.time) < timedelta(seconds=1)
        assert stored.proof is not None and stored.proof["signed_by"] == shipment.signer()
        assert len(stored.events) == len(scans)
        assert stored.events[0]["time"] == view.last_event["time"]  # type: ignore[index]
        times = [datetime.fromisoformat(e["time"]) for e in stored.events]
        assert times == sorted(times, reverse=True)  # newest first
        assert stored.estimated_delivery is None  # delivered: no ETA any more
    calls = [r for r in sandbox.requests if r.carrier == carrier and r.route == "track"]
    assert len(calls) == 1


@pytest.mark.parametrize("carrier", CARRIERS)
def test_the_time_to_live_follows_the_carriers_status(
    sessions: sessionmaker[Session],
    keyring: Keyring,
    sandbox: CarrierSandbox,
    factory: Factory,
    carrier: str,
) -> None:
    shop = connect(sessions, keyring, "shop", sandbox, carrier)
    moving, out = number(carrier, "moving"), number(carrier, "out")
    for parcel in (moving, out):
        store_snapshot(sessions, shop, carrier, parcel)
    views = {v.tracking_number: v for v in refresh(sessions, shop, carrier, [moving, out], factory)}
    assert views[moving].status == domain.IN_TRANSIT
    assert views[moving].expires_at - NOW == timedelta(hours=2)
    assert views[out].status == domain.OUT_FOR_DELIVERY
    assert views[out].expires_at - NOW == timedelta(minutes=10)
    for view in views.values():
        assert view.estimated_delivery is not None and view.estimated_delivery > NOW
    # Fresh snapshots are not stale; ten minutes on, the one out for delivery is.
    with sessions() as session:
        stale = tracking_queries.stale_snapshots(session, shop, NOW + timedelta(minutes=10))
        assert [s.tracking_number for s in stale] == [out]


def test_workers_share_one_token_through_redis(
    sessions: sessionmaker[Session],
    keyring: Keyring,
    sandbox: CarrierSandbox,
    factory: Factory,
    redis_connection: redis.Redis,
) -> None:
    shop = connect(sessions, keyring, "shop", sandbox, "fedex")
    parcels = [number("fedex", label) for label in AGES]
    for parcel in parcels:
        store_snapshot(sessions, shop, "fedex", parcel)
    for parcel in parcels:  # each refresh builds its own client, as separate jobs would
        refresh(sessions, shop, "fedex", [parcel], factory)
    assert sandbox.tokens_issued("fedex") == 1
    stored = [
        redis_connection.get(key) for key in redis_connection.keys("claimdesk:carrier-token:*")
    ]
    assert len(stored) == 1 and stored[0] is not None
    assert b"sandbox" not in stored[0]  # encrypted, not the token itself
    # A token the carrier revoked is dropped and fetched again, once.
    sandbox.expire_tokens("fedex")
    refresh(sessions, shop, "fedex", [parcels[0]], factory)
    assert sandbox.tokens_issued("fedex") == 2


def parcel_carrier(amazon: AmazonSandbox, order_id: str) -> str:
    with client_for(amazon) as client:
        order = client.get_order(order_id, included_data=["PACKAGES"])
    return str(tracking.order_snapshots(order, NOW)[0]["carrier"])


@pytest.fixture(scope="module")
def order_id(tmp_path_factory: pytest.TempPathFactory) -> str:
    """An order the SP-API sandbox ships with one of the four carriers (not Amazon's own)."""
    candidates = moving_order_ids(40, NOW, start=500)
    folder = write_orders(
        tmp_path_factory.mktemp("probe"), [(c, NOW - timedelta(days=2)) for c in candidates]
    )
    with start_amazon(folder, credentials=CREDENTIALS) as probe:
        for candidate in candidates:
            if parcel_carrier(probe, candidate) in CARRIERS:
                return candidate
    raise AssertionError("no sandbox order ships with UPS, FedEx, USPS or DHL")


@pytest.fixture
def amazon(tmp_path: Path, order_id: str) -> Iterator[AmazonSandbox]:
    folder = write_orders(tmp_path / "seller", [(order_id, NOW - timedelta(days=2))])
    with start_amazon(folder, time_scale=500.0, credentials=CREDENTIALS) as running:
        yield running


def synced_from_amazon(
    sessions: sessionmaker[Session], installation_id: int, amazon: AmazonSandbox, order_id: str
) -> tuple[str, str]:
    with client_for(amazon) as client:
        order = client.get_order(order_id, included_data=["BUYER", "PACKAGES", "FULFILLMENT"])
    rows = tracking.order_snapshots(order, NOW - timedelta(hours=3))
    with sessions.begin() as session:
        queries.upsert_orders(session, installation_id, tracking.order_rows([order]), NOW)
        tracking_queries.upsert_snapshots(session, installation_id, rows)
    return rows[0]["carrier"], rows[0]["tracking_number"]


def test_without_a_carrier_account_amazon_is_asked(
    sessions: sessionmaker[Session],
    make_installation: Callable[[str], int],
    amazon: AmazonSandbox,
    order_id: str,
    factory: Factory,
) -> None:
    shop = make_installation("shop")
    carrier, parcel = synced_from_amazon(sessions, shop, amazon, order_id)
    asked: list[int] = []

    def amazon_client(_session: Session, installation_id: int) -> AmazonClient:
        asked.append(installation_id)
        return client_for(amazon)

    amazon.advance(8 * 86400)
    (view,) = refresh(sessions, shop, carrier, [parcel], factory, amazon_client)
    assert asked == [shop]
    assert view.status == domain.DELIVERED
    with sessions() as session:
        stored = tracking_queries.snapshot(session, shop, carrier, parcel)
        assert stored is not None and stored.source == "amazon:orders"


@pytest.mark.parametrize("why", ["refused", "unknown"])
def test_amazon_is_asked_when_the_carrier_refuses_or_does_not_know(
    sessions: sessionmaker[Session],
    keyring: Keyring,
    sandbox: CarrierSandbox,
    amazon: AmazonSandbox,
    order_id: str,
    factory: Factory,
    why: str,
) -> None:
    carrier = parcel_carrier(amazon, order_id)
    shop = connect(sessions, keyring, "shop", sandbox, carrier, wrong=why == "refused")
    assert synced_from_amazon(sessions, shop, amazon, order_id)[0] == carrier
    parcel = synced_from_amazon(sessions, shop, amazon, order_id)[1]
    asked: list[int] = []

    def amazon_client(_session: Session, installation_id: int) -> AmazonClient:
        asked.append(installation_id)
        return client_for(amazon)

    (view,) = refresh(sessions, shop, carrier, [parcel], factory, amazon_client)
    assert asked == [shop]  # the SP-API sandbox's parcel is not in the carrier sandbox
    calls = [r for r in sandbox.requests if r.carrier == carrier]
    assert calls, "the carrier was asked first"
    if why == "refused":
        assert all(r.route == "token" or r.status in (401, 403) for r in calls)
    with sessions() as session:
        stored = tracking_queries.snapshot(session, shop, carrier, parcel)
        assert stored is not None and stored.source == "amazon:orders"
        assert stored.fetched_at == NOW


def test_a_parcel_no_source_knows_keeps_its_snapshot_for_another_while(
    sessions: sessionmaker[Session],
    keyring: Keyring,
    sandbox: CarrierSandbox,
    factory: Factory,
) -> None:
    shop = connect(sessions, keyring, "shop", sandbox, "dhl")
    unknown = tracking_number("DHL", "never-shipped")
    store_snapshot(sessions, shop, "dhl", unknown, order_id="", status=domain.PENDING)
    (view,) = refresh(sessions, shop, "dhl", [unknown], factory)
    assert view.status == domain.PENDING and view.fetched_at == NOW
    assert view.expires_at == NOW + domain.TTL_POLICY[domain.PENDING]


def test_the_bulk_refresh_batches_by_carrier_call(
    sessions: sessionmaker[Session],
    keyring: Keyring,
    sandbox: CarrierSandbox,
    factory: Factory,
    redis_connection: redis.Redis,
) -> None:
    shop = connect(sessions, keyring, "shop", sandbox, "fedex")
    connect(sessions, keyring, "shop", sandbox, "ups")
    fedex = [number("fedex", f"bulk-{i}") for i in range(BULK_FEDEX)]
    ups = [number("ups", f"bulk-{i}") for i in range(BULK_UPS)]
    usps = [number("usps", "moving"), number("usps", "out")]  # no USPS account: Amazon's
    for index, (carrier, parcel) in enumerate(
        [("fedex", n) for n in fedex] + [("ups", n) for n in ups] + [("usps", n) for n in usps]
    ):
        store_snapshot(
            sessions, shop, carrier, parcel, order_id=f"113-{index:07d}-0000000", link_ticket=index
        )
    with sessions() as session:
        work = tracking.open_refresh_work(session, NOW, 500)
        ((installation_id, views),) = work
        sizes = tracking.carrier_batch_sizes(
            session, installation_id, {v.carrier for v in views}, factory
        )
    assert sizes == {"fedex": 30, "ups": 1}
    queued = tracking.request_batch_refresh(redis_connection, shop, views, sizes)
    assert queued == BULK_FEDEX + BULK_UPS + len(usps)
    jobs = Queue(tracking.REFRESH_QUEUE, connection=redis_connection).get_jobs()
    batches = sorted(
        (job.args[1], len(job.args[2]))
        for job in jobs
        if job.func_name == tracking.REFRESH_BATCH_JOB
    )
    assert batches == [("fedex", 5), ("fedex", 30), ("fedex", 30)] + [("ups", 1)] * BULK_UPS
    singles = sorted(job.args[2] for job in jobs if job.func_name == tracking.REFRESH_JOB)
    assert singles == sorted(usps)
    # The same stale parcels again: every job exists, nothing is enqueued twice.
    assert tracking.request_batch_refresh(redis_connection, shop, views, sizes) == 0
    # Run the batch jobs' work: one FedEx call per 30 numbers.
    for job in jobs:
        if job.func_name == tracking.REFRESH_BATCH_JOB:
            _, carrier, chunk = job.args
            views_done = refresh(sessions, shop, carrier, list(chunk), factory)
            assert {v.status for v in views_done} == {domain.IN_TRANSIT}
    calls = [r for r in sandbox.requests if r.carrier == "fedex" and r.route == "track"]
    sizes_sent = sorted(len(r.body["trackingInfo"]) for r in calls)
    assert sizes_sent == [5, 30, 30]
    with sessions() as session:
        left = tracking.open_refresh_work(session, NOW, 500)
    assert sorted(v.tracking_number for _, vs in left for v in vs) == sorted(usps)


def test_answers_are_matched_by_number_not_by_position(
    sessions: sessionmaker[Session],
    keyring: Keyring,
    sandbox: CarrierSandbox,
    factory: Factory,
) -> None:
    """A carrier that answers out of order, or leaves a number out, must not give one parcel
    another's status: answers are matched by the number they name."""
    shop = connect(sessions, keyring, "shop", sandbox, "fedex")
    delivered, moving = number("fedex", "delivered"), number("fedex", "moving")
    for parcel in (delivered, moving):
        store_snapshot(sessions, shop, "fedex", parcel, order_id="113-2222222-2222222")
    leave_out: set[str] = set()

    class Shuffling:
        """The real client, its answers in reverse order, some left out."""

        def __init__(self, inner: CarrierClient) -> None:
            self.inner = inner
            self.max_batch = inner.max_batch

        def track(self, numbers: Any) -> Any:
            answers = [a for a in self.inner.track(numbers) if a.number not in leave_out]
            return list(reversed(answers))

    def shuffling(session: Session, installation_id: int, carrier: str) -> CarrierClient | None:
        inner = factory(session, installation_id, carrier)
        return None if inner is None else Shuffling(inner)  # type: ignore[return-value]

    def no_amazon(_session: Session, _installation: int) -> AmazonClient:
        raise CredentialsError("no Amazon credentials in this test")

    views = refresh(sessions, shop, "fedex", [delivered, moving], shuffling, no_amazon)
    by_number = {view.tracking_number: view for view in views}
    assert by_number[delivered].status == domain.DELIVERED
    assert by_number[moving].status != domain.DELIVERED
    # A parcel whose answer is left out keeps its own snapshot, never the other's answer.
    out = number("fedex", "out")
    store_snapshot(sessions, shop, "fedex", out, order_id="113-2222222-2222222")
    leave_out.add(out)
    refresh(sessions, shop, "fedex", [out, moving], shuffling, no_amazon)
    with sessions() as session:
        kept = tracking_queries.snapshot(session, shop, "fedex", out)
        assert kept is not None and kept.source == tracking.SOURCE_AMAZON_ORDERS
