"""Deadline alerts: claims expiring within 7 days, as one ticket's content per installation."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from plugin.domain.claims import CLAIMABLE
from plugin.services import cases as service
from plugin.services.deadline_alerts import deadline_alert, expiring_claims
from tests.cases.conftest import AS_OF, NOW, Seller


def expected(seller: Seller, days: int = 7) -> list[tuple[str, str, str]]:
    last = AS_OF + timedelta(days=days)
    return sorted(
        (c for c in seller.claims if c.status == CLAIMABLE and c.deadline and c.deadline <= last),
        key=lambda c: (c.deadline, c.kind, c.reference_id, c.sku),
    )


def test_claims_expiring_within_seven_days_soonest_first(
    sessions: sessionmaker[Session], seller: Seller
) -> None:
    due = expected(seller)
    assert due, "the generated seller has claims expiring this week"
    with sessions() as session:
        found = expiring_claims(session, seller.installation_id, AS_OF)
        alert = deadline_alert(session, seller.installation_id, AS_OF)
        again = deadline_alert(session, seller.installation_id, AS_OF + timedelta(days=1))
    assert [(c.kind, c.reference_id, c.sku) for c in found] == [c.identity for c in due]
    assert all(0 <= c.days_left <= 7 for c in found)
    assert alert.subject.startswith(f"{len(due)} Amazon claim(s) expire within 7 days")
    for claim in due:
        assert claim.reference_id in alert.body and claim.sku in alert.body
    assert alert.external_id == again.external_id == f"claimdesk-deadlines-{seller.installation_id}"


def test_filed_claims_are_left_out_until_their_case_closes(
    sessions: sessionmaker[Session], seller: Seller
) -> None:
    claim = expected(seller)[0]
    with sessions.begin() as session:
        view = service.open_case(
            session, seller.installation_id, [claim.identity], actor="a", now=NOW
        )
        left = expiring_claims(session, seller.installation_id, AS_OF)
        assert claim.identity not in [(c.kind, c.reference_id, c.sku) for c in left]
        service.close_case(session, seller.installation_id, view.id, "refused", actor="a", now=NOW)
        back = expiring_claims(session, seller.installation_id, AS_OF)
    assert claim.identity in [(c.kind, c.reference_id, c.sku) for c in back]


def test_french_and_an_empty_week(sessions: sessionmaker[Session], seller: Seller) -> None:
    with sessions() as session:
        french = deadline_alert(session, seller.installation_id, AS_OF, language="fr")
        empty = deadline_alert(session, seller.installation_id, AS_OF + timedelta(days=900))
    assert "réclamation(s) Amazon expirent sous 7 jours" in french.subject
    first = french.claims[0]
    assert f"- {first.deadline.strftime('%d/%m/%Y')} (" in french.body
    assert "Réclamation pour" in french.body
    assert empty.claims == () and empty.subject == "No Amazon claim expires within 7 days"
    assert french.to_json()["claims"][0]["deadline"] >= AS_OF.isoformat()


def test_chinese_alert(sessions: sessionmaker[Session], seller: Seller) -> None:
    with sessions() as session:
        alert = deadline_alert(session, seller.installation_id, AS_OF, language="zh-CN")
    assert "项亚马逊索赔将在 7 天内到期" in alert.subject
    assert alert.claims[0].reference_id in alert.body
