"""The sidebar's "Insert tracking" text: the installation's wording, rendered per parcel in
the customer's language, escaped once for the editor, without a link through a relay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from html import unescape
from zoneinfo import ZoneInfo

from plugin.domain import replies
from plugin.domain.tracking import tracking_url
from plugin.services.sidebar import Panel, SidebarContext
from plugin.services.tracking import TrackingView
from plugin.sidebar.presenter import InsertWording, PanelView

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
ORDER = "112-1234567-7654321"
NUMBER = "1Z999AA10123456784"


def view(*, email: str = "", locale: str = "en", insert: InsertWording | None = None) -> PanelView:
    parcel = TrackingView(
        carrier="ups",
        tracking_number=NUMBER,
        order_id=ORDER,
        status="out_for_delivery",
        status_detail=None,
        last_event=None,
        estimated_delivery=NOW + timedelta(hours=6),
        delivered_at=None,
        url=tracking_url("ups", NUMBER),
        fetched_at=NOW,
        expires_at=NOW + timedelta(minutes=10),
        stale=False,
    )
    context = SidebarContext(
        refs=[],
        requester_email=email,
        orders=[],
        timeline=Panel(),
        tracking=Panel({ORDER: [parcel]}),
        eligibility=Panel(),
        now=NOW,
    )
    return PanelView(context, ZoneInfo("Europe/Paris"), locale, insert=insert)


def test_without_a_wording_the_default_in_the_agents_language_is_used() -> None:
    row = view(locale="fr").tracking(ORDER)[0]
    url = tracking_url("ups", NUMBER)
    assert row.insert_text.startswith("Bonjour,\n\nMerci pour votre message.")
    assert "Statut : en cours de livraison" in row.insert_text
    assert "Livraison prévue : lundi 2 novembre 2026" in row.insert_text
    assert f"Suivre votre colis : {url}" in row.insert_text
    assert f'<a href="{url.replace("&", "&amp;")}">' in row.insert_html  # type: ignore[union-attr]


def test_the_installations_wording_and_the_customers_name_are_used() -> None:
    wording = InsertWording(
        "de", "Hallo {first_name}! {carrier} {tracking_number}: {link}", "Jonas"
    )
    row = view(locale="fr", insert=wording).tracking(ORDER)[0]
    assert row.insert_text == f"Hallo Jonas! UPS {NUMBER}: {tracking_url('ups', NUMBER)}"


def test_a_hostile_name_is_escaped_once_in_the_html() -> None:
    wording = InsertWording(
        "en", replies.default_body(replies.TRACKING_INSERT, "en"), '<img src=x onerror="x()">'
    )
    row = view(insert=wording).tracking(ORDER)[0]
    assert "<img" not in row.insert_html and "&lt;img" in row.insert_html
    assert unescape(row.insert_html).count("<img") == 1  # the editor shows it as text
    assert row.insert_text.startswith("Hello <img")  # plain text stays as written


def test_a_relay_address_gets_the_number_without_a_link() -> None:
    row = view(email="3k8x2m9q7w1zt5@marketplace.amazon.com").tracking(ORDER)[0]
    assert NUMBER in row.insert_text and "http" not in row.insert_text
    assert "<a " not in row.insert_html
