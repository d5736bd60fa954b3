"""Alembic migrations of the store, run through ``plugin.store.migrate`` (no alembic.ini)."""
