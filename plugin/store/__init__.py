"""The store: SQLAlchemy models (``models``), named queries (``queries``), Alembic migrations
(``migrate``), credential encryption (``crypto``). Importing it connects to nothing."""
