"""zenpy, the client the workers use (research/zendesk.md §5), against the sandbox: reads,
tags, a safe private note, the 409 on a stale stamp, audits and a bounded 429 wait."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from zenpy import Zenpy
from zenpy.lib.api_objects import Comment
from zenpy.lib.exception import APIException, RatelimitBudgetExceeded, RecordNotFoundException

from connectors.zendesk.sandbox import ZendeskSandbox


@pytest.fixture
def zenpy(sandbox: ZendeskSandbox, monkeypatch: pytest.MonkeyPatch) -> Iterator[Zenpy]:
    """zenpy pointed at the sandbox the way research §0.8 says: its two environment variables."""
    monkeypatch.setenv("ZENPY_FORCE_SCHEME", "http")
    monkeypatch.setenv("ZENPY_FORCE_NETLOC", sandbox.url.removeprefix("http://"))
    yield Zenpy(
        subdomain="acme",
        email=sandbox.credentials.email,
        token=sandbox.credentials.api_token,
        ratelimit_budget=3,
    )


def test_reads_tickets_users_and_fields(zenpy: Zenpy) -> None:
    ticket = zenpy.tickets(id=2)
    assert ticket.subject == "Item arrived broken" and ticket.requester.email == "lea@example.net"
    assert [u.id for u in zenpy.search(type="user", email="lea@example.net")] == [1001]
    assert [f.title for f in zenpy.ticket_fields()] == ["Order ID"]
    assert [t.id for t in zenpy.search("111-8267731-3182180", type="ticket")] == [1]
    assert [t.id for t in zenpy.search(type="ticket", requester="lea@example.net")] == [1, 2]
    with pytest.raises(RecordNotFoundException):
        zenpy.tickets(id=404)


def test_tags_and_a_safe_private_note(zenpy: Zenpy, sandbox: ZendeskSandbox) -> None:
    assert list(zenpy.tickets.add_tags(1, ["claimdesk"])) == ["amazon", "claimdesk"]
    ticket = zenpy.tickets(id=1)
    ticket.comment = Comment(body="claimdesk: 2 units claimable", public=False)
    ticket.safe_update = True
    ticket.updated_stamp = ticket.updated_at
    audit = zenpy.tickets.update(ticket)
    assert audit.audit.events[0]["type"] == "Comment"
    stale = zenpy.tickets(id=1)
    stale.updated_stamp = "2026-01-01T00:00:00Z"
    stale.safe_update = True
    stale.comment = Comment(body="late", public=False)
    with pytest.raises(APIException) as conflict:
        zenpy.tickets.update(stale)
    assert conflict.value.response.status_code == 409
    assert conflict.value.response.json()["error"] == "UpdateConflict"
    events = [e["type"] for a in zenpy.tickets.audits(ticket=1) for e in a.events]
    assert events.count("Comment") == 2  # the seeded message and the note, not "late"


def test_a_429_storm_stops_at_the_budget(zenpy: Zenpy, sandbox: ZendeskSandbox) -> None:
    sandbox.inject(429, 10, route="tickets.show", retry_after=2)
    with pytest.raises(RatelimitBudgetExceeded):
        zenpy.tickets(id=1)
    assert requests.get(f"{sandbox.url}/_sandbox/requests").json()["requests"][-1]["status"] == 429
