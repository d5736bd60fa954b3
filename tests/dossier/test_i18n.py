"""The dossier page's strings: every locale has every string with the same placeholders, and
every key the page uses (the dynamic ones too) exists."""

from __future__ import annotations

import re
import string

import pytest

from plugin import i18n
from plugin.services import dossier

TEMPLATE = dossier.FOLDER / "dossier.html"


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("locale", [loc for loc in i18n.LOCALES if loc != "en"])
def test_every_locale_has_every_string_with_the_same_placeholders(locale: str) -> None:
    english, other = dossier._catalog("en"), dossier._catalog(locale)
    assert set(other) == set(english)
    for key, template in english.items():
        assert placeholders(other[key]) == placeholders(template), key
        assert other[key].strip(), key


def test_every_key_the_page_uses_exists() -> None:
    source = TEMPLATE.read_text("utf-8")
    used = set(re.findall(r"""\bt\(\s*["']([a-z0-9_.]+)["']""", source))
    used = {key for key in used if not key.endswith(".")}  # prefixes of dynamic keys
    kinds = ("customer_message", "agent_reply", "internal_note")
    used |= {f"message.{kind}" for kind in kinds}
    used |= {f"target.{name}" for name in ("internal_sla", "amazon_24h", "a_to_z_48h")}
    used |= {f"target.{state}" for state in ("met", "missed", "open")}
    used |= {f"gaps.part.{part}" for part in ("messages", "users", "timeline")}
    used |= {"gap.users", "gap.timeline"}
    reasons = [
        dossier.NOT_CONNECTED,
        dossier.UNREACHABLE,
        dossier.REFUSED,
        dossier.RATE_LIMITED,
        dossier.TICKET_GONE,
        dossier.FAILED,
    ]
    used |= {f"gap.{reason}" for reason in reasons}
    missing = used - set(dossier._catalog("en"))
    assert not missing


def test_a_missing_string_falls_back_to_english() -> None:
    assert dossier.translate("xx", "timeline.title") == "Order timeline"
    assert dossier.translate("fr", "timeline.title") == "Chronologie de la commande"
