"""A worker SIGKILLed in the middle of a write, on both stores: a real ``claimdesk worker``
process takes the ticket's notes job and is killed while its update is in flight. Either
Zendesk applied the update and the answer never came back (``applied``), or the request was
lost on the way (``lost``). A second worker then finishes the job: the ticket ends up with
exactly one note, found by its marker in the first case, sent once in the second."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from plugin.services import claim_notes
from plugin.store.models import AuditEvent, Writeback
from tests.sync.support import kill_group, wait_until
from tests.writeback.conftest import World, make_claim, order_id

TICKET = 10


def row_of(world: World) -> Writeback | None:
    with world.store.sessions() as session:
        return session.scalar(select(Writeback).where(Writeback.ticket_id == TICKET))


@pytest.mark.parametrize("stall", ["applied", "lost"])
def test_a_worker_killed_mid_write_leaves_exactly_one_note(
    world: World, tmp_path: Path, stall: str
) -> None:
    order = order_id(TICKET)
    changes = world.save([make_claim(order, "SKU-0001"), make_claim(order, "SKU-0002")])
    world.link(TICKET, order)
    arrived = threading.Event()
    world.zendesk.before("tickets.update", lambda _sandbox: arrived.set())
    world.zendesk.stall("tickets.update", 15, applied=stall == "applied")
    with world.store.session() as session:
        asked = claim_notes.after_claims(
            world.store.redis, session, world.installation_id,
            order_ids={c.reference_id for c in changes.new},
        )  # fmt: skip
    assert asked == 1
    first = world.backend.spawn_worker(tmp_path / "worker-1.log")
    try:
        # The update reached the sandbox (and, when applied, took effect): the worker waits
        # for the answer, its row pending with the attempt counted.
        wait_until(
            lambda: (
                arrived.is_set()
                and (
                    stall == "lost"
                    or any(r.route == "tickets.update" for r in world.zendesk.requests)
                )
            ),
            60,
            "the worker to send the update",
        )
    finally:
        kill_group(first)
    row = row_of(world)
    assert row is not None and row.status == "pending" and row.attempts == 1
    applied = stall == "applied"
    with world.store.sessions() as session:  # the periodic sweep would pick it up later
        soon = datetime.now(UTC) + claim_notes.PENDING_AFTER + timedelta(seconds=1)
        assert claim_notes.tickets_needing_notes(session, world.installation_id, soon) == [TICKET]
    assert len(world.notes(TICKET)) == (1 if applied else 0)
    # The dead worker's job is still "started" in RQ: asking again queues a second job behind
    # it, which a new worker runs once the dead one's leases (3 s here) run out.
    from rq.job import Job

    for jid in ("ticket-notes-1-10", "ticket-notes-1-10-again"):
        try:
            print("JOB", jid, Job.fetch(jid, connection=world.store.redis).get_status())
        except Exception as e:
            print("JOB", jid, e)
    with world.store.session() as session:
        assert claim_notes.request_notes(world.store.redis, world.installation_id, [TICKET]) == 1
    second = world.backend.spawn_worker(tmp_path / "worker-2.log")
    try:
        wait_until(
            lambda: (found := row_of(world)) is not None and found.status == "sent",
            60,
            "the second worker to finish the write",
        )
    finally:
        kill_group(second)
    notes = world.notes(TICKET)
    assert len(notes) == 1, [n.body for n in notes]
    row = row_of(world)
    assert row is not None and row.zendesk_audit_id == notes[0].audit_id
    updates = world.updates(TICKET)
    # One update took effect (a lost one is recorded, status 0, only when it is dropped).
    assert [status for status in updates if status] == [200]
    if applied:  # found by its marker: the comments were read, nothing sent again
        assert any(r.route == "comments.list" for r in world.zendesk.requests)
    with world.store.sessions() as session:
        [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "note"))
    assert event.ticket_id == TICKET and event.actor == "claimdesk"
    assert event.detail["recovered"] is applied
    assert "SKU-0001" in notes[0].body and "SKU-0002" in notes[0].body
