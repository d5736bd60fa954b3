"""Translations: every locale has every string, with the same placeholders."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from plugin import i18n

TEMPLATES = Path(i18n.__file__).parent / "templates"


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("locale", [loc for loc in i18n.LOCALES if loc != "en"])
def test_every_locale_has_every_string_with_the_same_placeholders(locale: str) -> None:
    english, other = i18n.catalog("en"), i18n.catalog(locale)
    assert set(other) == set(english)
    for key, template in english.items():
        assert placeholders(other[key]) == placeholders(template), key
        assert other[key].strip(), key


def test_every_key_the_sidebar_templates_use_exists() -> None:
    used = set()
    for path in [TEMPLATES / "base.html", *(TEMPLATES / "sidebar").glob("*.html")]:
        used |= set(re.findall(r"""\bt\(\s*["']([a-z0-9_.]+)["']""", path.read_text("utf-8")))
    assert used, "the templates use t()"
    assert used <= set(i18n.catalog("en")), used - set(i18n.catalog("en"))


@pytest.mark.parametrize(
    ("tag", "locale"),
    [
        ("en-US", "en"),
        ("fr", "fr"),
        ("fr-CA", "fr"),
        ("FR_fr", "fr"),
        ("zh-cn", "zh-cn"),
        ("zh-CN", "zh-cn"),
        ("zh", "zh-cn"),
        ("zh-Hans", "zh-cn"),
        ("zh-tw", "en"),  # Traditional Chinese: not Simplified; English until translated
        ("de", "en"),
        ("", "en"),
        (None, "en"),
    ],
)
def test_locale_of(tag: str | None, locale: str) -> None:
    assert i18n.locale_of(tag) == locale


def test_translate_fills_and_falls_back() -> None:
    assert i18n.translate("fr", "claims.units", units=3) == "Unités : 3"
    assert i18n.translate("xx", "claims.units", units=3) == "Units: 3"
    assert i18n.translate("en", "claims.units") == "Units: {units}"  # visible, not a crash
    with pytest.raises(KeyError):
        i18n.translate("en", "no.such.key")
