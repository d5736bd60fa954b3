"""``claimdesk sandbox``: local stand-ins for the marketplaces' APIs, seeded from a folder."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

import click


@click.group()
def sandbox() -> None:
    """Run a local copy of a marketplace API that serves a seller from files."""


@sandbox.command("amazon")
@click.option(
    "--data",
    "directory",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    required=True,
    help="The seller's files (what `claimdesk reconcile` reads).",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    type=click.IntRange(min=0, max=65535),
    default=0,
    show_default=True,
    help="Port to listen on; 0 picks a free one.",
)
@click.option(
    "--time-scale",
    "time_scale",
    type=click.FloatRange(min=0, min_open=True),
    default=1.0,
    show_default=True,
    help="Clock speed: rate plans x F, report processing and token lifetime / F.",
)
@click.option("--client-id", default=None, help="LWA client id to accept.")
@click.option("--client-secret", default=None, help="LWA client secret to accept.")
@click.option("--refresh-token", default=None, help="Refresh token to accept.")
def amazon(
    directory: Path,
    host: str,
    port: int,
    time_scale: float,
    client_id: str | None,
    client_secret: str | None,
    refresh_token: str | None,
) -> None:
    """Serve Amazon SP-API (LWA, Reports, Finances, Inbound, Orders) from DATA until stopped."""
    from connectors.amazon.sandbox import Credentials, start_sandbox

    # The sandbox says which files it leaves out, and why; show that without -v.
    logging.getLogger("connectors.amazon.sandbox_data").setLevel(logging.INFO)
    defaults = Credentials()
    credentials = Credentials(
        client_id=client_id or defaults.client_id,
        client_secret=client_secret or defaults.client_secret,
        refresh_token=refresh_token or defaults.refresh_token,
    )
    try:
        server = start_sandbox(
            directory, port=port, time_scale=time_scale, credentials=credentials, host=host
        )
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    seller = server.seller
    click.echo(f"Amazon SP-API sandbox at {server.url}  (LWA: {server.url}/auth/o2/token)")
    click.echo(
        f"serving {len(seller.served)} files from {directory}: {len(seller.ledger):,} ledger "
        f"rows, {len(seller.reimbursements):,} reimbursements, {len(seller.returns):,} "
        f"returns, {len(seller.orders):,} order lines, {len(seller.refunds):,} refunds, "
        f"{len(seller.shipments):,} inbound shipments ({len(seller.items):,} items); "
        f"{len(seller.left_out)} left out; time scale {time_scale:g}"
    )
    if client_id is None or refresh_token is None:
        click.echo(
            f"credentials: --client-id {credentials.client_id} --client-secret "
            f"{credentials.client_secret} --refresh-token {credentials.refresh_token}"
        )
    click.echo("Ctrl-C stops it.")
    sys.stdout.flush()  # a parent process reads the URL from a pipe

    stopping = threading.Event()

    def stop(_signum: int, _frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    try:
        while not stopping.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
