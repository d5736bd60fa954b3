"""Installations: one per seller account (later, per Zendesk account and app install)."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy.orm import Session

from plugin.errors import PluginError
from plugin.store import queries
from plugin.store.models import ACTIVE, Installation

# Names end up in job ids, Redis keys and log lines: keep them plain.
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


class InstallationError(PluginError):
    """An installation name that is not allowed, or that names no installation."""


def check_name(name: str) -> str:
    """Return ``name`` if it is a valid installation name.

    Raises:
        InstallationError: it is empty, too long, or has characters other than letters,
            digits, ``.``, ``_`` and ``-`` (or does not start with a letter or digit).
    """
    if not NAME_PATTERN.fullmatch(name):
        raise InstallationError(
            f"{name!r} is not a valid installation name: use up to 100 letters, digits, "
            "'.', '_' or '-', starting with a letter or digit"
        )
    return name


def ensure_installation(session: Session, name: str, now: datetime) -> tuple[Installation, bool]:
    """The installation named ``name``, created (active) if needed; True when created now.

    Safe when two processes create the same name at once: one insert wins, both get it.
    """
    created = queries.insert_installation_if_absent(session, check_name(name), ACTIVE, now)
    installation = queries.installation_by_name(session, name)
    if installation is None:  # pragma: no cover - the row was just inserted or found
        raise InstallationError(f"installation {name!r} vanished while being created")
    return installation, created


def get_installation(session: Session, name: str) -> Installation:
    """The installation named ``name``.

    Raises:
        InstallationError: there is none (the message says how to create it).
    """
    installation = queries.installation_by_name(session, name)
    if installation is None:
        raise InstallationError(
            f"no installation named {name!r} (create it with: claimdesk connect amazon {name} …)"
        )
    return installation
