"""``claimdesk dossier NAME --order ID``: an order's A-to-z dossier as a zip, from scripts.

The same zip as the sidebar's export (``plugin.services.dossier``): ``dossier.html``
(printable), ``dossier.json`` and ``SCHEMA.md``. Zendesk is read with the installation's own
credentials; when it cannot be, the zip is still written and the command says what is missing.
"""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import click

from plugin.commands_store import _store


@click.command()
@click.argument("name")
@click.option(
    "--order", "order_id", required=True, help="The order's id, e.g. 123-4567890-1234567."
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=None,
    help="Where to write the zip (default: dossier-ORDER.zip in the current folder).",
)
@click.option("--channel", default=None, help="The order's channel, when two share the id.")
@click.option(
    "--locale",
    type=click.Choice(["en", "fr", "zh-cn"]),
    default="en",
    show_default=True,
    help="Language of dossier.html.",
)
def dossier(name: str, order_id: str, out: Path | None, channel: str | None, locale: str) -> None:
    """Write installation NAME's dossier of order ID: timeline, messages, tracking, audit."""
    import json
    import zipfile
    from io import BytesIO

    from plugin.services import dossier as service
    from plugin.services import installations

    order_id = order_id.strip()
    if not order_id:
        raise click.UsageError("--order needs an order id")
    target = out or Path(service.file_name(order_id))
    with _store() as store, store.session() as session:
        installation = installations.get_installation(session, name)
        try:
            data = service.build_dossier(
                session,
                store.keyring,
                installation.id,
                order_id,
                datetime.now(UTC),
                channel=channel,
                locale=locale,
            )
        except service.OrderNotFound:
            raise click.ClickException(f"{name} has no order {order_id}") from None
    _write(target, data)
    with zipfile.ZipFile(BytesIO(data)) as archive:
        member = next(n for n in archive.namelist() if n.endswith("/dossier.json"))
        document = json.loads(archive.read(member))
    messages = sum(len(ticket["messages"]) for ticket in document["tickets"])
    click.echo(
        f"Wrote {target}: {len(document['tickets'])} ticket(s), {messages} message(s), "
        f"{len(document['tracking'])} parcel(s), {len(document['audit'])} audit event(s)."
    )
    for gap in document["gaps"]:
        where = f" (ticket {gap['ticket_id']})" if gap["ticket_id"] else ""
        click.echo(f"Missing{where}: {gap['message']}", err=True)


def _write(target: Path, data: bytes) -> None:
    """Write ``data`` whole or not at all (a temporary file renamed into place)."""
    folder = target.resolve().parent
    if not folder.is_dir():
        raise click.ClickException(f"no folder {folder} to write the dossier into")
    handle, temporary = tempfile.mkstemp(prefix=".dossier-", suffix=".zip", dir=folder)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.chmod(temporary, 0o600)  # customer data
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
