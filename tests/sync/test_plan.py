"""Pure parts of the sync: its windows, its settings, its one-line summary."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

import pytest

from plugin.commands_sync import ProgressLine
from plugin.errors import ConfigError
from plugin.services.sp_api import client_overrides
from plugin.services.sync import SyncSettings, new_plan
from plugin.services.sync_cursor import EPOCH, Plan, windows
from plugin.services.sync_progress import Progress, summary


@pytest.mark.parametrize(
    ("since", "until", "days"),
    [
        (date(2025, 5, 22), date(2026, 11, 22), 30),
        (date(2025, 5, 22), date(2026, 11, 22), 180),
        (date(2026, 1, 1), date(2026, 1, 2), 30),
        (EPOCH, EPOCH + timedelta(days=90), 30),
    ],
)
def test_windows_cover_the_range_back_to_back(since: date, until: date, days: int) -> None:
    spans = windows(since, until, days)
    assert spans[0][0] == since and spans[-1][1] == until
    assert all(start < end for start, end in spans)
    assert all(a[1] == b[0] for a, b in zip(spans, spans[1:], strict=False))
    assert all((end - start).days <= days for start, end in spans)


def test_complete_windows_keep_their_dates_from_one_day_to_the_next() -> None:
    settings = SyncSettings()
    today = new_plan(settings, datetime(2026, 11, 22, 9, tzinfo=UTC)).report_windows()
    tomorrow = new_plan(settings, datetime(2026, 11, 23, 9, tzinfo=UTC)).report_windows()
    assert set(today[1:-1]) <= set(tomorrow)  # only the clipped first and last ones move


def test_a_plan_ends_with_yesterday_in_the_first_minutes_of_a_day() -> None:
    settings = SyncSettings(history_days=10)
    plan = new_plan(settings, datetime(2026, 11, 22, 0, 2, tzinfo=UTC))
    assert (plan.since, plan.until, plan.as_of) == (
        date(2026, 11, 11),
        date(2026, 11, 21),
        date(2026, 11, 22),
    )
    assert Plan.from_json(plan.to_json()) == plan


def test_settings_come_from_the_config_and_bad_ones_are_named() -> None:
    settings = SyncSettings.from_config(
        {"SYNC_HISTORY_DAYS": "90", "SYNC_RETRY_INTERVALS": [1, 5], "AMAZON_CLIENT": {}}
    )
    assert settings.history_days == 90
    assert [settings.retry_interval(n) for n in (1, 2, 3)] == [1, 5, 5]
    with pytest.raises(ConfigError, match="CLAIMDESK_SYNC_WINDOW_DAYS"):
        SyncSettings.from_config({"SYNC_WINDOW_DAYS": 0})
    with pytest.raises(ConfigError, match="CLAIMDESK_SYNC_RETRY_INTERVALS"):
        SyncSettings.from_config({"SYNC_RETRY_INTERVALS": "soon"})
    with pytest.raises(ConfigError, match="unknown field 'refresh_token'"):
        client_overrides({"AMAZON_CLIENT": {"refresh_token": "x"}})
    assert client_overrides({"AMAZON_CLIENT": {"timeout": [1, 2], "max_wait": 3}}) == {
        "timeout": (1.0, 2.0),
        "max_wait": 3.0,
    }


def progress(**changes: object) -> Progress:
    values: dict[str, object] = {
        "sync_id": 3,
        "installation_id": 1,
        "status": "done",
        "step": None,
        "done": 10,
        "total": 10,
        "counts": {
            "rows": {"ledger": 4000, "finances": 208},
            "claims": {"new": 2, "changed": 1, "unchanged": 5, "gone": 0},
        },
        "skipped": [],
        "error": None,
        "started_at": datetime(2026, 11, 22, 9, tzinfo=UTC),
        "finished_at": datetime(2026, 11, 22, 9, 1, 5, tzinfo=UTC),
    }
    values.update(changes)
    return Progress(**values)  # type: ignore[arg-type]


def test_the_summary_is_one_line_with_rows_claims_and_time() -> None:
    line = summary("shop", progress())
    assert "\n" not in line
    assert line.startswith("shop: synced in 1m05.0s; rows ledger 4,000, ")
    assert "refunds 208" in line and "shipments 0" in line
    assert line.endswith("claims 2 new, 1 changed, 5 unchanged, 0 gone")
    failed = summary("shop", progress(status="failed", error="needs reconnect"), 2.0)
    assert failed.startswith("shop: sync FAILED in 2.0s") and "error: needs reconnect" in failed


def test_the_progress_line_redraws_in_place() -> None:
    out = io.StringIO()
    line = ProgressLine(out, width=10)
    line.show(progress(status="running", step="ledger", done=5, total=10))
    line.show(progress(status="running", step="returns", done=10, total=10))
    line.close()
    assert out.getvalue() == (
        "\r[#####.....]  50% ledger, 4,208 rows\r[##########] 100% returns, 4,208 rows\n"
    )
