"""Periodic jobs, declared as data, and the thread that enqueues them.

``SCHEDULE`` lists each periodic job with the setting that holds its interval. The worker runs
RQ's ``CronScheduler`` (rq cron) on those entries in a thread of its own (``CronThread``):
``rq cron`` would need a process of its own, and its signal handlers the main thread.

Several workers with ``--cron`` each enqueue the fan-out: harmless, since it only makes sure
each sync has its (uniquely named) job, but one cron per deployment is enough.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from redis import Redis
from redis.exceptions import RedisError
from rq.cron import CronScheduler

from plugin.jobs import DEFAULT_QUEUE
from plugin.jobs.deadline_alerts import fan_out_deadline_alerts
from plugin.jobs.sync import fan_out_syncs
from plugin.jobs.tracking import refresh_open_tracking
from plugin.jobs.writeback import sweep_ticket_notes

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Periodic:
    """A job enqueued every ``setting`` seconds (``default`` when unset) on ``queue``."""

    func: Callable[..., Any]
    queue: str
    setting: str
    default: int
    timeout: int = 600

    def interval(self, config: Mapping[str, Any]) -> int:
        value = config.get(self.setting, self.default)
        try:
            seconds = int(value)
        except (TypeError, ValueError):
            seconds = 0
        if seconds < 1:
            raise ValueError(f"CLAIMDESK_{self.setting} must be a whole number of seconds")
        return seconds


SCHEDULE = (
    # Starts the syncs that are due (CLAIMDESK_SYNC_EVERY_SECONDS) and restarts any sync that
    # lost its job (Redis restarted, a job gave up): the minute is how late that may come.
    Periodic(fan_out_syncs, DEFAULT_QUEUE, "SYNC_CRON_SECONDS", 60),
    # Refreshes the stale tracking of orders that tickets mention (a bounded batch a tick), so
    # an agent opening one finds it fresh.
    Periodic(refresh_open_tracking, DEFAULT_QUEUE, "TRACKING_CRON_SECONDS", 300),
    # Finishes claim notes whose worker died mid-write, and tells tickets of case changes made
    # outside a sync (a seller closing a case).
    Periodic(sweep_ticket_notes, DEFAULT_QUEUE, "WRITEBACK_CRON_SECONDS", 120),
    # Opens or updates each installation's deadline alert ticket (installations with the
    # deadline_alerts setting on; off by default), once a day.
    Periodic(fan_out_deadline_alerts, DEFAULT_QUEUE, "DEADLINE_ALERT_SECONDS", 86400),
)


def build_scheduler(redis: Redis, config: Mapping[str, Any]) -> CronScheduler:
    """A ``CronScheduler`` with every entry of ``SCHEDULE``."""
    scheduler = CronScheduler(connection=redis, logging_level=logging.INFO)
    for entry in SCHEDULE:
        scheduler.register(
            entry.func,
            entry.queue,
            interval=entry.interval(config),
            job_timeout=entry.timeout,
            result_ttl=0,
            failure_ttl=24 * 3600,
        )
    return scheduler


class CronThread(threading.Thread):
    """The CronScheduler's loop (``CronScheduler.start`` without its signal handlers), riding
    out Redis outages: a restarted Redis gets the next fan-out as soon as it answers.
    """

    def __init__(self, scheduler: CronScheduler):
        super().__init__(name="claimdesk-cron", daemon=True)
        self.scheduler = scheduler
        self.stopping = threading.Event()

    def run(self) -> None:
        born = False
        while not self.stopping.is_set():
            wait = 1.0
            try:
                if not born:
                    self.scheduler.register_birth()
                    born = True
                if self.scheduler.enqueue_jobs():
                    self.scheduler.save()
                self.scheduler.heartbeat()
                wait = max(0.2, self.scheduler.calculate_sleep_interval())
            except RedisError as error:
                logger.warning("cron: Redis is not answering (%s); trying again", error)
            self.stopping.wait(wait)
        try:
            self.scheduler.register_death()
        except RedisError:
            pass

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=5)
