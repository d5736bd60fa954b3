"""``claimdesk carrier NUMBER``: which carrier a tracking number belongs to; and
``claimdesk connect carrier NAME CARRIER …``: an installation's carrier account, encrypted.

Detection is pure (``connectors.carriers.detect``): ``carrier`` needs no store.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import click

from connectors.carriers.detect import detect

CARRIER_CHOICES = ("ups", "fedex", "usps", "dhl")
_NAMES = {"ups": "UPS", "fedex": "FedEx", "usps": "USPS", "dhl": "DHL", "amazon": "Amazon"}


def register_carrier(main: click.Group) -> None:
    """Add ``carrier`` to the ``claimdesk`` group and ``carrier`` to its ``connect`` group."""
    main.add_command(carrier)
    connect = main.commands.get("connect")
    if isinstance(connect, click.Group):
        connect.add_command(connect_carrier)


@click.command()
@click.argument("number", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def carrier(number: tuple[str, ...], as_json: bool) -> None:
    """Tell which carrier tracking NUMBER belongs to, whether its check digit holds, and its
    tracking link. NUMBER may contain spaces and dashes (quoted or not)."""
    text = " ".join(number)
    found = detect(text)
    if not found.number:
        raise click.UsageError("NUMBER is empty")
    if as_json:
        click.echo(json.dumps(found.as_dict()))
        return
    if found.carrier is None:
        click.echo(f"{found.number}: no known carrier (UPS, FedEx, USPS, DHL, Amazon)")
        return
    check = "check digit valid" if found.valid else "check digit WRONG (mistyped?)"
    if found.valid and not found.checked:
        check = "format has no check digit"
    click.echo(f"{found.number}")
    click.echo(f"  carrier:  {_NAMES[found.carrier]}")
    click.echo(f"  service:  {found.service}")
    click.echo(f"  valid:    {'yes' if found.valid else 'no'} ({check})")
    click.echo(f"  tracking: {found.url}")


@click.command("carrier")
@click.argument("name")
@click.argument("carrier_code", metavar="CARRIER", type=click.Choice(CARRIER_CHOICES))
@click.option("--client-id", "client_id", help="OAuth client id (UPS, FedEx Track API, USPS).")
@click.option(
    "--client-secret",
    "client_secret",
    envvar="CLAIMDESK_CARRIER_CLIENT_SECRET",
    help="OAuth client secret (or CLAIMDESK_CARRIER_CLIENT_SECRET).",
)
@click.option(
    "--api-key",
    "api_key",
    envvar="CLAIMDESK_CARRIER_API_KEY",
    help="DHL's API key (or CLAIMDESK_CARRIER_API_KEY).",
)
@click.option(
    "--url",
    default=None,
    help="The API's base URL [default: the carrier's production host; a sandbox's URL].",
)
def connect_carrier(
    name: str,
    carrier_code: str,
    client_id: str | None,
    client_secret: str | None,
    api_key: str | None,
    url: str | None,
) -> None:
    """Store installation NAME's CARRIER account (ups, fedex, usps: --client-id and
    --client-secret; dhl: --api-key), encrypted; live tracking then asks the carrier."""
    from plugin.commands_store import _store
    from plugin.services import carrier_accounts as accounts
    from plugin.services import installations

    secrets = accounts.CarrierCredentials(
        carrier=carrier_code,
        client_id=client_id or None,
        client_secret=client_secret or None,
        api_key=api_key or None,
        url=url or None,
    )
    try:
        installations.check_name(name)
        accounts.check_credentials(secrets)
    except (installations.InstallationError, accounts.CarrierAccountError) as error:
        raise click.UsageError(str(error)) from None
    now = datetime.now(UTC)
    with _store() as store, store.session() as session:
        installation, created = accounts.connect_carrier(session, store.keyring, name, secrets, now)
        installation_name = installation.name
    where = url or "the production API"
    click.echo(
        f"{'Created' if created else 'Updated'} installation {installation_name}: "
        f"{_NAMES[carrier_code]} account stored encrypted; tracking asks {where}"
    )
