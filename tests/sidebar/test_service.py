"""The sidebar service against the real store: the right orders, one tenant, panels alone."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from plugin.domain import timeline as tl
from plugin.services import sidebar
from plugin.services.sidebar import SidebarError, TicketInput, sidebar_context
from plugin.store import sidebar_queries
from tests.sidebar.support import (
    AMAZON_ORDER,
    BUYER,
    NOW,
    TRACKING_NUMBER,
    add_history,
    add_order,
    add_tracking,
    add_warehouse_claim,
    order_document,
)

Sessions = sessionmaker[Session]


def context(sessions: Sessions, installation_id: int, **ticket: object) -> sidebar.SidebarContext:
    with sessions.begin() as session:
        return sidebar_context(session, installation_id, TicketInput(**ticket), NOW)  # type: ignore[arg-type]


def test_an_order_named_in_the_subject_with_every_panel(
    sessions: Sessions, make_installation: Callable[[str], int]
) -> None:
    seller = make_installation("seller")
    with sessions.begin() as session:
        add_order(session, seller)
        add_history(session, seller)
        add_tracking(session, seller, fetched=NOW - timedelta(minutes=5))
    found = context(sessions, seller, subject=f"Where is {AMAZON_ORDER}?")

    (order,) = found.orders
    assert (order.channel, order.order_id, order.marketplace, order.found_in) == (
        "amazon",
        AMAZON_ORDER,
        "US",
        "subject",
    )
    events = found.timeline.data[AMAZON_ORDER]
    assert [e.kind for e in events] == [
        tl.ORDERED,
        tl.SHIPPED,
        tl.REFUNDED,
        tl.RETURN_RECEIVED,
        tl.CLAIM_FOUND,
        tl.CLAIM_FOUND,
        tl.REIMBURSED,  # approved on Oct 30 (a day: sorted at its start)
        tl.CLAIM_OPENED,  # Oct 30, 12:00 UTC
    ]
    assert events[3].details["disposition"] == "SELLABLE"
    assert events[6].details["amount"] == "8.90"

    (parcel,) = found.tracking.data[AMAZON_ORDER]
    assert (parcel.carrier, parcel.tracking_number, parcel.stale) == ("ups", TRACKING_NUMBER, False)

    claims = {line.kind: line for line in found.eligibility.data[AMAZON_ORDER].claims}
    assert set(claims) == {"return_disputed_grading", "return_not_received"}
    refund = claims["return_not_received"]
    assert (refund.units, refund.estimated_amount, refund.currency) == (1, Decimal("19.99"), "USD")
    assert refund.valuation_basis == "refunded_principal"
    assert refund.days_left == 10 and refund.status == "claimable"
    assert refund.disputed_grading  # the same order and SKU was graded sellable despite damage
    assert refund.claims_url == ("/claims/?claim=return_not_received%3A112-1234567-7654321%3AMUG-1")
    assert claims["return_disputed_grading"].deadline is None
    assert claims["return_disputed_grading"].days_left is None


def test_claims_on_the_orders_skus_elsewhere_are_counted(
    sessions: Sessions, make_installation: Callable[[str], int]
) -> None:
    seller, other = make_installation("seller"), make_installation("other")
    with sessions.begin() as session:
        add_order(session, seller)
        add_history(session, seller)
        add_warehouse_claim(session, seller, "MUG-1", "X00AB12CD3")
        add_warehouse_claim(session, seller, "TEA-9", "X00ZZ99ZZ9")  # not in the order
        add_warehouse_claim(session, other, "MUG-1", "X00AB12CD3")  # another seller's
    found = context(sessions, seller, order_field=AMAZON_ORDER)
    eligibility = found.eligibility.data[AMAZON_ORDER]
    assert len(eligibility.claims) == 2  # the order's own claims are not counted again
    assert eligibility.other_sku_claims == [
        sidebar.SkuClaims("MUG-1", 1, "/claims/?q=MUG-1"),
    ]


def test_orders_of_the_requester_by_email(
    sessions: Sessions, make_installation: Callable[[str], int]
) -> None:
    seller = make_installation("seller")
    with sessions.begin() as session:
        for n in range(7):
            add_order(
                session,
                seller,
                f"112-0000000-000000{n}",
                purchased_at=NOW - timedelta(days=30 - n),
            )
        add_order(session, seller, "112-9999999-9999999", buyer="someone@else.example")
    found = context(sessions, seller, requester_email=f"  {BUYER.upper()} ")
    # The newest five only, newest first; none of another buyer's.
    assert [o.order_id for o in found.orders] == [f"112-0000000-000000{n}" for n in (6, 5, 4, 3, 2)]
    assert {o.found_in for o in found.orders} == {"email"}


def test_a_referenced_order_comes_first_and_keeps_where_it_was_named(
    sessions: Sessions, make_installation: Callable[[str], int]
) -> None:
    seller = make_installation("seller")
    with sessions.begin() as session:
        add_order(session, seller, "112-0000000-0000001", purchased_at=NOW - timedelta(days=40))
        add_order(session, seller, "112-0000000-0000002", purchased_at=NOW - timedelta(days=2))
    found = context(sessions, seller, order_field="112-0000000-0000001", requester_email=BUYER)
    assert [(o.order_id, o.found_in) for o in found.orders] == [
        ("112-0000000-0000001", "order_field"),
        ("112-0000000-0000002", "email"),
    ]


def test_shopify_numbers_match_with_or_without_hash_and_only_shopify(
    sessions: Sessions, make_installation: Callable[[str], int]
) -> None:
    seller = make_installation("seller")
    with sessions.begin() as session:
        add_order(session, seller, "1001", channel="shopify", document={"name": "#1001"})
        add_order(session, seller, "#1002", channel="shopify", document={"name": "#1002"})
        add_order(session, seller, "1003", channel="amazon", document={})
    found = context(sessions, seller, description="Orders #1001, #1002 and #1003 are late")
    assert [(o.channel, o.order_id) for o in found.orders] == [
        ("shopify", "1001"),
        ("shopify", "#1002"),
    ]


def test_tenants_never_mix(sessions: Sessions, make_installation: Callable[[str], int]) -> None:
    a, b = make_installation("seller-a"), make_installation("seller-b")
    with sessions.begin() as session:
        add_order(session, a, AMAZON_ORDER, buyer="ann@example.com")
        add_order(session, b, AMAZON_ORDER, buyer="bob@example.com")  # the same id in B
        add_history(session, b, AMAZON_ORDER)
        add_tracking(session, b, AMAZON_ORDER, fetched=NOW)
        add_order(session, b, "113-7777777-7777777", buyer="bob@example.com")
    found = context(
        sessions,
        a,
        subject=f"{AMAZON_ORDER} and 113-7777777-7777777",
        requester_email="bob@example.com",
    )
    assert [o.order_id for o in found.orders] == [AMAZON_ORDER]
    assert [e.kind for e in found.timeline.data[AMAZON_ORDER]] == [tl.ORDERED, tl.SHIPPED]
    assert found.tracking.data[AMAZON_ORDER] == []
    assert found.eligibility.data[AMAZON_ORDER].claims == []
    assert found.eligibility.data[AMAZON_ORDER].other_sku_claims == []  # B's MUG-1 claims


def test_a_failing_panel_leaves_the_others(
    sessions: Sessions, make_installation: Callable[[str], int]
) -> None:
    seller = make_installation("seller")
    with sessions.begin() as session:
        # A package whose shipTime is not a time: the timeline cannot be built.
        add_order(session, seller, document=order_document(ship_time="yesterday-ish"))
        add_history(session, seller)
        add_tracking(session, seller, fetched=NOW)
    found = context(sessions, seller, subject=AMAZON_ORDER, ticket_id=42)
    assert found.timeline.error == "timeline_failed" and not found.timeline.data
    assert found.tracking.ok and found.tracking.data[AMAZON_ORDER]
    assert found.eligibility.ok and len(found.eligibility.data[AMAZON_ORDER].claims) == 2


def test_a_database_error_in_one_panel_rolls_back_only_that_panel(
    sessions: Sessions,
    make_installation: Callable[[str], int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On PostgreSQL a failed statement aborts the transaction: each panel has a savepoint."""
    seller = make_installation("seller")
    with sessions.begin() as session:
        add_order(session, seller)
        add_history(session, seller)

    def broken(session: Session, *args: object) -> object:
        session.execute(text("SELECT no_such_column FROM tracking_snapshots"))
        raise AssertionError("unreachable")

    monkeypatch.setattr(sidebar, "tracking_for_orders", broken)
    found = context(sessions, seller, subject=AMAZON_ORDER, ticket_id=42)
    assert found.tracking.error == "tracking_failed"
    assert found.timeline.ok and found.eligibility.ok
    assert len(found.eligibility.data[AMAZON_ORDER].claims) == 2
    with sessions.begin() as session:  # the ticket link written before the panels was kept
        assert len(sidebar_queries.ticket_links(session, seller, 42)) == 1


def test_ticket_links_are_recorded_once(
    sessions: Sessions, make_installation: Callable[[str], int]
) -> None:
    seller, other = make_installation("seller"), make_installation("other")
    with sessions.begin() as session:
        add_order(session, seller)
        add_order(session, seller, "112-0000000-0000009", purchased_at=NOW)
    context(sessions, seller, subject=AMAZON_ORDER, requester_email=BUYER, ticket_id=42)
    context(sessions, seller, description=AMAZON_ORDER, requester_email=BUYER, ticket_id=42)
    context(sessions, seller, subject=AMAZON_ORDER)  # no ticket id: nothing recorded
    with sessions.begin() as session:
        links = sidebar_queries.ticket_links(session, seller, 42)
        assert [(link.order_id, link.found_in) for link in links] == [
            (AMAZON_ORDER, "subject"),
            ("112-0000000-0000009", "email"),
        ]
        assert sidebar_queries.ticket_links(session, other, 42) == []


def test_no_order_found(sessions: Sessions, make_installation: Callable[[str], int]) -> None:
    seller = make_installation("seller")
    found = context(sessions, seller, subject="Order #4321 never came", requester_email=BUYER)
    assert found.orders == []
    assert [(r.channel, r.order_id) for r in found.refs] == [("shopify", "#4321")]
    assert found.timeline.ok and found.timeline.data == {}


def test_stale_tracking_is_flagged_and_refreshed_once(
    sessions: Sessions, make_installation: Callable[[str], int], tmp_path: object
) -> None:
    import os

    import redis

    url = os.environ.get("CLAIMDESK_TEST_REDIS_URL")
    if not url:
        pytest.skip("CLAIMDESK_TEST_REDIS_URL is not set")
    connection = redis.Redis.from_url(url)
    connection.flushdb()
    seller = make_installation("seller")
    with sessions.begin() as session:
        add_order(session, seller)
        add_tracking(session, seller, fetched=NOW - timedelta(days=1))
    found = context(sessions, seller, subject=AMAZON_ORDER)
    assert [view.stale for view in found.stale_tracking] == [True]
    assert sidebar.refresh_stale(connection, seller, found) == 1
    assert sidebar.refresh_stale(connection, seller, found) == 0  # the job is already queued


def test_now_must_be_aware(sessions: Sessions, make_installation: Callable[[str], int]) -> None:
    seller = make_installation("seller")
    with sessions.begin() as session, pytest.raises(SidebarError):
        sidebar_context(session, seller, TicketInput(), NOW.replace(tzinfo=None))
