"""The client and the sandbox on ticket external ids (``GET /tickets.json?external_id=``)."""

from __future__ import annotations

from connectors.zendesk.models import NewComment
from tests.writeback.conftest import World


def test_tickets_are_listed_by_external_id(world: World) -> None:
    with world.client() as client:
        first = client.create_ticket(
            subject="a", comment=NewComment(body="one", public=False), external_id="alert-1"
        )
        client.create_ticket(
            subject="b", comment=NewComment(body="two", public=False), external_id="alert-2"
        )
        second = client.create_ticket(
            subject="c", comment=NewComment(body="three", public=False), external_id="alert-1"
        )
        assert first.external_id == "alert-1"
        found = client.tickets_by_external_id("alert-1")
        assert [t.id for t in found] == [first.id, second.id]  # not unique in Zendesk
        assert client.tickets_by_external_id("alert-3") == []
        assert client.ticket(1).external_id is None  # seeded tickets have none
        assert client.me().email == world.zendesk.credentials.email
    [listed] = [r for r in world.zendesk.requests if r.query.get("external_id") == ["alert-3"]]
    assert listed.route == "tickets.list"
