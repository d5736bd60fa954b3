"""Claims kept by identity across runs: new, changed, unchanged, gone, and back again."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session, sessionmaker

from connectors.amazon.models import Source
from plugin.domain.claims import CLAIMABLE, EXPIRED, REVIEW, WAITING, Claim
from plugin.services.claim_store import ClaimChanges, load_claims, restate, save_claims
from plugin.store import queries
from tests.store.conftest import NOW


def claim(reference: str, quantity: int = 1, **changes: object) -> Claim:
    base = Claim(
        kind="warehouse_lost",
        reference_id=reference,
        sku="MUG-1",
        fnsku="X001",
        asin="B001",
        marketplace="US",
        quantity=quantity,
        event_date=date(2026, 9, 10),
        opens_on=date(2026, 10, 10),
        deadline=date(2026, 11, 9),
        status=CLAIMABLE,
        estimated_amount=Decimal("4.10") * quantity,
        currency="USD",
        valuation_basis="manufacturing_cost",
        evidence=(Source("ledger.tsv", 2), Source("finances.json", path="RefundEventList[0]")),
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def save(
    sessions: sessionmaker[Session], installation_id: int, claims: list[Claim], days: int = 0
) -> ClaimChanges:
    with sessions.begin() as session:
        return save_claims(session, installation_id, claims, NOW + timedelta(days=days))


def identities(claims: list[Claim]) -> list[str]:
    return [c.reference_id for c in claims]


def test_a_run_is_compared_with_the_last(
    sessions: sessionmaker[Session], make_installation: Callable[[str], int]
) -> None:
    seller = make_installation("acme")
    first = save(sessions, seller, [claim("A"), claim("B"), claim("C")])
    assert (identities(first.new), first.changed, first.unchanged, first.gone) == (
        ["A", "B", "C"],
        [],
        [],
        [],
    )
    second = save(sessions, seller, [claim("A"), claim("B", quantity=2), claim("D")], days=1)
    assert identities(second.new) == ["D"]
    assert identities(second.changed) == ["B"]
    assert identities(second.unchanged) == ["A"]
    assert second.gone == [claim("C")]  # as it was stored
    third = save(sessions, seller, [claim("A"), claim("B", quantity=2), claim("C")], days=2)
    assert identities(third.changed) == ["C"]  # back after being gone
    assert identities(third.gone) == ["D"]
    again = save(sessions, seller, [claim("A"), claim("B", quantity=2), claim("C")], days=3)
    assert (again.new, again.changed, again.gone) == ([], [], [])


def test_stored_claims_come_back_equal_with_their_times(
    sessions: sessionmaker[Session], make_installation: Callable[[str], int]
) -> None:
    seller = make_installation("acme")
    flag = claim(
        "111-1",
        kind="return_disputed_grading",
        opens_on=None,
        deadline=None,
        status=REVIEW,
        estimated_amount=None,
        currency=None,
        valuation_basis=None,
        marketplace=None,
    )
    undated = claim("FBA1", kind="inbound_shortage", status=WAITING, status_reason="no clock")
    undated = dataclasses.replace(undated, opens_on=None, deadline=None, event_date=None)
    claims = [claim("A"), flag, undated]
    save(sessions, seller, claims)
    save(sessions, seller, [claim("A", quantity=3), flag, undated], days=5)
    with sessions() as session:
        assert load_claims(session, seller) == sorted(
            [claim("A", quantity=3), flag, undated], key=lambda c: c.identity
        )
        (record,) = [r for r in queries.claims(session, seller) if r.reference_id == "A"]
        assert record.first_seen_at == NOW
        assert record.updated_at == NOW + timedelta(days=5)
        assert record.estimated_amount == Decimal("12.30")


@pytest.mark.parametrize(
    ("day", "status"),
    [
        (date(2026, 10, 9), WAITING),
        (date(2026, 10, 10), CLAIMABLE),
        (date(2026, 11, 9), CLAIMABLE),
        (date(2026, 11, 10), EXPIRED),
    ],
)
def test_status_is_restated_from_the_window(day: date, status: str) -> None:
    assert restate(claim("A"), day).status == status
    flag = claim("A", opens_on=None, deadline=None, status=REVIEW)
    assert restate(flag, day).status == REVIEW


def test_duplicate_identities_are_refused(
    sessions: sessionmaker[Session], make_installation: Callable[[str], int]
) -> None:
    seller = make_installation("acme")
    with pytest.raises(ValueError, match="appears twice"):
        save(sessions, seller, [claim("A"), claim("A", quantity=2)])
