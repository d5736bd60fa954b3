"""Small pure helpers the carriers' parsers share: times to UTC, places to one line."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

_OFFSET = re.compile(r"^([+-])(\d{1,2}):?(\d{2})?$")


def parse_time(text: str | None, offset: str | None = None) -> datetime | None:
    """An ISO-8601 time as aware UTC. A time without zone takes ``offset`` (``-05:00``) when
    given, else is read as UTC. None for blank or unreadable text."""
    if not text or not isinstance(text, str):
        return None
    value = text.strip()
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone(offset) or UTC)
    return moment.astimezone(UTC)


def zone(offset: str | None) -> timezone | None:
    """``-05:00``, ``+0100``, ``-7:00`` as a timezone; None when not an offset."""
    if not offset:
        return None
    match = _OFFSET.match(offset.strip())
    if match is None:
        return None
    sign = -1 if match[1] == "-" else 1
    delta = timedelta(hours=int(match[2]), minutes=int(match[3] or 0))
    return timezone(sign * delta)


def join_place(*parts: Any) -> str | None:
    """Non-blank parts joined with ", " (``"Louisville, KY, US"``); None when all are blank."""
    shown = [str(p).strip() for p in parts if p is not None and str(p).strip()]
    return ", ".join(shown) or None


def text(value: Any) -> str | None:
    """A non-blank string, else None."""
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def mapping(value: Any) -> Mapping[str, Any]:
    """``value`` when it is a JSON object, else an empty one (carriers omit freely)."""
    return value if isinstance(value, Mapping) else {}


def items(value: Any) -> list[Any]:
    """``value`` when it is a JSON array, else an empty list."""
    return value if isinstance(value, list) else []
