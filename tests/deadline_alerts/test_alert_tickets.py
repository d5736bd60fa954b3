"""The daily deadline alert ticket against the Zendesk sandbox: off by default, one ticket
per installation, at most one note a day, and no duplicate after a crash between Zendesk's
create and our record of it."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from connectors.errors import ConnectorError
from connectors.zendesk.client import ZendeskClient
from connectors.zendesk.models import TicketData
from connectors.zendesk.settings import ZendeskSettings
from plugin.services import audit
from plugin.services import deadline_alert_tickets as alerts
from plugin.store.models import AuditEvent
from tests.deadline_alerts.conftest import Seller

EXTERNAL_ID = "claimdesk-deadlines-{id}"


def run(
    seller: Seller, day_offset: int = 0, client: ZendeskClient | None = None
) -> alerts.AlertOutcome:
    world = seller.world
    day = seller.today + timedelta(days=day_offset)
    own = client or world.client()
    with own:
        return alerts.send_deadline_alert(
            world.store,
            world.installation_id,
            today=day,
            now=seller.now(day),
            client=own,
            redis=world.store.redis,
        )


def turn_on(seller: Seller) -> None:
    result = seller.world.backend.claimdesk("settings", "shop", "deadline_alerts", "on")
    assert result.exit_code == 0, result.output
    assert result.output == "deadline_alerts: on\n"


def alert_tickets(seller: Seller) -> list[TicketData]:
    with seller.world.client() as client:
        return client.tickets_by_external_id(EXTERNAL_ID.format(id=seller.world.installation_id))


def bodies(seller: Seller, ticket_id: int) -> list[str]:
    with seller.world.client() as client:
        return [c.body for c in client.comments(ticket_id)]


def audit_actions(seller: Seller) -> list[str]:
    with seller.world.store.session() as session:
        rows = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.installation_id == seller.world.installation_id)
            .order_by(AuditEvent.id)
        )
        return [row.action for row in rows]


def test_off_by_default_opens_nothing(seller: Seller) -> None:
    assert seller.expiring(seller.today), "the fixture must have claims expiring"
    shown = seller.world.backend.claimdesk("settings", "shop")
    assert "deadline_alerts: off" in shown.output
    outcome = run(seller)
    assert outcome.status == alerts.OFF
    assert alert_tickets(seller) == []
    assert [r for r in seller.world.zendesk.requests if r.route == "tickets.create"] == []


def test_on_opens_one_ticket_listing_the_expiring_claims(seller: Seller) -> None:
    turn_on(seller)
    expected = seller.expiring(seller.today)
    assert expected
    outcome = run(seller)
    assert outcome.status == alerts.CREATED and outcome.claims == len(expected)
    [ticket] = alert_tickets(seller)
    assert ticket.id == outcome.ticket_id
    assert alerts.TAG in ticket.tags and ticket.priority == "low"
    with seller.world.client() as client:
        assert ticket.requester_id == client.me().id
        [first] = client.comments(ticket.id)
    assert not first.public
    for claim in expected:
        assert claim.reference_id in first.body and claim.sku in first.body
        assert claim.deadline is not None
    listed = [line for line in first.body.splitlines() if line.startswith("- ")]
    assert len(listed) == len(expected)
    later = [c for c in seller.claims if c not in expected and c.status == "claimable"]
    for claim in later[:20]:  # claims due later are not listed
        assert f"{claim.reference_id}, SKU {claim.sku}," not in first.body
    assert audit_actions(seller) == ["deadline_alert_created"]


def test_rerun_same_day_writes_nothing_next_day_updates(seller: Seller) -> None:
    turn_on(seller)
    created = run(seller)
    again = run(seller)
    assert again.status == alerts.ALREADY_DONE and again.ticket_id == created.ticket_id
    assert created.ticket_id is not None
    assert len(bodies(seller, created.ticket_id)) == 1
    assert seller.world.updates(created.ticket_id) == []

    tomorrow = run(seller, 1)
    assert tomorrow.status == alerts.NOTED and tomorrow.ticket_id == created.ticket_id
    notes = bodies(seller, created.ticket_id)
    assert len(notes) == 2
    day = seller.today + timedelta(days=1)
    assert alerts.stamp(day) in notes[1]
    for claim in seller.expiring(day):
        assert claim.reference_id in notes[1]
    assert run(seller, 1).status == alerts.ALREADY_DONE
    assert len(bodies(seller, created.ticket_id)) == 2
    assert len(alert_tickets(seller)) == 1
    assert audit_actions(seller) == ["deadline_alert_created", audit.NOTE]


def test_crash_after_create_is_found_by_external_id(seller: Seller) -> None:
    turn_on(seller)
    world = seller.world
    # Zendesk creates the ticket at once but answers after the client gave up: the job
    # dies knowing nothing, and records nothing.
    world.zendesk.stall("tickets.create", 3.0, applied=True)
    settings = ZendeskSettings(
        "acme",
        world.zendesk.url,
        world.zendesk.credentials.email,
        world.zendesk.credentials.api_token,
        timeout=1.0,
    )
    with pytest.raises(ConnectorError):
        run(seller, client=ZendeskClient(settings))
    assert audit_actions(seller) == []
    [made] = alert_tickets(seller)
    rerun = run(seller)
    assert rerun.status == alerts.ALREADY_DONE and rerun.ticket_id == made.id
    assert len(alert_tickets(seller)) == 1
    assert len(bodies(seller, made.id)) == 1
    assert run(seller, 1).status == alerts.NOTED
    assert len(alert_tickets(seller)) == 1


def test_solved_ticket_is_reopened_with_the_next_list(seller: Seller) -> None:
    turn_on(seller)
    created = run(seller)
    assert created.ticket_id is not None
    with seller.world.client() as client:
        client.update_ticket(created.ticket_id, status="solved")
    outcome = run(seller, 1)
    assert outcome.status == alerts.NOTED and outcome.reopened
    [ticket] = alert_tickets(seller)
    assert ticket.status == "open"
    assert "deadline_alert_reopened" in audit_actions(seller)


def test_nothing_due_opens_no_ticket_and_notes_an_existing_one_once_a_day(
    seller: Seller,
) -> None:
    turn_on(seller)
    quiet = seller.today - timedelta(days=400)  # before any claim opens
    assert seller.expiring(quiet) == []
    early = replace(seller, today=quiet)
    assert run(early).status == alerts.NOTHING
    assert alert_tickets(seller) == []

    created = run(seller)
    assert created.ticket_id is not None
    after = max(c.deadline for c in seller.claims if c.deadline) + timedelta(days=1)
    assert seller.expiring(after) == []
    late = replace(seller, today=after)
    first = run(late)
    assert first.status == alerts.NOTED and first.claims == 0
    assert run(late).status == alerts.ALREADY_DONE
    notes = bodies(seller, created.ticket_id)
    assert len(notes) == 2 and "Nothing to file" in notes[1]
