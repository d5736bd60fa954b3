"""Issue 4's browser acceptance: a sandbox ticket opened in headless Chromium shows our sidebar
with the right facts for its order; a ticket with no order shows a helpful empty state;
customer text stays text. The expected facts are read from the store the sync filled, never
written into the test."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from sqlalchemy import select

from plugin.extensions import resources
from plugin.store import queries
from plugin.store.models import ClaimRecord, TrackingSnapshot
from tests.browser.conftest import Stack, screenshot

TIMEOUT_MS = 20_000
AMAZON_ORDER = re.compile(r"\b\d{3}-\d{7}-\d{7}\b")


def seed_tickets(stack: Stack) -> list[dict[str, Any]]:
    document = json.loads((stack.seller.parent / "zendesk-seed.json").read_text())
    tickets: list[dict[str, Any]] = document["tickets"]
    return tickets


def order_in_text(ticket: dict[str, Any]) -> str | None:
    text = " ".join([ticket["subject"], *(c["body"] for c in ticket.get("comments", []))])
    found = AMAZON_ORDER.search(text)
    return found.group(0) if found else None


def store_facts(stack: Stack) -> tuple[dict[str, list[ClaimRecord]], dict[str, list[str]]]:
    """Claims by order id (reference) and tracking numbers by order id, from the store."""
    found = resources(stack.app)
    with found.session() as session:
        installation = queries.installation_by_name(session, stack.installation)
        assert installation is not None
        claims: dict[str, list[ClaimRecord]] = {}
        for claim in session.scalars(
            select(ClaimRecord).where(
                ClaimRecord.installation_id == installation.id, ClaimRecord.gone_at.is_(None)
            )
        ):
            session.expunge(claim)
            claims.setdefault(claim.reference_id, []).append(claim)
        parcels: dict[str, list[str]] = {}
        for snapshot in session.scalars(
            select(TrackingSnapshot).where(TrackingSnapshot.installation_id == installation.id)
        ):
            if snapshot.order_id:
                parcels.setdefault(snapshot.order_id, []).append(snapshot.tracking_number)
    return claims, parcels


def open_ticket(page: Any, stack: Stack, ticket_id: int, query: str = "") -> Any:
    page.goto(f"{stack.zendesk.url}/agent/tickets/{ticket_id}{query}")
    frame = page.frame_locator("iframe#app-sidebar")
    return frame


def test_a_ticket_about_an_order_shows_its_timeline_tracking_and_claims(
    page: Any, stack: Stack
) -> None:
    claims, parcels = store_facts(stack)
    # A ticket naming, in its text, an order that has both claims and a parcel.
    candidates = [
        (ticket, order)
        for ticket in seed_tickets(stack)
        if (order := order_in_text(ticket)) and order in claims and order in parcels
    ]
    assert candidates, "the seed has a ticket about an order with claims and tracking"
    ticket, order = candidates[0]
    frame = open_ticket(page, stack, ticket["id"])

    timeline = frame.locator("#panel-timeline")
    timeline.wait_for(state="visible", timeout=TIMEOUT_MS)
    block = timeline.locator(f'.order-block[data-order-id="{order}"]')
    block.wait_for(timeout=TIMEOUT_MS)
    assert block.locator("li").count() >= 2  # at least ordered and one more event

    tracking = frame.locator(f'#panel-tracking .order-block[data-order-id="{order}"]')
    tracking.wait_for(timeout=TIMEOUT_MS)
    shown_tracking = tracking.inner_text()
    for number in parcels[order]:
        assert number in shown_tracking

    eligibility = frame.locator(f'#panel-eligibility .order-block[data-order-id="{order}"]')
    eligibility.wait_for(timeout=TIMEOUT_MS)
    rows = eligibility.locator("li.claim")
    assert rows.count() == len(claims[order])
    shown_claims = eligibility.inner_text()
    for claim in claims[order]:
        assert claim.sku in shown_claims
        if claim.deadline is not None:
            # The deadline is shown with its days left; the day itself is in the text.
            assert str(claim.deadline.day) in shown_claims
    # The claims view link carries the claim's identity.
    hrefs = [rows.nth(i).locator("a.claim-link").get_attribute("href") for i in range(rows.count())]
    assert all(href and "/claims/" in href for href in hrefs)

    screenshot(page, "sidebar-order")
    assert page.dialogs == []


def test_insert_tracking_puts_the_link_into_the_reply_editor(page: Any, stack: Stack) -> None:
    _, parcels = store_facts(stack)
    ticket, order = next(
        (t, o) for t in seed_tickets(stack) if (o := order_in_text(t)) and o in parcels
    )
    frame = open_ticket(page, stack, ticket["id"])
    button = frame.locator(
        f'#panel-tracking .order-block[data-order-id="{order}"] button.insert-tracking'
    ).first
    button.wait_for(timeout=TIMEOUT_MS)
    button.click()
    editor = page.locator("#reply-editor")
    editor.locator("a").first.wait_for(timeout=TIMEOUT_MS)
    href = editor.locator("a").first.get_attribute("href")
    assert href and href.startswith("https://")
    assert any(number in editor.inner_text() or number in href for number in parcels[order])


def test_a_ticket_without_an_order_shows_a_helpful_empty_state(page: Any, stack: Stack) -> None:
    document = json.loads((stack.seller.parent / "zendesk-seed.json").read_text())
    buyers = {
        user["id"]
        for user in document["users"]
        if user.get("email", "").endswith("@marketplace.amazon.com")
    }
    candidates = [
        t
        for t in seed_tickets(stack)
        if not order_in_text(t)
        and not any(field.get("value") for field in t.get("custom_fields", []))
        and t.get("requester_id") not in buyers
    ]
    assert candidates
    frame = None
    for ticket in candidates:
        frame = open_ticket(page, stack, ticket["id"])
        empty = frame.locator("#empty-state")
        try:
            empty.wait_for(timeout=TIMEOUT_MS)
            break
        except Exception:  # noqa: BLE001 - this requester had orders; try the next ticket
            continue
    else:  # pragma: no cover - the seed always has such a ticket
        raise AssertionError("no ticket rendered the empty state")
    text = frame.locator("#empty-state").inner_text()
    assert "Order ID" in text  # tells the agent how to link an order
    screenshot(page, "sidebar-empty")


def test_customer_script_is_shown_as_text(page: Any, stack: Stack) -> None:
    hostile = [
        t
        for t in seed_tickets(stack)
        if "<" in t["subject"] or any("<" in c["body"] for c in t.get("comments", []))
    ]
    assert hostile
    for ticket in hostile:
        frame = open_ticket(page, stack, ticket["id"])
        frame.locator("#sidebar").wait_for(timeout=TIMEOUT_MS)
        frame.locator("#status").wait_for(state="hidden", timeout=TIMEOUT_MS)
        assert page.dialogs == []
        assert page.evaluate("() => window.__pwned === undefined")
    screenshot(page, "sidebar-hostile")


def test_screenshots_are_written(stack: Stack) -> None:
    from tests.browser.conftest import ARTIFACTS

    assert any(Path(ARTIFACTS).glob("*.png"))
