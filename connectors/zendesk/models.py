"""What the Zendesk client gives and takes: plain frozen data, no zenpy objects.

Times stay the ISO strings Zendesk sends (``updated_at`` is what ``updated_stamp`` needs, and
zenpy would cut a ``datetime`` to its date: research/zendesk.md §5).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class TicketData:
    """One ticket as the API shows it."""

    id: int
    subject: str
    status: str
    priority: str | None
    tags: tuple[str, ...]
    updated_at: str  # ISO 8601 UTC, e.g. "2026-10-23T08:00:00Z": the safe_update stamp
    created_at: str
    requester_id: int | None
    assignee_id: int | None
    description: str
    custom_fields: dict[int, Any] = field(default_factory=dict)
    channel: str | None = None
    external_id: str | None = None  # set by whoever created it; Zendesk keeps it non-unique


@dataclass(frozen=True)
class CommentData:
    """One comment (public reply or internal note) of a ticket."""

    id: int
    author_id: int | None
    body: str
    html_body: str | None
    public: bool
    created_at: str
    audit_id: int | None
    channel: str | None = None


@dataclass(frozen=True)
class UserData:
    id: int
    name: str
    email: str | None
    role: str | None
    locale: str | None = None
    time_zone: str | None = None


@dataclass(frozen=True)
class AuditData:
    """One ticket audit: who changed what, with its events (``Comment``, ``Change`` …)."""

    id: int
    ticket_id: int
    author_id: int | None
    created_at: str
    events: tuple[dict[str, Any], ...]
    metadata: dict[str, Any] = field(default_factory=dict)
    channel: str | None = None

    def comment_bodies(self) -> list[str]:
        """The text of the comments this audit added."""
        return [
            str(event.get("body") or event.get("plain_body") or "")
            for event in self.events
            if event.get("type") == "Comment"
        ]


@dataclass(frozen=True)
class TicketFieldData:
    id: int
    title: str
    type: str
    active: bool
    key: str | None = None


@dataclass(frozen=True)
class NewComment:
    """A comment to add: an internal note unless ``public``. ``body`` is plain text (Zendesk
    escapes it); ``html_body``, when given, replaces it and must already be escaped."""

    body: str
    public: bool = False
    html_body: str | None = None

    def __post_init__(self) -> None:
        if not (self.body or "").strip() and not (self.html_body or "").strip():
            raise ValueError("a comment needs a body")


@dataclass(frozen=True)
class UpdateResult:
    """What one ``update_ticket`` did.

    ``audit_id`` is Zendesk's audit of the update (None when nothing needed changing, so no
    request was sent); ``attempts`` counts the PUTs sent, ``conflicts`` the 409s among them.
    """

    ticket: TicketData
    audit_id: int | None
    attempts: int
    conflicts: int
    tags_added: tuple[str, ...]

    @property
    def changed(self) -> bool:
        return self.audit_id is not None
