"""The audit trail on the real store (SQLite and PostgreSQL): what is recorded, how it is found,
that bad input records nothing, and that nothing changes or deletes an event."""

from __future__ import annotations

import inspect
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from plugin.services import audit
from plugin.store import audit_queries, case_queries
from plugin.store import sidebar_queries as sq
from plugin.store.models import AuditEvent

NOW = datetime(2026, 10, 31, 12, 0, tzinfo=UTC)
ORDER = "112-1234567-7654321"


def record(session: Session, installation_id: int, **values: object) -> AuditEvent:
    arguments: dict[str, object] = {
        "actor": audit.CLAIMDESK,
        "action": audit.NOTE,
        "summary": "Claim note written",
        "now": NOW,
        **values,
    }
    return audit.record(session, installation_id, **arguments)  # type: ignore[arg-type]


def count(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count()).select_from(AuditEvent)) or 0)


def test_an_event_keeps_time_actor_ticket_order_asin_and_proof(
    sessions: sessionmaker[Session], make_installation: object
) -> None:
    shop = make_installation("shop")  # type: ignore[operator]
    paris = timezone(timedelta(hours=1))
    proof = {"tracking_snapshot": {"status": "delivered", "at": datetime(2026, 10, 3, tzinfo=UTC)}}
    with sessions.begin() as session:
        made = record(
            session,
            shop,
            actor=audit.agent_actor(4242),
            action=audit.REPLY_INSERT,
            summary="  Inserted tracking  ",
            ticket_id=17,
            order_id=ORDER,
            asin="B0CDEF1234",
            sku="MUG-1",
            detail={"amount": Decimal("19.99")},
            proof=proof,
            now=datetime(2026, 10, 31, 13, 0, tzinfo=paris),
        )
        assert made.id is not None
    with sessions() as session:
        (found,) = audit.events_for_order(session, shop, ORDER)
        assert found.at == datetime(2026, 10, 31, 12, 0, tzinfo=UTC)
        assert found.at.utcoffset() == timedelta(0)
        assert found.actor == "agent:4242"
        assert found.action == "reply_insert"
        assert found.summary == "Inserted tracking"
        assert (found.ticket_id, found.order_id, found.asin, found.sku) == (
            17,
            ORDER,
            "B0CDEF1234",
            "MUG-1",
        )
        assert found.detail == {"amount": "19.99"}
        assert found.proof == {
            "tracking_snapshot": {"status": "delivered", "at": "2026-10-03T00:00:00+00:00"}
        }
        assert audit.event_document(found)["at"] == "2026-10-31T12:00:00+00:00"


def test_queries_by_order_and_by_ticket_stay_in_their_installation(
    sessions: sessionmaker[Session], make_installation: object
) -> None:
    shop, other = make_installation("shop"), make_installation("other")  # type: ignore[operator]
    with sessions.begin() as session:
        record(session, shop, order_id=ORDER, now=NOW)
        record(session, shop, ticket_id=5, action=audit.TRIAGE, now=NOW + timedelta(minutes=1))
        record(session, shop, ticket_id=5, order_id=ORDER, now=NOW + timedelta(minutes=2))
        record(session, shop, order_id="999-0000000-0000000", ticket_id=6, now=NOW)
        record(session, shop, order_id="999-0000000-0000000", ticket_id=5, now=NOW)  # shared
        record(session, other, order_id=ORDER, ticket_id=5, now=NOW)
    with sessions() as session:
        by_order = audit.events_for_order(session, shop, ORDER)
        by_ticket = audit.events_for_ticket(session, shop, 5)
        both = audit.events_for_order_and_tickets(session, shop, ORDER, [5])
        assert {e.installation_id for e in by_order + by_ticket + both} == {shop}
        assert [e.at for e in by_order] == [NOW, NOW + timedelta(minutes=2)]
        assert [e.action for e in by_ticket] == ["note", "triage", "note"]
        # The order's two and the ticket's triage, each once; not the other order's note.
        assert [e.action for e in both] == ["note", "triage", "note"]
        assert {e.order_id for e in both} == {ORDER, None}
        assert len(audit.events_for_order(session, other, ORDER)) == 1


def test_case_events_land_in_the_same_table_and_shape(
    sessions: sessionmaker[Session], make_installation: object
) -> None:
    """The cases service appends through case_queries: the trail reads those too."""
    shop = make_installation("shop")  # type: ignore[operator]
    with sessions.begin() as session:
        case_queries.insert_audit_event(
            session,
            shop,
            at=NOW,
            actor="cli:amy",
            action="case_open",
            summary="Opened case C-000001",
            detail={"case_id": 1},
            sku="MUG-1",
            order_id=ORDER,
        )
        record(session, shop, order_id=ORDER, now=NOW + timedelta(seconds=1))
    with sessions() as session:
        events = audit.events_for_order(session, shop, ORDER)
        assert [e.action for e in events] == ["case_open", "note"]
        documents = [audit.event_document(e) for e in events]
        assert [sorted(d) for d in documents][0] == sorted(documents[1])


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"now": datetime(2026, 10, 31, 12, 0)}, "timezone-aware"),
        ({"actor": ""}, "actor"),
        ({"actor": "Agent 7"}, "actor"),
        ({"actor": "agent:7\n"}, "actor"),
        ({"action": "Reply Insert"}, "action"),
        ({"action": "x" * 41}, "action"),
        ({"summary": "  "}, "summary"),
        ({"summary": "x" * 4001}, "summary"),
        ({"ticket_id": 0}, "ticket_id"),
        ({"ticket_id": True}, "ticket_id"),
        ({"order_id": "1" * 65}, "order_id"),
        ({"asin": "B" * 21}, "asin"),
        ({"detail": {"x": object()}}, "detail is not JSON"),
        ({"detail": {"x": float("nan")}}, "detail is not JSON"),
        ({"proof": {"blob": "x" * 200_001}}, "proof is larger"),
    ],
)
def test_bad_input_is_refused_and_records_nothing(
    sessions: sessionmaker[Session],
    make_installation: object,
    values: dict[str, object],
    message: str,
) -> None:
    shop = make_installation("shop")  # type: ignore[operator]
    with sessions.begin() as session, pytest.raises(audit.AuditError, match=message):
        record(session, shop, **values)
    assert count(sessions) == 0


def test_a_loaded_event_cannot_be_changed_or_deleted(
    sessions: sessionmaker[Session], make_installation: object
) -> None:
    shop = make_installation("shop")  # type: ignore[operator]
    with sessions.begin() as session:
        record(session, shop, order_id=ORDER, summary="original")
    with sessions() as session:
        (found,) = audit.events_for_order(session, shop, ORDER)
        found.summary = "rewritten"
        with pytest.raises(audit.AuditImmutable):
            session.flush()
        session.rollback()
        (found,) = audit.events_for_order(session, shop, ORDER)
        session.delete(found)
        with pytest.raises(audit.AuditImmutable):
            session.flush()
        session.rollback()
    with sessions() as session:
        (found,) = audit.events_for_order(session, shop, ORDER)
        assert found.summary == "original"


@pytest.mark.parametrize(
    "statement",
    [
        update(AuditEvent).values(summary="rewritten"),
        delete(AuditEvent),
        update(AuditEvent.__table__).values(summary="rewritten"),  # type: ignore[arg-type]
        delete(AuditEvent.__table__),  # type: ignore[arg-type]
    ],
    ids=["orm-update", "orm-delete", "core-update", "core-delete"],
)
def test_update_and_delete_statements_are_refused(
    sessions: sessionmaker[Session], make_installation: object, statement: object
) -> None:
    shop = make_installation("shop")  # type: ignore[operator]
    with sessions.begin() as session:
        record(session, shop, order_id=ORDER, summary="original")
    with sessions() as session, pytest.raises(audit.AuditImmutable):
        session.execute(statement)  # type: ignore[call-overload]
    with sessions() as session:
        assert [e.summary for e in audit.events_for_order(session, shop, ORDER)] == ["original"]


def test_no_query_or_service_function_changes_events() -> None:
    """The modules that touch the table only insert and select."""
    for module in (audit, audit_queries, case_queries, sq):
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if function.__module__ != module.__name__:
                continue
            source = inspect.getsource(function)
            if "AuditEvent" in source:
                assert "update(" not in source and "delete(" not in source, (module, name)
                assert not name.startswith(("update", "delete", "remove", "edit")), name
