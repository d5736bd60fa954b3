"""The summary cards and the monthly series, against claims and reimbursements in the store."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

from sqlalchemy.orm import Session, sessionmaker

from plugin.services import cases as case_service
from plugin.services import claims_view
from tests.claims_view.conftest import NOW, TODAY, AddClaim, Web


def _fill(add_claim: AddClaim, installation_id: int) -> dict[str, tuple[str, str, str]]:
    """Claims of every situation the cards count differently; their keys by name."""
    made = {
        "lost_a": add_claim(installation_id, quantity=2, amount="17.80", deadline_in=20),
        "lost_soon": add_claim(installation_id, quantity=3, amount="30.00", deadline_in=5),
        "lost_expired": add_claim(
            installation_id, quantity=1, amount="10.00", opens_in=-80, deadline_in=-5
        ),
        "lost_eur_waiting": add_claim(
            installation_id, quantity=1, amount="12.50", currency="EUR", opens_in=5, deadline_in=65
        ),
        "return_in_case": add_claim(
            installation_id, "return_not_received", sku="KETTLE-1", quantity=1, amount="40.00",
            deadline_in=2,
        ),
        "flag": add_claim(
            installation_id, "return_disputed_grading", sku="KETTLE-1", quantity=1, amount=None,
            opens_in=None, deadline_in=None, status="review",
        ),
        "gone": add_claim(installation_id, quantity=9, amount="99.00", gone_at=NOW),
        "unvalued": add_claim(installation_id, "inbound_shortage", quantity=4, amount=None),
    }  # fmt: skip
    return {name: (r.kind, r.reference_id, r.sku) for name, r in made.items()}


def test_summary_counts_units_and_value_per_kind_and_currency(
    sessions: sessionmaker[Session], make_installation: Callable[[str], int], add_claim: AddClaim
) -> None:
    acme = make_installation("acme")
    keys = _fill(add_claim, acme)
    with sessions.begin() as session:
        case_service.open_case(session, acme, [keys["return_in_case"]], actor="agent:7", now=NOW)
    with sessions.begin() as session:
        summary = claims_view.summarize(session, acme, TODAY)

    total = summary.total
    assert total.claims == 7  # the gone claim is not counted
    # Not expired: 2 + 3 + 1 (EUR, waiting) + 1 (in a case) + 1 (flag) + 4 (unvalued).
    assert total.units_missing == 12
    assert total.units_claimed == 1
    assert total.estimated_value == {"USD": Decimal("87.80"), "EUR": Decimal("12.50")}
    # Claimable now leaves out the waiting claim, the expired one and the one in a case.
    assert total.claimable_now == {"USD": Decimal("47.80")}
    assert total.expiring_soon == {"USD": Decimal("30.00")}
    assert total.units_expiring_soon == 3

    cards = {card.kind: card for card in summary.kinds}
    assert [card.kind for card in summary.kinds][:2] == ["warehouse_lost", "warehouse_damaged"]
    lost = cards["warehouse_lost"]
    assert (lost.claims, lost.units_missing, lost.units_claimed) == (4, 6, 0)
    assert lost.estimated_value == {"USD": Decimal("47.80"), "EUR": Decimal("12.50")}
    returned = cards["return_not_received"]
    assert (returned.units_claimed, returned.claimable_now) == (1, {})
    assert cards["warehouse_damaged"].claims == 0
    assert cards["inbound_shortage"].units_missing == 4
    assert cards["inbound_shortage"].estimated_value == {}


def test_summary_is_the_same_through_the_json_api(
    web: Web, make_installation: Callable[[str], int], add_claim: AddClaim
) -> None:
    acme = make_installation("acme")
    _fill(add_claim, acme)
    response = web.client.get("/api/v1/claims/summary", headers=web.headers(acme))
    assert response.status_code == 200
    body = response.get_json()
    assert body["as_of"] == TODAY.isoformat()
    assert body["total"]["estimated_value"] == {"EUR": "12.50", "USD": "87.80"}
    assert body["total"]["claimable_now"] == {"USD": "87.80"}
    assert body["total"]["expiring_soon"] == {"USD": "70.00"}
    assert {card["kind"] for card in body["kinds"]} >= {"warehouse_lost", "inbound_shortage"}


def test_a_claim_stored_as_waiting_counts_as_claimable_once_its_window_opens(
    sessions: sessionmaker[Session], make_installation: Callable[[str], int], add_claim: AddClaim
) -> None:
    acme = make_installation("acme")
    add_claim(acme, quantity=5, amount="50.00", opens_in=-1, deadline_in=59, status="waiting")
    with sessions.begin() as session:
        summary = claims_view.summarize(session, acme, TODAY)
        yesterday = claims_view.summarize(session, acme, TODAY - timedelta(days=2))
    assert summary.total.claimable_now == {"USD": Decimal("50.00")}
    assert yesterday.total.claimable_now == {}


def test_monthly_series_shows_recovered_and_missed_value(
    sessions: sessionmaker[Session],
    make_installation: Callable[[str], int],
    add_claim: AddClaim,
    add_reimbursement: Callable[..., None],
) -> None:
    acme = make_installation("acme")
    this_month = TODAY.replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    add_reimbursement(acme, this_month, "100.00")
    add_reimbursement(acme, last_month, "50.00", case_id="12345678901")
    add_reimbursement(acme, last_month, "-20.00", reason="Reimbursement_Reversal")
    add_reimbursement(acme, last_month, "8.00", currency="EUR")
    add_reimbursement(acme, this_month - timedelta(days=500), "999.00")  # before the chart
    # Missed: expired last month with no case; one expired claim was filed, so not missed.
    add_claim(acme, amount="30.00", opens_in=-90, deadline_in=-(TODAY - last_month).days)
    filed = add_claim(acme, "warehouse_damaged", amount="70.00", opens_in=-90, deadline_in=-1)
    with sessions.begin() as session:
        case_service.open_case(
            session, acme, [(filed.kind, filed.reference_id, filed.sku)], actor="agent:7",
            now=NOW, amazon_case_id="55555555555",
        )  # fmt: skip
    with sessions.begin() as session:
        series = claims_view.monthly_series(session, acme, TODAY)

    assert len(series.months) == 12 and series.months[-1] == f"{TODAY:%Y-%m}"
    assert series.currencies == ["USD", "EUR"]
    assert series.recovered["USD"] == {
        f"{this_month:%Y-%m}": Decimal("100.00"),
        f"{last_month:%Y-%m}": Decimal("30.00"),
    }
    assert series.recovered["EUR"] == {f"{last_month:%Y-%m}": Decimal("8.00")}
    assert series.missed == {"USD": {f"{last_month:%Y-%m}": Decimal("30.00")}}
    document = series.to_json()
    usd = document["series"][0]
    assert usd["currency"] == "USD" and usd["recovered"][-1] == "100.00"
    assert usd["missed"][-2] == "30.00" and usd["missed"][-1] == "0.00"


def test_other_installations_never_enter_the_summary_or_the_chart(
    sessions: sessionmaker[Session],
    make_installation: Callable[[str], int],
    add_claim: AddClaim,
    add_reimbursement: Callable[..., None],
) -> None:
    acme, globex = make_installation("acme"), make_installation("globex")
    add_claim(acme, quantity=2, amount="10.00")
    add_claim(globex, quantity=7, amount="70.00")
    add_reimbursement(globex, TODAY, "500.00")
    with sessions.begin() as session:
        summary = claims_view.summarize(session, acme, TODAY)
        series = claims_view.monthly_series(session, acme, TODAY)
    assert (summary.total.claims, summary.total.units_missing) == (1, 2)
    assert summary.total.estimated_value == {"USD": Decimal("10.00")}
    assert series.recovered == {} and series.missed == {}
