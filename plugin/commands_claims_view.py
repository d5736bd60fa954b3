"""``claimdesk claims-link NAME``: a link to the reimbursements view outside Zendesk.

The link carries an app token for the installation (no agent), valid for 12 hours by default.
The web app verifies it with its ``SECRET_KEY``, so the command needs the same
``CLAIMDESK_SECRET_KEY`` as the server: a key made up for one process would sign links that
no server accepts.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import click

from plugin.commands_store import _store

DEFAULT_BASE_URL = "http://127.0.0.1:5000"
LOCATION = "claims_link"


@click.command("claims-link")
@click.argument("name")
@click.option(
    "--base-url",
    "base_url",
    envvar="CLAIMDESK_PUBLIC_URL",
    default=DEFAULT_BASE_URL,
    show_default=True,
    help="Where the web app answers (or CLAIMDESK_PUBLIC_URL).",
)
@click.option(
    "--hours",
    type=click.IntRange(min=1, max=24),
    default=12,
    show_default=True,
    help="How long the link works.",
)
@click.option("--lang", type=click.Choice(["en", "fr"]), default=None, help="Page language.")
def claims_link(name: str, base_url: str, hours: int, lang: str | None) -> None:
    """Print a link to installation NAME's reimbursements view, valid for --hours."""
    from plugin import create_app
    from plugin.security.app_token import mint_app_token
    from plugin.services import installations

    if not os.environ.get("CLAIMDESK_SECRET_KEY"):
        raise click.ClickException(
            "CLAIMDESK_SECRET_KEY is not set: set it here and in the web app to the same value, "
            "or the server cannot check the link"
        )
    base = base_url.strip().rstrip("/")
    if not base.startswith(("http://", "https://")):
        raise click.UsageError(f"--base-url must start with http:// or https://, not {base!r}")
    now = datetime.now(UTC)
    with _store() as store, store.session() as session:
        installation = installations.get_installation(session, name)
        installation_id = installation.id
    token = mint_app_token(
        str(create_app().config["SECRET_KEY"]),
        installation_id=installation_id,
        user_id=None,
        location=LOCATION,
        now=now,
        ttl=hours * 3600,
    )
    query = {"token": token, **({"lang": lang} if lang else {})}
    click.echo(f"{base}/claims/?{urlencode(query)}")
    until = (now + timedelta(hours=hours)).replace(microsecond=0).isoformat()
    click.echo(f"Valid until {until}; anyone with this link sees {name}'s claims.", err=True)
