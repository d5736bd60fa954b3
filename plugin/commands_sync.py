"""``claimdesk worker`` and ``claimdesk sync``: keep sellers' data current, and sync one now.

Both read the same settings as the web app (``CLAIMDESK_DATABASE_URL``, ``CLAIMDESK_REDIS_URL``
…): SQLite and an embedded Redis by default, so ``sync NAME --wait`` works on a laptop with no
worker running at all.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import IO, TYPE_CHECKING

import click

if TYPE_CHECKING:
    from flask import Flask

    from plugin.services.sync_progress import Progress

DAY = click.DateTime(formats=["%Y-%m-%d"])
LOG_FORMAT = (
    "%(asctime)s %(levelname)s [job %(job_id)s, installation %(installation_id)s] "
    "%(name)s: %(message)s"
)
POLL = 0.25  # seconds between looks at a sync's progress


def register_sync(main: click.Group) -> None:
    """Add ``worker`` and ``sync`` to the ``claimdesk`` group."""
    main.add_command(worker)
    main.add_command(sync)


def _stamp_log_lines() -> None:
    """Log lines name their job and installation (``-v`` shows them for ``sync``)."""
    from plugin.jobs import JobLogFilter

    for handler in logging.getLogger().handlers:
        if not any(isinstance(known, JobLogFilter) for known in handler.filters):
            handler.setFormatter(logging.Formatter(LOG_FORMAT))
            handler.addFilter(JobLogFilter())


@contextmanager
def _app() -> Iterator[Flask]:
    """The app on a migrated store; errors become one-line messages."""
    from plugin import create_app
    from plugin.errors import PluginError
    from plugin.extensions import resources

    try:
        app = create_app()
        resources(app).migrate()
    except PluginError as error:
        raise click.ClickException(str(error)) from None
    try:
        yield app
    except (PluginError, ValueError) as error:
        raise click.ClickException(str(error)) from None
    finally:
        resources(app).close()


@click.command()
@click.option("--burst", is_flag=True, help="Stop once the queues are empty.")
@click.option(
    "--cron/--no-cron",
    default=True,
    show_default=True,
    help="Also run the periodic fan-out (one worker per deployment is enough).",
)
def worker(burst: bool, cron: bool) -> None:
    """Run jobs: sync steps and the periodic fan-out that starts every installation's sync."""
    from plugin.worker import run_worker

    logging.getLogger().setLevel(logging.INFO)
    _stamp_log_lines()
    with _app() as app:
        run_worker(app, burst=burst, cron=cron)


@click.command()
@click.argument("name")
@click.option(
    "--wait",
    is_flag=True,
    help="Wait for the sync to end, running its jobs here when no worker is up.",
)
@click.option(
    "--as-of",
    "as_of",
    type=DAY,
    default=None,
    metavar="YYYY-MM-DD",
    help="The day claims are judged on (default: today).",
)
def sync(name: str, wait: bool, as_of: datetime | None) -> None:
    """Sync installation NAME from Amazon, then find its claims; prints the job id."""
    from plugin.jobs import sync as sync_jobs
    from plugin.services import installations
    from plugin.services.sync_progress import summary

    day: date | None = as_of.date() if as_of is not None else None
    _stamp_log_lines()  # jobs may run here
    with _app() as app:
        from plugin.extensions import resources

        with resources(app).session() as session:
            installation_id = installations.get_installation(session, name).id
        sync_id, job, created = sync_jobs.start(app, installation_id, as_of=day)
        if not wait:
            verb = "Started" if created else "Already running:"
            click.echo(f"{verb} sync {sync_id} of {name}; job {job.id}")
            return
        started = time.monotonic()
        line = ProgressLine(sys.stderr) if sys.stderr.isatty() else None
        try:
            final = wait_for(app, installation_id, sync_id, line.show if line else None)
        except KeyboardInterrupt:
            raise click.ClickException(
                f"stopped waiting; sync {sync_id} goes on with a worker (claimdesk worker) "
                f"or with: claimdesk sync {name} --wait"
            ) from None
        finally:
            if line is not None:
                line.close()
    click.echo(summary(name, final, time.monotonic() - started))
    if final.status != "done":
        sys.exit(1)


def wait_for(
    app: Flask, installation_id: int, sync_id: int, show: Callable[[Progress], None] | None
) -> Progress:
    """Wait for a sync to end. Without a live worker its jobs run here; with one, a sync that
    lost its job (Redis restarted) gets it back.
    """
    from redis.exceptions import RedisError

    from plugin.extensions import resources
    from plugin.jobs.sync import resume
    from plugin.services.sync_progress import progress
    from plugin.worker import WorkerSettings, drain, live_workers

    store = resources(app)
    settings = WorkerSettings.from_config(app.config)

    def read() -> Progress:
        with store.sessions() as session:
            state = progress(session, installation_id, sync_id)
        if state is None:
            raise click.ClickException(f"sync {sync_id} has disappeared")
        return state

    watcher = _Watcher(read, show) if show is not None else None
    last_check = 0.0
    try:
        while not (state := read()).finished:
            try:
                if live_workers(store.redis, settings) == 0:
                    resume(app, installation_id, sync_id)
                    if not drain(app):
                        time.sleep(POLL)  # its next run is scheduled for later
                    continue
                if time.monotonic() - last_check > settings.heartbeat:
                    resume(app, installation_id, sync_id)
                    last_check = time.monotonic()
            except RedisError as error:
                logging.getLogger(__name__).warning("Redis is not answering: %s", error)
            time.sleep(POLL)
    finally:
        if watcher is not None:
            watcher.stop()
    if show is not None:
        show(state)
    return state


class _Watcher(threading.Thread):
    """Shows a sync's progress every ``POLL`` seconds while the main thread works."""

    def __init__(self, read: Callable[[], Progress], show: Callable[[Progress], None]):
        super().__init__(name="claimdesk-progress", daemon=True)
        self.read = read
        self.show = show
        self.stopping = threading.Event()
        self.start()

    def run(self) -> None:
        while not self.stopping.wait(POLL):
            try:
                self.show(self.read())
            except Exception:  # noqa: BLE001 - a progress line must never stop the sync
                continue

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=2)


class ProgressLine:
    """A one-line progress bar, redrawn in place on a terminal. It never moves back, though
    the work grows once the inbound shipments are listed."""

    def __init__(self, stream: IO[str], width: int = 30):
        self.stream = stream
        self.width = width
        self.shown = 0
        self.fraction = 0.0
        self.lock = threading.Lock()

    def show(self, state: Progress) -> None:
        self.fraction = max(self.fraction, state.fraction)
        filled = int(self.fraction * self.width)
        rows = sum(state.counts.get("rows", {}).values())
        text = (
            f"[{'#' * filled}{'.' * (self.width - filled)}] {self.fraction:4.0%} "
            f"{state.step or state.status}, {rows:,} rows"
        )
        with self.lock:
            self.stream.write("\r" + text.ljust(self.shown))
            self.stream.flush()
            self.shown = len(text)

    def close(self) -> None:
        with self.lock:
            if self.shown:
                self.stream.write("\n")
                self.stream.flush()
