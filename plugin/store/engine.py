"""Engines and sessions for the two databases the store runs on: PostgreSQL and SQLite."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

SUPPORTED = ("postgresql", "sqlite")
# How long SQLite waits for another process's write (a worker's page) before failing.
SQLITE_BUSY_TIMEOUT_MS = 30_000


def database_url(url: str | URL) -> URL:
    """Parse a database URL; a bare ``postgresql://`` (or ``postgres://``) means psycopg 3.

    Raises:
        ValueError: not a PostgreSQL or SQLite URL.
    """
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    backend = parsed.get_backend_name()
    if backend not in SUPPORTED:
        raise ValueError(f"{backend!r} is not a supported database (use postgresql or sqlite)")
    return parsed


def sqlite_path(url: str | URL) -> Path | None:
    """The file of a SQLite URL, or None (PostgreSQL, or an in-memory SQLite)."""
    parsed = database_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database).expanduser()


def make_engine(url: str | URL, **options: Any) -> Engine:
    """An engine for ``url``; on SQLite, with real transactions and concurrent readers.

    SQLite: the file's folder is created; foreign keys are enforced; WAL lets readers work
    while a worker writes; every transaction starts with ``BEGIN IMMEDIATE`` so two writers
    queue on the busy timeout instead of failing half-way (SQLAlchemy's recipe for pysqlite,
    which otherwise opens transactions late and commits DDL on its own).
    """
    parsed = database_url(url)
    path = sqlite_path(parsed)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(parsed, **options)
    if parsed.get_backend_name() == "sqlite":
        _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy's "begin" below takes over
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions bound to ``engine``; objects stay readable after commit."""
    return sessionmaker(engine, expire_on_commit=False)
