"""A full sync of one installation: Amazon's reports, refunds and inbound shipments into the
store, then the claims engine over everything stored.

The sync is a sequence of steps (``sync_steps.STEPS``) recorded in one ``sync_runs`` row
(``sync_cursor`` describes its cursor). ``run_step`` runs one step to its end and says what
comes next; the jobs layer turns that into RQ jobs. How connector errors end a step:

- ``RateLimited``: the step runs again after ``retry_after`` (the quota refills by then);
- ``AuthError``: the installation is marked ``needs_reconnect`` and the sync fails;
- ``UpstreamError`` 5xx, no answer, a FATAL report: the step runs again later, after
  ``retry_intervals``; more than ``failure_limit`` in a row and the sync fails;
- any other ``UpstreamError`` (a 4xx): the sync fails, since asking again will not help.

The step resumes from its last checkpoint each time, so nothing is fetched twice that was
stored, and nothing stored twice that was fetched twice.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from connectors.errors import AuthError, RateLimited, UpstreamError
from plugin.domain.policy import DEFAULT_POLICY, PolicyError, PolicyTable, parse_overrides
from plugin.errors import ConfigError
from plugin.extensions import Resources
from plugin.services import sync_steps
from plugin.services.credentials import AmazonCredentials, load_amazon_credentials
from plugin.services.sp_api import build_client, client_overrides
from plugin.services.sync_cursor import (
    SOURCE,
    Plan,
    Superseded,
    fail_run,
    lock_run,
    record_failure,
)
from plugin.store import queries
from plugin.store.crypto import CredentialsError, Keyring
from plugin.store.models import (
    ACTIVE,
    FAILED,
    NEEDS_RECONNECT,
    RUNNING,
    Installation,
    SyncRun,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SyncSettings:
    """How syncs run, from the app config (``CLAIMDESK_SYNC_*`` and friends).

    ``history_days`` of data (18 months) in report windows of ``window_days``; the periodic
    fan-out starts a sync of an installation ``every`` so often. Upstream failures are retried
    after ``retry_intervals`` seconds (the last one repeating), up to ``failure_limit`` in a
    row. Jobs: ``job_timeout`` seconds each, retried ``job_retries`` times after
    ``job_retry_intervals`` when they raise (a bug, the database or Redis away).
    """

    history_days: int = 548
    window_days: int = 30
    every: timedelta = timedelta(hours=6)
    failure_limit: int = 8
    retry_intervals: tuple[int, ...] = (5, 30, 120, 600)
    job_timeout: int = 4 * 3600
    job_retries: int = 3
    job_retry_intervals: tuple[int, ...] = (10, 60, 300)
    client: Mapping[str, Any] = field(default_factory=dict)
    policy: PolicyTable = DEFAULT_POLICY

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> SyncSettings:
        """Read the settings; a bad value raises ``ConfigError`` naming its variable."""
        defaults = cls()
        return cls(
            history_days=_number(config, "SYNC_HISTORY_DAYS", defaults.history_days, 1),
            window_days=_number(config, "SYNC_WINDOW_DAYS", defaults.window_days, 1),
            every=timedelta(
                seconds=_number(config, "SYNC_EVERY_SECONDS", int(defaults.every.total_seconds()))
            ),
            failure_limit=_number(config, "SYNC_FAILURE_LIMIT", defaults.failure_limit),
            retry_intervals=_intervals(config, "SYNC_RETRY_INTERVALS", defaults.retry_intervals),
            job_timeout=_number(config, "SYNC_JOB_TIMEOUT", defaults.job_timeout, 1),
            job_retries=_number(config, "SYNC_JOB_RETRIES", defaults.job_retries, 1),
            job_retry_intervals=_intervals(
                config, "SYNC_JOB_RETRY_INTERVALS", defaults.job_retry_intervals
            ),
            client=client_overrides(config),
            policy=policy_from_config(config),
        )

    def retry_interval(self, failures: int) -> int:
        """Seconds to wait after the ``failures``-th failure in a row."""
        return self.retry_intervals[min(failures, len(self.retry_intervals)) - 1]


def _number(config: Mapping[str, Any], name: str, default: int, least: int = 0) -> int:
    value = config.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit():
        raise ConfigError(f"CLAIMDESK_{name} must be a whole number, not {value!r}")
    if int(value) < least:
        raise ConfigError(f"CLAIMDESK_{name} must be at least {least}")
    return int(value)


def _intervals(config: Mapping[str, Any], name: str, default: tuple[int, ...]) -> tuple[int, ...]:
    value = config.get(name, default)
    if isinstance(value, int) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, list | tuple) or not value:
        raise ConfigError(f"CLAIMDESK_{name} must be a JSON list of seconds, e.g. [5, 30]")
    if not all(isinstance(x, int) and not isinstance(x, bool) and x >= 0 for x in value):
        raise ConfigError(f"CLAIMDESK_{name} must list whole seconds, 0 or more")
    return tuple(value)


def policy_from_config(config: Mapping[str, Any]) -> PolicyTable:
    """The default policy table plus ``POLICY_FILE``'s overrides, as ``reconcile`` uses them."""
    path = config.get("POLICY_FILE")
    if not path:
        return DEFAULT_POLICY
    try:
        rules, caps = parse_overrides(json.loads(Path(path).read_text(encoding="utf-8")))
    except (OSError, json.JSONDecodeError, PolicyError) as error:
        raise ConfigError(f"CLAIMDESK_POLICY_FILE {path}: {error}") from None
    return DEFAULT_POLICY.extend(rules, caps)


@dataclass(frozen=True)
class Outcome:
    """What follows a step: the next step now, the same one later, or nothing."""

    next_step: str | None = None
    retry_after: float | None = None


def utcnow() -> datetime:
    return datetime.now(UTC)


# --- starting ------------------------------------------------------------------------------------


def new_plan(settings: SyncSettings, now: datetime, as_of: date | None = None) -> Plan:
    """Days ``[until - history, until)`` where ``until`` is today (UTC).

    A sync started in the first minutes of a day covers up to yesterday: SP-API wants window
    ends a little in the past.
    """
    until = (now - timedelta(minutes=5)).date()
    return Plan(
        as_of=as_of or now.date(),
        since=until - timedelta(days=settings.history_days),
        until=until,
        window_days=settings.window_days,
    )


def running_sync(session: Session, installation_id: int) -> SyncRun | None:
    return queries.last_sync_run(session, installation_id, SOURCE, status=RUNNING)


def start_sync(
    session: Session,
    keyring: Keyring,
    installation_id: int,
    settings: SyncSettings,
    now: datetime,
    *,
    as_of: date | None = None,
) -> tuple[SyncRun, bool]:
    """The installation's running sync, or a new one; True when this call started it.

    Raises:
        CredentialsError: the installation has no Amazon credentials (or they cannot be read).
    """
    installation = session.get(Installation, installation_id, with_for_update=True)
    if installation is None:
        raise CredentialsError(f"installation {installation_id} does not exist")
    found = running_sync(session, installation_id)  # the row lock above serializes starters
    if found is not None:
        return found, False
    credentials = load_amazon_credentials(session, keyring, installation_id)
    plan = new_plan(settings, now, as_of)
    markets = len(credentials.marketplace_ids) or 1
    cursor = {
        "plan": plan.to_json(),
        "step": sync_steps.STEPS[0],
        "at": {},
        "failures": 0,
        "done": 0,
        "total": sync_steps.initial_units(plan, markets),
        "skipped": [],
    }
    run = queries.start_sync_run(session, installation_id, SOURCE, now, cursor)
    logger.info(
        "sync %d of installation %d started: %s..%s, claims as of %s",
        run.id,
        installation_id,
        plan.since,
        plan.until,
        plan.as_of,
    )
    return run, True


def fan_out(
    session: Session, keyring: Keyring, settings: SyncSettings, now: datetime
) -> list[tuple[int, int, str]]:
    """The step each active installation's sync needs a job for: running syncs go on, and
    a new sync starts where the last one started ``settings.every`` ago (or never).

    Returns ``(installation_id, sync_id, step)`` triples; installations without Amazon
    credentials are passed over.
    """
    work = []
    for installation in queries.installations(session, state=ACTIVE):
        if queries.credential(session, installation.id, "amazon") is None:
            continue
        run = running_sync(session, installation.id)
        if run is None:
            last = queries.last_sync_run(session, installation.id, SOURCE)
            if last is not None and now - last.started_at < settings.every:
                continue
            try:
                run, _ = start_sync(session, keyring, installation.id, settings, now)
            except CredentialsError as error:  # one unreadable installation stops no other
                logger.error("installation %d: not synced: %s", installation.id, error)
                continue
        step = run.cursor.get("step")
        if step:
            work.append((installation.id, run.id, str(step)))
    return work


def current_step(session: Session, installation_id: int, sync_id: int) -> str | None:
    """The step a running sync is at (None when it is not running)."""
    run = queries.sync_run(session, installation_id, sync_id)
    if run is None or run.status != RUNNING:
        return None
    step = run.cursor.get("step")
    return str(step) if step else None


# --- running a step ------------------------------------------------------------------------------


def run_step(
    resources: Resources,
    settings: SyncSettings,
    installation_id: int,
    sync_id: int,
    step: str,
    *,
    clock: Callable[[], datetime] = utcnow,
) -> Outcome:
    """Run ``step`` of a sync from where it stands to its end; say what comes next."""
    sessions = resources.sessions
    where = f"sync {sync_id} of installation {installation_id}, step {step}"
    credentials: AmazonCredentials | None = None
    with resources.session() as session:
        if current_step(session, installation_id, sync_id) != step:
            logger.info("%s: nothing to do (the sync has moved on or ended)", where)
            return Outcome()
        run = queries.sync_run(session, installation_id, sync_id)
        assert run is not None
        plan = Plan.from_json(run.cursor["plan"])
        at = dict(run.cursor.get("at") or {})
        if step != "claims":
            try:
                credentials = load_amazon_credentials(session, resources.keyring, installation_id)
            except CredentialsError as error:
                fail_run(sessions, installation_id, sync_id, str(error), clock())
                logger.error("%s: %s", where, error)
                return Outcome()
    client = build_client(credentials, resources.redis, settings.client) if credentials else None
    context = sync_steps.StepContext(
        sessions,
        installation_id,
        sync_id,
        step,
        plan,
        at,
        client,
        settings.policy,
        clock,
        redis=resources.redis,
    )
    logger.info("%s: running from %s", where, at or "the start")
    try:
        try:
            sync_steps.run(context)
        finally:
            if client is not None:
                client.close()
    except Superseded as moved:
        logger.info("%s: stopped, %s", where, moved)
        return Outcome()
    except RateLimited as error:
        wait = error.retry_after or float(settings.retry_intervals[0])
        logger.info("%s: throttled, running again in %.1fs (%s)", where, wait, error)
        return Outcome(retry_after=wait)
    except AuthError as error:
        if error.code != "AccessDenied":  # not a document URL that expired: the credentials
            _needs_reconnect(resources, installation_id, sync_id, str(error), clock())
            logger.error("%s: credentials refused, installation needs reconnecting", where)
            return Outcome()
        return _failed_upstream(resources, settings, installation_id, sync_id, where, error, clock)
    except UpstreamError as error:
        if error.status and 400 <= error.status < 500:
            fail_run(sessions, installation_id, sync_id, str(error), clock())
            logger.error("%s: failed: %s", where, error)
            return Outcome()
        return _failed_upstream(resources, settings, installation_id, sync_id, where, error, clock)
    following = sync_steps.following(step)
    if following is None:
        _reactivate(resources, installation_id)
        logger.info("%s: the sync is complete", where)
    return Outcome(next_step=following)


def _failed_upstream(
    resources: Resources,
    settings: SyncSettings,
    installation_id: int,
    sync_id: int,
    where: str,
    error: Exception,
    clock: Callable[[], datetime],
) -> Outcome:
    failures = record_failure(
        resources.sessions, installation_id, sync_id, str(error), settings.failure_limit, clock()
    )
    if failures == 0 or failures > settings.failure_limit:
        logger.error("%s: failed after %d upstream failures: %s", where, failures, error)
        return Outcome()
    wait = settings.retry_interval(failures)
    logger.warning("%s: %s; running again in %ds (failure %d)", where, error, wait, failures)
    return Outcome(retry_after=float(wait))


def _needs_reconnect(
    resources: Resources, installation_id: int, sync_id: int, error: str, now: datetime
) -> None:
    with resources.session() as session:
        installation = session.get(Installation, installation_id)
        if installation is not None:
            installation.state = NEEDS_RECONNECT
        run = lock_run(session, installation_id, sync_id)
        if run.status == RUNNING:
            run.status, run.finished_at, run.error = FAILED, now, f"needs reconnect: {error}"


def _reactivate(resources: Resources, installation_id: int) -> None:
    """A sync got through: credentials refused earlier work again."""
    with resources.session() as session:
        installation = session.get(Installation, installation_id)
        if installation is not None and installation.state == NEEDS_RECONNECT:
            installation.state = ACTIVE


def fail_sync(
    resources: Resources, installation_id: int, sync_id: int, error: str, now: datetime
) -> None:
    """End a running sync as failed (a job that gave up, for instance)."""
    fail_run(resources.sessions, installation_id, sync_id, error, now)
