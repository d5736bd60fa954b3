"""The wording of the replies claimdesk writes, per installation, kind and language.

An installation starts with the built-in wording (``plugin.domain.replies.DEFAULTS``); an
admin may replace it per kind and language (``claimdesk template set``), and go back to the
default (``reset``). A wording is checked before it is stored (unknown placeholders, lone
braces, no parcel named), so a stored one always renders.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from plugin.domain import replies
from plugin.errors import PluginError
from plugin.store import reply_queries


class ReplyTemplateError(PluginError):
    """A wording that cannot be stored, or a kind or language we have no wording for."""


@dataclass(frozen=True)
class TemplateView:
    kind: str
    language: str
    body: str
    custom: bool  # the installation's own wording (False: the built-in default)
    updated_at: datetime | None = None


def _checked(kind: str, language: str) -> tuple[str, str]:
    try:
        return replies.check_kind(kind), replies.check_language(language)
    except replies.TemplateError as error:
        raise ReplyTemplateError(str(error)) from None


def template_for(session: Session, installation_id: int, kind: str, language: str) -> TemplateView:
    """The wording an installation uses for ``kind`` in ``language`` (its own, else ours)."""
    kind, language = _checked(kind, language)
    stored = reply_queries.reply_template(session, installation_id, kind, language)
    if stored is not None:
        return TemplateView(kind, language, stored.body, True, stored.updated_at)
    return TemplateView(kind, language, replies.default_body(kind, language), False)


def templates_of(session: Session, installation_id: int, kind: str) -> dict[str, TemplateView]:
    """The wording of ``kind`` in every language, by language (one query)."""
    kind = _checked(kind, replies.DEFAULT_LANGUAGE)[0]
    own = {
        row.language: row
        for row in reply_queries.reply_templates(session, installation_id)
        if row.kind == kind
    }
    return {
        language: (
            TemplateView(kind, language, own[language].body, True, own[language].updated_at)
            if language in own
            else TemplateView(kind, language, replies.default_body(kind, language), False)
        )
        for language in replies.LANGUAGES
    }


def set_template(
    session: Session, installation_id: int, kind: str, language: str, body: str, now: datetime
) -> TemplateView:
    """Store the installation's wording of ``kind`` in ``language``.

    Raises:
        ReplyTemplateError: the kind or language is unknown, or the wording cannot render
            (the message says what to change; nothing is stored).
    """
    kind, language = _checked(kind, language)
    try:
        checked = replies.check_template(body)
    except replies.TemplateError as error:
        raise ReplyTemplateError(f"{kind} ({language}): {error}") from None
    reply_queries.upsert_reply_template(session, installation_id, kind, language, checked, now)
    return TemplateView(kind, language, checked, True, now)


def reset_template(session: Session, installation_id: int, kind: str, language: str) -> bool:
    """Go back to the built-in wording; False when the installation had none of its own."""
    kind, language = _checked(kind, language)
    return reply_queries.delete_reply_template(session, installation_id, kind, language) > 0
