"""Case rules on the real store (SQLite and PostgreSQL), against a generated seller's claims.

One open case per SKU and kind (service, database, and two sessions racing on PostgreSQL);
delete gives the claims back exactly as they were; closing, recording case IDs; every action
in the audit trail; tenants never mix.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from plugin.domain.claims import CLAIMABLE, EXPIRED, REVIEW, WAITING, Claim
from plugin.services import cases as service
from plugin.services.cases import (
    AmazonCaseIdInUse,
    CaseAlreadyOpen,
    CaseError,
    CaseNotFound,
    CaseStateError,
    ClaimAlreadyFiled,
    ClaimNotFound,
    ClaimOutsideWindow,
    InvalidClaimKey,
)
from plugin.store import case_queries
from plugin.store.models import Case, CaseClaim, ClaimRecord
from tests.cases.conftest import NOW, Seller

ACTOR = "agent:42"


def pick(seller: Seller, *, kind: str | None = None, status: str = CLAIMABLE) -> Claim:
    return next(
        claim
        for claim in seller.claims
        if claim.status == status and (kind is None or claim.kind == kind)
    )


def same_sku_pair(seller: Seller) -> tuple[Claim, Claim]:
    """Two claimable claims of one kind and SKU (the generator plants such pairs)."""
    by_group: dict[tuple[str, str], list[Claim]] = {}
    for claim in seller.claims:
        if claim.status == CLAIMABLE:
            by_group.setdefault((claim.kind, claim.sku), []).append(claim)
    pairs = [group for group in by_group.values() if len(group) >= 2]
    if not pairs:
        pytest.skip("the generated seller has no two claimable claims of one SKU and kind")
    return pairs[0][0], pairs[0][1]


def claim_rows(session: Session, installation_id: int) -> list[dict[str, Any]]:
    records = session.scalars(
        select(ClaimRecord)
        .where(ClaimRecord.installation_id == installation_id)
        .order_by(ClaimRecord.id)
    )
    return [
        {c.name: getattr(r, c.key) for c in ClaimRecord.__table__.columns}  # type: ignore[attr-defined]
        for r in records
    ]


def test_open_case_snapshots_the_claims_and_audits(
    sessions: sessionmaker[Session], seller: Seller
) -> None:
    claim = pick(seller, kind="warehouse_lost")
    with sessions.begin() as session:
        view = service.open_case(
            session, seller.installation_id, [claim.identity], actor=ACTOR, now=NOW
        )
    assert (view.kind, view.sku, view.status) == ("warehouse_lost", claim.sku, "open")
    assert view.reference == f"C-{view.id:06d}"
    assert view.claimed_units == claim.quantity
    assert view.claimed_amount == claim.estimated_amount
    assert [c.key for c in view.claims] == [claim.identity]
    assert view.claims[0].status_before == CLAIMABLE
    assert (view.opened_by, view.opened_at, view.amazon_case_id) == (ACTOR, NOW, None)
    with sessions() as session:
        events = case_queries.audit_events(session, seller.installation_id)
        assert [e.action for e in events] == ["case_open"]
        assert (events[0].actor, events[0].sku, events[0].asin) == (ACTOR, claim.sku, claim.asin)
        assert events[0].detail["claims"] == [service.format_claim_key(claim.identity)]
        assert view.reference in events[0].summary
        assert service.get_case(session, seller.installation_id, view.id) == view


def test_a_case_holds_several_claims_of_one_sku_and_kind(
    sessions: sessionmaker[Session], seller: Seller
) -> None:
    first, second = same_sku_pair(seller)
    with sessions.begin() as session:
        view = service.open_case(
            session, seller.installation_id, [first.identity, second.identity], actor=ACTOR, now=NOW
        )
    assert view.claimed_units == first.quantity + second.quantity
    assert {c.key for c in view.claims} == {first.identity, second.identity}


def test_claims_of_several_skus_or_kinds_are_refused(
    sessions: sessionmaker[Session], seller: Seller
) -> None:
    lost = pick(seller, kind="warehouse_lost")
    other = next(c for c in seller.claims if c.status == CLAIMABLE and c.sku != lost.sku)
    with sessions.begin() as session, pytest.raises(CaseError, match="one SKU and one kind"):
        service.open_case(
            session, seller.installation_id, [lost.identity, other.identity], actor=ACTOR, now=NOW
        )


def test_one_open_case_per_sku_and_kind_names_the_existing_case(
    sessions: sessionmaker[Session], seller: Seller
) -> None:
    first, second = same_sku_pair(seller)
    with sessions.begin() as session:
        existing = service.open_case(
            session, seller.installation_id, [first.identity], actor=ACTOR, now=NOW
        )
    with sessions.begin() as session, pytest.raises(CaseAlreadyOpen) as raised:
        service.open_case(session, seller.installation_id, [second.identity], actor=ACTOR, now=NOW)
    assert raised.value.existing == existing.id
    assert existing.reference in str(raised.value)
    assert raised.value.status == 409
    # Once the first is closed, the SKU and kind can have a new open case.
    with sessions.begin() as session:
        service.close_case(
            session, seller.installation_id, existing.id, "duplicate", actor=ACTOR, now=NOW
        )
        again = service.open_case(
            session, seller.installation_id, [second.identity], actor=ACTOR, now=NOW
        )
    assert again.status == "open"


def test_the_database_refuses_a_second_open_case(
    sessions: sessionmaker[Session], seller: Seller
) -> None:
    claim = pick(seller)
    with sessions.begin() as session:
        service.open_case(session, seller.installation_id, [claim.identity], actor=ACTOR, now=NOW)
    values = {
        "kind": claim.kind,
        "sku": claim.sku,
        "opened_at": NOW,
        "opened_by": "raw",
        "reimbursed_units": 0,
        "updated_at": NOW,
    }
    with sessions() as session:
        # Closed and reimbursed cases of the same SKU and kind are allowed ...
        case_queries.insert_case(session, seller.installation_id, status="closed", **values)
        case_queries.insert_case(session, seller.installation_id, status="reimbursed", **values)
        # ... a second open one is not, even written past the service.
        with pytest.raises(IntegrityError):
            case_queries.insert_case(session, seller.installation_id, status="open", **values)
        session.rollback()


def test_two_sessions_racing_open_one_case(
    sessions: sessionmaker[Session], seller: Seller, migrated: Any
) -> None:
    if migrated.backend != "postgresql":
        pytest.skip("SQLite serialises writers: no two transactions insert at once")
    first, second = same_sku_pair(seller)
    outcome: dict[str, Any] = {}
    ready = threading.Event()

    with sessions() as session:
        won = service.open_case(
            session, seller.installation_id, [first.identity], actor="a", now=NOW
        )

        def loser() -> None:
            with sessions() as other:
                ready.set()
                try:
                    # Passes the service's check (the winner has not committed), then waits
                    # on the unique index until the winner commits.
                    service.open_case(
                        other, seller.installation_id, [second.identity], actor="b", now=NOW
                    )
                    other.commit()
                    outcome["result"] = "opened"
                except CaseAlreadyOpen as error:
                    outcome["result"] = error

        thread = threading.Thread(target=loser)
        thread.start()
        ready.wait(5)
        thread.join(0.5)
        assert thread.is_alive()  # blocked on the index
        session.commit()
    thread.join(10)
    error = outcome["result"]
    assert isinstance(error, CaseAlreadyOpen), error
    assert error.existing == won.id
    with sessions() as session:
        assert len(service.list_cases(session, seller.installation_id, status="open")) == 1


def test_a_claim_in_an_open_or_reimbursed_case_is_not_filed_again(
    sessions: sessionmaker[Session], seller: Seller
) -> None:
    claim = pick(seller)
    with sessions.begin() as session:
        first = service.open_case(
            session, seller.installation_id, [claim.identity], actor=ACTOR, now=NOW
        )
    with sessions.begin() as session:
        found = session.get(Case, first.id)
        assert found is not None
        found.status = "reimbursed"  # as settle_cases leaves it
    with sessions.begin() as session, pytest.raises(ClaimAlreadyFiled, match=first.reference):
        service.open_case(session, seller.installation_id, [claim.identity], actor=ACTOR, now=NOW)


def test_delete_gives_the_claims_back_exactly_as_they_were(
    sessions: sessionmaker[Session], seller: Seller
) -> None:
    first, second = same_sku_pair(seller)
    keys = [first.identity, second.identity]
    with sessions() as session:
        before = claim_rows(session, seller.installation_id)
    with sessions.begin() as session:
        view = service.open_case(
            session,
            seller.installation_id,
            keys,
            actor=ACTOR,
            now=NOW,
            amazon_case_id="12345678901",
        )
        assert set(service.filed_claims(session, seller.installation_id)) == set(keys)
    with sessions.begin() as session:
        service.delete_case(
            session, seller.installation_id, view.id, actor=ACTOR, now=NOW + timedelta(hours=1)
        )
    with sessions() as session:
        assert claim_rows(session, seller.installation_id) == before
        assert service.list_cases(session, seller.installation_id) == []
        assert service.filed_claims(session, seller.installation_id) == {}
        assert session.scalars(select(CaseClaim)).all() == []
        events = case_queries.audit_events(session, seller.installation_id)
        assert [e.action for e in events] == ["case_open", "case_delete"]
        assert events[1].detail["case"]["amazon_case_id"] == "12345678901"
        with pytest.raises(CaseNotFound):
            service.get_case(session, seller.installation_id, view.id)
    # Free again: the same claims and the same Amazon case ID open a new case.
    with sessions.begin() as session:
        again = service.open_case(
            session,
            seller.installation_id,
            keys,
            actor=ACTOR,
            now=NOW,
            amazon_case_id="12345678901",
        )
    assert again.claimed_units == view.claimed_units and again.id != view.id


def test_close_needs_an_open_case_and_a_reason(
    sessions: sessionmaker[Session], seller: Seller
) -> None:
    claim = pick(seller)
    with sessions.begin() as session:
        view = service.open_case(
            session, seller.installation_id, [claim.identity], actor=ACTOR, now=NOW
        )
    with sessions.begin() as session, pytest.raises(CaseError, match="reason"):
        service.close_case(session, seller.installation_id, view.id, "  ", actor=ACTOR, now=NOW)
    later = NOW + timedelta(days=3)
    with sessions.begin() as session:
        closed = service.close_case(
            session,
            seller.installation_id,
            view.id,
            "Amazon refused: <b>found</b>",
            actor=ACTOR,
            now=later,
        )
    assert (closed.status, closed.closed_at, closed.close_reason) == (
        "closed",
        later,
        "Amazon refused: <b>found</b>",
    )
    with sessions.begin() as session, pytest.raises(CaseStateError, match="already closed"):
        service.close_case(
            session, seller.installation_id, view.id, "again", actor=ACTOR, now=later
        )
    with sessions() as session:
        actions = [e.action for e in case_queries.audit_events(session, seller.installation_id)]
    assert actions == ["case_open", "case_close"]


def test_record_case_id_and_its_conflicts(sessions: sessionmaker[Session], seller: Seller) -> None:
    lost = pick(seller, kind="warehouse_lost")
    returned = pick(seller, kind="return_not_received")
    with sessions.begin() as session:
        one = service.open_case(
            session, seller.installation_id, [lost.identity], actor=ACTOR, now=NOW
        )
        two = service.open_case(
            session, seller.installation_id, [returned.identity], actor=ACTOR, now=NOW
        )
        recorded = service.record_case_id(
            session, seller.installation_id, one.id, " 17012345678 ", actor=ACTOR, now=NOW
        )
    assert recorded.amazon_case_id == "17012345678"
    with sessions.begin() as session, pytest.raises(AmazonCaseIdInUse, match=one.reference):
        service.record_case_id(
            session, seller.installation_id, two.id, "17012345678", actor=ACTOR, now=NOW
        )
    for bad in ("", "12 34", "=HYPERLINK()", "x" * 65):
        with sessions.begin() as session, pytest.raises(CaseError, match="case ID"):
            service.record_case_id(
                session, seller.installation_id, two.id, bad, actor=ACTOR, now=NOW
            )
    with sessions.begin() as session:
        fixed = service.record_case_id(
            session, seller.installation_id, one.id, "17012345679", actor=ACTOR, now=NOW
        )
    assert fixed.amazon_case_id == "17012345679"
    with sessions() as session:
        events = case_queries.audit_events(session, seller.installation_id, actions=["case_record"])
    assert [e.detail["previous"] for e in events] == [None, "17012345678"]


def test_unknown_gone_and_out_of_window_claims(
    sessions: sessionmaker[Session], seller: Seller
) -> None:
    with sessions.begin() as session, pytest.raises(ClaimNotFound, match="no claim"):
        service.open_case(
            session, seller.installation_id, [("warehouse_lost", "0", "NOPE")], actor=ACTOR, now=NOW
        )
    waiting = pick(seller, status=WAITING)
    expired = pick(seller, status=EXPIRED)
    with sessions.begin() as session, pytest.raises(ClaimOutsideWindow, match="premature|dated"):
        service.open_case(session, seller.installation_id, [waiting.identity], actor=ACTOR, now=NOW)
    with sessions.begin() as session, pytest.raises(ClaimOutsideWindow, match="expired"):
        service.open_case(session, seller.installation_id, [expired.identity], actor=ACTOR, now=NOW)
    # A case filed already (its ID known) is recorded whatever the window says.
    with sessions.begin() as session:
        view = service.open_case(
            session, seller.installation_id, [expired.identity], actor=ACTOR, now=NOW,
            amazon_case_id="555",
        )  # fmt: skip
    assert view.claims[0].status_before == EXPIRED
    # Flags have no window.
    flag = pick(seller, kind="return_disputed_grading", status=REVIEW)
    with sessions.begin() as session:
        service.open_case(session, seller.installation_id, [flag.identity], actor=ACTOR, now=NOW)
    # A claim the last run no longer found cannot be filed.
    claim = pick(seller, kind="warehouse_damaged")
    with sessions.begin() as session:
        record = case_queries.claims_by_identity(session, seller.installation_id, [claim.identity])
        record[claim.identity].gone_at = NOW
    with sessions.begin() as session, pytest.raises(ClaimNotFound, match="no longer found"):
        service.open_case(session, seller.installation_id, [claim.identity], actor=ACTOR, now=NOW)


def test_claim_keys_parse_and_format() -> None:
    assert service.parse_claim_key("warehouse_lost:482910331:MUG-BLUE-12") == (
        "warehouse_lost",
        "482910331",
        "MUG-BLUE-12",
    )
    # A SKU may hold ':'; kinds and reference IDs never do.
    key = service.parse_claim_key("return_not_received:111-2222222-3333333:A:B:C")
    assert key == ("return_not_received", "111-2222222-3333333", "A:B:C")
    assert service.parse_claim_key(service.format_claim_key(key)) == key
    for bad in ("", "warehouse_lost", "warehouse_lost:1", "warehouse_lost::SKU", ":1:SKU"):
        with pytest.raises(InvalidClaimKey):
            service.parse_claim_key(bad)


def test_errors_for_missing_cases_and_bad_input(
    sessions: sessionmaker[Session], seller: Seller
) -> None:
    with sessions.begin() as session:
        for action in (
            lambda: service.get_case(session, seller.installation_id, 999),
            lambda: service.close_case(
                session, seller.installation_id, 999, "x", actor=ACTOR, now=NOW
            ),
            lambda: service.delete_case(session, seller.installation_id, 999, actor=ACTOR, now=NOW),
            lambda: service.record_case_id(
                session, seller.installation_id, 999, "1", actor=ACTOR, now=NOW
            ),
        ):
            with pytest.raises(CaseNotFound, match="C-000999"):
                action()
        with pytest.raises(CaseError, match="at least one claim"):
            service.open_case(session, seller.installation_id, [], actor=ACTOR, now=NOW)
        with pytest.raises(CaseError, match="actor"):
            service.open_case(
                session, seller.installation_id, [pick(seller).identity], actor=" ", now=NOW
            )
        with pytest.raises(CaseError, match="unknown case status"):
            service.list_cases(session, seller.installation_id, status="pending")


def test_tenants_never_see_each_others_cases(
    sessions: sessionmaker[Session], seller: Seller, make_installation: Callable[[str], int]
) -> None:
    claim = pick(seller)
    other = make_installation("other")
    with sessions.begin() as session:
        view = service.open_case(
            session, seller.installation_id, [claim.identity], actor=ACTOR, now=NOW
        )
    with sessions.begin() as session:
        assert service.list_cases(session, other) == []
        with pytest.raises(CaseNotFound):
            service.get_case(session, other, view.id)
        with pytest.raises(CaseNotFound):
            service.close_case(session, other, view.id, "x", actor=ACTOR, now=NOW)
        with pytest.raises(ClaimNotFound):
            service.open_case(session, other, [claim.identity], actor=ACTOR, now=NOW)


def test_a_claim_of_a_closed_case_can_be_filed_again(
    sessions: sessionmaker[Session], seller: Seller
) -> None:
    claim = pick(seller)
    with sessions.begin() as session:
        first = service.open_case(
            session, seller.installation_id, [claim.identity], actor=ACTOR, now=NOW
        )
        service.close_case(
            session, seller.installation_id, first.id, "refused", actor=ACTOR, now=NOW
        )
        again = service.open_case(
            session, seller.installation_id, [claim.identity], actor=ACTOR, now=NOW
        )
        assert service.filed_claims(session, seller.installation_id)[claim.identity].id == again.id
    assert again.id != first.id and again.claims[0].key == claim.identity
