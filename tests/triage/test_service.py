"""Triage against the Zendesk sandbox: the order's state, the installation's rules and SLA
targets (changed through the CLI), the webhook secret fetched from the API, the reply job."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests
from rq import Queue
from sqlalchemy import select

from plugin.security import webhook as sig
from plugin.services import triage as service
from plugin.store import queries
from plugin.store.models import Order, TicketTriage, TrackingSnapshot
from tests.triage.conftest import NAME, SECRET, Stack

ORDER = "112-4471936-0082231"


def create_ticket(stack: Stack, subject: str, body: str) -> int:
    zendesk = stack.zendesk
    created = requests.post(
        f"{zendesk.url}/api/v2/tickets.json",
        json={"ticket": {"subject": subject, "comment": {"body": body},
                         "requester": {"name": "Sam", "email": "sam@example.net"}}},
        auth=(f"{zendesk.credentials.email}/token", zendesk.credentials.api_token),
        timeout=10,
    )  # fmt: skip
    assert created.status_code == 201, created.text
    return int(created.json()["ticket"]["id"])


def installation_id(stack: Stack) -> int:
    with stack.store.session() as session:
        found = queries.installation_by_name(session, NAME)
        assert found is not None
        return found.id


def triage_of(stack: Stack, ticket_id: int) -> TicketTriage:
    with stack.store.session() as session:
        return session.scalars(
            select(TicketTriage).where(TicketTriage.ticket_id == ticket_id)
        ).one()


def test_a_late_parcel_makes_where_is_my_order_high_risk_and_queues_the_reply(
    stack: Stack,
) -> None:
    now = datetime.now(UTC)
    owner = installation_id(stack)
    with stack.store.session() as session:
        session.add(Order(installation_id=owner, channel="amazon", order_id=ORDER,
                          marketplace_id="ATVPDKIKX0DER", status="Shipped", data={},
                          first_seen_at=now, updated_at=now))  # fmt: skip
        session.add(TrackingSnapshot(
            installation_id=owner, carrier="ups", tracking_number="1Z999AA10123456784",
            channel="amazon", order_id=ORDER, status="in_transit", status_detail=None,
            events=[], estimated_delivery=now - timedelta(days=3), delivered_at=None,
            proof=None, source="amazon:orders", fetched_at=now, expires_at=now + timedelta(hours=6),
        ))  # fmt: skip
        session.commit()
    quiet = create_ticket(stack, "Order question", f"Where is my order {ORDER}? Tracking number?")
    result = service.triage_ticket(stack.store, owner, quiet, {"event": "created"}, now=now)
    assert result.decision.categories == ("where_is_my_order",)
    assert result.decision.risk == "high"  # low from the words, high from the late parcel
    assert result.orders == (ORDER,)
    assert any(r["rule"] == "state:late" for r in result.decision.reasons)
    assert result.reply_job in Queue(service.QUEUE, connection=stack.store.redis).job_ids
    note = [c.body for c in stack.zendesk.ticket(quiet).comments if not c.public][0]
    assert "late (112-4471936-0082231)" in note
    assert stack.zendesk.ticket(quiet).priority == "high"


def test_rules_and_targets_changed_through_the_cli_change_the_outcome(
    stack: Stack, tmp_path: Path
) -> None:
    owner = installation_id(stack)
    now = datetime.now(UTC)
    ticket = create_ticket(stack, "Colour", "The colour is a bit off compared to the photos.")
    first = service.triage_ticket(stack.store, owner, ticket, {"event": "created"}, now=now)
    assert first.decision.risk == "none" and first.write_status is None
    exported = tmp_path / "rules.json"
    result = stack.backend.claimdesk("triage", "rules", NAME, "--export", str(exported))
    assert result.exit_code == 0, result.output
    document = json.loads(exported.read_text(encoding="utf-8"))
    broken = tmp_path / "broken.json"
    document["categories"]["damaged"]["patterns"]["en"].append("colou?r is (a bit off")
    broken.write_text(json.dumps(document), encoding="utf-8")
    refused = stack.backend.claimdesk("triage", "rules", NAME, "--import", str(broken))
    assert refused.exit_code != 0
    assert "categories.damaged.patterns.en[" in refused.output
    assert "not a valid regular expression" in refused.output
    document["categories"]["damaged"]["patterns"]["en"][-1] = r"colou?r is (?:a bit )?off"
    exported.write_text(json.dumps(document), encoding="utf-8")
    imported = stack.backend.claimdesk("triage", "rules", NAME, "--import", str(exported))
    assert imported.exit_code == 0, imported.output
    assert stack.backend.claimdesk("triage", "sla", NAME, "--high", "0.5").exit_code == 0
    second = service.triage_ticket(stack.store, owner, ticket, {"event": "created"}, now=now)
    assert (second.decision.risk, second.decision.categories) == ("high", ("damaged",))
    assert second.write_status == "sent"
    row = triage_of(stack, ticket)
    assert row.sla_due_at is not None and row.ticket_created_at is not None
    assert row.sla_due_at - row.ticket_created_at == timedelta(minutes=30)
    shown = stack.backend.claimdesk("triage", "rules", NAME)
    assert "custom triage rules" in shown.output
    reset = stack.backend.claimdesk("triage", "rules", NAME, "--reset")
    assert reset.exit_code == 0 and "built-in" in reset.output
    bad = stack.backend.claimdesk("triage", "sla", NAME, "--low", "900")
    assert bad.exit_code != 0 and "sla_targets.low" in bad.output


def test_the_webhook_secret_fetched_from_zendesk_verifies_deliveries(stack: Stack) -> None:
    zendesk = stack.zendesk
    again = stack.backend.claimdesk(
        "connect", "zendesk", NAME, "--subdomain", zendesk.subdomain,
        "--installation-id", str(zendesk.installation_id), "--app-id", str(zendesk.app_id),
        "--url", zendesk.url, "--webhook-secret", "a-stale-secret",
        "--email", zendesk.credentials.email, "--api-token", zendesk.credentials.api_token,
    )  # fmt: skip
    assert again.exit_code == 0, again.output
    create_ticket(stack, "Broken", "It arrived broken")
    zendesk.flush_deliveries()
    assert zendesk.deliveries[-1].status == 401  # signed with the real secret
    fetched = stack.backend.claimdesk("triage", "fetch-webhook-secret", NAME)
    assert fetched.exit_code == 0, fetched.output
    assert SECRET not in fetched.output
    create_ticket(stack, "Broken again", "It arrived broken")
    zendesk.flush_deliveries()
    assert zendesk.deliveries[-1].status == 202
    listed = stack.backend.claimdesk("triage", "deliveries", NAME)
    assert "REFUSED" in listed.output and sig.BAD_SIGNATURE in listed.output
    assert "accepted" in listed.output


def test_an_update_reads_the_conversation_and_the_first_answer_stops_the_clock(
    stack: Stack,
) -> None:
    owner = installation_id(stack)
    zendesk = stack.zendesk
    ticket = create_ticket(stack, "Question", "Do you ship to Canada?")
    answered = requests.put(
        f"{zendesk.url}/api/v2/tickets/{ticket}.json",
        json={"ticket": {"comment": {"body": "Yes we do!", "public": True}}},
        auth=(f"{zendesk.credentials.email}/token", zendesk.credentials.api_token),
        timeout=10,
    )
    assert answered.status_code == 200, answered.text
    now = datetime.now(UTC)
    result = service.triage_ticket(stack.store, owner, ticket, {"event": "updated"}, now=now)
    assert result.decision.risk == "none" and result.write_status is None
    row = triage_of(stack, ticket)
    assert row.first_response_at is not None
    assert row.sla_due_at is None  # no risk: no internal target


def test_a_customer_update_that_escalates_is_written_again(stack: Stack) -> None:
    from rq import SimpleWorker

    zendesk = stack.zendesk
    ticket = create_ticket(stack, "Broken mug", "The mug arrived cracked.")
    zendesk.flush_deliveries()
    worker = SimpleWorker([Queue(service.QUEUE, connection=stack.store.redis)],
                          connection=stack.store.redis)  # fmt: skip
    worker.work(burst=True)
    assert triage_of(stack, ticket).categories == ["damaged"]
    assert zendesk.ticket(ticket).priority == "high"
    requester = zendesk.users[zendesk.ticket(ticket).requester_id]
    zendesk.update_ticket(
        zendesk.ticket(ticket),
        {"comment": {"body": "No answer yet. I will file a chargeback tomorrow."}},
        requester,
        "web",
    )
    zendesk.flush_deliveries()
    updated = [d for d in zendesk.deliveries if d.ticket_id == ticket]
    # The sandbox's update trigger has no end-user guard: our own write sent one too. Both
    # share the body and may share the second; each invocation is accepted, none lost.
    assert [json.loads(d.body)["event"] for d in updated][:1] == ["created"]
    assert {json.loads(d.body)["event"] for d in updated[1:]} == {"updated"}
    assert [d.status for d in updated] == [202] * len(updated)
    worker.work(burst=True)
    row = triage_of(stack, ticket)
    assert row.categories == ["chargeback", "damaged"]
    after = zendesk.ticket(ticket)
    assert {"claimdesk_chargeback", "claimdesk_damaged", "claimdesk_risk_high"} <= set(after.tags)
    assert after.priority == "urgent"
    notes = [c.body for c in after.comments if not c.public]
    assert len(notes) == 2 and "chargeback" in notes[1]
