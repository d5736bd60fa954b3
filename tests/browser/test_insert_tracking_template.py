"""Issue 5's "Insert tracking" in a real browser: the button puts the installation's reply
template, rendered for the ticket's customer and parcel, into the Zendesk sandbox's reply
editor; an admin's French wording is used on a French ticket; an Amazon relay address gets
no link. The expected parcel and link are read from the store the sync filled."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from plugin.domain import replies
from plugin.domain.tracking import tracking_url
from plugin.extensions import resources
from plugin.store import queries
from plugin.store.models import TrackingSnapshot
from tests.browser.conftest import Stack, screenshot

TIMEOUT_MS = 20_000
FRENCH = (
    "Salut {first_name} !\n\n"
    "Votre commande {order_id} voyage avec {carrier} ({tracking_number}) : {status}.\n"
    "Suivez-la ici : {link}"
)


def parcel(stack: Stack) -> TrackingSnapshot:
    """An order's only parcel whose carrier has a public tracking page, from the store."""
    with resources(stack.app).session() as session:
        installation = queries.installation_by_name(session, stack.installation)
        assert installation is not None
        found: dict[str, list[TrackingSnapshot]] = {}
        for snapshot in session.scalars(
            select(TrackingSnapshot).where(TrackingSnapshot.installation_id == installation.id)
        ):
            if snapshot.order_id:
                found.setdefault(snapshot.order_id, []).append(snapshot)
        session.expunge_all()
    for snapshots in found.values():
        if len(snapshots) == 1 and tracking_url(snapshots[0].carrier, snapshots[0].tracking_number):
            return snapshots[0]
    raise AssertionError("the synced seller has an order with one tracked parcel")


def new_ticket(stack: Stack, order_id: str, *, email: str, name: str, locale: str) -> int:
    """A ticket the customer wrote about ``order_id`` (a new requester, so only that order)."""
    sandbox = stack.zendesk
    payload = {
        "subject": f"Commande {order_id}",
        "comment": {"body": f"Bonjour, où en est ma commande {order_id} ?"},
        "requester": {"email": email, "name": name, "locale": locale},
    }
    with sandbox._lock:
        ticket, _ = sandbox.create_ticket(payload, sandbox.users[sandbox.api_user_id], "web")
    return ticket.id


def insert(page: Any, stack: Stack, ticket_id: int, order_id: str, locale: str) -> Any:
    page.goto(f"{stack.zendesk.url}/agent/tickets/{ticket_id}?locale={locale}")
    frame = page.frame_locator("iframe#app-sidebar")
    button = frame.locator(
        f'#panel-tracking .order-block[data-order-id="{order_id}"] button.insert-tracking'
    ).first
    button.wait_for(timeout=TIMEOUT_MS)
    button.click()
    editor = page.locator("#reply-editor")
    editor.locator("p").first.wait_for(timeout=TIMEOUT_MS)
    return editor


def test_insert_puts_the_rendered_template_with_the_right_link(page: Any, stack: Stack) -> None:
    found = parcel(stack)
    assert found.order_id is not None
    url = tracking_url(found.carrier, found.tracking_number)
    ticket_id = new_ticket(
        stack, found.order_id, email="lea.martin@example.net", name="Lea Martin", locale="en-US"
    )
    editor = insert(page, stack, ticket_id, found.order_id, "en")
    anchor = editor.locator("a").first
    anchor.wait_for(timeout=TIMEOUT_MS)
    assert anchor.get_attribute("href") == url
    text = editor.inner_text()
    assert text.startswith("Hello Lea,")
    assert f"Here is the latest on your order {found.order_id}:" in text
    assert f"tracking number {found.tracking_number}" in text
    assert f"Status: {replies.STATUS_WORDS['en'][found.status]}" in text
    assert f"Follow your parcel: {url}" in text
    screenshot(page, "insert-tracking-en")


def test_an_admins_french_wording_is_used_for_a_french_agent(page: Any, stack: Stack) -> None:
    found = parcel(stack)
    assert found.order_id is not None
    wording = Path(stack.seller.parent / "tracking-fr.txt")
    wording.write_text(FRENCH, encoding="utf-8")
    stored = stack.backend.claimdesk(
        "template", "set", stack.installation, "tracking_insert", "--lang", "fr", str(wording)
    )
    assert stored.exit_code == 0, stored.output
    ticket_id = new_ticket(
        stack, found.order_id, email="lea.dubois@example.net", name="Léa Dubois", locale="fr"
    )
    editor = insert(page, stack, ticket_id, found.order_id, "fr")
    url = tracking_url(found.carrier, found.tracking_number)
    editor.locator("a").first.wait_for(timeout=TIMEOUT_MS)
    assert editor.locator("a").first.get_attribute("href") == url
    text = editor.inner_text()
    assert text.startswith("Salut Léa !")
    assert f"Votre commande {found.order_id} voyage avec" in text
    assert f"({found.tracking_number}) : {replies.STATUS_WORDS['fr'][found.status]}." in text
    assert f"Suivez-la ici : {url}" in text
    screenshot(page, "insert-tracking-fr-admin")


def test_a_marketplace_relay_requester_gets_the_number_without_a_link(
    page: Any, stack: Stack
) -> None:
    found = parcel(stack)
    assert found.order_id is not None
    ticket_id = new_ticket(
        stack, found.order_id, email="9zq1xk2m3n4b5v@marketplace.amazon.de", name="Jonas Weber",
        locale="de",
    )  # fmt: skip
    editor = insert(page, stack, ticket_id, found.order_id, "en")
    text = editor.inner_text()
    assert text.startswith("Guten Tag Jonas,")  # the customer's language, not the agent's
    assert f"Sendungsnummer {found.tracking_number}" in text
    assert editor.locator("a").count() == 0 and "http" not in text
    assert page.dialogs == []
