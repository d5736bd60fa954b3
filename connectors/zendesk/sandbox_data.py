"""The Zendesk sandbox's seed: users, ticket fields and tickets, read from one JSON file.

The file (``plugin/generator/tickets.py`` writes one for a generated seller)::

    {"ticket_fields": [{"id": 360000000101, "key": "order_id", "title": "Order ID",
                        "type": "text"}],
     "users": [{"id": 1, "name": "Alex Morgan", "email": "alex@acme.test", "role": "admin",
                "locale": "en-US", "time_zone": "America/New_York"}, ...],
     "tickets": [{"id": 1, "subject": "...", "requester_id": 1001, "status": "open",
                  "priority": "normal", "via": "email", "tags": ["amazon"],
                  "created_at": "2026-10-30T09:12:00Z",
                  "custom_fields": [{"id": 360000000101, "value": "111-8267731-3182180"}],
                  "comments": [{"author_id": 1001, "body": "...", "public": true,
                                "created_at": "2026-10-30T09:12:00Z"}]}]}

Every ticket needs at least one comment (its description) and a requester among the users.
A ticket field's ``key`` names the app requirement it stands for (``requirement:order_id`` in
the ZAF SDK). Missing agents and the Order ID field are added, so a seed may hold tickets only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from connectors.errors import ConnectorError

ORDER_ID_FIELD_ID = 360000000101  # Zendesk field ids are large; this one is the sandbox's
ORDER_ID_KEY = "order_id"
ROLES = frozenset({"end-user", "agent", "admin"})
STATUSES = frozenset({"new", "open", "pending", "hold", "solved", "closed"})
PRIORITIES = frozenset({"low", "normal", "high", "urgent"})
CHANNELS = frozenset({"email", "web", "api", "mobile", "chat", "any_channel"})


class SeedError(ConnectorError):
    """A seed file that cannot be served; says where and why."""

    def __init__(self, file: str, reason: str):
        self.file = file
        self.reason = reason
        super().__init__(f"{file}: {reason}")


@dataclass
class User:
    id: int
    name: str
    email: str
    role: str = "end-user"
    locale: str = "en-US"
    time_zone: str = "UTC"  # IANA
    created_at: datetime = field(default_factory=lambda: datetime(2024, 1, 1, tzinfo=UTC))


@dataclass
class Comment:
    id: int
    author_id: int
    body: str
    html_body: str | None
    public: bool
    created_at: datetime
    channel: str = "email"


@dataclass
class Ticket:
    id: int
    subject: str
    requester_id: int
    created_at: datetime
    updated_at: datetime
    comments: list[Comment]
    status: str = "open"
    priority: str | None = "normal"
    type: str | None = None
    tags: list[str] = field(default_factory=list)
    custom_fields: dict[int, str | None] = field(default_factory=dict)
    channel: str = "email"
    assignee_id: int | None = None
    external_id: str | None = None


@dataclass(frozen=True)
class TicketField:
    id: int
    title: str
    type: str = "text"
    key: str | None = None  # the app requirement it stands for


@dataclass
class Seed:
    users: list[User]
    tickets: list[Ticket]
    ticket_fields: list[TicketField]

    def requirements(self) -> dict[str, int]:
        """Requirement identifier -> ticket field id (``requirement:order_id``)."""
        return {f.key: f.id for f in self.ticket_fields if f.key}

    def agents(self) -> list[User]:
        return [u for u in self.users if u.role in ("agent", "admin")]


DEFAULT_AGENTS = (
    User(1, "Alex Morgan", "alex@acme.test", "admin", "en-US", "America/New_York"),
    User(2, "Camille Laurent", "camille@acme.test", "agent", "fr", "Europe/Paris"),
    User(3, "王芳", "wang.fang@acme.test", "agent", "zh-cn", "Asia/Shanghai"),
)
DEFAULT_FIELDS = (TicketField(ORDER_ID_FIELD_ID, "Order ID", "text", ORDER_ID_KEY),)


def load_seed(path: Path | str) -> Seed:
    """Read and check a seed file (raises SeedError naming the entry at fault)."""
    path = Path(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise SeedError(str(path), f"cannot be read ({error.strerror or error})") from None
    except ValueError as error:
        raise SeedError(str(path), f"is not JSON ({error})") from None
    return parse_seed(document, str(path))


def empty_seed() -> Seed:
    """A seed with the default agents and fields and no tickets."""
    return parse_seed({}, "<empty>")


def parse_seed(document: object, name: str) -> Seed:
    """A Seed from a parsed JSON document (see the module docstring)."""
    if not isinstance(document, dict):
        raise SeedError(name, "the seed must be a JSON object")
    fields = [
        _field(entry, f"ticket_fields[{i}]", name)
        for i, entry in enumerate(_list(document, "ticket_fields", name))
    ]
    for default in DEFAULT_FIELDS:
        if all(f.key != default.key for f in fields) and all(f.id != default.id for f in fields):
            fields.append(default)
    users = [
        _user(entry, f"users[{i}]", name) for i, entry in enumerate(_list(document, "users", name))
    ]
    if not any(u.role in ("agent", "admin") for u in users):
        taken = {u.id for u in users} | {u.email.lower() for u in users}
        users.extend(
            User(**vars(a)) for a in DEFAULT_AGENTS if a.id not in taken and a.email not in taken
        )
    _unique([u.id for u in users], "users", "id", name)
    _unique([u.email.lower() for u in users], "users", "email", name)
    user_ids = {u.id for u in users}
    field_ids = {f.id for f in fields}
    tickets = []
    next_comment = 1
    for i, entry in enumerate(_list(document, "tickets", name)):
        ticket, next_comment = _ticket(entry, f"tickets[{i}]", name, next_comment)
        where = f"tickets[{i}]"
        if ticket.requester_id not in user_ids:
            raise SeedError(name, f"{where}: requester_id {ticket.requester_id} is not a user")
        for comment in ticket.comments:
            if comment.author_id not in user_ids:
                raise SeedError(name, f"{where}: comment author {comment.author_id} is not a user")
        unknown = sorted(set(ticket.custom_fields) - field_ids)
        if unknown:
            raise SeedError(name, f"{where}: custom field {unknown[0]} is not a ticket field")
        tickets.append(ticket)
    _unique([t.id for t in tickets], "tickets", "id", name)
    return Seed(users=users, tickets=tickets, ticket_fields=fields)


def seed_document(seed: Seed) -> dict[str, Any]:
    """The JSON document of ``seed`` (what ``load_seed`` reads back)."""
    return {
        "ticket_fields": [
            {"id": f.id, "key": f.key, "title": f.title, "type": f.type} for f in seed.ticket_fields
        ],
        "users": [
            {
                "id": u.id,
                "name": u.name,
                "email": u.email,
                "role": u.role,
                "locale": u.locale,
                "time_zone": u.time_zone,
                "created_at": iso(u.created_at),
            }
            for u in seed.users
        ],
        "tickets": [
            {
                "id": t.id,
                "subject": t.subject,
                "requester_id": t.requester_id,
                "status": t.status,
                "priority": t.priority,
                "type": t.type,
                "via": t.channel,
                "tags": t.tags,
                "created_at": iso(t.created_at),
                "custom_fields": [{"id": k, "value": v} for k, v in t.custom_fields.items()],
                "comments": [
                    {
                        "author_id": c.author_id,
                        "body": c.body,
                        "html_body": c.html_body,
                        "public": c.public,
                        "created_at": iso(c.created_at),
                        "via": c.channel,
                    }
                    for c in t.comments
                ],
            }
            for t in seed.tickets
        ],
    }


def iso(moment: datetime) -> str:
    """Zendesk's time format: UTC to the second, ``Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value: object) -> datetime:
    """An ISO-8601 time (UTC when it has no zone); ValueError when it is not one."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"{value!r} is not an ISO 8601 time")
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def normalize_tags(values: object) -> list[str]:
    """Tags as Zendesk stores them: lower case, split on spaces, no repeats, order kept."""
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, list):
        raise ValueError("tags must be a list of strings")
    tags: list[str] = []
    for value in values:
        if not isinstance(value, str):
            raise ValueError("tags must be a list of strings")
        for part in value.replace(",", " ").split():
            tag = part.strip().lower()
            if tag and tag not in tags:
                tags.append(tag)
    return tags


# --- checking entries ------------------------------------------------------------------------


def _list(document: dict[str, Any], key: str, name: str) -> list[Any]:
    value = document.get(key, [])
    if not isinstance(value, list):
        raise SeedError(name, f"{key} must be a list")
    return value


def _unique(values: list[Any], what: str, key: str, name: str) -> None:
    seen: set[Any] = set()
    for value in values:
        if value in seen:
            raise SeedError(name, f"{what}: {key} {value!r} appears twice")
        seen.add(value)


def _text(
    entry: dict[str, Any], key: str, where: str, name: str, *, default: str | None = None
) -> str:
    value = entry.get(key, default)
    if not isinstance(value, str) or (default is None and not value):
        raise SeedError(name, f"{where}.{key} must be a non-empty string")
    return value


def _id(entry: dict[str, Any], key: str, where: str, name: str) -> int:
    value = entry.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise SeedError(name, f"{where}.{key} must be a positive whole number")
    return value


def _time(entry: dict[str, Any], key: str, where: str, name: str) -> datetime:
    try:
        return parse_time(entry.get(key))
    except ValueError:
        raise SeedError(name, f"{where}.{key} must be an ISO 8601 time") from None


def _choice(value: object, allowed: frozenset[str], where: str, name: str) -> str:
    if value not in allowed:
        raise SeedError(name, f"{where} must be one of {', '.join(sorted(allowed))}")
    assert isinstance(value, str)
    return value


def _object(entry: object, where: str, name: str) -> dict[str, Any]:
    if not isinstance(entry, dict):
        raise SeedError(name, f"{where} must be an object")
    return entry


def _field(entry: object, where: str, name: str) -> TicketField:
    entry = _object(entry, where, name)
    key = entry.get("key")
    if key is not None and not isinstance(key, str):
        raise SeedError(name, f"{where}.key must be a string")
    return TicketField(
        id=_id(entry, "id", where, name),
        title=_text(entry, "title", where, name),
        type=_text(entry, "type", where, name, default="text"),
        key=key or None,
    )


def _user(entry: object, where: str, name: str) -> User:
    entry = _object(entry, where, name)
    email = _text(entry, "email", where, name)
    if "@" not in email:
        raise SeedError(name, f"{where}.email {email!r} is not an email address")
    created = _time(entry, "created_at", where, name) if "created_at" in entry else None
    return User(
        id=_id(entry, "id", where, name),
        name=_text(entry, "name", where, name),
        email=email,
        role=_choice(entry.get("role", "end-user"), ROLES, f"{where}.role", name),
        locale=_text(entry, "locale", where, name, default="en-US") or "en-US",
        time_zone=_text(entry, "time_zone", where, name, default="UTC") or "UTC",
        **({"created_at": created} if created else {}),
    )


def _ticket(entry: object, where: str, name: str, next_comment: int) -> tuple[Ticket, int]:
    entry = _object(entry, where, name)
    created = _time(entry, "created_at", where, name)
    raw_comments = entry.get("comments")
    if not isinstance(raw_comments, list) or not raw_comments:
        raise SeedError(name, f"{where}.comments must list at least one comment")
    channel = _choice(entry.get("via", "email"), CHANNELS, f"{where}.via", name)
    requester = _id(entry, "requester_id", where, name)
    comments = []
    for j, raw in enumerate(raw_comments):
        at = f"{where}.comments[{j}]"
        raw = _object(raw, at, name)
        html_body = raw.get("html_body")
        if html_body is not None and not isinstance(html_body, str):
            raise SeedError(name, f"{at}.html_body must be a string")
        public = raw.get("public", True)
        if not isinstance(public, bool):
            raise SeedError(name, f"{at}.public must be true or false")
        comments.append(
            Comment(
                id=next_comment,
                author_id=_id(raw, "author_id", at, name) if "author_id" in raw else requester,
                body=_text(raw, "body", at, name),
                html_body=html_body,
                public=public,
                created_at=_time(raw, "created_at", at, name) if "created_at" in raw else created,
                channel=_choice(raw.get("via", channel), CHANNELS, f"{at}.via", name),
            )
        )
        next_comment += 1
    custom: dict[int, str | None] = {}
    raw_fields = entry.get("custom_fields", [])
    if not isinstance(raw_fields, list):
        raise SeedError(name, f"{where}.custom_fields must be a list of {{id, value}}")
    for j, raw in enumerate(raw_fields):
        at = f"{where}.custom_fields[{j}]"
        raw = _object(raw, at, name)
        value = raw.get("value")
        if value is not None and not isinstance(value, str):
            raise SeedError(name, f"{at}.value must be a string or null")
        custom[_id(raw, "id", at, name)] = value
    try:
        tags = normalize_tags(entry.get("tags", []))
    except ValueError as error:
        raise SeedError(name, f"{where}.tags: {error}") from None
    priority = entry.get("priority", "normal")
    if priority is not None:
        priority = _choice(priority, PRIORITIES, f"{where}.priority", name)
    kind = entry.get("type")
    if kind is not None:
        kind = _choice(
            kind, frozenset({"problem", "incident", "question", "task"}), f"{where}.type", name
        )
    updated = max([created] + [c.created_at for c in comments])
    ticket = Ticket(
        id=_id(entry, "id", where, name),
        subject=_text(entry, "subject", where, name),
        requester_id=requester,
        created_at=created,
        updated_at=updated,
        comments=comments,
        status=_choice(entry.get("status", "open"), STATUSES, f"{where}.status", name),
        priority=priority,
        type=kind,
        tags=tags,
        custom_fields=custom,
        channel=channel,
    )
    return ticket, next_comment
