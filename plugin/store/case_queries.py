"""Named queries of cases, the claims filed in them, and their audit events.

Same rules as ``plugin.store.queries``: every function takes the installation's id and filters
by it; none commits (the caller's session does). Audit events are only ever inserted.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select, tuple_
from sqlalchemy.orm import Session

from plugin.store.models import (
    CASE_OPEN,
    AuditEvent,
    Case,
    CaseClaim,
    ClaimRecord,
    ReimbursementRecord,
)


def case(session: Session, installation_id: int, case_id: int) -> Case | None:
    return session.scalars(
        select(Case).where(Case.installation_id == installation_id, Case.id == case_id)
    ).one_or_none()


def cases(session: Session, installation_id: int, *, status: str | None = None) -> list[Case]:
    """An installation's cases, newest first."""
    query = select(Case).where(Case.installation_id == installation_id)
    if status is not None:
        query = query.where(Case.status == status)
    return list(session.scalars(query.order_by(Case.id.desc())))


def open_case_for(session: Session, installation_id: int, sku: str, kind: str) -> Case | None:
    """The open case of ``(sku, kind)``, if any (the partial unique index allows one)."""
    return session.scalars(
        select(Case).where(
            Case.installation_id == installation_id,
            Case.sku == sku,
            Case.kind == kind,
            Case.status == CASE_OPEN,
        )
    ).one_or_none()


def case_by_amazon_id(session: Session, installation_id: int, amazon_case_id: str) -> Case | None:
    return session.scalars(
        select(Case).where(
            Case.installation_id == installation_id, Case.amazon_case_id == amazon_case_id
        )
    ).one_or_none()


def cases_with_amazon_id(session: Session, installation_id: int) -> list[Case]:
    return list(
        session.scalars(
            select(Case)
            .where(Case.installation_id == installation_id, Case.amazon_case_id.is_not(None))
            .order_by(Case.id)
        )
    )


def claims_by_identity(
    session: Session, installation_id: int, identities: Collection[tuple[str, str, str]]
) -> dict[tuple[str, str, str], ClaimRecord]:
    """Stored claims (gone ones too) by ``(kind, reference_id, sku)``."""
    if not identities:
        return {}
    records = session.scalars(
        select(ClaimRecord).where(
            ClaimRecord.installation_id == installation_id,
            tuple_(ClaimRecord.kind, ClaimRecord.reference_id, ClaimRecord.sku).in_(
                list(identities)
            ),
        )
    )
    return {(r.kind, r.reference_id, r.sku): r for r in records}


def claims_by_id(
    session: Session, installation_id: int, claim_ids: Collection[int]
) -> dict[int, ClaimRecord]:
    if not claim_ids:
        return {}
    records = session.scalars(
        select(ClaimRecord).where(
            ClaimRecord.installation_id == installation_id, ClaimRecord.id.in_(list(claim_ids))
        )
    )
    return {record.id: record for record in records}


def case_claims(
    session: Session, installation_id: int, case_ids: Collection[int]
) -> list[tuple[CaseClaim, ClaimRecord]]:
    """The claims filed in these cases, with their current stored claim, by case then id."""
    if not case_ids:
        return []
    rows = session.execute(
        select(CaseClaim, ClaimRecord)
        .join(ClaimRecord, ClaimRecord.id == CaseClaim.claim_id)
        .where(
            # No filter on ClaimRecord.installation_id: with one, SQLite (no ANALYZE stats)
            # scans every claim of the installation against each case id (20,000 x 300
            # probes, ~1 s); links are only ever made to the installation's own claims.
            CaseClaim.installation_id == installation_id,
            CaseClaim.case_id.in_(list(case_ids)),
        )
        .order_by(CaseClaim.case_id, CaseClaim.id)
    )
    return [(link, record) for link, record in rows]


def filings(
    session: Session, installation_id: int, claim_ids: Collection[int] | None = None
) -> list[tuple[int, Case]]:
    """``(claim_id, case)`` for every claim filed in a case (of any status)."""
    query = (
        select(CaseClaim.claim_id, Case)
        .join(Case, Case.id == CaseClaim.case_id)
        .where(
            CaseClaim.installation_id == installation_id, Case.installation_id == installation_id
        )
        .order_by(CaseClaim.claim_id, Case.id)
    )
    if claim_ids is not None:
        query = query.where(CaseClaim.claim_id.in_(list(claim_ids)))
    return [(claim_id, found) for claim_id, found in session.execute(query)]


def insert_case(session: Session, installation_id: int, **values: Any) -> Case:
    """Add a case and flush, so the database's constraints speak now."""
    found = Case(installation_id=installation_id, **values)
    session.add(found)
    session.flush()
    return found


def insert_case_claims(
    session: Session, installation_id: int, case_id: int, values: Sequence[dict[str, Any]]
) -> None:
    session.add_all(
        CaseClaim(installation_id=installation_id, case_id=case_id, **value) for value in values
    )
    session.flush()


def delete_case(session: Session, installation_id: int, case_id: int) -> None:
    """Delete a case and its filed-claim links (the claims themselves stay as they are)."""
    session.execute(
        delete(CaseClaim).where(
            CaseClaim.installation_id == installation_id, CaseClaim.case_id == case_id
        )
    )
    session.execute(delete(Case).where(Case.installation_id == installation_id, Case.id == case_id))


def reimbursement_rows(session: Session, installation_id: int) -> list[ReimbursementRecord]:
    """Every stored reimbursement row of an installation, in stored order."""
    return list(
        session.scalars(
            select(ReimbursementRecord)
            .where(ReimbursementRecord.installation_id == installation_id)
            .order_by(ReimbursementRecord.id)
        )
    )


def insert_audit_event(
    session: Session,
    installation_id: int,
    *,
    at: datetime,
    actor: str,
    action: str,
    summary: str,
    detail: dict[str, Any],
    sku: str | None = None,
    asin: str | None = None,
    order_id: str | None = None,
) -> None:
    """Append one audit event (nothing updates or deletes them)."""
    session.add(
        AuditEvent(
            installation_id=installation_id,
            at=at,
            actor=actor,
            action=action,
            sku=sku,
            asin=asin,
            order_id=order_id,
            summary=summary,
            detail=detail,
        )
    )


def audit_events(
    session: Session, installation_id: int, *, actions: Collection[str] | None = None
) -> list[AuditEvent]:
    """An installation's audit events (optionally only some actions), oldest first."""
    query = select(AuditEvent).where(AuditEvent.installation_id == installation_id)
    if actions is not None:
        query = query.where(AuditEvent.action.in_(list(actions)))
    return list(session.scalars(query.order_by(AuditEvent.id)))


def rows_at_sources(
    session: Session,
    installation_id: int,
    model: type[Any],
    files: Collection[str],
    lines: Collection[int],
    paths: Collection[str],
) -> list[Any]:
    """Stored rows of ``model`` read from these files at these lines or JSON paths.

    A superset (any listed file with any listed line or path): the caller matches exactly.
    """
    if not files or not (lines or paths):
        return []
    where = []
    if lines:
        where.append(model.source_line.in_(list(lines)))
    if paths and hasattr(model, "source_path"):
        where.append(model.source_path.in_(list(paths)))
    if not where:
        return []
    return list(
        session.scalars(
            select(model)
            .where(
                model.installation_id == installation_id,
                model.source_file.in_(list(files)),
                or_(*where),
            )
            .order_by(model.id)
        )
    )
