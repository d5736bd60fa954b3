"""User-facing strings in the agent's language: ``plugin/translations/<locale>.json``.

English is complete and is the fallback for a missing locale or key; French and Simplified
Chinese follow. Zendesk names locales ``en-US``, ``fr``, ``fr-CA``, ``zh-cn`` …: ``locale_of``
maps them onto ours. Values are ``str.format`` templates; a placeholder the caller does not
pass is left visible (``{name}``) rather than failing the page.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

DEFAULT = "en"
LOCALES = ("en", "fr", "zh-cn")
FOLDER = Path(__file__).parent / "translations"


@cache
def catalog(locale: str) -> Mapping[str, str]:
    """The strings of ``locale`` (one of ``LOCALES``), read once per process."""
    if locale not in LOCALES:
        raise ValueError(f"no translations for {locale!r} (one of {', '.join(LOCALES)})")
    strings: dict[str, str] = json.loads((FOLDER / f"{locale}.json").read_text("utf-8"))
    return strings


def locale_of(requested: str | None) -> str:
    """Our locale for a Zendesk or browser locale tag; English when we have no match."""
    tag = (requested or "").strip().lower().replace("_", "-")
    if tag in LOCALES:
        return tag
    language, _, region = tag.partition("-")
    if language == "zh":
        # Simplified Chinese only: Traditional (zh-tw, zh-hk, zh-hant) falls back to English.
        return "zh-cn" if region in ("", "cn", "sg", "hans") else DEFAULT
    return language if language in LOCALES else DEFAULT


class _Missing(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def translate(locale: str, key: str, **params: Any) -> str:
    """The string ``key`` in ``locale`` (English if absent there), filled with ``params``.

    Raises:
        KeyError: ``key`` is not in the English catalog (a programming error, caught by tests).
    """
    template = catalog(locale).get(key) if locale in LOCALES else None
    if template is None:
        template = catalog(DEFAULT)[key]
    return template.format_map(_Missing(params))


def translator(locale: str) -> Any:
    """``t(key, **params)`` bound to one locale, for templates."""

    def t(key: str, **params: Any) -> str:
        return translate(locale, key, **params)

    return t
