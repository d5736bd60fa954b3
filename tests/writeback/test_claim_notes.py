"""Claim notes against the Zendesk sandbox, on both stores: one internal note and tags per
ticket per sync, a repeated sync writes nothing, a changed claim writes once more, a 409 and a
429 storm still give exactly one note, tags already on the ticket survive, case status changes
give a follow-up note, and every write is an audit event."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from connectors.errors import RateLimited
from plugin.services import claim_notes, writeback
from plugin.services.cases import close_case, open_case
from plugin.store.models import WRITE_SENT, AuditEvent, Writeback
from tests.writeback.conftest import NOW, OWN_TAGS, World, make_claim, order_id


def write(world: World, ticket_id: int, **options: object) -> list[writeback.WriteOutcome]:
    with world.client(**options) as client:  # type: ignore[arg-type]
        return claim_notes.write_ticket_notes(
            world.store, world.installation_id, ticket_id, now=NOW, client=client,
            lease_seconds=3,
        )  # fmt: skip


def rows(world: World) -> list[Writeback]:
    with world.store.sessions() as session:
        return list(session.scalars(select(Writeback).order_by(Writeback.id)))


def audit_events(world: World) -> list[AuditEvent]:
    with world.store.sessions() as session:
        return list(
            session.scalars(
                select(AuditEvent)
                .where(AuditEvent.action.in_(("note", "tag")))
                .order_by(AuditEvent.id)
            )
        )


def test_one_note_and_tags_per_ticket_for_many_claims(world: World) -> None:
    first, second, third = order_id(1), order_id(101), order_id(2)
    claims = [
        make_claim(first, "SKU-0001", quantity=2),
        make_claim(first, "SKU-0002"),
        make_claim(first, "SKU-0003", kind="refund_not_returned"),
        make_claim(second, "SKU-0004", quantity=3, status="waiting"),
        make_claim(third, "SKU-0005"),
    ]
    changes = world.save(claims)
    world.link(1, first, second)
    world.link(2, third)
    with world.store.session() as session:
        tickets = claim_notes.tickets_for_orders(
            session, world.installation_id, {c.reference_id for c in changes.new}
        )
    assert tickets == [1, 2]
    outcomes = write(world, 1) + write(world, 2)
    assert [o.status for o in outcomes] == ["sent", "sent"]
    assert world.updates(1) == [200] and world.updates(2) == [200]
    [note] = world.notes(1)
    assert not note.public
    for sku in ("SKU-0001", "SKU-0002", "SKU-0003", "SKU-0004"):
        assert sku in note.body
    assert "SKU-0005" not in note.body
    assert "2 unit(s), 25.00 EUR, claimable now; deadline 2027-01-29" in note.body
    assert "3 unit(s), 37.50 EUR, not claimable yet" in note.body
    assert "Evidence: returns.tsv:12, orders.tsv:40" in note.body
    assert f"claimdesk: 4 reimbursement claim(s) on order(s) {first}, {second}" in note.body
    assert world.tags(1) == (
        *OWN_TAGS,
        "claimdesk_claim",
        "claimdesk_claim_refund_not_returned",
        "claimdesk_claim_return_not_received",
    )
    sent = rows(world)
    assert [(r.ticket_id, r.status) for r in sent] == [(1, WRITE_SENT), (2, WRITE_SENT)]
    assert sent[0].zendesk_audit_id == note.audit_id
    assert f"claimdesk ref: wb-{sent[0].id}" in note.body
    events = audit_events(world)
    assert [(e.actor, e.action, e.ticket_id) for e in events] == [
        ("claimdesk", "note", 1),
        ("claimdesk", "note", 2),
    ]
    assert events[1].order_id == third and events[1].proof is not None
    assert events[0].detail["zendesk_audit_id"] == note.audit_id


def test_a_repeated_sync_writes_nothing_and_a_changed_claim_writes_once(world: World) -> None:
    order = order_id(3)
    claims = [make_claim(order, "SKU-0001"), make_claim(order, "SKU-0002")]
    world.save(claims)
    world.link(3, order)
    assert [o.status for o in write(world, 3)] == ["sent"]
    again = world.save(claims)
    assert not again.new and not again.changed
    with world.store.session() as session:
        assert (
            claim_notes.after_claims(
                world.store.redis, session, world.installation_id, order_ids=set()
            )
            == 0
        )
    assert write(world, 3) == []  # the job run anyway (a retry): nothing to tell
    changed = world.save([make_claim(order, "SKU-0001", quantity=4), claims[1]])
    assert [c.sku for c in changed.changed] == ["SKU-0001"]
    assert [o.status for o in write(world, 3)] == ["sent"]
    assert write(world, 3) == []
    notes = world.notes(3)
    assert len(notes) == 2 and world.updates(3) == [200, 200]
    assert "SKU-0002" in notes[0].body and "SKU-0002" not in notes[1].body
    assert "4 unit(s), 50.00 EUR" in notes[1].body
    assert world.tags(3)[: len(OWN_TAGS)] == OWN_TAGS


def test_a_409_from_an_agents_concurrent_edit_still_gives_one_note(world: World) -> None:
    order = order_id(4)
    world.save([make_claim(order, "SKU-0001")])
    world.link(4, order)

    def agent_edits(sandbox: object) -> None:
        zendesk = world.zendesk
        zendesk.advance(2)
        zendesk.update_ticket(
            zendesk.ticket(4),
            {"additional_tags": ["agent_tag"], "comment": {"body": "On it", "public": True}},
            zendesk.users[5001],
            "web",
        )

    world.zendesk.before("tickets.update", agent_edits)
    assert [o.status for o in write(world, 4)] == ["sent"]
    assert world.updates(4) == [409, 200]
    assert len(world.notes(4)) == 1
    assert world.tags(4) == (*OWN_TAGS, "agent_tag", "claimdesk_claim",
                             "claimdesk_claim_return_not_received")  # fmt: skip
    assert write(world, 4) == [] and world.updates(4) == [409, 200]


def test_a_429_storm_past_the_budget_retries_and_gives_one_note(world: World) -> None:
    order = order_id(5)
    world.save([make_claim(order, "SKU-0001")])
    world.link(5, order)
    world.zendesk.inject(429, 5, route="tickets.update", retry_after=1)
    tries = 0
    outcomes: list[writeback.WriteOutcome] = []
    while not outcomes:
        tries += 1
        assert tries < 10, "the storm never ended"
        try:
            outcomes = write(world, 5, ratelimit_budget=1.5)
        except RateLimited as limited:
            [row] = rows(world)
            assert row.status == "pending" and "429" in (row.error or "")
            time.sleep(limited.retry_after or 1)
    assert tries > 1 and [o.status for o in outcomes] == ["sent"]
    assert world.updates(5) == [429, 429, 429, 429, 429, 200]
    assert len(world.notes(5)) == 1
    [row] = rows(world)
    assert row.attempts == tries and row.error is None
    assert len(audit_events(world)) == 1


def test_case_status_changes_give_a_short_follow_up_note(world: World) -> None:
    order = order_id(6)
    world.save([make_claim(order, "SKU-0001")])
    world.link(6, order)
    assert [o.status for o in write(world, 6)] == ["sent"]
    with world.store.session() as session:
        case = open_case(
            session, world.installation_id, [("return_not_received", order, "SKU-0001")],
            actor="cli:test", now=NOW,
        )  # fmt: skip
    with world.store.session() as session:
        assert claim_notes.tickets_needing_notes(session, world.installation_id, NOW) == []
    with world.store.session() as session:
        close_case(
            session, world.installation_id, case.id, "Amazon found the refund was right",
            actor="cli:test", now=NOW,
        )  # fmt: skip
    with world.store.session() as session:
        assert claim_notes.tickets_needing_notes(session, world.installation_id, NOW) == [6]
    assert [o.status for o in write(world, 6)] == ["sent"]
    notes = world.notes(6)
    assert len(notes) == 2
    assert f"Closed case {case.reference} without reimbursement" in notes[1].body
    assert "SKU-0001, order" not in notes[1].body  # the claim is not told again
    assert "claimdesk_case" in world.tags(6)
    with world.store.session() as session:
        assert claim_notes.tickets_needing_notes(session, world.installation_id, NOW) == []
    assert write(world, 6) == []


def test_unlinked_orders_and_failed_writes(world: World) -> None:
    world.save([make_claim(order_id(7), "SKU-0001"), make_claim(order_id(8), "SKU-0001")])
    assert write(world, 7) == []  # no link, no note
    world.link(7, order_id(7))
    world.link(404, order_id(8))  # a ticket deleted in Zendesk since
    [gone] = write(world, 404)
    assert gone.status == "failed" and "NotFound" in (gone.error or "")
    assert write(world, 404) == []  # needs a person, not another try
    assert [o.status for o in write(world, 7)] == ["sent"]
    with world.store.sessions() as session:
        row = session.scalar(select(Writeback).where(Writeback.ticket_id == 404))
        assert row is not None and row.status == "failed"


def test_write_once_by_key(world: World) -> None:
    from connectors.zendesk.models import NewComment

    with world.client() as client:
        first = writeback.write_once(
            world.store, world.installation_id, key="test:hello", ticket_id=9, kind="triage",
            comment=NewComment("Risk: high (A-to-z)"), add_tags=["claimdesk_risk_high"],
            priority="urgent", now=NOW, client=client,
        )  # fmt: skip
        second = writeback.write_once(
            world.store, world.installation_id, key="test:hello", ticket_id=9, kind="triage",
            comment=NewComment("Risk: high (A-to-z)"), now=NOW, client=client,
        )  # fmt: skip
    assert first.status == "sent" and second.status == "already_sent"
    assert second.audit_id == first.audit_id is not None
    assert world.updates(9) == [200] and len(world.notes(9)) == 1
    with world.client() as client:
        assert client.ticket(9).priority == "urgent"
    with pytest.raises(writeback.WritebackError):
        writeback.write_once(
            world.store, world.installation_id, key="test:empty", ticket_id=9, kind="triage",
            now=NOW,
        )  # fmt: skip


def test_the_sweep_enqueues_a_case_follow_up_and_a_worker_writes_it(world: World) -> None:
    from plugin.jobs import bind_app
    from plugin.jobs.writeback import sweep_ticket_notes

    order = order_id(11)
    world.save([make_claim(order, "SKU-0001")])
    world.link(11, order)
    assert [o.status for o in write(world, 11)] == ["sent"]
    with world.store.session() as session:
        case = open_case(
            session, world.installation_id, [("return_not_received", order, "SKU-0001")],
            actor="cli:test", now=NOW,
        )  # fmt: skip
    with world.store.session() as session:
        close_case(
            session, world.installation_id, case.id, "duplicate of another case",
            actor="agent:5001", now=datetime.now(UTC),
        )  # fmt: skip
    bind_app(world.app)
    assert sweep_ticket_notes() == 1
    assert sweep_ticket_notes() == 0  # its job is queued already
    drained = world.backend.run("worker", "--burst")
    assert drained.returncode == 0, drained.stderr
    notes = world.notes(11)
    assert len(notes) == 2 and "duplicate of another case" in notes[1].body
    assert sweep_ticket_notes() == 0


def test_refused_credentials_wait_and_endless_failures_are_given_up(world: World) -> None:
    from connectors.errors import AuthError, UpstreamError
    from connectors.zendesk.client import ZendeskClient
    from connectors.zendesk.models import NewComment
    from connectors.zendesk.settings import ZendeskSettings

    token = world.zendesk.credentials.api_token

    def once(key: str) -> writeback.WriteOutcome:
        settings = ZendeskSettings(
            "acme", world.zendesk.url, world.zendesk.credentials.email, token
        )
        with ZendeskClient(settings) as client:
            return writeback.write_once(
                world.store, world.installation_id, key=key, ticket_id=12, kind="triage",
                comment=NewComment(f"note {key}"), now=NOW, client=client, lease_seconds=3,
            )  # fmt: skip

    right = world.zendesk.credentials
    world.zendesk.credentials = type(right)(right.email, "rotated")  # the token was revoked
    with pytest.raises(AuthError):
        once("test:auth")
    with world.store.sessions() as session:
        row = session.scalar(select(Writeback).where(Writeback.key == "test:auth"))
        assert row is not None and row.status == "pending" and "AuthError" in (row.error or "")
    token = "rotated"  # the account is reconnected with the new token
    assert once("test:auth").status == "sent"
    world.zendesk.inject(503, 100, route="tickets.update")
    for _ in range(writeback.MAX_ATTEMPTS):
        with pytest.raises(UpstreamError):
            once("test:outage")
    given_up = once("test:outage")
    assert given_up.status == "failed" and "given up after 8 attempts" in (given_up.error or "")
    assert world.updates(12) == [200] + [503] * writeback.MAX_ATTEMPTS
    assert [n.body.splitlines()[0] for n in world.notes(12)] == ["note test:auth"]
