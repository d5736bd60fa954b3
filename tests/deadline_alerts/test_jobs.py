"""The daily fan-out and job through a real RQ worker, and the cron entry."""

from __future__ import annotations

from datetime import UTC, datetime

from plugin.jobs import bind_app
from plugin.jobs.cron import SCHEDULE
from plugin.jobs.deadline_alerts import fan_out_deadline_alerts
from tests.deadline_alerts.conftest import Seller
from tests.deadline_alerts.test_alert_tickets import alert_tickets, turn_on


def test_cron_runs_the_fan_out_daily_by_default() -> None:
    [entry] = [e for e in SCHEDULE if e.func is fan_out_deadline_alerts]
    assert entry.interval({}) == 86400
    assert entry.interval({"DEADLINE_ALERT_SECONDS": "3600"}) == 3600


def test_fan_out_enqueues_installations_with_alerts_on_once_a_day(seller: Seller) -> None:
    world = seller.world
    bind_app(world.app)
    assert fan_out_deadline_alerts() == 0  # off by default
    turn_on(seller)
    assert fan_out_deadline_alerts() == 1
    assert fan_out_deadline_alerts() == 0  # today's job exists
    drained = world.backend.run("worker", "--burst")
    assert drained.returncode == 0, drained.stderr
    today = datetime.now(UTC).date()  # the job's day
    assert len(alert_tickets(seller)) == (1 if seller.expiring(today) else 0)
