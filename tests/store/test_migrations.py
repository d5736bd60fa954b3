"""Migrations: an empty database migrates to exactly the models, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from plugin.store import migrate
from plugin.store.engine import make_engine
from plugin.store.models import Base
from tests.store.conftest import BACKENDS, Database


@pytest.fixture(params=BACKENDS)
def empty(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    database = Database(request.param, tmp_path)
    yield database
    database.drop()


def table_names(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_of_an_empty_database_matches_the_models(empty: Database) -> None:
    assert migrate.current(empty.url) is None
    migrate.upgrade(empty.url)
    assert migrate.current(empty.url) == migrate.head()
    assert migrate.is_current(empty.url)
    assert table_names(empty.url) == set(Base.metadata.tables) | {"alembic_version"}
    assert migrate.schema_differences(empty.url) == []


def test_upgrade_again_is_a_no_op(empty: Database) -> None:
    migrate.upgrade(empty.url)
    migrate.upgrade(empty.url)
    assert migrate.is_current(empty.url)


def test_the_comparison_would_see_a_difference(empty: Database) -> None:
    migrate.upgrade(empty.url)
    engine = make_engine(empty.url)
    with engine.begin() as connection:
        connection.execute(text("DROP INDEX ix_claims_installation_status"))
        connection.execute(text("ALTER TABLE sync_runs DROP COLUMN error"))
    engine.dispose()
    found = {str(difference[0]) for difference in migrate.schema_differences(empty.url)}
    assert {"add_index", "add_column"} <= found


def test_downgrade_to_base_and_up_again(empty: Database) -> None:
    migrate.upgrade(empty.url)
    migrate.downgrade(empty.url, "base")
    assert table_names(empty.url) == {"alembic_version"}
    migrate.upgrade(empty.url)
    assert migrate.schema_differences(empty.url) == []


def test_a_table_rebuild_keeps_every_child_row(empty: Database) -> None:
    """0005 rebuilds installations on SQLite: with foreign keys on, dropping the old table
    would delete every child row through ON DELETE CASCADE. The runner turns them off."""
    migrate.upgrade(empty.url, "0004")
    engine = make_engine(empty.url)
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO installations (name, state, created_at) "
                    "VALUES ('a', 'active', '2026-01-01 00:00:00+00:00')"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO costs (installation_id, sku, unit_cost, currency, source_file, "
                    "updated_at) SELECT id, 'SKU-1', '1.00', 'USD', 'costs.csv', created_at "
                    "FROM installations"
                )
            )
        migrate.upgrade(engine)
        with engine.begin() as connection:
            assert connection.execute(text("SELECT count(*) FROM costs")).scalar() == 1
            # Foreign keys are on again: deleting the installation cascades.
            connection.execute(text("DELETE FROM installations"))
            assert connection.execute(text("SELECT count(*) FROM costs")).scalar() == 0
    finally:
        engine.dispose()


def test_installation_ids_are_never_given_again(empty: Database) -> None:
    migrate.upgrade(empty.url)
    engine = make_engine(empty.url)
    insert = text(
        "INSERT INTO installations (name, state, created_at) "
        "VALUES (:name, 'active', '2026-01-01 00:00:00+00:00')"
    )
    try:
        with engine.begin() as connection:
            connection.execute(insert, {"name": "first"})
            connection.execute(insert, {"name": "second"})
            connection.execute(text("DELETE FROM installations WHERE name = 'second'"))
            connection.execute(insert, {"name": "third"})
            ids = dict(connection.execute(text("SELECT name, id FROM installations")).all())
        assert ids["third"] > ids["first"] + 1
    finally:
        engine.dispose()
