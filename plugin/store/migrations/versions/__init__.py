"""Revisions, oldest first; ``plugin.store.migrate.revision`` writes new ones."""
