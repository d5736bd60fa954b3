"""``claimdesk`` commands that use the store: connect, costs, claims, migrate.

They read the same settings as the web app (``CLAIMDESK_DATABASE_URL`` …, see
``plugin.extensions``) and bring the database to the newest schema before using it.
Heavy imports wait until a command runs, so ``claimdesk reconcile`` starts as fast as before.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from connectors.amazon.settings import NA_ENDPOINT

if TYPE_CHECKING:
    from plugin.extensions import Resources

DAY = click.DateTime(formats=["%Y-%m-%d"])


def register(main: click.Group) -> None:
    """Add the store's commands to the ``claimdesk`` group."""
    for command in (connect, costs, claims, migrate):
        main.add_command(command)


@contextmanager
def _store() -> Iterator[Resources]:
    """The process's resources, on a migrated database; errors become one-line messages."""
    from plugin import create_app
    from plugin.errors import PluginError
    from plugin.extensions import resources

    try:
        found = resources(create_app())
        found.migrate()
    except PluginError as error:
        raise click.ClickException(str(error)) from None
    try:
        yield found
    except (PluginError, ValueError) as error:
        raise click.ClickException(str(error)) from None
    finally:
        found.close()


def _now() -> datetime:
    return datetime.now(UTC)


@click.group()
def connect() -> None:
    """Store a marketplace account's credentials for an installation."""


@connect.command("amazon")
@click.argument("name")
@click.option(
    "--endpoint",
    default=NA_ENDPOINT,
    show_default=True,
    help="SP-API base URL (a local sandbox's URL for tests and the demo).",
)
@click.option(
    "--refresh-token",
    "refresh_token",
    required=True,
    envvar="CLAIMDESK_AMAZON_REFRESH_TOKEN",
    help="The seller's LWA refresh token (or CLAIMDESK_AMAZON_REFRESH_TOKEN).",
)
@click.option("--client-id", "client_id", required=True, help="The LWA app's client id.")
@click.option(
    "--client-secret",
    "client_secret",
    required=True,
    envvar="CLAIMDESK_AMAZON_CLIENT_SECRET",
    help="The LWA app's client secret (or CLAIMDESK_AMAZON_CLIENT_SECRET).",
)
@click.option(
    "--lwa-endpoint",
    "lwa_endpoint",
    default=None,
    help="LWA base URL [default: https://api.amazon.com; a local sandbox's own URL].",
)
@click.option(
    "--marketplace-id",
    "marketplace_ids",
    multiple=True,
    help="A marketplace to sync (repeat for several; default: the US marketplace).",
)
def connect_amazon(
    name: str,
    endpoint: str,
    refresh_token: str,
    client_id: str,
    client_secret: str,
    lwa_endpoint: str | None,
    marketplace_ids: tuple[str, ...],
) -> None:
    """Create installation NAME if needed and store its SP-API credentials, encrypted."""
    from plugin.extensions import KEY_FILE
    from plugin.services import credentials, installations

    try:
        installations.check_name(name)
        endpoint = credentials.check_endpoint(endpoint, "--endpoint")
        lwa = credentials.check_endpoint(
            lwa_endpoint or credentials.default_lwa_endpoint(endpoint), "--lwa-endpoint"
        )
    except (installations.InstallationError, ValueError) as error:
        raise click.UsageError(str(error)) from None
    secrets = credentials.AmazonCredentials(
        endpoint=endpoint,
        lwa_endpoint=lwa,
        client_id=client_id,
        client_secret=client_secret,
        refresh_token=refresh_token,
        marketplace_ids=tuple(dict.fromkeys(marketplace_ids)),
    )
    with _store() as store, store.session() as session:
        installation, created = installations.ensure_installation(session, name, _now())
        key = credentials.save_amazon_credentials(
            session, store.keyring, installation.id, secrets, _now()
        )
    click.echo(
        f"{'Created' if created else 'Updated'} installation {name}: Amazon credentials stored "
        f"encrypted (key {key}); SP-API {endpoint}, LWA {lwa}"
    )
    if not store.settings.credential_keys:
        click.echo(
            f"Note: CLAIMDESK_CREDENTIALS_KEY is not set, so the development key in "
            f"{store.settings.data_dir / KEY_FILE} encrypted them; set the variable in production.",
            err=True,
        )


@connect.command("zendesk")
@click.argument("name")
@click.option(
    "--subdomain", required=True, help="The account's subdomain (acme of acme.zendesk.com)."
)
@click.option(
    "--installation-id",
    "installation_id",
    type=click.IntRange(min=1),
    required=True,
    help="The app installation's id in Zendesk (client.metadata().installationId).",
)
@click.option(
    "--app-id",
    "app_id",
    type=click.IntRange(min=1),
    default=None,
    help="The app's id in Zendesk [default: looked up from the installation with the API].",
)
@click.option(
    "--public-key",
    "public_key",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="The app's public key (PEM) to pin, instead of fetching it from the API.",
)
@click.option(
    "--url",
    default=None,
    help="The account's base URL [default: https://SUBDOMAIN.zendesk.com; a sandbox's URL].",
)
@click.option("--email", default=None, help="The API user's email (API-token sign-in).")
@click.option(
    "--api-token",
    "api_token",
    default=None,
    envvar="CLAIMDESK_ZENDESK_API_TOKEN",
    help="A Zendesk API token (or CLAIMDESK_ZENDESK_API_TOKEN).",
)
@click.option(
    "--webhook-secret",
    "webhook_secret",
    default=None,
    envvar="CLAIMDESK_ZENDESK_WEBHOOK_SECRET",
    help="The triage webhook's signing secret (or CLAIMDESK_ZENDESK_WEBHOOK_SECRET).",
)
def connect_zendesk(
    name: str,
    subdomain: str,
    installation_id: int,
    app_id: int | None,
    public_key: Path | None,
    url: str | None,
    email: str | None,
    api_token: str | None,
    webhook_secret: str | None,
) -> None:
    """Link installation NAME to a Zendesk account's app installation, secrets encrypted."""
    from plugin.services import zendesk_accounts as accounts

    if bool(email) != bool(api_token):
        raise click.UsageError("--email and --api-token go together")
    if public_key is None and not api_token:
        raise click.UsageError(
            "give --public-key FILE, or --email and --api-token so claimdesk can fetch the "
            "app's public key"
        )
    pem = public_key.read_text(encoding="ascii", errors="replace") if public_key else None
    secrets = accounts.ZendeskCredentials(
        email=email, api_token=api_token, public_key_pem=pem, webhook_secret=webhook_secret
    )
    if app_id is None and public_key is None and api_token:
        app_id = _zendesk_app_id(subdomain, installation_id, url, email, api_token)
    with _store() as store, store.session() as session:
        installation, created = accounts.connect_zendesk(
            session,
            store.keyring,
            name,
            subdomain=subdomain,
            zendesk_installation_id=installation_id,
            app_id=app_id,
            url=url,
            secrets=secrets,
            now=_now(),
        )
        base = installation.zendesk_url
        sub = installation.zendesk_subdomain
    key = "pinned public key" if pem else f"public key fetched from app {app_id}"
    click.echo(
        f"{'Created' if created else 'Updated'} installation {name}: Zendesk {sub} "
        f"installation {installation_id} at {base} ({key}; secrets stored encrypted)"
    )


def _zendesk_app_id(
    subdomain: str, installation_id: int, url: str | None, email: str | None, api_token: str
) -> int:
    """The app id of a Zendesk installation, asked of the account's API (one clear error)."""
    from connectors.errors import ConnectorError
    from connectors.zendesk.apps import find_app_id
    from connectors.zendesk.settings import ZendeskSettings
    from plugin.services import credentials
    from plugin.services import zendesk_accounts as accounts

    try:
        sub = accounts.check_subdomain(subdomain)
        base = credentials.check_endpoint(
            url or ZendeskSettings.production_url(sub), "the Zendesk URL"
        )
        settings = ZendeskSettings(subdomain=sub, base_url=base, email=email, api_token=api_token)
        return find_app_id(settings, installation_id)
    except (accounts.ZendeskAccountError, ValueError) as error:
        raise click.UsageError(str(error)) from None
    except ConnectorError as error:
        raise click.ClickException(
            f"could not look up the app of installation {installation_id}: {error} "
            "(give --app-id, or --public-key FILE)"
        ) from None


@click.command()
@click.argument("name")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def costs(name: str, file: Path) -> None:
    """Replace installation NAME's unit costs with FILE (CSV: sku,unit_cost,currency)."""
    from connectors.amazon.models import ReportKind
    from connectors.amazon.parse import read_report
    from connectors.errors import ReportError
    from plugin.services import installations
    from plugin.services.ingest import cost_values
    from plugin.store import queries

    try:
        report = read_report(lambda: file.open("rb"), file.name)
    except ReportError as error:
        raise click.ClickException(f"{file}: {error.describe()}") from None
    except OSError as error:
        raise click.ClickException(f"{file}: cannot be read ({error.strerror or error})") from None
    if report.kind is not ReportKind.COSTS:
        raise click.ClickException(
            f"{file} is not a costs file (it looks like {report.kind.value} data); "
            "expected exactly the columns sku,unit_cost,currency"
        )
    values = cost_values(report.rows)
    with _store() as store, store.session() as session:
        installation = installations.get_installation(session, name)
        before = len(queries.costs(session, installation.id))
        queries.replace_costs(session, installation.id, values, _now())
    click.echo(f"Imported {len(values)} unit costs for {name} (replacing {before}).")


@click.command()
@click.argument("name")
@click.option(
    "--as-of",
    "as_of",
    type=DAY,
    default=None,
    metavar="YYYY-MM-DD",
    help="The day to judge windows on (default: today).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def claims(name: str, as_of: datetime | None, as_json: bool) -> None:
    """Print installation NAME's stored claims, as reconcile prints them."""
    from plugin.reporting import claims_document, render_table
    from plugin.services import installations
    from plugin.services.claim_store import load_claims

    day = as_of.date() if as_of is not None else date.today()
    with _store() as store, store.session() as session:
        installation = installations.get_installation(session, name)
        found = load_claims(session, installation.id, as_of=day)
    if as_json:
        click.echo(json.dumps(claims_document(day, found, []), indent=1))
    else:
        table = render_table(day, found, [], source=name)
        click.echo(table.replace("claimdesk reconcile", "claimdesk claims", 1), nl=False)


@click.command()
def migrate() -> None:
    """Bring the database to the newest schema (the store commands also do it themselves)."""
    from sqlalchemy.engine import make_url

    from plugin.store.migrate import current

    with _store() as store:
        revision = current(store.engine)
        where = make_url(store.settings.database_url).render_as_string(hide_password=True)
    click.echo(f"Database {where} is at revision {revision}.")
