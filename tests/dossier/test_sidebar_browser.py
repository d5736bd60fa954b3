"""The sidebar's two audit-trail features in a real browser, inside the Zendesk sandbox's agent
UI: "Insert tracking" records the agent's action, and each order offers its dossier."""

from __future__ import annotations

import io
import json
import time
import zipfile
from typing import Any

from plugin.extensions import resources
from plugin.services import audit
from plugin.store import tracking_queries
from tests.dossier.conftest import E2E, Chromium
from tests.dossier.test_dossier_e2e import chosen_order

TIMEOUT_MS = 20_000


def open_ticket(page: Any, stack: E2E, ticket_id: int) -> Any:
    page.goto(f"{stack.zendesk.url}/agent/tickets/{ticket_id}")
    return page.frame_locator("iframe#app-sidebar")


def reply_inserts(stack: E2E, ticket_id: int) -> list[Any]:
    with resources(stack.app).session() as session:
        found = audit.events_for_ticket(session, stack.installation_id, ticket_id)
        return [(e.actor, e.order_id, e.proof) for e in found if e.action == audit.REPLY_INSERT]


def test_insert_tracking_records_the_agents_action_with_proof(chromium: Chromium, e2e: E2E) -> None:
    order, tickets = chosen_order(e2e)
    ticket_id = tickets[0]
    with resources(e2e.app).session() as session:
        numbers = [
            s.tracking_number
            for s in tracking_queries.snapshots_for_orders(
                session, e2e.installation_id, [order.order_id]
            )
        ]
    before = reply_inserts(e2e, ticket_id)

    def click_insert(page: Any) -> None:
        frame = open_ticket(page, e2e, ticket_id)
        button = frame.locator(
            f'#panel-tracking .order-block[data-order-id="{order.order_id}"] button.insert-tracking'
        ).first
        button.wait_for(timeout=TIMEOUT_MS)
        button.click()
        page.locator("#reply-editor a").first.wait_for(timeout=TIMEOUT_MS)
        deadline = time.monotonic() + 10
        while len(reply_inserts(e2e, ticket_id)) == len(before) and time.monotonic() < deadline:
            page.wait_for_timeout(100)
        assert page.dialogs == []

    chromium.run(click_insert)
    after = reply_inserts(e2e, ticket_id)
    assert len(after) == len(before) + 1
    actor, order_id, proof = after[-1]
    assert actor == f"agent:{e2e.zendesk.default_agent().id}"
    assert order_id == order.order_id
    assert proof["tracking_snapshot"]["tracking_number"] in numbers


def test_each_order_offers_its_dossier_download(chromium: Chromium, e2e: E2E) -> None:
    """The link opens the export with the page's app token; the answer is the order's zip."""
    order, tickets = chosen_order(e2e)

    def click_export(page: Any) -> list[Any]:
        answers: list[Any] = []
        page.context.on(
            "response",
            lambda response: answers.append(response) if "/dossier" in response.url else None,
        )
        frame = open_ticket(page, e2e, tickets[0])
        link = frame.locator(f'#orders li[data-order-id="{order.order_id}"] a.dossier-link')
        link.wait_for(timeout=TIMEOUT_MS)
        assert link.inner_text().strip()
        link.click()
        deadline = time.monotonic() + 20
        while not answers and time.monotonic() < deadline:
            page.wait_for_timeout(100)
        assert answers, "the link asked for the dossier"
        return [(a.status, a.headers, a.url) for a in answers]

    status, headers, url = chromium.run(click_export)[0]
    assert status == 200
    assert headers["content-type"] == "application/zip"
    assert f"dossier-{order.order_id}.zip" in headers["content-disposition"]
    # The same URL (the token the page added) gives the order's dossier.
    fetched = e2e.app.test_client().get(url.removeprefix(e2e.app_url))
    with zipfile.ZipFile(io.BytesIO(fetched.data)) as archive:
        name = next(n for n in archive.namelist() if n.endswith("dossier.json"))
        document = json.loads(archive.read(name))
    assert document["order"]["order_id"] == order.order_id
    assert tickets[0] in [t["ticket_id"] for t in document["tickets"]]
