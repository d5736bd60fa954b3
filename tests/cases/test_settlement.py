"""Cases settled by reimbursement rows carrying their case ID (issue 7 point 3).

The pure rules (``plugin.domain.cases``) row by row, then the whole flow on the real store:
a generated seller's claim is filed, a sync brings reimbursement rows with that case ID
(ingested as a report, like the sync does), ``settle_cases`` marks it reimbursed, totals are
right, and a later reversal reopens it.
"""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session, sessionmaker

from connectors.amazon.models import ReimbursementRow, Source
from connectors.amazon.parse import read_report
from plugin.domain import cases as rules
from plugin.domain.claims import CLAIMABLE, Claim
from plugin.services import cases as service
from plugin.services.ingest import ingest_report
from plugin.store import case_queries
from tests.cases.conftest import NOW, Seller
from tests.cases.test_case_rules import same_sku_pair

HEADER = (
    "approval-date\treimbursement-id\tcase-id\tamazon-order-id\treason\tsku\tfnsku\tasin\t"
    "product-name\tcondition\tcurrency-unit\tamount-per-unit\tamount-total\t"
    "quantity-reimbursed-cash\tquantity-reimbursed-inventory\tquantity-reimbursed-total\t"
    "original-reimbursement-id\toriginal-reimbursement-type\n"
)


def row(
    reimbursement_id: str,
    case_id: str = "",
    *,
    cash: int = 1,
    inventory: int = 0,
    amount: str | None = "10.00",
    reason: str = "Lost_Warehouse",
    original: str = "",
    sku: str = "MUG",
    currency: str = "USD",
    day: int = 1,
) -> ReimbursementRow:
    return ReimbursementRow(
        approval_date=date(2026, 11, day),
        reimbursement_id=reimbursement_id,
        case_id=case_id,
        amazon_order_id="",
        reason=reason,
        sku=sku,
        fnsku="X1",
        asin="B1",
        currency=currency,
        amount_per_unit=None,
        amount_total=Decimal(amount) if amount is not None else None,
        quantity_cash=cash,
        quantity_inventory=inventory,
        quantity_total=cash + inventory,
        original_reimbursement_id=original,
        original_reimbursement_type="Lost_Warehouse" if original else "",
        source=Source("reimbursements.tsv", day),
    )


def reversal(
    reimbursement_id: str,
    original: str,
    *,
    cash: int = -1,
    inventory: int = 0,
    amount: str = "-10.00",
    case_id: str = "",
    day: int = 9,
) -> ReimbursementRow:
    return row(
        reimbursement_id, case_id, cash=cash, inventory=inventory, amount=amount,
        reason="Reimbursement_Reversal", original=original, day=day,
    )  # fmt: skip


def case(case_id: int = 1, amazon: str | None = "111", units: int = 2, status: str = "open"):  # type: ignore[no-untyped-def]
    return rules.CaseState(case_id, amazon, units, status)


# --- pure rules ----------------------------------------------------------------------------


def test_cash_and_inventory_units_together_cover_a_case() -> None:
    settled = rules.settle([case(units=3)], [row("R1", "111", cash=1, inventory=2, amount="9.50")])
    outcome = settled.outcomes[1]
    assert (outcome.units, outcome.status, outcome.change) == (3, "reimbursed", "reimbursed")
    assert outcome.amounts == {"USD": Decimal("9.50")}
    assert outcome.paid_on == date(2026, 11, 1)


def test_partial_coverage_stays_open_and_lines_of_one_reimbursement_add_up() -> None:
    rows = [row("R1", "111", cash=1), row("R1", "111", cash=0, inventory=1, amount=None, day=2)]
    assert rules.settle([case(units=3)], rows).outcomes[1].status == "open"
    assert rules.settle([case(units=3)], rows).outcomes[1].units == 2
    assert rules.settle([case(units=2)], rows).outcomes[1].status == "reimbursed"


def test_a_later_reversal_reopens_a_reimbursed_case() -> None:
    paid = [row("R1", "111", cash=2, amount="20.00")]
    assert rules.settle([case(units=2)], paid).outcomes[1].change == "reimbursed"
    # The reversal carries no case ID: it belongs to the case of the reimbursement it names.
    rows = [*paid, reversal("R2", "R1")]
    outcome = rules.settle([case(units=2, status="reimbursed")], rows).outcomes[1]
    assert (outcome.units, outcome.status, outcome.change) == (1, "open", "reopened")
    assert outcome.amounts == {"USD": Decimal("10.00")}
    assert len(outcome.rows) == 2


def test_a_found_unit_reversal_gives_back_nothing() -> None:
    # cash -1 / inventory +1: the unit was found and returned instead of the cash.
    rows = [row("R1", "111", cash=2), reversal("R2", "R1", cash=-1, inventory=1)]
    outcome = rules.settle([case(units=2, status="reimbursed")], rows).outcomes[1]
    assert (outcome.units, outcome.status, outcome.change) == (2, "reimbursed", None)


def test_a_reversal_never_takes_a_reimbursement_below_zero() -> None:
    rows = [row("R1", "111", cash=1), reversal("R2", "R1", cash=-3, amount="-30.00")]
    assert rules.net_units(rules.attribute(rows, {"111": 1})) == {("ours", 1): 0}


def test_a_reversal_of_a_reimbursement_not_in_the_data_comes_off_its_owner() -> None:
    rows = [row("R1", "111", cash=3), reversal("R9", "R-OLD", case_id="111")]
    assert rules.settle([case(units=3, status="reimbursed")], rows).outcomes[1].units == 2


def test_every_row_is_attributed_to_amazon_ours_or_elsewhere() -> None:
    rows = [
        row("A1"),  # no case ID: Amazon paid on its own
        row("O1", "111"),  # our case
        row("E1", "999"),  # a case the seller filed elsewhere
        row("O2", " 222 ", sku="TEA"),  # ours, with blanks around the ID
        reversal("A2", "A1", day=5),  # reversal of Amazon's own
        reversal("E2", "E1", day=6),  # reversal of the elsewhere case
    ]
    cases = [case(1, "111", 1), case(2, "222", 1), case(3, None, 1)]
    settled = rules.settle(cases, rows)
    owners = [(a.row.reimbursement_id, a.attribution, a.case_id) for a in settled.attributed]
    assert owners == [
        ("A1", "amazon_own", None),
        ("O1", "ours", 1),
        ("E1", "elsewhere", None),
        ("O2", "ours", 2),
        ("A2", "amazon_own", None),
        ("E2", "elsewhere", None),
    ]
    by = settled.by_attribution
    assert (by["amazon_own"].rows, by["amazon_own"].units, by["amazon_own"].amounts) == (
        2, 0, {"USD": Decimal("0.00")},
    )  # fmt: skip
    assert (by["ours"].rows, by["ours"].units, by["ours"].amounts) == (
        2,
        2,
        {"USD": Decimal("20.00")},
    )
    assert (by["elsewhere"].units, by["elsewhere"].amounts) == (0, {"USD": Decimal("0.00")})
    assert (settled.overall.rows, settled.overall.units) == (6, 2)
    assert settled.overall.amounts == {"USD": Decimal("20.00")}
    assert settled.outcomes[3].units == 0 and settled.outcomes[3].status == "open"


def test_a_closed_case_that_amazon_pays_becomes_reimbursed() -> None:
    outcome = rules.settle([case(units=1, status="closed")], [row("R1", "111")]).outcomes[1]
    assert (outcome.status, outcome.change) == ("reimbursed", "reimbursed")


def test_amounts_in_several_currencies_are_kept_apart() -> None:
    rows = [row("R1", "111", amount="5.00"), row("R2", "111", amount="7.00", currency="EUR")]
    outcome = rules.settle([case(units=2)], rows).outcomes[1]
    assert outcome.amounts == {"USD": Decimal("5.00"), "EUR": Decimal("7.00")}
    assert rules.main_currency(outcome.amounts) == (Decimal("7.00"), "EUR")


# --- on the store ----------------------------------------------------------------------------


def ingest_reimbursements(
    sessions: sessionmaker[Session], installation_id: int, name: str, lines: list[str]
) -> None:
    """A reimbursements report arriving with a sync, ingested as the sync ingests reports."""
    data = (HEADER + "".join(line + "\n" for line in lines)).encode()
    report = read_report(lambda: io.BytesIO(data), name)
    with sessions.begin() as session:
        ingest_report(session, installation_id, report, f"sync:{name}", now=NOW)


def line(claim: Claim, reimbursement_id: str, case_id: str, cash: int, inventory: int,
         amount: str, *, reason: str = "Lost_Warehouse", original: str = "",
         day: str = "2026-11-05") -> str:  # fmt: skip
    return "\t".join(
        [
            day, reimbursement_id, case_id, "", reason, claim.sku, claim.fnsku or "",
            claim.asin or "", "Product", "New", claim.currency or "USD", "", amount, str(cash),
            str(inventory), str(cash + inventory), original, "Lost_Warehouse" if original else "",
        ]
    )  # fmt: skip


def biggest_claim(seller: Seller) -> Claim:
    return max(
        (c for c in seller.claims if c.status == CLAIMABLE and c.kind == "warehouse_lost"),
        key=lambda c: c.quantity,
    )


def test_a_sync_reimburses_the_case_and_a_reversal_reopens_it(
    sessions: sessionmaker[Session], seller: Seller
) -> None:
    claim = biggest_claim(seller)
    if claim.quantity < 2:
        pytest.skip("needs a claim of two units or more")
    with sessions.begin() as session:
        view = service.open_case(
            session, seller.installation_id, [claim.identity], actor="agent:7", now=NOW
        )
        service.record_case_id(
            session, seller.installation_id, view.id, "17000000001", actor="agent:7", now=NOW
        )
    units = claim.quantity
    currency = claim.currency or "USD"
    with sessions() as session:  # the generated seller has reimbursements of its own
        base = service.reimbursement_totals(session, seller.installation_id)
    # First sync: part of the units, in cash; another seller's case and Amazon's own as well.
    ingest_reimbursements(
        sessions,
        seller.installation_id,
        "reimbursements-1.tsv",
        [
            line(claim, "9100", "17000000001", 1, 0, "12.00"),
            line(claim, "9101", "", 1, 0, "11.00"),
            line(claim, "9102", "16999999999", 1, 0, "10.00"),
        ],
    )
    later = NOW + timedelta(days=5)
    with sessions.begin() as session:
        result = service.settle_cases(session, seller.installation_id, later)
        partial = service.get_case(session, seller.installation_id, view.id)
    assert result.reimbursed == [] and result.updated == [view.id]
    assert (partial.status, partial.reimbursed_units) == ("open", 1)
    assert (partial.reimbursed_amount, partial.currency) == (Decimal("12.00"), claim.currency)
    # Second sync: the rest, as replacement units (inventory): the case is covered.
    ingest_reimbursements(
        sessions,
        seller.installation_id,
        "reimbursements-2.tsv",
        [line(claim, "9103", "17000000001", 0, units - 1, "0.00", day="2026-11-06")],
    )
    with sessions.begin() as session:
        result = service.settle_cases(session, seller.installation_id, later)
        paid = service.get_case(session, seller.installation_id, view.id)
        totals = service.reimbursement_totals(session, seller.installation_id)
    assert result.reimbursed == [view.id]
    assert (paid.status, paid.reimbursed_units, paid.closed_at) == ("reimbursed", units, later)
    assert totals.per_case[view.id].units == units
    assert totals.per_case[view.id].amounts == {currency: Decimal("12.00")}
    ours, own, elsewhere = (totals.by_attribution[k] for k in ("ours", "amazon_own", "elsewhere"))
    assert (ours.rows, ours.units) == (2, units)
    was = base.by_attribution
    assert (own.rows, own.units) == (was["amazon_own"].rows + 1, was["amazon_own"].units + 1)
    assert (elsewhere.rows, elsewhere.units) == (
        was["elsewhere"].rows + 1,
        was["elsewhere"].units + 1,
    )
    assert totals.overall.units == base.overall.units + units + 2
    assert totals.overall.amounts[currency] == base.overall.amounts.get(
        currency, Decimal("0")
    ) + Decimal("33.00")
    assert base.by_attribution["ours"].rows == 0
    # Settling again changes nothing and writes no event.
    with sessions.begin() as session:
        assert (
            service.settle_cases(session, seller.installation_id, later) == service.SettleResult()
        )
    # A later sync brings a reversal of the cash reimbursement: the case is open again.
    ingest_reimbursements(
        sessions,
        seller.installation_id,
        "reimbursements-3.tsv",
        [line(claim, "9104", "", -1, 0, "-12.00", reason="Reimbursement_Reversal",
              original="9100", day="2026-11-20")],
    )  # fmt: skip
    with sessions.begin() as session:
        result = service.settle_cases(session, seller.installation_id, later)
        reopened = service.get_case(session, seller.installation_id, view.id)
        events = case_queries.audit_events(session, seller.installation_id)
    assert result.reopened == [view.id]
    assert (reopened.status, reopened.reimbursed_units, reopened.closed_at) == (
        "open",
        units - 1,
        None,
    )
    assert reopened.reimbursed_amount == Decimal("0.00")
    assert [e.action for e in events] == [
        "case_open", "case_record", "case_reimbursed", "case_reopened",
    ]  # fmt: skip
    assert [e.actor for e in events[2:]] == ["claimdesk", "claimdesk"]
    assert {r["reimbursement_id"] for r in events[2].detail["rows"]} == {"9100", "9103"}


def test_recording_a_case_id_already_paid_reimburses_at_once(
    sessions: sessionmaker[Session], seller: Seller
) -> None:
    claim = next(c for c in seller.claims if c.status == CLAIMABLE)
    ingest_reimbursements(
        sessions,
        seller.installation_id,
        "reimbursements.tsv",
        [line(claim, "9200", "17000000002", claim.quantity, 0, "40.00")],
    )
    with sessions.begin() as session:
        view = service.open_case(
            session, seller.installation_id, [claim.identity], actor="cli:me", now=NOW,
            amazon_case_id="17000000002",
        )  # fmt: skip
    assert (view.status, view.reimbursed_units, view.reimbursed_amount) == (
        "reimbursed",
        claim.quantity,
        Decimal("40.00"),
    )


def test_a_reopen_that_would_make_two_open_cases_is_held_back(
    sessions: sessionmaker[Session], seller: Seller
) -> None:
    claim, sibling = same_sku_pair(seller)
    units = claim.quantity
    ingest_reimbursements(
        sessions,
        seller.installation_id,
        "r1.tsv",
        [line(claim, "9300", "17000000003", units, 0, "5")],
    )
    with sessions.begin() as session:
        first = service.open_case(
            session, seller.installation_id, [claim.identity], actor="a", now=NOW,
            amazon_case_id="17000000003",
        )  # fmt: skip
    assert first.status == "reimbursed"
    # Another claim of the same SKU and kind gets its own open case meanwhile.
    with sessions.begin() as session:
        second = service.open_case(
            session, seller.installation_id, [sibling.identity], actor="a", now=NOW
        )
    ingest_reimbursements(
        sessions, seller.installation_id, "r2.tsv",
        [line(claim, "9301", "", -1, 0, "-5", reason="Reimbursement_Reversal", original="9300")],
    )  # fmt: skip
    with sessions.begin() as session:
        result = service.settle_cases(session, seller.installation_id, NOW)
        held = service.get_case(session, seller.installation_id, first.id)
        events = case_queries.audit_events(session, seller.installation_id)
    assert result.reopen_blocked == [first.id] and result.reopened == []
    assert (held.status, held.reimbursed_units) == ("reimbursed", units - 1)
    assert second.status == "open"
    assert events[-1].action == "case_reopen_blocked" and second.reference in events[-1].summary
