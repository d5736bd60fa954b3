"""``claimdesk demo``'s moving parts: sandboxes, a worker, the web app, all on embedded defaults.

The demo runs the product the way production does, with local stand-ins for the outside
world: the SP-API sandbox serves the generated seller, a worker syncs it into SQLite and an
embedded Redis, the Zendesk sandbox hosts tickets that mention the seller's orders, and our
web app serves the sidebar into those tickets through Zendesk's signed-launch flow.
"""

from __future__ import annotations

import logging
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import date
from pathlib import Path
from types import FrameType
from typing import IO, Any

import click

# The sandbox runs Amazon's published rate plans this many times faster, so a first sync of
# a year and a half of reports takes seconds rather than hours.
DEMO_TIME_SCALE = 2000.0
# The manifest's locations point at this port (manifest/manifest.json).
DEFAULT_PORT = 5000
NAME = "demo"


def store_dir(directory: Path) -> Path:
    """Where the demo keeps its store: hidden inside the seller folder (reconcile skips it)."""
    store = (directory / ".claimdesk").resolve()
    store.mkdir(exist_ok=True)
    return store


def use_embedded_store(store: Path) -> None:
    """Point this process and its children at the demo's own SQLite and embedded Redis."""
    os.environ["CLAIMDESK_DATABASE_URL"] = f"sqlite:///{store / 'claimdesk.db'}"
    os.environ.pop("CLAIMDESK_REDIS_URL", None)


def run_command(main: click.Group, arguments: list[str]) -> None:
    """Run ``claimdesk ARGUMENTS`` in this process; a failure stops the demo with its name."""
    try:
        main.main(arguments, standalone_mode=False)
    except SystemExit as stop:
        if stop.code:
            raise click.ClickException(f"claimdesk {arguments[0]} failed") from None


@contextmanager
def worker_process(store: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A ``claimdesk worker`` in the background, its output in ``store/worker.log``."""
    log: IO[bytes] = (store / "worker.log").open("wb")
    worker = subprocess.Popen(
        [sys.executable, "-c", "from plugin.cli import main; main()", "worker", "--no-cron"],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield worker
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
        log.close()


def sync_seller(main: click.Group, directory: Path, today: date, stack: ExitStack) -> Any:
    """Serve ``directory`` from the SP-API sandbox and sync it; the sandbox keeps running."""
    from connectors.amazon.sandbox import Credentials, start_sandbox

    store = store_dir(directory)
    use_embedded_store(store)
    credentials = Credentials()
    sandbox = start_sandbox(directory, time_scale=DEMO_TIME_SCALE, credentials=credentials)
    stack.callback(sandbox.stop)
    stack.enter_context(worker_process(store))
    click.echo(
        f"\nNow the same seller through the SP-API: a local sandbox at {sandbox.url} serves "
        f"these files (rate plans x{DEMO_TIME_SCALE:g}), a worker syncs them into "
        f"{store}/ (SQLite and an embedded Redis).\n"
    )
    steps = [
        ["connect", "amazon", NAME, "--endpoint", sandbox.url,
         "--refresh-token", credentials.refresh_token,
         "--client-id", credentials.client_id,
         "--client-secret", credentials.client_secret],
        ["costs", NAME, str(directory / "costs.csv")],
        ["sync", NAME, "--wait", "--as-of", today.isoformat()],
        ["claims", NAME, "--as-of", today.isoformat()],
    ]  # fmt: skip
    for arguments in steps:
        run_command(main, arguments)
    return sandbox


def serve_carriers(main: click.Group, directory: Path, stack: ExitStack) -> str:
    """The four carriers' sandboxes, seeded with the seller's parcels, connected for the demo."""
    from connectors.carriers.sandbox import start_sandbox as start_carriers
    from connectors.carriers.sandbox_data import seed_from_seller

    carriers = start_carriers(seed_from_seller(directory))
    stack.callback(carriers.stop)
    for carrier in ("ups", "fedex", "usps"):
        client_id, secret = carriers.credentials.client(carrier)
        run_command(
            main,
            ["connect", "carrier", NAME, carrier, "--url", carriers.base_url(carrier),
             "--client-id", client_id, "--client-secret", secret],
        )  # fmt: skip
    run_command(
        main,
        ["connect", "carrier", NAME, "dhl", "--url", carriers.base_url("dhl"),
         "--api-key", carriers.credentials.dhl_api_key],
    )  # fmt: skip
    return str(carriers.url)


def serve_zendesk(
    main: click.Group, directory: Path, seed: int, host: str, port: int, stack: ExitStack
) -> tuple[str, str]:
    """Start the Zendesk sandbox and our web app; returns (agent page URL, app URL)."""
    from werkzeug.serving import make_server

    from connectors.zendesk.sandbox import start_sandbox as start_zendesk
    from plugin import create_app
    from plugin.extensions import resources
    from plugin.generator.tickets import write_ticket_seed

    store = store_dir(directory)
    seed_file = store / "zendesk-seed.json"
    summary = write_ticket_seed(directory, seed_file, seed)
    # Bind our server first: the Zendesk sandbox must know the app's URL.
    os.environ.setdefault("CLAIMDESK_SECRET_KEY", secrets.token_hex(32))
    key_file = store / "zendesk-sandbox-key.pem"
    app_url_host = "localhost" if host in ("127.0.0.1", "localhost") else host
    placeholder = make_server(host, port, lambda environ, start: [], threaded=True)
    bound = placeholder.server_port
    placeholder.server_close()
    app_url = f"http://{app_url_host}:{bound}"
    zendesk = start_zendesk(
        seed_file,
        app_url=app_url,
        private_key_pem=key_file.read_bytes() if key_file.exists() else None,
    )
    stack.callback(zendesk.stop)
    if not key_file.exists():
        key_file.write_bytes(zendesk.private_key_pem())
        key_file.chmod(0o600)
    run_command(
        main,
        ["connect", "zendesk", NAME, "--subdomain", zendesk.subdomain,
         "--installation-id", str(zendesk.installation_id),
         "--app-id", str(zendesk.app_id), "--url", zendesk.url,
         "--email", zendesk.credentials.email, "--api-token", zendesk.credentials.api_token,
         "--webhook-secret", next(iter(zendesk.webhooks.values())).signing_secret],
    )  # fmt: skip
    os.environ["CLAIMDESK_FRAME_ANCESTORS"] = zendesk.url
    app = create_app()
    stack.callback(resources(app).close)
    # One line per request would bury the URL to open: the demo's server logs only problems.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server(host, bound, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="claimdesk-web", daemon=True)
    thread.start()
    stack.callback(server.shutdown)
    click.echo(
        f"\nZendesk sandbox at {zendesk.url}: {summary.tickets} tickets that mention the "
        f"seller's orders. claimdesk's web app at {app_url} serves its sidebar and claims "
        "view into them (signed launches, real ZAF SDK)."
    )
    return f"{zendesk.url}/agent", app_url


def wait_for_interrupt() -> None:
    """Block until Ctrl-C or SIGTERM."""
    stopped = threading.Event()

    def stop(_signum: int, _frame: FrameType | None) -> None:
        stopped.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while not stopped.is_set():
        time.sleep(0.2)
