"""Reply templates per installation: the stored wording wins over the default, per kind and
language; bad wording is refused and nothing is stored; the commands do the same."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from plugin.cli import main
from plugin.domain import replies
from plugin.services import auto_replies, reply_templates
from plugin.store.models import ReplyTemplate

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
FRENCH = "Bonjour {first_name} !\nVotre colis {tracking_number} : {status}.\n{link}"


def test_an_installation_starts_with_the_defaults_and_keeps_its_own(
    sessions: sessionmaker[Session], make_installation: Callable[[str], int]
) -> None:
    shop, other = make_installation("shop"), make_installation("other")
    with sessions.begin() as session:
        view = reply_templates.template_for(session, shop, replies.TRACKING_INSERT, "fr")
        assert not view.custom and view.body == replies.default_body(replies.TRACKING_INSERT, "fr")
        stored = reply_templates.set_template(
            session, shop, replies.TRACKING_INSERT, "fr", FRENCH + "\r\n", NOW
        )
        assert stored.body == FRENCH
    with sessions.begin() as session:
        mine = reply_templates.template_for(session, shop, replies.TRACKING_INSERT, "fr")
        assert (mine.custom, mine.body, mine.updated_at) == (True, FRENCH, NOW)
        # Other languages, the other kind and other installations keep the defaults.
        assert not reply_templates.template_for(session, shop, replies.TRACKING_INSERT, "de").custom
        assert not reply_templates.template_for(
            session, shop, replies.WISMO_AUTO_REPLY, "fr"
        ).custom
        assert not reply_templates.template_for(
            session, other, replies.TRACKING_INSERT, "fr"
        ).custom
        every = reply_templates.templates_of(session, shop, replies.TRACKING_INSERT)
        assert list(every) == list(replies.LANGUAGES)
        assert [lang for lang, v in every.items() if v.custom] == ["fr"]
        # Saving again replaces (one row per installation, kind and language).
        reply_templates.set_template(
            session, shop, replies.TRACKING_INSERT, "fr", "Suivi : {link}", NOW
        )
    with sessions.begin() as session:
        count = session.scalar(select(func.count()).select_from(ReplyTemplate))
        assert count == 1
        assert reply_templates.reset_template(session, shop, replies.TRACKING_INSERT, "fr")
        assert not reply_templates.reset_template(session, shop, replies.TRACKING_INSERT, "fr")
        assert not reply_templates.template_for(session, shop, replies.TRACKING_INSERT, "fr").custom


@pytest.mark.parametrize(
    ("kind", "language", "body", "message"),
    [
        ("tracking_insert", "fr", "Bonjour {prenom}, {link}", r"unknown placeholder \{prenom\}"),
        ("tracking_insert", "fr", "Bonjour {first_name}", "must name the parcel"),
        ("tracking_insert", "pt", "{link}", "no reply wording for language 'pt'"),
        ("welcome", "fr", "{link}", "unknown reply kind 'welcome'"),
    ],
)
def test_bad_wording_is_refused_and_nothing_is_stored(
    sessions: sessionmaker[Session],
    make_installation: Callable[[str], int],
    kind: str,
    language: str,
    body: str,
    message: str,
) -> None:
    shop = make_installation("shop")
    with sessions.begin() as session:
        with pytest.raises(reply_templates.ReplyTemplateError, match=message):
            reply_templates.set_template(session, shop, kind, language, body, NOW)
    with sessions.begin() as session:
        assert session.scalar(select(func.count()).select_from(ReplyTemplate)) == 0


def test_the_auto_replies_setting_is_off_until_turned_on(
    sessions: sessionmaker[Session], make_installation: Callable[[str], int]
) -> None:
    shop, other = make_installation("shop"), make_installation("other")
    with sessions.begin() as session:
        assert auto_replies.auto_replies_enabled(session, shop) is False
        auto_replies.set_auto_replies(session, shop, True, NOW)
    with sessions.begin() as session:
        assert auto_replies.auto_replies_enabled(session, shop) is True
        assert auto_replies.auto_replies_enabled(session, other) is False
        auto_replies.set_auto_replies(session, shop, False, NOW)
    with sessions.begin() as session:
        assert auto_replies.auto_replies_enabled(session, shop) is False


# --- the commands ----------------------------------------------------------------------------


@pytest.fixture
def claimdesk(database_url: str, tmp_path: Path) -> Callable[..., Result]:
    environment = {
        "CLAIMDESK_ENV": "development",
        "CLAIMDESK_DATABASE_URL": database_url,
        "CLAIMDESK_DATA_DIR": str(tmp_path / "data"),
    }

    def run(*args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(main, list(args), env=environment, input=input)

    return run


def test_template_commands_round_trip(
    claimdesk: Callable[..., Result], make_installation: Callable[[str], int], tmp_path: Path
) -> None:
    make_installation("shop")
    wording = tmp_path / "fr.txt"
    wording.write_text(FRENCH, encoding="utf-8")
    shown = claimdesk("template", "show", "shop", "tracking_insert", "--lang", "fr")
    assert shown.exit_code == 0, shown.output
    assert shown.output == replies.default_body("tracking_insert", "fr") + "\n"
    stored = claimdesk("template", "set", "shop", "tracking_insert", "--lang", "fr", str(wording))
    assert stored.exit_code == 0, stored.output
    assert "Stored shop's wording of tracking_insert in fr" in stored.output
    shown = claimdesk("template", "show", "shop", "tracking_insert", "--lang", "fr")
    assert shown.output == FRENCH + "\n"
    every = claimdesk("template", "show", "shop", "tracking_insert")
    assert "--- tracking_insert [fr] (own wording)" in every.output
    assert "--- tracking_insert [ja] (default)" in every.output
    from_stdin = claimdesk(
        "template", "set", "shop", "wismo_auto_reply", "--lang", "de", input="Paket {link}\n"
    )
    assert from_stdin.exit_code == 0, from_stdin.output
    shown = claimdesk("template", "show", "shop", "wismo_auto_reply", "--lang", "de")
    assert shown.output == "Paket {link}\n"
    reset = claimdesk("template", "reset", "shop", "tracking_insert", "--lang", "fr")
    assert reset.exit_code == 0 and "uses the default wording" in reset.output
    shown = claimdesk("template", "show", "shop", "tracking_insert", "--lang", "fr")
    assert shown.output == replies.default_body("tracking_insert", "fr") + "\n"


def test_template_set_refuses_unknown_placeholders_clearly(
    claimdesk: Callable[..., Result], make_installation: Callable[[str], int]
) -> None:
    make_installation("shop")
    refused = claimdesk(
        "template", "set", "shop", "tracking_insert", "--lang", "fr",
        input="Bonjour {prenom}, suivi {lien}\n",
    )  # fmt: skip
    assert refused.exit_code == 1
    assert "unknown placeholders {prenom} (line 1), {lien} (line 1)" in refused.output
    assert "{first_name}" in refused.output  # what one may use instead
    shown = claimdesk("template", "show", "shop", "tracking_insert", "--lang", "fr")
    assert shown.output == replies.default_body("tracking_insert", "fr") + "\n"
    no_lang = claimdesk("template", "set", "shop", "tracking_insert", input="{link}")
    assert no_lang.exit_code == 2 and "--lang" in no_lang.output
    nobody = claimdesk("template", "show", "nobody", "tracking_insert")
    assert nobody.exit_code == 1 and "no installation named 'nobody'" in nobody.output
    bad_lang = claimdesk("template", "show", "shop", "tracking_insert", "--lang", "pt")
    assert bad_lang.exit_code == 2


def test_settings_command_turns_auto_replies_on_and_off(
    claimdesk: Callable[..., Result], make_installation: Callable[[str], int]
) -> None:
    make_installation("shop")
    assert claimdesk("settings", "shop").output.startswith("auto_replies: off\n")
    assert claimdesk("settings", "shop", "auto_replies").output == "off\n"
    turned = claimdesk("settings", "shop", "auto_replies", "on")
    assert turned.exit_code == 0 and turned.output == "auto_replies: on\n"
    assert claimdesk("settings", "shop", "auto_replies").output == "on\n"
    assert claimdesk("settings", "shop", "auto_replies", "off").output == "auto_replies: off\n"
    wrong = claimdesk("settings", "shop", "auto_replies", "maybe")
    assert wrong.exit_code == 2
