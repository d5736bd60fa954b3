"""Named queries of tracking snapshots. Every function takes the installation's id and filters
by it (tenancy); none commits: the caller's session does.

A snapshot is unique per ``(installation_id, carrier, tracking_number)``: the upsert uses the
dialect's ``INSERT … ON CONFLICT``, so two workers refreshing one parcel leave one row.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from plugin.store.models import TicketLink, TrackingSnapshot
from plugin.store.queries import _batches, _insert, _table_of

# Sources that relay a carrier's status second hand, coarser than the carrier's own.
MARKETPLACE_SOURCES = frozenset({"amazon:orders"})
# Columns a refresh may not change: who the snapshot belongs to and what it tracks.
_FIXED = frozenset({"id", "installation_id", "carrier", "tracking_number"})
# Numbers per ``IN (…)`` list: well under SQLite's bound variables per statement.
_IN_BATCH = 500


def upsert_snapshots(
    session: Session, installation_id: int, values: Sequence[Mapping[str, Any]]
) -> None:
    """Insert or replace snapshots by ``(carrier, tracking_number)``; every value has every
    column but ``id`` and ``installation_id``.

    A value whose ``order_id`` or ``channel`` is None (a carrier's answer knows no order) keeps
    the ones stored. A marketplace's word (``MARKETPLACE_SOURCES``: what the order says about
    its parcel) replaces another source's snapshot (a carrier's, finer) only once that has
    expired: a sync does not undo a fresh carrier answer. Carriers always replace.
    """
    if not values:
        return
    table = _table_of(TrackingSnapshot)
    statement = _insert(session, table)
    updated: dict[str, Any] = {
        c.name: statement.excluded[c.name] for c in table.columns if c.name not in _FIXED
    }
    for name in ("order_id", "channel"):
        updated[name] = func.coalesce(statement.excluded[name], table.c[name])
    statement = statement.on_conflict_do_update(
        index_elements=["installation_id", "carrier", "tracking_number"],
        set_=updated,
        where=or_(
            table.c.source == statement.excluded.source,
            and_(*(statement.excluded.source != name for name in sorted(MARKETPLACE_SOURCES))),
            table.c.expires_at <= statement.excluded.fetched_at,
        ),
    )
    rows = [{**row, "installation_id": installation_id} for row in values]
    for batch in _batches(rows):
        session.execute(statement, batch)


def snapshot(
    session: Session, installation_id: int, carrier: str, tracking_number: str
) -> TrackingSnapshot | None:
    return session.scalars(
        select(TrackingSnapshot).where(
            TrackingSnapshot.installation_id == installation_id,
            TrackingSnapshot.carrier == carrier,
            TrackingSnapshot.tracking_number == tracking_number,
        )
    ).one_or_none()


def snapshots_of(
    session: Session, installation_id: int, carrier: str, numbers: Collection[str]
) -> list[TrackingSnapshot]:
    """The stored snapshots of ``carrier``'s ``numbers`` (those not stored are left out)."""
    if not numbers:
        return []
    found: list[TrackingSnapshot] = []
    ordered = sorted(set(numbers))
    for start in range(0, len(ordered), _IN_BATCH):
        batch = ordered[start : start + _IN_BATCH]
        found.extend(
            session.scalars(
                select(TrackingSnapshot).where(
                    TrackingSnapshot.installation_id == installation_id,
                    TrackingSnapshot.carrier == carrier,
                    TrackingSnapshot.tracking_number.in_(batch),
                )
            )
        )
    return found


def snapshots_for_orders(
    session: Session, installation_id: int, order_ids: Collection[str]
) -> list[TrackingSnapshot]:
    """The snapshots of the orders' parcels, by order then carrier and number."""
    if not order_ids:
        return []
    return list(
        session.scalars(
            select(TrackingSnapshot)
            .where(
                TrackingSnapshot.installation_id == installation_id,
                TrackingSnapshot.order_id.in_(sorted(order_ids)),
            )
            .order_by(
                TrackingSnapshot.order_id,
                TrackingSnapshot.carrier,
                TrackingSnapshot.tracking_number,
            )
        )
    )


def stale_snapshots(
    session: Session,
    installation_id: int,
    now: datetime,
    *,
    linked_only: bool = False,
    limit: int = 100,
) -> list[TrackingSnapshot]:
    """Snapshots past their expiry, the longest expired first, at most ``limit``.

    ``linked_only``: only parcels of orders a ticket mentions (``ticket_links``), the ones an
    agent may open next.
    """
    query = select(TrackingSnapshot).where(
        TrackingSnapshot.installation_id == installation_id,
        TrackingSnapshot.expires_at <= now,
    )
    if linked_only:
        linked = select(TicketLink.order_id).where(
            TicketLink.installation_id == installation_id,
            TicketLink.order_id == TrackingSnapshot.order_id,
        )
        query = query.where(linked.exists())
    query = query.order_by(TrackingSnapshot.expires_at, TrackingSnapshot.id).limit(limit)
    return list(session.scalars(query))
