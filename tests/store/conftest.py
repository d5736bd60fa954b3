"""Store fixtures: every test here runs on SQLite and, when it is reachable, on PostgreSQL.

PostgreSQL comes from ``CLAIMDESK_TEST_DATABASE_URL`` (scripts/test sets it when the server
answers). Each test session gets its own schema there, so runs on one database never meet;
tables are emptied before each test. Nothing is mocked: these are the real databases.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from plugin.services.installations import ensure_installation
from plugin.store import migrate
from plugin.store.engine import make_engine, session_factory
from plugin.store.models import Installation

NOW = datetime(2026, 10, 31, 12, 0, tzinfo=UTC)
POSTGRES_VARIABLE = "CLAIMDESK_TEST_DATABASE_URL"
BACKENDS = ["sqlite", "postgresql"]


class Database:
    """A database for tests: a SQLite file, or a private schema of the PostgreSQL database."""

    def __init__(self, backend: str, tmp: Path):
        self.backend = backend
        self.schema: str | None = None
        if backend == "sqlite":
            self.url = f"sqlite:///{tmp / 'store.db'}"
            return
        base = os.environ.get(POSTGRES_VARIABLE)
        if not base:
            pytest.skip(f"PostgreSQL: {POSTGRES_VARIABLE} is not set")
        self.schema = f"test_{uuid.uuid4().hex[:12]}"
        self.admin = make_engine(base)
        with self.admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{self.schema}"'))
        url = make_url(base).update_query_dict({"options": f"-csearch_path={self.schema}"})
        if url.drivername in ("postgresql", "postgres"):
            url = url.set(drivername="postgresql+psycopg")
        self.url = url.render_as_string(hide_password=False)

    def drop(self) -> None:
        if self.schema is not None:
            with self.admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{self.schema}" CASCADE'))
            self.admin.dispose()


def new_database(backend: str, tmp: Path) -> Database:
    return Database(backend, tmp)


@pytest.fixture(scope="session", params=BACKENDS)
def migrated(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Database]:
    """One migrated database per backend for the whole session."""
    database = Database(request.param, tmp_path_factory.mktemp(request.param))
    migrate.upgrade(database.url)
    yield database
    database.drop()


@pytest.fixture(scope="session")
def engine(migrated: Database) -> Iterator[Engine]:
    engine = make_engine(migrated.url)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    """Sessions on an emptied store (deleting installations cascades to every table)."""
    with engine.begin() as connection:
        connection.execute(delete(Installation))
    return session_factory(engine)


@pytest.fixture
def database_url(migrated: Database, sessions: sessionmaker[Session]) -> str:
    """The URL of the emptied, migrated store (for commands that open their own engine)."""
    return migrated.url


@pytest.fixture
def make_installation(sessions: sessionmaker[Session]) -> Callable[[str], int]:
    """Create an installation and return its id."""

    def make(name: str) -> int:
        with sessions.begin() as session:
            installation, _ = ensure_installation(session, name, NOW)
            return installation.id

    return make
