"""Automatic "where is my order?" replies against the Zendesk sandbox over HTTP, on the real
store and Redis: one reply per eligible ticket whatever repeats, none when off or in doubt."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from rq import Queue, SimpleWorker
from rq.job import Job
from rq.registry import ScheduledJobRegistry
from sqlalchemy import select

from connectors.errors import UpstreamError
from connectors.zendesk.client import ZendeskClient
from connectors.zendesk.models import NewComment, UpdateResult
from plugin.domain import tracking
from plugin.domain.tracking import tracking_url
from plugin.jobs import DEFAULT_QUEUE, bind_app
from plugin.jobs.replies import answer_job_id, enqueue_answer
from plugin.services import auto_replies as ar
from plugin.services import reply_templates
from plugin.services.writeback import client_for
from plugin.store.models import AuditEvent, Writeback
from tests.replies.conftest import World

ORDER = "112-1234567-7654321"
OTHER_ORDER = "113-7654321-1234567"
UNKNOWN_ORDER = "114-0000000-1111111"
NUMBER = "1Z999AA10123456784"


def eligible(world: World, **ticket: Any) -> int:
    """Automatic replies on; one order with one fresh parcel in transit; a ticket asking."""
    world.set_auto_replies(True)
    world.order(ORDER, parcels=[{"number": NUMBER}])
    return world.ticket(
        ticket.pop("subject", "Où est ma commande ?"),
        ticket.pop("body", f"Bonjour, où est ma commande {ORDER} ? Merci"),
        **ticket,
    )


def audit(world: World, ticket_id: int, action: str) -> list[AuditEvent]:
    with world.store.session() as session:
        found = list(
            session.scalars(
                select(AuditEvent)
                .where(AuditEvent.ticket_id == ticket_id, AuditEvent.action == action)
                .order_by(AuditEvent.id)
            )
        )
        session.expunge_all()
        return found


def assert_one_reply(world: World, ticket_id: int) -> None:
    replies = world.our_comments(ticket_id, public=True)
    notes = world.our_comments(ticket_id, public=False)
    assert len(replies) == 1, [c.body for c in replies]
    assert len(notes) == 1, [c.body for c in notes]
    assert world.tags(ticket_id).count(ar.TAG) == 1
    assert "answered this ticket automatically" in notes[0].body


def assert_no_reply(world: World, ticket_id: int) -> None:
    assert world.our_comments(ticket_id, public=True) == []
    assert world.our_comments(ticket_id, public=False) == []
    assert ar.TAG not in world.tags(ticket_id)


# --- one reply -------------------------------------------------------------------------------


def test_an_eligible_ticket_gets_one_reply_in_its_language_with_the_link(world: World) -> None:
    ticket_id = eligible(world)
    outcome = world.answer(ticket_id)
    assert outcome.status == ar.REPLIED, outcome
    assert_one_reply(world, ticket_id)
    reply = world.our_comments(ticket_id, public=True)[0]
    url = tracking_url("ups", NUMBER)
    assert url is not None
    assert reply.body.startswith("Bonjour Léa,\n\n")
    assert f"numéro de suivi {NUMBER}" in reply.body and "en cours d'acheminement" in reply.body
    assert f"Suivre votre colis : {url}" in reply.body
    assert reply.html_body is not None and f'href="{url.replace("&", "&amp;")}"' in reply.html_body
    assert "réponse automatique" in reply.body
    # The customer never reads our bookkeeping: the write's marker is a tag, not text.
    assert "claimdesk ref" not in reply.body and "claimdesk ref" not in (reply.html_body or "")
    assert any(tag.startswith("claimdesk_wb_") for tag in world.tags(ticket_id))
    # The decision and both writes are in the audit trail, with the snapshot as proof.
    decided = audit(world, ticket_id, ar.DECIDED)
    assert len(decided) == 1 and decided[0].order_id == ORDER
    assert (
        decided[0].proof is not None and decided[0].proof["snapshot"]["tracking_number"] == NUMBER
    )
    assert len(audit(world, ticket_id, "note")) == 2


@pytest.mark.parametrize(
    ("subject", "body", "locale", "expected"),
    [
        ("Order status", f"Hi, where is my order {ORDER}?", "en-US", "Hello Léa,"),
        ("Bestellung", f"Hallo, wo ist meine Bestellung {ORDER}?", "de", "Guten Tag Léa,"),
        ("Pedido", f"¿Dónde está mi pedido {ORDER}?", "es", "Hola Léa:"),
        ("Ordine", f"Dov'è il mio ordine {ORDER}?", "it", "Gentile Léa,"),
        ("物流", f"你好，我的包裹到哪里了？订单号 {ORDER}", "zh-cn", "Léa Dubois您好！"),
        ("配送", f"注文 {ORDER} の荷物はどこですか？", "ja", "Léa Dubois様"),
    ],
)
def test_the_reply_is_in_the_language_the_customer_wrote(
    world: World, subject: str, body: str, locale: str, expected: str
) -> None:
    ticket_id = eligible(world, subject=subject, body=body, locale="en-US")
    assert world.answer(ticket_id).status == ar.REPLIED
    assert world.our_comments(ticket_id, public=True)[0].body.startswith(expected)


def test_an_admins_wording_is_used(world: World) -> None:
    ticket_id = eligible(world)
    with world.store.session() as session:
        reply_templates.set_template(
            session, world.installation_id, "wismo_auto_reply", "fr",
            "Salut {first_name} ! Colis {tracking_number} : {status}.\n{link}", world.now(),
        )  # fmt: skip
    assert world.answer(ticket_id).status == ar.REPLIED
    body = world.our_comments(ticket_id, public=True)[0].body
    assert body.startswith(f"Salut Léa ! Colis {NUMBER} : en cours d'acheminement.\n")


def test_no_link_through_an_amazon_relay_address(world: World) -> None:
    ticket_id = eligible(world, email="3k8x2m9q7w1zt5@marketplace.amazon.fr")
    assert world.answer(ticket_id).status == ar.REPLIED
    reply = world.our_comments(ticket_id, public=True)[0]
    assert NUMBER in reply.body
    assert "http" not in reply.body and "<a " not in (reply.html_body or "")


# --- exactly once ----------------------------------------------------------------------------


def test_running_again_replies_no_more(world: World) -> None:
    ticket_id = eligible(world)
    assert world.answer(ticket_id).status == ar.REPLIED
    for _ in range(3):  # a repeated webhook, a second job, a manual run
        assert world.answer(ticket_id).status == ar.ALREADY_REPLIED
    assert_one_reply(world, ticket_id)
    assert len(audit(world, ticket_id, ar.DECIDED)) == 1
    assert audit(world, ticket_id, ar.SKIPPED) == []  # our own reply is not "an agent's"


class LosingClient(ZendeskClient):
    """Zendesk applies the update, then the answer is lost (a reset connection, a worker
    killed before it recorded the answer): the first ``lose`` updates (of internal notes only,
    with ``notes_only``) raise after Zendesk applied them."""

    def __init__(self, *args: Any, lose: int, notes_only: bool = False, **options: Any):
        super().__init__(*args, **options)
        self.lose = lose
        self.notes_only = notes_only

    def update_ticket(self, ticket_id: int, **changes: Any) -> UpdateResult:
        result = super().update_ticket(ticket_id, **changes)
        comment = changes.get("comment")
        note = isinstance(comment, NewComment) and not comment.public
        if self.lose > 0 and (note or not self.notes_only):
            self.lose -= 1
            raise UpstreamError("the connection was reset after sending", status=0)
        return result


def losing_client(world: World, lose: int, *, notes_only: bool = False) -> LosingClient:
    with world.store.session() as session:
        settings = client_for(session, world.store.keyring, world.installation_id).settings
    return LosingClient(settings, lose=lose, notes_only=notes_only)


def test_a_retry_after_a_lost_answer_does_not_reply_twice(world: World) -> None:
    ticket_id = eligible(world)
    client = losing_client(world, lose=1)
    with pytest.raises(UpstreamError):
        world.answer(ticket_id, client=client)  # the reply reached Zendesk; we never heard
    assert len(world.our_comments(ticket_id, public=True)) == 1
    assert world.our_comments(ticket_id, public=False) == []
    outcome = world.answer(ticket_id, client=client)  # the job's retry
    assert outcome.status == ar.ALREADY_REPLIED  # found by its marker, not sent again
    assert_one_reply(world, ticket_id)
    with world.store.session() as session:
        rows = session.scalars(select(Writeback).order_by(Writeback.id)).all()
        assert [(r.key, r.status) for r in rows] == [
            (ar.reply_key(ticket_id), "sent"),
            (ar.note_key(ticket_id), "sent"),
        ]


def test_a_retry_after_a_lost_note_sends_neither_again(world: World) -> None:
    ticket_id = eligible(world)
    client = losing_client(world, lose=1, notes_only=True)
    with pytest.raises(UpstreamError):
        world.answer(ticket_id, client=client)
    assert world.answer(ticket_id, client=client).status == ar.ALREADY_REPLIED
    assert_one_reply(world, ticket_id)


def test_the_queue_runs_one_job_per_ticket_and_a_repeat_replies_no_more(world: World) -> None:
    ticket_id = eligible(world)
    bind_app(world.app)
    redis = world.store.redis
    first = enqueue_answer(redis, world.installation_id, ticket_id)
    again = enqueue_answer(redis, world.installation_id, ticket_id)  # the webhook repeats
    assert first.id == again.id == answer_job_id(world.installation_id, ticket_id)
    queue = Queue(DEFAULT_QUEUE, connection=redis)
    assert queue.count == 1
    SimpleWorker([queue], connection=redis).work(burst=True)
    assert first.get_status(refresh=True) == "finished"
    assert first.return_value() == ar.REPLIED
    enqueue_answer(redis, world.installation_id, ticket_id)  # a later repeat, after the job
    SimpleWorker([queue], connection=redis).work(burst=True)
    assert_one_reply(world, ticket_id)


# --- left to an agent ------------------------------------------------------------------------


def test_nothing_happens_while_auto_replies_are_off(world: World) -> None:
    ticket_id = eligible(world)
    world.set_auto_replies(False)
    assert world.answer(ticket_id).status == ar.OFF
    assert_no_reply(world, ticket_id)
    assert audit(world, ticket_id, ar.SKIPPED) == []


def test_off_is_the_default(world: World) -> None:
    world.order(ORDER, parcels=[{"number": NUMBER}])
    ticket_id = world.ticket("Order", f"Where is my order {ORDER}?")
    assert world.answer(ticket_id).status == ar.OFF
    assert_no_reply(world, ticket_id)


def _several_orders(world: World) -> int:
    world.order(OTHER_ORDER, parcels=[{"number": "1Z0000000000000001"}])
    return world.ticket("Orders", f"Where is my order? {ORDER} or {OTHER_ORDER}")


def _no_tracking(world: World) -> int:
    world.order(OTHER_ORDER)
    return world.ticket("Order", f"Where is my order {OTHER_ORDER}?")


def _several_parcels(world: World) -> int:
    world.order(OTHER_ORDER, parcels=[{"number": "1ZA"}, {"number": "1ZB"}])
    return world.ticket("Order", f"Where is my order {OTHER_ORDER}?")


def _stale(world: World) -> int:
    fetched = world.now() - timedelta(hours=5)
    world.order(OTHER_ORDER, parcels=[{"number": "1ZS", "fetched_at": fetched}])
    return world.ticket("Order", f"Where is my order {OTHER_ORDER}?")


def _unknown_status(world: World) -> int:
    world.order(OTHER_ORDER, parcels=[{"number": "1ZU", "status": tracking.UNKNOWN}])
    return world.ticket("Order", f"Where is my order {OTHER_ORDER}?")


def _returning(world: World) -> int:
    world.order(OTHER_ORDER, parcels=[{"number": "1ZR", "status": tracking.RETURN_TO_SENDER}])
    return world.ticket("Order", f"Where is my order {OTHER_ORDER}?")


def _delivered_long_ago(world: World) -> int:
    delivered = world.now() - timedelta(days=20)
    world.order(
        OTHER_ORDER,
        parcels=[{"number": "1ZD", "status": tracking.DELIVERED, "delivered_at": delivered}],
    )
    return world.ticket("Order", f"Where is my order {OTHER_ORDER}?")


def _late(world: World) -> int:
    late = world.now() - timedelta(days=4)
    world.order(OTHER_ORDER, parcels=[{"number": "1ZL", "estimated_delivery": late}])
    return world.ticket("Order", f"Where is my order {OTHER_ORDER}?")


def _a_to_z_too(world: World) -> int:
    return world.ticket(
        "Order",
        f"Where is my order {ORDER}? Can I have the tracking number? Otherwise I will open "
        "an A-to-z claim.",
    )


def _chargeback_too(world: World) -> int:
    return world.ticket(
        "Order", f"Where is my order {ORDER}? I will file a chargeback with my bank otherwise."
    )


def _damaged_only(world: World) -> int:
    return world.ticket("Broken", f"My mug from order {ORDER} arrived broken.")


def _cancel_too(world: World) -> int:
    return world.ticket("Order", f"Where is my order {ORDER}? Please cancel it.")


def _agent_answered(world: World) -> int:
    ticket_id = world.ticket("Order", f"Where is my order {ORDER}?")
    world.agent_reply(ticket_id, "Let me check that for you.")
    return ticket_id


def _order_not_found(world: World) -> int:  # French words we classify, an id we do not know
    return world.ticket("Commande", f"Bonjour, où est ma commande {UNKNOWN_ORDER} ?")


def _no_order(world: World) -> int:
    return world.ticket("Commande", "Bonjour, où est ma commande ?", email="new@example.net")


def _solved(world: World) -> int:
    return world.ticket("Order", f"Where is my order {ORDER}?", status="solved")


AMBIGUOUS = [
    (_several_orders, ar.SEVERAL_ORDERS),
    (_no_tracking, ar.NO_TRACKING),
    (_several_parcels, ar.SEVERAL_PARCELS),
    (_stale, ar.STALE_TRACKING),
    (_unknown_status, ar.STATUS_NEEDS_AGENT),
    (_returning, ar.STATUS_NEEDS_AGENT),
    (_delivered_long_ago, ar.DELIVERED_LONG_AGO),
    (_late, ar.LATE),
    (_a_to_z_too, ar.OTHER_CATEGORIES),
    (_chargeback_too, ar.OTHER_CATEGORIES),
    (_damaged_only, ar.NOT_WHERE_IS_MY_ORDER),
    (_cancel_too, ar.OTHER_CATEGORIES),
    (_agent_answered, ar.AGENT_REPLIED),
    (_order_not_found, ar.ORDER_NOT_FOUND),
    (_no_order, ar.NO_ORDER),
    (_solved, ar.TICKET_CLOSED),
]


@pytest.mark.parametrize(("make", "reason"), AMBIGUOUS, ids=[r for _, r in AMBIGUOUS])
def test_an_ambiguous_ticket_is_left_to_an_agent_and_says_why_once(
    world: World, make: Any, reason: str
) -> None:
    world.set_auto_replies(True)
    world.order(ORDER, parcels=[{"number": NUMBER}])  # a fine order, to tempt the code
    ticket_id = make(world)
    outcome = world.answer(ticket_id)
    assert (outcome.status, outcome.reason) == (ar.LEFT_TO_AGENT, reason), outcome
    assert world.answer(ticket_id).reason == reason  # the webhook repeats
    assert_no_reply(world, ticket_id)
    skipped = audit(world, ticket_id, ar.SKIPPED)
    assert len(skipped) == 1 and skipped[0].detail["reason"] == reason
    assert ar.REASONS[reason] in skipped[0].summary


def test_a_stale_parcel_is_refreshed_and_the_ticket_answered_after(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    world.set_auto_replies(True)
    stale = world.now() - timedelta(hours=5)
    world.order(ORDER, parcels=[{"number": NUMBER, "fetched_at": stale}])
    ticket_id = world.ticket("Commande", f"Bonjour, où est ma commande {ORDER} ?")
    bind_app(world.app)
    redis = world.store.redis
    queue = Queue(DEFAULT_QUEUE, connection=redis)
    job = enqueue_answer(redis, world.installation_id, ticket_id)
    with caplog.at_level("INFO"):
        SimpleWorker([queue], connection=redis).work(burst=True)
    assert str(job.return_value()).startswith("left_to_agent: stale_tracking; tracking refresh")
    assert f"tracking ups {NUMBER}:" in caplog.text  # the refresh job ran
    assert_no_reply(world, ticket_id)
    later = f"{answer_job_id(world.installation_id, ticket_id)}-after-refresh"
    assert ScheduledJobRegistry(queue=queue).get_job_ids() == [later]
    enqueue_answer(redis, world.installation_id, ticket_id)  # a repeat: still stale, no new plan
    SimpleWorker([queue], connection=redis).work(burst=True)
    assert ScheduledJobRegistry(queue=queue).get_job_ids() == [later]
    world.order(ORDER, parcels=[{"number": NUMBER}])  # what a carrier's fresh answer stores
    queue.enqueue_job(Job.fetch(later, connection=redis))  # the planned look, when due
    SimpleWorker([queue], connection=redis).work(burst=True)
    assert Job.fetch(later, connection=redis).return_value() == ar.REPLIED
    assert_one_reply(world, ticket_id)
    enqueue_answer(redis, world.installation_id, ticket_id)
    SimpleWorker([queue], connection=redis).work(burst=True)
    assert_one_reply(world, ticket_id)
