"""Tenancy: an installation never sees another's rows, claims, costs, orders, runs or secrets."""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import delete
from sqlalchemy.orm import Session, sessionmaker

from connectors.amazon.models import CostRow, ReportKind, Source
from connectors.amazon.parse import ParsedReport, read_report
from plugin.domain.claims import find_claims
from plugin.services.claim_store import load_claims, save_claims
from plugin.services.credentials import load_credentials, save_credentials
from plugin.services.ingest import ingest_report, load_inputs, load_rows
from plugin.store import queries
from plugin.store.crypto import CredentialsError, Keyring
from plugin.store.models import DONE, Installation
from plugin.store.rows import ROW_TABLES
from tests.store.conftest import NOW
from tests.store.folder import LEDGER_SEPTEMBER, ledger, write_seller
from tests.store.test_reconcile_equivalence import AS_OF, ingest_folder


@pytest.fixture
def two_sellers(
    tmp_path: Path, sessions: sessionmaker[Session], make_installation: Callable[[str], int]
) -> tuple[int, int]:
    """A has the hand-made folder; B has one ledger row that A also has, and its own data."""
    a, b = make_installation("a-seller"), make_installation("b-seller")
    ingest_folder(sessions, a, write_seller(tmp_path / "a"))
    keyring = Keyring([Fernet.generate_key().decode()])
    with sessions.begin() as session:
        # The same line as A's first ledger line: the same natural key, in another tenant.
        text = ledger(LEDGER_SEPTEMBER[:1]).encode()
        shared = read_report(lambda: io.BytesIO(text), "ledger-2026-09.tsv")
        ingest_report(session, b, shared, "b-doc", now=NOW)
        ingest_report(
            session,
            b,
            ParsedReport(
                "b-costs.csv",
                ReportKind.COSTS,
                [CostRow("MUG-1", Decimal("99"), "USD", Source("b-costs.csv", 2))],
            ),
            "b-costs",
            now=NOW,
        )
        save_credentials(session, keyring, a, "amazon", {"refresh_token": "A-secret"}, NOW)
        save_credentials(session, keyring, b, "amazon", {"refresh_token": "B-secret"}, NOW)
        for seller, email in ((a, "ann@example.com"), (b, "bob@example.com")):
            queries.upsert_orders(
                session,
                seller,
                [
                    {
                        "channel": "amazon",
                        "order_id": "111-0000001-0000001",  # the same id in both
                        "marketplace_id": "ATVPDKIKX0DER",
                        "status": "Shipped",
                        "purchased_at": NOW - timedelta(days=30),
                        "last_updated_at": NOW,
                        "buyer_email": email,
                        "data": {"seller": seller},
                    }
                ],
                NOW,
            )
            run = queries.start_sync_run(session, seller, "amazon:ledger", NOW, {"page": seller})
            queries.finish_sync_run(session, seller, run.id, DONE, NOW, counts={"rows": seller})
    with sessions.begin() as session:
        inputs = load_inputs(session, a)
        save_claims(session, a, find_claims(inputs, AS_OF), NOW)
    return a, b


def test_rows_and_inputs_stay_with_their_installation(
    sessions: sessionmaker[Session], two_sellers: tuple[int, int]
) -> None:
    a, b = two_sellers
    with sessions() as session:
        b_ledger = load_rows(session, b, ReportKind.LEDGER)
        assert [(row.reference_id, row.source.file) for row in b_ledger] == [
            ("111", "ledger-2026-09.tsv")
        ]
        a_ledger = load_rows(session, a, ReportKind.LEDGER)
        assert len(a_ledger) == 9  # the shared key did not move or merge across tenants
        for kind, table in ROW_TABLES.items():
            if kind is not ReportKind.LEDGER:
                assert load_rows(session, b, kind) == []
                assert queries.count_rows(session, b, table.model) == 0
            assert queries.count_rows(session, a, table.model) > 0
        b_inputs = load_inputs(session, b)
        assert {sku: c.unit_cost for sku, c in b_inputs.costs.items()} == {"MUG-1": Decimal(99)}
        assert load_inputs(session, a).costs["MUG-1"].unit_cost == Decimal("4.10")


def test_claims_stay_with_their_installation(
    sessions: sessionmaker[Session], two_sellers: tuple[int, int]
) -> None:
    a, b = two_sellers
    with sessions() as session:
        assert len(load_claims(session, a)) == 9
        assert load_claims(session, b) == []
        assert queries.claims(session, b, include_gone=True) == []
    # B's run finds one claim, with an identity A also has: A's claims are untouched.
    with sessions.begin() as session:
        a_claims = load_claims(session, a)
        lost = next(c for c in a_claims if c.reference_id == "111")
        changes = save_claims(session, b, [dataclasses.replace(lost, quantity=7)], NOW)
        assert (len(changes.new), changes.gone) == (1, [])
    with sessions.begin() as session:
        assert load_claims(session, a) == a_claims
        assert save_claims(session, b, [], NOW).gone[0].quantity == 7
        assert load_claims(session, a) == a_claims


def test_credentials_orders_and_runs_stay_with_their_installation(
    sessions: sessionmaker[Session], two_sellers: tuple[int, int]
) -> None:
    a, b = two_sellers
    with sessions() as session:
        stored_a = queries.credential(session, a, "amazon")
        stored_b = queries.credential(session, b, "amazon")
        assert stored_a is not None and stored_b is not None
        assert stored_a.installation_id == a and stored_b.installation_id == b
        assert queries.credential(session, b, "shopify") is None
        orders = queries.orders_by_id(session, a, ["111-0000001-0000001"])
        assert [order.buyer_email for order in orders] == ["ann@example.com"]
        assert queries.orders_by_buyer_email(session, a, "bob@example.com") == []
        assert [o.data for o in queries.orders_by_buyer_email(session, b, "BOB@example.com")] == [
            {"seller": b}
        ]
        run_a = queries.last_sync_run(session, a, "amazon:ledger")
        assert run_a is not None and run_a.cursor == {"page": a} and run_a.counts == {"rows": a}
        assert queries.sync_run(session, b, run_a.id) is None
        assert queries.last_sync_run(session, b, "amazon:orders") is None


def test_a_wrong_tenants_key_does_not_open_anothers_secrets(
    sessions: sessionmaker[Session], two_sellers: tuple[int, int]
) -> None:
    a, _ = two_sellers
    with sessions() as session, pytest.raises(CredentialsError):
        load_credentials(session, Keyring([Fernet.generate_key().decode()]), a, "amazon")


def test_deleting_an_installation_deletes_its_data_only(
    sessions: sessionmaker[Session], two_sellers: tuple[int, int]
) -> None:
    a, b = two_sellers
    with sessions.begin() as session:
        session.execute(delete(Installation).where(Installation.id == b))
    with sessions() as session:
        assert queries.installation_by_id(session, b) is None
        assert len(load_rows(session, a, ReportKind.LEDGER)) == 9
        assert len(load_claims(session, a)) == 9
        for table in ROW_TABLES.values():
            assert queries.count_rows(session, b, table.model) == 0
        assert queries.credential(session, b, "amazon") is None
        assert queries.costs(session, b) == []


def test_installation_names_are_plain(
    sessions: sessionmaker[Session], make_installation: Callable[[str], int]
) -> None:
    from plugin.services.installations import InstallationError, check_name

    for bad in ("", " acme", "acme store", "a/b", "x" * 101, "-acme"):
        with pytest.raises(InstallationError):
            check_name(bad)
    first = make_installation("acme.eu_2")
    assert make_installation("acme.eu_2") == first
    with sessions() as session:
        assert [i.name for i in queries.installations(session)] == ["acme.eu_2"]


def test_orders_upsert_refreshes_and_keeps_first_seen(
    sessions: sessionmaker[Session], make_installation: Callable[[str], int]
) -> None:
    seller = make_installation("acme")
    order = {
        "channel": "amazon",
        "order_id": "111-1",
        "marketplace_id": None,
        "status": "Pending",
        "purchased_at": NOW,
        "last_updated_at": NOW,
        "buyer_email": None,
        "data": {},
    }
    with sessions.begin() as session:
        queries.upsert_orders(session, seller, [order], NOW)
    with sessions.begin() as session:
        queries.upsert_orders(session, seller, [{**order, "status": "Shipped"}], NOW + timedelta(1))
    with sessions() as session:
        (stored,) = queries.orders_by_id(session, seller, ["111-1"])
        assert (stored.status, stored.first_seen_at, stored.updated_at) == (
            "Shipped",
            NOW,
            NOW + timedelta(1),
        )
        assert stored.purchased_at == NOW and stored.purchased_at.tzinfo is not None
