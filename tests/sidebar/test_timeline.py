"""An order's timeline from plain facts: complete, ordered, in UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from plugin.domain import timeline as tl

PARIS_SUMMER = timezone(timedelta(hours=2))


def order(**changes: object) -> tl.OrderFacts:
    values: dict[str, object] = {
        "order_id": "112-1234567-7654321",
        "channel": "amazon",
        "purchased_at": datetime(2026, 9, 1, 22, 30, tzinfo=UTC),
        "packages": (
            tl.PackageFacts(datetime(2026, 9, 2, 8, 0, tzinfo=UTC), "UPS", "1Z999AA10123456784"),
        ),
    }
    values.update(changes)
    return tl.OrderFacts(**values)  # type: ignore[arg-type]


def kinds(events: list[tl.TimelineEvent]) -> list[str]:
    return [event.kind for event in events]


def test_a_full_order_history_in_order() -> None:
    facts = tl.TimelineFacts(
        order=order(),
        deliveries=(
            tl.DeliveryFacts(datetime(2026, 9, 4, 15, 12, tzinfo=UTC), "ups", "1Z999AA10123456784"),
        ),
        returns=(tl.ReturnFacts(date(2026, 9, 20), "MUG-1", 1, "CUSTOMER_DAMAGED", "DEFECTIVE"),),
        refunds=(tl.RefundFacts(date(2026, 9, 12), 1, Decimal("19.99"), "USD"),),
        reimbursements=(
            tl.ReimbursementFacts(
                date(2026, 10, 30),
                "R-1",
                "C-9",
                "MUG-1",
                1,
                Decimal("8.9"),
                "USD",
                "CustomerReturn",
            ),
        ),
        claims=(
            tl.ClaimFacts(
                "return_not_received",
                "MUG-1",
                1,
                datetime(2026, 10, 1, 6, 0, tzinfo=UTC),
                datetime(2026, 10, 31, 6, 0, tzinfo=UTC),
            ),
        ),
        cases=(
            tl.CaseFacts(datetime(2026, 10, 2, 9, 0, tzinfo=UTC), "case_open", "C-9", "MUG-1"),
            tl.CaseFacts(datetime(2026, 10, 30, 9, 0, tzinfo=UTC), "case_close", "C-9", "MUG-1"),
            tl.CaseFacts(datetime(2026, 10, 3, 9, 0, tzinfo=UTC), "note", "", ""),
        ),
    )
    events = tl.build_timeline(facts)
    assert kinds(events) == [
        tl.ORDERED,
        tl.SHIPPED,
        tl.DELIVERED,
        tl.REFUNDED,
        tl.RETURN_RECEIVED,
        tl.CLAIM_FOUND,
        tl.CLAIM_OPENED,
        tl.REIMBURSED,
        tl.CLAIM_CLOSED,
        tl.CLAIM_GONE,
    ]
    assert all(event.at.tzinfo is UTC for event in events)
    received = events[4]
    assert received.date_only and received.day == date(2026, 9, 20)
    assert received.details == {
        "sku": "MUG-1",
        "quantity": "1",
        "disposition": "CUSTOMER_DAMAGED",
        "reason": "DEFECTIVE",
    }
    assert events[1].details == {"carrier": "UPS", "tracking_number": "1Z999AA10123456784"}
    assert events[3].details == {"quantity": "1", "amount": "19.99", "currency": "USD"}
    assert events[7].details["amount"] == "8.90"
    assert events[7].details["case_id"] == "C-9"


def test_times_are_converted_to_utc() -> None:
    purchased = datetime(2026, 9, 2, 0, 30, tzinfo=PARIS_SUMMER)  # 2026-09-01 22:30 UTC
    (event,) = tl.build_timeline(tl.TimelineFacts(order=order(purchased_at=purchased, packages=())))
    assert event.at == datetime(2026, 9, 1, 22, 30, tzinfo=UTC)
    assert event.at.tzinfo is UTC


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        tl.build_timeline(tl.TimelineFacts(order=order(purchased_at=datetime(2026, 9, 1))))


def test_return_without_disposition_is_requested_not_received() -> None:
    facts = tl.TimelineFacts(
        order=order(packages=()), returns=(tl.ReturnFacts(date(2026, 9, 5), "MUG-1", 2, ""),)
    )
    events = tl.build_timeline(facts)
    assert kinds(events) == [tl.ORDERED, tl.RETURN_REQUESTED]
    assert "disposition" not in events[1].details


def test_same_instant_follows_the_life_of_an_order() -> None:
    moment = datetime(2026, 9, 2, 8, 0, tzinfo=UTC)
    facts = tl.TimelineFacts(
        order=order(purchased_at=moment, packages=(tl.PackageFacts(moment),)),
        deliveries=(tl.DeliveryFacts(moment, "ups", "1Z"),),
    )
    assert kinds(tl.build_timeline(facts)) == [tl.ORDERED, tl.SHIPPED, tl.DELIVERED]


def test_date_only_events_sort_at_the_start_of_their_day() -> None:
    facts = tl.TimelineFacts(
        order=order(purchased_at=datetime(2026, 9, 12, 0, 0, 1, tzinfo=UTC), packages=()),
        refunds=(tl.RefundFacts(date(2026, 9, 12), 1, Decimal("5"), "EUR"),),
    )
    assert kinds(tl.build_timeline(facts)) == [tl.REFUNDED, tl.ORDERED]


def test_repeated_packages_appear_once_and_unshipped_ones_not_at_all() -> None:
    shipped = tl.PackageFacts(datetime(2026, 9, 2, 8, 0, tzinfo=UTC), "UPS", "1Z")
    facts = tl.TimelineFacts(
        order=order(packages=(shipped, shipped, tl.PackageFacts(None, "UPS", "1Z2")))
    )
    assert kinds(tl.build_timeline(facts)) == [tl.ORDERED, tl.SHIPPED]


def test_an_order_without_a_purchase_time_still_has_its_other_events() -> None:
    facts = tl.TimelineFacts(
        order=order(purchased_at=None),
        reimbursements=(
            tl.ReimbursementFacts(date(2026, 9, 9), "R", "", "S", 1, None, "", "Lost_Warehouse"),
        ),
    )
    events = tl.build_timeline(facts)
    assert kinds(events) == [tl.SHIPPED, tl.REIMBURSED]
    assert "amount" not in events[1].details and "currency" not in events[1].details
