"""How the panels word things: every event in every language, links that cannot run script."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from plugin import i18n
from plugin.domain import timeline as tl
from plugin.services.sidebar import Panel, SidebarContext
from plugin.sidebar.presenter import PanelView, format_time, safe_url

AT = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # the night Europe moves to summer time

EVENTS = [
    tl.TimelineEvent(tl.ORDERED, AT, details={"channel": "amazon"}),
    tl.TimelineEvent(tl.SHIPPED, AT),
    tl.TimelineEvent(tl.SHIPPED, AT, details={"carrier": "ups", "tracking_number": "1Z"}),
    tl.TimelineEvent(tl.DELIVERED, AT, details={"carrier": "ups", "tracking_number": "1Z"}),
    tl.TimelineEvent(tl.RETURN_REQUESTED, AT, True, {"sku": "S", "quantity": "1"}),
    tl.TimelineEvent(
        tl.RETURN_RECEIVED, AT, True, {"sku": "S", "quantity": "1", "disposition": "DAMAGED"}
    ),
    tl.TimelineEvent(tl.REFUNDED, AT, True, {"quantity": "1", "amount": "5.00", "currency": "EUR"}),
    tl.TimelineEvent(
        tl.REIMBURSED,
        AT,
        True,
        {"sku": "S", "quantity": "1", "amount": "5.00", "currency": "EUR", "case_id": "1"},
    ),
    tl.TimelineEvent(tl.REIMBURSED, AT, True, {"sku": "S", "quantity": "1"}),
    tl.TimelineEvent(
        tl.CLAIM_FOUND, AT, details={"claim_kind": "warehouse_lost", "sku": "S", "quantity": "2"}
    ),
    tl.TimelineEvent(tl.CLAIM_OPENED, AT, details={"case_id": "C-1"}),
    tl.TimelineEvent(tl.CLAIM_CLOSED, AT, details={"case_id": "C-1"}),
    tl.TimelineEvent(tl.CLAIM_GONE, AT, details={"claim_kind": "warehouse_lost", "sku": "S"}),
]


def view(locale: str, zone: str = "UTC") -> PanelView:
    context = SidebarContext(
        refs=[],
        requester_email="",
        orders=[],
        timeline=Panel({"o": EVENTS}),
        tracking=Panel(),
        eligibility=Panel(),
        now=AT,
    )
    return PanelView(context, ZoneInfo(zone), locale)


@pytest.mark.parametrize("locale", i18n.LOCALES)
def test_every_event_reads_fully_in_every_language(locale: str) -> None:
    texts = [view(locale).event_text(event) for event in EVENTS]
    for text in texts:
        assert text and "{" not in text and "( " not in text and " )" not in text, text
    assert len(set(texts)) == len(texts)  # no two kinds collapse into one wording


def test_words_in_english() -> None:
    english = view("en")
    assert english.event_text(EVENTS[1]) == "Shipped"
    assert english.event_text(EVENTS[2]) == "Shipped via UPS 1Z"
    assert english.event_text(EVENTS[8]) == "Amazon reimbursed 1 × S in inventory"
    assert english.event_text(EVENTS[9]) == "Claim found: Lost in the warehouse, 2 × S"


def test_date_only_events_are_not_shifted_by_the_zone() -> None:
    rows = view("en", "America/Los_Angeles").events("o")
    assert rows[0].when == "2026-03-28 17:30 PDT"  # an instant moves with the zone
    returned = rows[4]
    assert (returned.when, returned.iso) == ("2026-03-29", "2026-03-29")  # a day does not


def test_format_time_follows_daylight_saving() -> None:
    assert format_time(AT, ZoneInfo("Europe/Paris")) == "2026-03-29 01:30 CET"
    assert format_time(AT.replace(hour=1, minute=30), ZoneInfo("Europe/Paris")) == (
        "2026-03-29 03:30 CEST"
    )
    assert format_time(None, ZoneInfo("UTC")) == ""


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("https://www.ups.com/track?tracknum=1Z", True),
        ("http://tracking.example/1", True),
        ("javascript:alert(1)", False),
        ("JaVaScRiPt:alert(1)", False),
        ("data:text/html,<script>alert(1)</script>", False),
        ("//evil.example/x", False),
        ("/relative", False),
        ("", False),
        (None, False),
    ],
)
def test_only_web_links_are_rendered(url: object, kept: bool) -> None:
    assert safe_url(url) == (url if kept else None)
