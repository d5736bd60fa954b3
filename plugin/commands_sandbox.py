"""``claimdesk sandbox``: local stand-ins for the marketplaces' APIs, seeded from a folder."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any, Protocol, TypeVar

import click


class _Server(Protocol):
    def stop(self) -> None: ...


_F = TypeVar("_F", bound=Callable[..., Any])


def _listen_options(command: _F) -> _F:
    """--host and --port, the same for every sandbox."""
    command = click.option(
        "--port",
        type=click.IntRange(min=0, max=65535),
        default=0,
        show_default=True,
        help="Port to listen on; 0 picks a free one.",
    )(command)
    return click.option(
        "--host", default="127.0.0.1", show_default=True, help="Address to listen on."
    )(command)


def _serve_until_stopped(server: _Server) -> None:
    """Block until Ctrl-C or SIGTERM, then stop the server (a parent process reads our pipe)."""
    sys.stdout.flush()
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
@_listen_options
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
    _serve_until_stopped(server)


@sandbox.command("zendesk")
@click.option(
    "--seed",
    "seed_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Users and tickets to serve (JSON, see connectors/zendesk/sandbox_data.py).",
)
@click.option(
    "--seller",
    "seller_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Instead of --seed: write tickets about this seller's orders (a `claimdesk generate` "
    "folder) to SELLER/.zendesk-seed.json and serve them.",
)
@_listen_options
@click.option("--subdomain", default="acme", show_default=True, help="The account's subdomain.")
@click.option(
    "--app-url",
    default="http://127.0.0.1:5000",
    show_default=True,
    help="Where claimdesk runs: the sidebar loads {app-url}/sidebar, webhooks go to "
    "{app-url}/webhooks/zendesk.",
)
@click.option(
    "--app-id",
    type=click.IntRange(min=1),
    default=1_000_001,
    show_default=True,
    help="The app's id: its public key is /api/v2/apps/{id}/public_key.pem.",
)
@click.option("--installation-id", type=click.IntRange(min=1), default=2_000_001, show_default=True)
@click.option("--email", default=None, help="API user email to accept.")
@click.option("--api-token", default=None, help="API token to accept.")
@click.option(
    "--key-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="RSA private key (PEM) to sign launch tokens with; created there if missing, so a "
    "restart keeps the same key.",
)
@click.option("--webhook-secret", default=None, help="Signing secret of the seeded webhook.")
@click.option(
    "--plan-rpm",
    type=click.IntRange(min=1),
    default=700,
    show_default=True,
    help="API requests per minute for the account (Team 200, Growth 400, Enterprise 700).",
)
def zendesk(
    seed_file: Path | None,
    seller_dir: Path | None,
    host: str,
    port: int,
    subdomain: str,
    app_url: str,
    app_id: int,
    installation_id: int,
    email: str | None,
    api_token: str | None,
    key_file: Path | None,
    webhook_secret: str | None,
    plan_rpm: int,
) -> None:
    """Serve a local Zendesk (agent UI with the app, REST API, webhooks) until stopped."""
    import tempfile

    from connectors.errors import ConnectorError
    from connectors.zendesk.sandbox import ApiCredentials, start_sandbox
    from connectors.zendesk.sandbox_data import load_seed

    defaults = ApiCredentials()
    credentials = ApiCredentials(
        email=email or defaults.email, api_token=api_token or defaults.api_token
    )
    if (seed_file is None) == (seller_dir is None):
        raise click.UsageError("give exactly one of --seed FILE and --seller DIR")
    try:
        if seller_dir is not None:
            from plugin.generator.tickets import write_ticket_seed

            seed_file = write_ticket_seed(seller_dir, seller_dir / ".zendesk-seed.json", 7).path
        assert seed_file is not None
        seed = load_seed(seed_file)
    except ConnectorError as error:
        raise click.ClickException(str(error)) from None
    private_pem = None
    if key_file is not None and key_file.exists():
        private_pem = key_file.read_bytes()
    try:
        server = start_sandbox(
            seed,
            port=port,
            host=host,
            subdomain=subdomain,
            app_url=app_url,
            app_id=app_id,
            installation_id=installation_id,
            credentials=credentials,
            private_key_pem=private_pem,
            webhook_secret=webhook_secret,
            plan_rpm=plan_rpm,
        )
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    if key_file is not None and private_pem is None:
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key_file.write_bytes(server.private_key_pem())
        key_file.chmod(0o600)
    folder = key_file.parent if key_file is not None else Path(tempfile.mkdtemp(prefix="zd-"))
    public_key = folder / f"{subdomain}-app-{app_id}-public.pem"
    public_key.write_text(server.public_key_pem, encoding="utf-8")
    webhook = next(iter(server.webhooks.values()))
    click.echo(f"Zendesk sandbox for {subdomain}.zendesk.com at {server.url}")
    click.echo(f"agent UI: {server.url}/agent  ({len(server.tickets)} tickets)")
    click.echo(f"app {app_id}, installation {installation_id}, loading {app_url}/sidebar")
    click.echo(f"public key: {public_key}")
    click.echo(
        f"API: --url {server.url} --email {credentials.email} --api-token {credentials.api_token}"
    )
    click.echo(f"webhook {webhook.id} -> {webhook.endpoint}, secret: {webhook.signing_secret}")
    click.echo("Ctrl-C stops it.")
    _serve_until_stopped(server)


@sandbox.command("carriers")
@click.option(
    "--seed",
    "seed_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Shipments to serve (JSON, see connectors/carriers/sandbox_data.py).",
)
@click.option(
    "--seller",
    "seller_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Instead of --seed: serve the parcels of this seller's shipped orders (a `claimdesk "
    "generate` folder), written to SELLER/.carriers-seed.json.",
)
@_listen_options
@click.option(
    "--time-scale",
    "time_scale",
    type=click.FloatRange(min=0, min_open=True),
    default=1.0,
    show_default=True,
    help="Rate-limit windows run this many times faster.",
)
@click.option(
    "--plan",
    "plan_texts",
    multiple=True,
    metavar="CARRIER=CALLS/SECONDS[,CALLS/SECONDS]",
    help="Replace a carrier's rate plan, e.g. dhl=1/5 (one call per 5 s, no daily quota). "
    "Defaults: ups=10/1, fedex=1400/10, usps=60/3600, dhl=1/5,250/86400.",
)
def carriers(
    seed_file: Path | None,
    seller_dir: Path | None,
    host: str,
    port: int,
    time_scale: float,
    plan_texts: tuple[str, ...],
) -> None:
    """Serve UPS, FedEx, USPS and DHL tracking (OAuth, rate limits) on one port until stopped.

    Without --seed or --seller it serves a demo set: every carrier's parcels at every status.
    """
    from datetime import UTC, datetime

    from connectors.carriers.sandbox import Credentials, RatePlan, start_sandbox
    from connectors.carriers.sandbox_data import (
        demo_seed,
        load_seed,
        seed_from_seller,
        write_seed,
    )
    from connectors.errors import ConnectorError

    if seed_file is not None and seller_dir is not None:
        raise click.UsageError("give at most one of --seed FILE and --seller DIR")
    plans: dict[str, RatePlan] = {}
    for text in plan_texts:
        carrier, _, windows = text.partition("=")
        try:
            parsed = tuple(
                (int(calls), float(seconds))
                for calls, _, seconds in (w.partition("/") for w in windows.split(","))
            )
        except ValueError:
            parsed = ()
        if carrier not in ("ups", "fedex", "usps", "dhl") or not parsed:
            raise click.BadParameter(f"{text!r} is not CARRIER=CALLS/SECONDS", param_hint="--plan")
        if any(calls < 1 or seconds <= 0 for calls, seconds in parsed):
            raise click.BadParameter(
                f"{text!r}: calls and seconds must be positive", param_hint="--plan"
            )
        plans[carrier] = RatePlan(parsed)
    try:
        if seed_file is not None:
            seed = load_seed(seed_file)
            source = str(seed_file)
        elif seller_dir is not None:
            seed = seed_from_seller(seller_dir)
            source = str(write_seed(seed, seller_dir / ".carriers-seed.json"))
        else:
            seed = demo_seed(datetime.now(UTC))
            source = "the demo set"
    except ConnectorError as error:
        raise click.ClickException(str(error)) from None
    credentials = Credentials()
    try:
        server = start_sandbox(seed, port=port, host=host, time_scale=time_scale, plans=plans)
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    counts = {c: 0 for c in ("ups", "fedex", "usps", "dhl")}
    for shipment in seed.shipments:
        counts[shipment.carrier] += 1
    click.echo(
        f"carrier sandbox at {server.url}, serving {len(seed.shipments)} parcels from {source}"
    )
    for carrier in ("ups", "fedex", "usps"):
        client_id, secret = credentials.client(carrier)
        click.echo(
            f"{carrier}: --url {server.base_url(carrier)} --client-id {client_id} "
            f"--client-secret {secret}  ({counts[carrier]} parcels)"
        )
    click.echo(
        f"dhl: --url {server.base_url('dhl')} --api-key {credentials.dhl_api_key}  "
        f"({counts['dhl']} parcels)"
    )
    shown = "; ".join(
        f"{carrier} " + ",".join(f"{calls}/{seconds:g}s" for calls, seconds in plan.windows)
        for carrier, plan in server.plans.items()
    )
    click.echo(f"rate plans: {shown}; time scale {time_scale:g}")
    click.echo("Ctrl-C stops it.")
    _serve_until_stopped(server)
