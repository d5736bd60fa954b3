"""The agent UI: ticket list and ticket page escape every customer string, host the app with a
signed POST, and carry what the host script needs; viewer options; replies from the UI."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from typing import Any

import jwt
import pytest
import requests

from connectors.zendesk.sandbox import ZendeskSandbox

from .conftest import HOSTILE_BODY, HOSTILE_NAME, HOSTILE_SUBJECT, ORDER_FIELD, Start


class Elements(HTMLParser):
    """Every element's tag and attributes, and the text of the host data script."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.data_json = ""
        self._in_data = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))
        self._in_data = tag == "script" and dict(attrs).get("id") == "zaf-host-data"

    def handle_endtag(self, tag: str) -> None:
        self._in_data = False

    def handle_data(self, data: str) -> None:
        if self._in_data:
            self.data_json += data

    def by_id(self, element_id: str) -> tuple[str, dict[str, str | None]]:
        return next(e for e in self.elements if e[1].get("id") == element_id)


def parse(page: str) -> Elements:
    elements = Elements()
    elements.feed(page)
    return elements


def host_data(page: str) -> dict[str, Any]:
    return dict(json.loads(parse(page).data_json))


def test_list_links_every_ticket_and_escapes_names(sandbox: ZendeskSandbox) -> None:
    page = requests.get(f"{sandbox.url}/agent").text
    links = [a for tag, a in parse(page).elements if tag == "a" and a.get("class") == "ticket"]
    assert [a["href"] for a in links] == [
        "/agent/tickets/3",
        "/agent/tickets/2",
        "/agent/tickets/1",
    ]
    assert HOSTILE_NAME not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&quot;name&quot;)&lt;/script&gt;" in page
    assert requests.get(f"{sandbox.url}/").text == page


def test_hostile_ticket_renders_as_text(sandbox: ZendeskSandbox) -> None:
    page = requests.get(f"{sandbox.url}/agent/tickets/3").text
    for raw in (HOSTILE_NAME, HOSTILE_SUBJECT, "<script>alert(2)</script>", "<img src=x"):
        assert raw not in page
    scripts = [a for tag, a in parse(page).elements if tag == "script"]
    assert scripts == [
        {"type": "application/json", "id": "zaf-host-data"},
        {"src": "/_assets/host.js"},
    ]
    assert not any(k.startswith("on") for _, a in parse(page).elements for k in a)
    data = host_data(page)
    assert data["data"]["ticket"]["subject"] == HOSTILE_SUBJECT  # intact for the app
    assert data["data"]["ticket"]["description"] == HOSTILE_BODY
    assert data["data"]["ticket"]["requester"]["name"] == HOSTILE_NAME
    assert "</" not in parse(page).data_json and "<" not in parse(page).data_json


def test_ticket_page_hosts_the_app_signed(sandbox: ZendeskSandbox) -> None:
    page = requests.get(f"{sandbox.url}/agent/tickets/2").text
    elements = parse(page)
    assert elements.by_id("ticket-subject")[0] == "h1"
    assert elements.by_id("reply-editor")[1]["contenteditable"] == "true"
    assert elements.by_id("app-sidebar")[0] == "iframe"
    assert elements.by_id(f"custom-field-{ORDER_FIELD}")[1]["value"] == "113-8760632-7699197"
    assert "Internal: photos look real" in page
    data = host_data(page)
    assert data["appUrl"] == sandbox.app_url and data["appPath"] == "/sidebar"
    assert re.fullmatch(r"[0-9a-f-]{36}", data["appGuid"])
    assert data["context"] == {
        "product": "support",
        "location": "ticket_sidebar",
        "instanceGuid": data["appGuid"],
        "account": {"subdomain": "acme"},
        "ticketId": 2,
    }
    assert data["metadata"]["appId"] == sandbox.app_id
    assert data["metadata"]["installationId"] == sandbox.installation_id
    assert data["requirements"] == {"order_id": {"requirement_id": ORDER_FIELD}}
    claims = jwt.decode(
        data["token"],
        sandbox.public_key_pem,
        algorithms=["RS256"],
        audience=sandbox.audience(),
        issuer="acme.zendesk.com",
    )
    assert claims["context"]["location"] == "ticket_sidebar"
    assert claims["sub"].endswith("/users/1.json")
    requester = data["data"]["ticket"]["requester"]
    assert (requester["id"], requester["email"], requester["locale"]) == (
        1001,
        "lea@example.net",
        "fr",
    )
    script = requests.get(f"{sandbox.url}/_assets/host.js")
    assert script.status_code == 200 and "app.registered" in script.text
    assert script.headers["Content-Type"].startswith("text/javascript")


def test_viewer_options_set_agent_locale_and_time_zone(sandbox: ZendeskSandbox) -> None:
    page = requests.get(f"{sandbox.url}/agent/tickets/1?agent=2&locale=de&tz=Asia/Tokyo").text
    user = host_data(page)["data"]["currentUser"]
    assert (user["id"], user["locale"], user["timeZone"]["ianaName"]) == (2, "de", "Asia/Tokyo")
    assert user["timeZone"]["offset"] == 540 and user["timeZone"]["formattedOffset"] == "GMT+09:00"
    claims = jwt.decode(host_data(page)["token"], options={"verify_signature": False})
    assert claims["sub"].endswith("/users/2.json")
    default = host_data(requests.get(f"{sandbox.url}/agent/tickets/1?agent=2").text)
    assert default["data"]["currentUser"]["timeZone"]["ianaName"] == "Europe/Paris"
    assert 'href="/agent/tickets/1?agent=2' in requests.get(f"{sandbox.url}/agent?agent=2").text


@pytest.mark.parametrize("query", ["agent=1001", "agent=77", "tz=Mars/Olympus", "locale=<b>"])
def test_bad_viewer_options_are_a_readable_400(sandbox: ZendeskSandbox, query: str) -> None:
    response = requests.get(f"{sandbox.url}/agent/tickets/1?{query}")
    assert response.status_code == 400
    assert 'id="error"' in response.text and "<b>" not in response.text


def test_unknown_ticket_and_page_are_404(sandbox: ZendeskSandbox) -> None:
    assert requests.get(f"{sandbox.url}/agent/tickets/99").status_code == 404
    assert requests.get(f"{sandbox.url}/nowhere").status_code == 404


def test_nav_bar_page_loads_claims_signed_for_nav_bar(sandbox: ZendeskSandbox) -> None:
    page = requests.get(f"{sandbox.url}/agent/apps/claimdesk?agent=3").text
    assert parse(page).by_id("app-nav-bar")[0] == "iframe"
    data = host_data(page)
    assert data["appPath"] == "/claims" and data["context"]["location"] == "nav_bar"
    assert "ticket" not in data["data"] and "ticketId" not in data["context"]
    claims = jwt.decode(data["token"], options={"verify_signature": False})
    assert claims["context"] == {"product": "support", "location": "nav_bar"}


def test_reply_from_the_agent_ui_is_stored_escaped_and_counts(make_sandbox: Start) -> None:
    sandbox = make_sandbox()
    form = {
        "visibility": "internal",
        "mode": "rich",
        "html_body": '<p>Tracking <a href="https://t.example/1Z">1Z</a></p>'
        "<img src=x onerror=alert(9)>",
        "body": "Tracking 1Z <script>alert(9)</script>",
        f"custom_field_{ORDER_FIELD}": "111-8267731-3182180",
    }
    response = requests.post(
        f"{sandbox.url}/agent/tickets/1/reply?agent=2", data=form, allow_redirects=False
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/agent/tickets/1?agent=2"
    ticket = sandbox.tickets[1]
    assert ticket.comments[-1].public is False and ticket.comments[-1].author_id == 2
    assert ticket.comments[-1].channel == "web"
    assert ticket.custom_fields[ORDER_FIELD] == "111-8267731-3182180"
    page = requests.get(f"{sandbox.url}/agent/tickets/1?agent=2").text
    assert "<script>alert(9)" not in page and "onerror=alert(9)>" not in page
    assert "Tracking 1Z &lt;script&gt;" in page
    sandbox.flush_deliveries()
    assert len(sandbox.deliveries) == 1  # the update trigger fired


def test_ui_replies_count_toward_the_ticket_update_limit(make_sandbox: Start) -> None:
    sandbox = make_sandbox(ticket_updates_per_ticket=2)
    url = f"{sandbox.url}/agent/tickets/1/reply"
    for _ in range(2):
        assert requests.post(url, data={"body": "x"}, allow_redirects=False).status_code == 303
    limited = requests.post(url, data={"body": "x"}, allow_redirects=False)
    assert limited.status_code == 429 and "try again" in limited.text
