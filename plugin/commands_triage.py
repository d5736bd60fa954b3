"""``claimdesk triage …``: the triage rules, SLA targets and webhook secret of an installation.

- ``triage rules NAME --export FILE`` writes the rules in force (the installation's override,
  else the defaults); ``--import FILE`` validates a rules file and stores it as the override
  (an invalid file is refused with the place of the first problem, and nothing changes);
  ``--reset`` goes back to the defaults. Without an option it prints a summary.
- ``triage sla NAME [--high H] [--medium H] [--low H]`` shows or sets the internal targets (hours;
  ``none`` for no target).
- ``triage fetch-webhook-secret NAME`` reads the triage webhook's signing secret from the
  account's Webhooks API and stores it encrypted (or give ``connect zendesk …
  --webhook-secret``).
- ``triage deliveries NAME`` lists the latest webhook deliveries and why any was refused.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from plugin.commands_store import _store


def register_triage(main: click.Group) -> None:
    main.add_command(triage)


def _now() -> datetime:
    return datetime.now(UTC)


@click.group()
def triage() -> None:
    """Triage rules, SLA targets and the webhook secret."""


@triage.command("rules")
@click.argument("name")
@click.option("--export", "export", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the rules in force to FILE (JSON).")  # fmt: skip
@click.option("--import", "import_", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Validate FILE and make it installation NAME's rules.")  # fmt: skip
@click.option("--reset", is_flag=True, help="Go back to the built-in rules.")
def rules(name: str, export: Path | None, import_: Path | None, reset: bool) -> None:
    """Show, export, import or reset installation NAME's triage rules."""
    from plugin.services import installations
    from plugin.services import triage as service
    from plugin.store import queries

    if sum(bool(x) for x in (export, import_, reset)) > 1:
        raise click.UsageError("give one of --export, --import and --reset")
    with _store() as store, store.session() as session:
        installation = installations.get_installation(session, name)
        if import_ is not None:
            try:
                text = import_.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as error:
                raise click.ClickException(f"{import_}: cannot be read ({error})") from None
            try:
                version = service.import_rules(session, installation.id, text, _now())
            except service.TriageError as error:
                raise click.ClickException(f"{import_}: {error}") from None
            session.commit()
            click.echo(f"Imported triage rules {version} for {name} from {import_}")
            return
        if reset:
            removed = queries.delete_setting(session, installation.id, service.RULES_SETTING)
            session.commit()
            click.echo(f"{name} uses the built-in triage rules" + ("" if removed else " (already)"))
            return
        try:
            found = service.rules_for(session, installation.id)
        except service.TriageError as error:
            raise click.ClickException(str(error)) from None
        custom = queries.setting_value(session, installation.id, service.RULES_SETTING) is not None
    if export is not None:
        export.write_text(json.dumps(found.document, ensure_ascii=False, indent=1) + "\n", "utf-8")
        click.echo(f"Wrote {name}'s triage rules {found.version} to {export}")
        return
    click.echo(f"{name}: {'custom' if custom else 'built-in'} triage rules {found.version}")
    for category, risk in found.category_risk.items():
        count = sum(p.category == category for p in found.patterns)
        click.echo(f"  {category:<18} {risk:<7} {count} patterns")
    click.echo(f"  languages: {', '.join(found.languages)}; state rules: {len(found.state_rules)}")


def _hours(value: str | None) -> Any:
    if value is None or value.lower() == "none":
        return None
    try:
        return float(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a number of hours (or 'none')") from None


@triage.command("sla")
@click.argument("name")
@click.option("--high", default=None, help="Hours to answer a high-risk ticket (default 2).")
@click.option("--medium", default=None, help="Hours for medium risk (default 8).")
@click.option("--low", default=None, help="Hours for low risk (default 24).")
def sla(name: str, high: str | None, medium: str | None, low: str | None) -> None:
    """Show or set installation NAME's internal SLA targets."""
    from plugin.services import installations
    from plugin.services import triage as service
    from plugin.store import queries

    given = {k: v for k, v in (("high", high), ("medium", medium), ("low", low)) if v is not None}
    with _store() as store, store.session() as session:
        installation = installations.get_installation(session, name)
        if given:
            current = queries.setting_value(session, installation.id, service.SLA_SETTING) or {}
            merged = {**current, **{k: _hours(v) for k, v in given.items()}}
            try:
                targets = service.set_sla_targets(session, installation.id, merged, _now())
            except service.TriageError as error:
                raise click.ClickException(str(error)) from None
            session.commit()
        else:
            try:
                targets = service.sla_targets_for(session, installation.id)
            except service.TriageError as error:
                raise click.ClickException(str(error)) from None
    for risk in ("high", "medium", "low"):
        hours = targets.hours.get(risk)
        click.echo(f"{risk:<7} {'no target' if hours is None else f'{hours:g} h'}")
    click.echo(
        "Amazon: 24 h for a buyer message, 48 h for an A-to-z claim (targets never pass them)"
    )


@triage.command("fetch-webhook-secret")
@click.argument("name")
def fetch_webhook_secret(name: str) -> None:
    """Read the triage webhook's signing secret from Zendesk and store it encrypted."""
    from connectors.errors import ConnectorError
    from plugin.errors import PluginError
    from plugin.services import installations
    from plugin.services import triage as service

    with _store() as store, store.session() as session:
        installation = installations.get_installation(session, name)
        try:
            webhook_id = service.fetch_webhook_secret(
                session, store.keyring, installation.id, _now()
            )
        except (ConnectorError, PluginError) as error:
            raise click.ClickException(f"cannot fetch the webhook secret: {error}") from None
        session.commit()
    click.echo(f"Stored the signing secret of webhook {webhook_id} for {name} (encrypted)")


@triage.command("deliveries")
@click.argument("name")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1000))
def deliveries(name: str, limit: int) -> None:
    """List installation NAME's latest webhook deliveries, accepted or refused and why."""
    from plugin.services import installations
    from plugin.store import triage_queries as tq

    with _store() as store, store.session() as session:
        installation = installations.get_installation(session, name)
        rows = tq.deliveries(session, installation.id, limit)
        lines = [
            f"{row.received_at:%Y-%m-%d %H:%M:%S}Z  {'accepted' if row.accepted else 'REFUSED '}"
            f"  {row.reason:<18} ticket {row.ticket_id or '-'} {row.event or ''}"
            for row in rows
        ]
    click.echo("\n".join(lines) if lines else f"No webhook deliveries for {name} yet")
