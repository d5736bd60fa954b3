"""Fixtures for cases: the store fixtures (SQLite and PostgreSQL), and a generated seller.

The seller is generated once per session (``plugin.generator``, every claim kind planted),
ingested like the sync ingests reports, and its claims saved with ``save_claims``: the cases
under test are filed against the claims the engine really finds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from plugin.domain.claims import Claim, find_claims
from plugin.services.claim_store import save_claims
from plugin.services.ingest import load_inputs
from tests.store.conftest import (  # noqa: F401  (fixtures)
    database_url,
    engine,
    make_installation,
    migrated,
    sessions,
)
from tests.store.test_reconcile_equivalence import ingest_folder

AS_OF = date(2026, 10, 31)
NOW = datetime(2026, 10, 31, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def generated_seller(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from plugin.generator import generate_seller

    directory = tmp_path_factory.mktemp("cases-seller")
    generate_seller(directory, seed=11, as_of=AS_OF, ledger_rows=3000)
    return directory


@dataclass(frozen=True)
class Seller:
    installation_id: int
    claims: list[Claim]


@pytest.fixture
def seller(
    sessions: sessionmaker[Session],  # noqa: F811
    make_installation: Callable[[str], int],  # noqa: F811
    generated_seller: Path,
) -> Seller:
    """A generated seller in the store: its reports ingested and its claims saved."""
    installation_id = make_installation("acme")
    ingest_folder(sessions, installation_id, generated_seller)
    with sessions.begin() as session:
        claims = find_claims(load_inputs(session, installation_id), AS_OF)
        save_claims(session, installation_id, claims, NOW)
    return Seller(installation_id, claims)
