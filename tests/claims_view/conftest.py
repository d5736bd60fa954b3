"""Fixtures of the reimbursements view: the real store (SQLite and PostgreSQL), an app on it,
app tokens for two tenants, and claims put in the store as the engine's runs save them.

The view judges windows on today's date (UTC), so claims here are dated relative to today.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from plugin import create_app
from plugin.extensions import resources
from plugin.security.app_token import mint_app_token
from plugin.services.claim_store import content_hash
from plugin.store.models import ClaimRecord, ReimbursementRecord
from tests.store.conftest import (  # noqa: F401  (fixtures)
    database_url,
    engine,
    make_installation,
    migrated,
    sessions,
)

SECRET = "claims-view-test-secret"
TODAY = datetime.now(UTC).date()
NOW = datetime.now(UTC)
_references = itertools.count(1)


@dataclass
class Web:
    """An app on the test store and what its tests need to call it."""

    app: Flask
    client: FlaskClient
    sessions: sessionmaker[Session]

    def token(self, installation_id: int, user_id: int | None = 7, **extra: Any) -> str:
        return mint_app_token(
            SECRET,
            installation_id=installation_id,
            user_id=user_id,
            location=extra.get("location", "nav_bar"),
            now=extra.get("now", datetime.now(UTC)),
            ttl=extra.get("ttl", 3600),
        )

    def headers(self, installation_id: int) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(installation_id)}"}


@pytest.fixture
def web(database_url: str, sessions: sessionmaker[Session]) -> Iterator[Web]:  # noqa: F811
    config: dict[str, Any] = {
        "TESTING": True,
        "SECRET_KEY": SECRET,
        "DATABASE_URL": database_url,
    }
    redis_url = os.environ.get("CLAIMDESK_TEST_REDIS_URL")
    if redis_url:
        config["REDIS_URL"] = redis_url
    app = create_app(config)
    yield Web(app, app.test_client(), sessions)
    resources(app).close()


def claim_values(
    kind: str = "warehouse_lost",
    *,
    reference_id: str | None = None,
    sku: str = "MUG-BLUE-12",
    quantity: int = 2,
    opens_in: int | None = -10,
    deadline_in: int | None = 20,
    amount: str | None = "17.80",
    currency: str | None = "USD",
    status: str | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    """A stored claim's columns, its window placed relative to today."""
    opens_on = None if opens_in is None else TODAY + timedelta(days=opens_in)
    deadline = None if deadline_in is None else TODAY + timedelta(days=deadline_in)
    if status is None:
        if opens_on is None or deadline is None:
            status = "waiting"
        elif TODAY < opens_on:
            status = "waiting"
        else:
            status = "claimable" if TODAY <= deadline else "expired"
    values: dict[str, Any] = {
        "kind": kind,
        "reference_id": reference_id or f"REF{next(_references):07d}",
        "sku": sku,
        "fnsku": "X00AB12CD3",
        "asin": "B0CDEF1234",
        "marketplace": "US" if currency == "USD" else "DE",
        "quantity": quantity,
        "event_date": None if opens_on is None else opens_on - timedelta(days=30),
        "opens_on": opens_on,
        "deadline": deadline,
        "status": status,
        "estimated_amount": None if amount is None else Decimal(amount),
        "currency": None if amount is None else currency,
        "valuation_basis": "manufacturing_cost" if amount is not None else "unknown",
        "status_reason": None,
        "evidence": [{"file": "ledger.tsv", "line": 12, "path": None}],
    }
    values.update(overrides)
    values["content_hash"] = content_hash({k: v for k, v in values.items()})
    return values


AddClaim = Callable[..., ClaimRecord]


@pytest.fixture
def add_claim(sessions: sessionmaker[Session]) -> AddClaim:  # noqa: F811
    """Store one claim for an installation (as ``save_claims`` stores it); return the row."""

    def add(installation_id: int, kind: str = "warehouse_lost", **fields: Any) -> ClaimRecord:
        with sessions.begin() as session:
            record = ClaimRecord(
                installation_id=installation_id,
                first_seen_at=NOW,
                updated_at=NOW,
                gone_at=fields.pop("gone_at", None),
                **claim_values(kind, **fields),
            )
            session.add(record)
            session.flush()
            session.expunge(record)
            return record

    return add


@pytest.fixture
def add_reimbursement(sessions: sessionmaker[Session]) -> Callable[..., None]:  # noqa: F811
    """Store one FBA Reimbursements row (amount total, currency, approval date)."""
    counter = itertools.count(1)

    def add(
        installation_id: int,
        day: date,
        amount: str,
        *,
        currency: str = "USD",
        case_id: str = "",
        quantity: int = 1,
        reason: str = "Lost_Warehouse",
        sku: str = "MUG-BLUE-12",
    ) -> None:
        number = next(counter)
        with sessions.begin() as session:
            session.add(
                ReimbursementRecord(
                    installation_id=installation_id,
                    row_hash=f"hash{number:028d}",
                    occurrence=1,
                    copies=1,
                    document_id="file:reimbursements.tsv",
                    source_file="reimbursements.tsv",
                    source_line=number + 1,
                    source_path=None,
                    ingested_at=NOW,
                    approval_date=day,
                    reimbursement_id=f"R{number:09d}",
                    case_id=case_id,
                    amazon_order_id="",
                    reason=reason,
                    sku=sku,
                    fnsku="X00AB12CD3",
                    asin="B0CDEF1234",
                    currency=currency,
                    amount_per_unit=Decimal(amount) / quantity,
                    amount_total=Decimal(amount),
                    quantity_cash=quantity,
                    quantity_inventory=0,
                    quantity_total=quantity,
                    original_reimbursement_id="",
                    original_reimbursement_type="",
                )
            )

    return add
