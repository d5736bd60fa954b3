"""``claimdesk template show|set|reset NAME KIND`` and ``claimdesk settings NAME …``.

Reply templates are the wording of what claimdesk writes to customers: ``tracking_insert``
(the sidebar's "Insert tracking") and ``wismo_auto_reply`` (the automatic answer to "where is
my order?"), per language. ``set`` checks the wording before storing it (unknown placeholders
are refused with the list of known ones); ``reset`` goes back to the built-in wording.

``settings NAME auto_replies on|off`` turns automatic replies on or off, ``settings NAME
deadline_alerts on|off`` the daily deadline alert ticket (both off by default).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import IO

import click

from plugin.commands_store import _store
from plugin.domain import replies

PLACEHOLDER_HELP = "; ".join(f"{{{name}}}: {text}" for name, text in replies.PLACEHOLDERS.items())


def register_templates(main: click.Group) -> None:
    """Add ``template`` and ``settings`` to the ``claimdesk`` group."""
    main.add_command(template)
    main.add_command(settings)


def _now() -> datetime:
    return datetime.now(UTC)


_kind = click.argument("kind", type=click.Choice(replies.KINDS))
_lang = click.option(
    "--lang",
    "language",
    type=click.Choice(replies.LANGUAGES),
    help="The wording's language.",
)


@click.group()
def template() -> None:
    """Show, set or reset the wording of a reply claimdesk writes."""


@template.command("show")
@click.argument("name")
@_kind
@_lang
def template_show(name: str, kind: str, language: str | None) -> None:
    """Print installation NAME's wording of KIND (every language without --lang)."""
    from plugin.services import installations, reply_templates

    with _store() as store, store.session() as session:
        installation = installations.get_installation(session, name)
        views = reply_templates.templates_of(session, installation.id, kind)
    wanted = [views[language]] if language else list(views.values())
    for index, view in enumerate(wanted):
        if len(wanted) > 1:
            if index:
                click.echo("")
            origin = "own wording" if view.custom else "default"
            click.echo(f"--- {kind} [{view.language}] ({origin})")
        click.echo(view.body)


@template.command(
    "set", epilog=f"Placeholders: {PLACEHOLDER_HELP}. Write {{{{ or }}}} for a brace."
)
@click.argument("name")
@_kind
@_lang
@click.argument("file", type=click.File("r", encoding="utf-8"), default="-")
def template_set(name: str, kind: str, language: str | None, file: IO[str]) -> None:
    """Store installation NAME's wording of KIND in --lang, read from FILE (or standard input)."""
    from plugin.services import installations, reply_templates

    if not language:
        raise click.UsageError("say which language the wording is in: --lang fr")
    try:
        body = file.read()
    except UnicodeDecodeError:
        raise click.UsageError("the template file is not UTF-8 text") from None
    with _store() as store, store.session() as session:
        installation = installations.get_installation(session, name)
        try:
            reply_templates.set_template(session, installation.id, kind, language, body, _now())
        except reply_templates.ReplyTemplateError as error:
            raise click.ClickException(str(error)) from None
    click.echo(f"Stored {name}'s wording of {kind} in {language}.")


@template.command("reset")
@click.argument("name")
@_kind
@_lang
def template_reset(name: str, kind: str, language: str | None) -> None:
    """Go back to the default wording of KIND in --lang for installation NAME."""
    from plugin.services import installations, reply_templates

    if not language:
        raise click.UsageError("say which language to reset: --lang fr")
    with _store() as store, store.session() as session:
        installation = installations.get_installation(session, name)
        removed = reply_templates.reset_template(session, installation.id, kind, language)
    if removed:
        click.echo(f"{name} uses the default wording of {kind} in {language} again.")
    else:
        click.echo(f"{name} already used the default wording of {kind} in {language}.")


SWITCHES = {"on": True, "off": False}


SETTINGS = ("auto_replies", "deadline_alerts")


@click.command("settings")
@click.argument("name")
@click.argument("setting", required=False, type=click.Choice(SETTINGS))
@click.argument("value", required=False, type=click.Choice(sorted(SWITCHES)))
def settings(name: str, setting: str | None, value: str | None) -> None:
    """Show installation NAME's settings, or set one: settings NAME auto_replies|deadline_alerts
    on|off."""
    from plugin.services import auto_replies, deadline_alert_tickets, installations

    setters = {
        "auto_replies": auto_replies.set_auto_replies,
        "deadline_alerts": deadline_alert_tickets.set_deadline_alerts,
    }
    with _store() as store, store.session() as session:
        installation = installations.get_installation(session, name)
        if setting is not None and value is not None:
            setters[setting](session, installation.id, SWITCHES[value], _now())
        enabled = {
            "auto_replies": auto_replies.auto_replies_enabled(session, installation.id),
            "deadline_alerts": deadline_alert_tickets.deadline_alerts_enabled(
                session, installation.id
            ),
        }
    if setting is not None and value is None:
        click.echo("on" if enabled[setting] else "off")
        return
    for shown in SETTINGS if setting is None else (setting,):
        click.echo(f"{shown}: {'on' if enabled[shown] else 'off'}")
