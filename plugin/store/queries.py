"""Named queries of the store. Every function that touches an installation's data takes its id
explicitly and filters by it (tenancy); none of them commits: the caller's session does.

Upserts use the dialect's ``INSERT … ON CONFLICT`` (PostgreSQL and SQLite both have it), so
running one twice, or from two workers at once, leaves one row.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, String, any_, delete, func, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session
from sqlalchemy.sql.schema import Table

from plugin.store.models import (
    RUNNING,
    ClaimRecord,
    CostRecord,
    Credential,
    Installation,
    InstallationSetting,
    Order,
    RowColumns,
    SyncRun,
)

# Rows per INSERT batch: bounds memory and statement size on both databases.
BATCH = 2_000


def _insert(session: Session, table: Table) -> Any:
    """The dialect's INSERT, which has ``on_conflict_do_nothing/update``."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"the store runs on PostgreSQL or SQLite, not {dialect}")


def _table_of(model: type[Any]) -> Table:
    table = model.__table__
    if not isinstance(table, Table):  # pragma: no cover - every model maps one table
        raise TypeError(f"{model.__name__} does not map a table")
    return table


def _batches(values: Sequence[dict[str, Any]]) -> Iterator[Sequence[dict[str, Any]]]:
    for start in range(0, len(values), BATCH):
        yield values[start : start + BATCH]


# --- installations -----------------------------------------------------------------------


def installation_by_name(session: Session, name: str) -> Installation | None:
    return session.scalars(select(Installation).where(Installation.name == name)).one_or_none()


def installation_by_id(session: Session, installation_id: int) -> Installation | None:
    return session.get(Installation, installation_id)


def installation_by_zendesk(
    session: Session, subdomain: str, zendesk_installation_id: int
) -> Installation | None:
    """The installation a verified Zendesk token names (subdomain and app installation id)."""
    return session.scalars(
        select(Installation).where(
            Installation.zendesk_subdomain == subdomain,
            Installation.zendesk_installation_id == zendesk_installation_id,
        )
    ).one_or_none()


def installations(session: Session, *, state: str | None = None) -> list[Installation]:
    """Every installation (optionally in one state), by id: the sync fan-out's list."""
    query = select(Installation).order_by(Installation.id)
    if state is not None:
        query = query.where(Installation.state == state)
    return list(session.scalars(query))


def insert_installation_if_absent(session: Session, name: str, state: str, now: datetime) -> bool:
    """Create installation ``name`` unless it exists; True when this call created it."""
    table = _table_of(Installation)
    statement = (
        _insert(session, table)
        .values(name=name, state=state, created_at=now)
        .on_conflict_do_nothing(index_elements=["name"])
        .returning(table.c.id)  # a row only when this insert happened (rowcount is unreliable)
    )
    return session.execute(statement).first() is not None


# --- credentials -------------------------------------------------------------------------


def credential(session: Session, installation_id: int, provider: str) -> Credential | None:
    return session.scalars(
        select(Credential).where(
            Credential.installation_id == installation_id, Credential.provider == provider
        )
    ).one_or_none()


def put_credential(
    session: Session,
    installation_id: int,
    provider: str,
    ciphertext: bytes,
    key_id: str,
    now: datetime,
) -> None:
    """Store (or replace) an installation's encrypted credentials for ``provider``."""
    statement = _insert(session, _table_of(Credential)).values(
        installation_id=installation_id,
        provider=provider,
        ciphertext=ciphertext,
        key_id=key_id,
        updated_at=now,
    )
    statement = statement.on_conflict_do_update(
        index_elements=["installation_id", "provider"],
        set_={
            "ciphertext": statement.excluded.ciphertext,
            "key_id": statement.excluded.key_id,
            "updated_at": statement.excluded.updated_at,
        },
    )
    session.execute(statement)


def credentials_not_under_key(session: Session, key_id: str) -> list[Credential]:
    """Credentials of every installation not encrypted with ``key_id`` (key rotation only)."""
    return list(
        session.scalars(
            select(Credential).where(Credential.key_id != key_id).order_by(Credential.id)
        )
    )


# --- ingested rows -----------------------------------------------------------------------


def upsert_rows(
    session: Session,
    installation_id: int,
    model: type[RowColumns],
    values: Sequence[dict[str, Any]],
) -> None:
    """Store rows by natural key ``(installation_id, row_hash, occurrence)``.

    An existing occurrence is replaced only by one from a document holding more copies of
    the row (``plugin.store.rows`` explains the duplicate rule).
    """
    if not values:
        return
    table = _table_of(model)
    statement = _insert(session, table)
    keep = {"id", "installation_id", "row_hash", "occurrence"}
    statement = statement.on_conflict_do_update(
        index_elements=["installation_id", "row_hash", "occurrence"],
        set_={c.name: statement.excluded[c.name] for c in table.columns if c.name not in keep},
        where=table.c.copies < statement.excluded.copies,
    )
    rows = [{**row, "installation_id": installation_id} for row in values]
    for batch in _batches(rows):
        session.execute(statement, batch)


def stored_copies(
    session: Session, installation_id: int, model: type[RowColumns], hashes: Collection[str]
) -> dict[str, int]:
    """How many copies the stored rows with these hashes came with (absent: none stored)."""
    table = _table_of(model)
    wanted = sorted(hashes)
    # PostgreSQL gets one array per big batch: ``= ANY(array)`` is hashed, so even a
    # sequential scan (stale statistics right after a bulk load) stays linear. SQLite probes
    # its index once per value of a plain IN list.
    postgres = session.get_bind().dialect.name == "postgresql"
    size = 50_000 if postgres else BATCH
    found: dict[str, int] = {}
    for start in range(0, len(wanted), size):
        batch = wanted[start : start + size]
        match = (
            table.c.row_hash == any_(literal(batch, ARRAY(String)))
            if postgres
            else table.c.row_hash.in_(batch)
        )
        query = (
            select(table.c.row_hash, func.max(table.c.copies))
            .where(table.c.installation_id == installation_id, match)
            .group_by(table.c.row_hash)
        )
        found.update({digest: copies for digest, copies in session.execute(query)})
    return found


def count_rows(session: Session, installation_id: int, model: type[RowColumns]) -> int:
    table = _table_of(model)
    query = (
        select(func.count()).select_from(table).where(table.c.installation_id == installation_id)
    )
    return session.execute(query).scalar_one()


def select_rows(
    session: Session,
    installation_id: int,
    model: type[RowColumns],
    columns: Iterable[str],
    *,
    event_types: Collection[str] | None = None,
) -> Iterator[Row[Any]]:
    """An installation's rows of one table in the order they were first stored.

    ``columns`` are the row's own columns; the source columns come along. ``event_types``
    keeps only ledger rows of those types.
    """
    table = _table_of(model)
    wanted = [*columns, "source_file", "source_line", "source_path"]
    query = (
        select(*(table.c[name] for name in wanted))
        .where(table.c.installation_id == installation_id)
        .order_by(table.c.id)
    )
    if event_types is not None:
        query = query.where(table.c.event_type.in_(sorted(event_types)))
    yield from session.execute(query.execution_options(yield_per=BATCH))


# --- costs -------------------------------------------------------------------------------


def costs(session: Session, installation_id: int) -> list[CostRecord]:
    return list(
        session.scalars(
            select(CostRecord)
            .where(CostRecord.installation_id == installation_id)
            .order_by(CostRecord.sku)
        )
    )


def upsert_costs(
    session: Session, installation_id: int, values: Sequence[dict[str, Any]], now: datetime
) -> None:
    """Set the unit cost of each SKU in ``values`` (one per SKU); others stay."""
    if not values:
        return
    table = _table_of(CostRecord)
    statement = _insert(session, table)
    statement = statement.on_conflict_do_update(
        index_elements=["installation_id", "sku"],
        set_={
            name: statement.excluded[name]
            for name in ("unit_cost", "currency", "source_file", "source_line", "updated_at")
        },
    )
    rows = [{**row, "installation_id": installation_id, "updated_at": now} for row in values]
    for batch in _batches(rows):
        session.execute(statement, batch)


def replace_costs(
    session: Session, installation_id: int, values: Sequence[dict[str, Any]], now: datetime
) -> None:
    """Make ``values`` the installation's only costs (atomic with the caller's transaction)."""
    session.execute(delete(CostRecord).where(CostRecord.installation_id == installation_id))
    upsert_costs(session, installation_id, values, now)


# --- claims ------------------------------------------------------------------------------


def claims(
    session: Session, installation_id: int, *, include_gone: bool = False
) -> list[ClaimRecord]:
    """An installation's stored claims (current ones unless ``include_gone``), by id."""
    query = (
        select(ClaimRecord)
        .where(ClaimRecord.installation_id == installation_id)
        .order_by(ClaimRecord.id)
    )
    if not include_gone:
        query = query.where(ClaimRecord.gone_at.is_(None))
    return list(session.scalars(query))


def upsert_claims(
    session: Session, installation_id: int, values: Sequence[Mapping[str, Any]]
) -> None:
    """Insert claims by identity, or update those whose content changed or that had gone.

    ``values`` carry every column but ``id``; ``first_seen_at`` is kept on update.
    """
    if not values:
        return
    table = _table_of(ClaimRecord)
    statement = _insert(session, table)
    identity = ("installation_id", "kind", "reference_id", "sku")
    fixed = {"id", "first_seen_at", *identity}
    statement = statement.on_conflict_do_update(
        index_elements=list(identity),
        set_={c.name: statement.excluded[c.name] for c in table.columns if c.name not in fixed},
        where=(table.c.content_hash != statement.excluded.content_hash)
        | table.c.gone_at.is_not(None),
    )
    rows = [{**row, "installation_id": installation_id} for row in values]
    for batch in _batches(rows):
        session.execute(statement, batch)


def mark_claims_gone(
    session: Session, installation_id: int, claim_ids: Collection[int], now: datetime
) -> None:
    """Mark claims no longer found by the engine (kept: cases may refer to them)."""
    ids = sorted(claim_ids)
    for start in range(0, len(ids), BATCH):
        session.execute(
            update(ClaimRecord)
            .where(
                ClaimRecord.installation_id == installation_id,
                ClaimRecord.id.in_(ids[start : start + BATCH]),
                ClaimRecord.gone_at.is_(None),
            )
            .values(gone_at=now, updated_at=now)
        )


# --- installation settings ---------------------------------------------------------------


def setting_value(session: Session, installation_id: int, name: str) -> Any:
    """The setting's JSON value, or None when the installation keeps the code's default."""
    row = session.scalars(
        select(InstallationSetting).where(
            InstallationSetting.installation_id == installation_id,
            InstallationSetting.name == name,
        )
    ).one_or_none()
    return None if row is None else row.value


def put_setting(
    session: Session, installation_id: int, name: str, value: Any, now: datetime
) -> None:
    """Set one setting (insert or replace)."""
    table = _table_of(InstallationSetting)
    statement = _insert(session, table).values(
        installation_id=installation_id, name=name, value=value, updated_at=now
    )
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["installation_id", "name"],
            set_={"value": statement.excluded.value, "updated_at": statement.excluded.updated_at},
        )
    )


def delete_setting(session: Session, installation_id: int, name: str) -> bool:
    """Back to the default; True when a value was stored."""
    deleted = session.execute(
        delete(InstallationSetting).where(
            InstallationSetting.installation_id == installation_id,
            InstallationSetting.name == name,
        )
    )
    return bool(getattr(deleted, "rowcount", 0))


# --- orders ------------------------------------------------------------------------------


def upsert_orders(
    session: Session, installation_id: int, values: Sequence[Mapping[str, Any]], now: datetime
) -> None:
    """Insert or refresh orders by ``(channel, order_id)``; ``first_seen_at`` is kept."""
    if not values:
        return
    table = _table_of(Order)
    statement = _insert(session, table)
    fixed = {"id", "installation_id", "channel", "order_id", "first_seen_at"}
    statement = statement.on_conflict_do_update(
        index_elements=["installation_id", "channel", "order_id"],
        set_={c.name: statement.excluded[c.name] for c in table.columns if c.name not in fixed},
    )
    rows = [
        {**row, "installation_id": installation_id, "first_seen_at": now, "updated_at": now}
        for row in values
    ]
    for batch in _batches(rows):
        session.execute(statement, batch)


def orders_by_id(session: Session, installation_id: int, order_ids: Collection[str]) -> list[Order]:
    return list(
        session.scalars(
            select(Order)
            .where(Order.installation_id == installation_id, Order.order_id.in_(sorted(order_ids)))
            .order_by(Order.purchased_at, Order.id)
        )
    )


def orders_by_buyer_email(session: Session, installation_id: int, email: str) -> list[Order]:
    return list(
        session.scalars(
            select(Order)
            .where(
                Order.installation_id == installation_id,
                func.lower(Order.buyer_email) == email.strip().lower(),
            )
            .order_by(Order.purchased_at, Order.id)
        )
    )


# --- sync runs ---------------------------------------------------------------------------


def start_sync_run(
    session: Session,
    installation_id: int,
    source: str,
    now: datetime,
    cursor: Mapping[str, Any] | None = None,
) -> SyncRun:
    run = SyncRun(
        installation_id=installation_id,
        source=source,
        status=RUNNING,
        started_at=now,
        cursor=dict(cursor or {}),
        counts={},
    )
    session.add(run)
    session.flush()
    return run


def sync_run(session: Session, installation_id: int, run_id: int) -> SyncRun | None:
    return session.scalars(
        select(SyncRun).where(SyncRun.installation_id == installation_id, SyncRun.id == run_id)
    ).one_or_none()


def last_sync_run(
    session: Session, installation_id: int, source: str, *, status: str | None = None
) -> SyncRun | None:
    """The newest run of ``source`` (optionally in ``status``): where a resume starts."""
    query = (
        select(SyncRun)
        .where(SyncRun.installation_id == installation_id, SyncRun.source == source)
        .order_by(SyncRun.started_at.desc(), SyncRun.id.desc())
        .limit(1)
    )
    if status is not None:
        query = query.where(SyncRun.status == status)
    return session.scalars(query).one_or_none()


def finish_sync_run(
    session: Session,
    installation_id: int,
    run_id: int,
    status: str,
    now: datetime,
    *,
    counts: Mapping[str, Any] | None = None,
    error: str | None = None,
) -> None:
    values: dict[str, Any] = {"status": status, "finished_at": now, "error": error}
    if counts is not None:
        values["counts"] = dict(counts)
    session.execute(
        update(SyncRun)
        .where(SyncRun.installation_id == installation_id, SyncRun.id == run_id)
        .values(**values)
    )
