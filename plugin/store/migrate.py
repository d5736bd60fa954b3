"""Run the store's Alembic migrations from code: no alembic.ini, no working-directory magic.

``upgrade(url)`` brings any database to the newest schema and is safe to call from several
processes at once (PostgreSQL: an advisory lock; SQLite: ``BEGIN IMMEDIATE``). A developer
who changes ``plugin/store/models.py`` writes the next revision with::

    python -c "from plugin.store.migrate import revision; revision('sqlite:///tmp/x.db', 'add …')"

then reads and tidies the file it wrote under ``plugin/store/migrations/versions/``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import URL

from plugin.store.engine import make_engine
from plugin.store.models import Base

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Any fixed 64-bit number: serialises concurrent upgrades of one PostgreSQL database.
_UPGRADE_LOCK = 0x636C61696D64


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration for the store, handing ``env.py`` the connection to use."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


@contextmanager
def _connection(engine_or_url: Engine | str | URL) -> Iterator[Connection]:
    """A connection inside one transaction; an engine made from a URL is disposed after."""
    owned = not isinstance(engine_or_url, Engine)
    engine = make_engine(engine_or_url) if not isinstance(engine_or_url, Engine) else engine_or_url
    try:
        with engine.begin() as connection:
            yield connection
    finally:
        if owned:
            engine.dispose()


@contextmanager
def _migrating(engine_or_url: Engine | str | URL) -> Iterator[Connection]:
    """A connection for schema changes, inside one transaction.

    On SQLite, foreign keys are switched off around the transaction (SQLite's own procedure
    for table rebuilds: a rebuild drops the old table, and with foreign keys on, dropping a
    parent table deletes every child row through ON DELETE CASCADE). Before the commit,
    ``PRAGMA foreign_key_check`` must find nothing, or the migration is rolled back.
    """
    owned = not isinstance(engine_or_url, Engine)
    engine = make_engine(engine_or_url) if not isinstance(engine_or_url, Engine) else engine_or_url
    try:
        with engine.connect() as connection:
            sqlite = connection.dialect.name == "sqlite"
            raw = connection.connection.dbapi_connection
            if sqlite and raw is not None:
                raw.execute("PRAGMA foreign_keys = OFF")  # outside a transaction, or ignored
            try:
                with connection.begin():
                    yield connection
                    if sqlite:
                        broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                        if broken:
                            raise RuntimeError(
                                f"the migration left {len(broken)} rows whose parent is missing "
                                f"(first: {tuple(broken[0])}); nothing was changed"
                            )
            finally:
                if sqlite and raw is not None:
                    raw.execute("PRAGMA foreign_keys = ON")
    finally:
        if owned:
            engine.dispose()


def upgrade(engine_or_url: Engine | str | URL, revision: str = "head") -> None:
    """Migrate the database to ``revision`` (the newest by default); a no-op when it is there."""
    with _migrating(engine_or_url) as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _UPGRADE_LOCK})
        command.upgrade(alembic_config(connection), revision)


def downgrade(engine_or_url: Engine | str | URL, revision: str) -> None:
    """Migrate the database back to ``revision`` (``"base"``: no tables). Development only."""
    with _migrating(engine_or_url) as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _UPGRADE_LOCK})
        command.downgrade(alembic_config(connection), revision)


def head() -> str:
    """The newest revision in ``migrations/versions``."""
    found = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if found is None:
        raise RuntimeError(f"no migrations under {MIGRATIONS}")
    return found


def current(engine_or_url: Engine | str | URL) -> str | None:
    """The database's revision, or None when it was never migrated."""
    with _connection(engine_or_url) as connection:
        return MigrationContext.configure(connection).get_current_revision()


def is_current(engine_or_url: Engine | str | URL) -> bool:
    """True when the database is at the newest revision."""
    return current(engine_or_url) == head()


def schema_differences(engine_or_url: Engine | str | URL) -> list[Any]:
    """What Alembic's autogenerate finds between the models and the database (ideally [])."""
    with _connection(engine_or_url) as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))


def revision(engine_or_url: Engine | str | URL, message: str) -> None:
    """Write the next numbered revision, autogenerated against a database at the head."""
    upgrade(engine_or_url)
    scripts = ScriptDirectory.from_config(alembic_config())
    number = f"{len(list(scripts.walk_revisions())) + 1:04d}"
    with _connection(engine_or_url) as connection:
        command.revision(
            alembic_config(connection), message=message, autogenerate=True, rev_id=number
        )
