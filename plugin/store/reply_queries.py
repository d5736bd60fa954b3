"""Named queries of replies: admins' reply templates, installation settings, and what the
automatic replies read (a ticket's links and audit trail). Every function takes the
installation's id and filters by it (tenancy); none commits: the caller's session does.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from plugin.store.models import (
    AuditEvent,
    ReplyTemplate,
)
from plugin.store.queries import _insert, _table_of


def reply_template(
    session: Session, installation_id: int, kind: str, language: str
) -> ReplyTemplate | None:
    return session.scalars(
        select(ReplyTemplate).where(
            ReplyTemplate.installation_id == installation_id,
            ReplyTemplate.kind == kind,
            ReplyTemplate.language == language,
        )
    ).one_or_none()


def reply_templates(session: Session, installation_id: int) -> list[ReplyTemplate]:
    """The installation's own wordings, by kind then language."""
    return list(
        session.scalars(
            select(ReplyTemplate)
            .where(ReplyTemplate.installation_id == installation_id)
            .order_by(ReplyTemplate.kind, ReplyTemplate.language)
        )
    )


def upsert_reply_template(
    session: Session, installation_id: int, kind: str, language: str, body: str, now: datetime
) -> None:
    """Store the wording (insert or replace: two admins saving at once leave one row)."""
    table = _table_of(ReplyTemplate)
    statement = _insert(session, table).values(
        installation_id=installation_id, kind=kind, language=language, body=body, updated_at=now
    )
    statement = statement.on_conflict_do_update(
        index_elements=["installation_id", "kind", "language"],
        set_={"body": statement.excluded.body, "updated_at": statement.excluded.updated_at},
    )
    session.execute(statement)


def delete_reply_template(session: Session, installation_id: int, kind: str, language: str) -> int:
    """Forget the installation's wording (the default applies again); rows deleted."""
    result = session.execute(
        delete(ReplyTemplate).where(
            ReplyTemplate.installation_id == installation_id,
            ReplyTemplate.kind == kind,
            ReplyTemplate.language == language,
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


def ticket_audit_events(
    session: Session,
    installation_id: int,
    ticket_id: int,
    actions: Collection[str] | None = None,
) -> list[AuditEvent]:
    """The ticket's audit events (optionally only some actions), oldest first."""
    query = select(AuditEvent).where(
        AuditEvent.installation_id == installation_id, AuditEvent.ticket_id == ticket_id
    )
    if actions is not None:
        query = query.where(AuditEvent.action.in_(sorted(actions)))
    return list(session.scalars(query.order_by(AuditEvent.id)))
