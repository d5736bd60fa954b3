"""Where a sync stands: its plan, its position, and the checkpoints that move it on.

A sync is one ``sync_runs`` row (source ``"amazon"``). Its ``cursor`` holds:

- ``plan``: the day range and window sizes, fixed when the sync starts, so that a resumed
  step asks Amazon for the very windows the first attempt asked for;
- ``step`` and ``at``: the step running now and its position inside it (a window index, a
  report id, a page token), ``step`` None once the sync is over;
- ``failures`` (consecutive upstream failures), ``done`` / ``total`` (work units, for
  progress) and ``skipped`` (documents that could not be read);

and ``counts`` the rows received per kind (``rows``), the rows new to the store (``added``)
and, at the end, the claims (``claims``).

Every change goes through a ``Checkpoint``: one transaction that locks the row, checks that the
position is still the one the caller started from, stores the caller's rows and moves the
position, all or nothing. A step that dies therefore resumes from its last checkpoint, and two
executions of one step (a job retried while the first still ran) never both move it: the later
one finds the position moved and stops (``Superseded``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from connectors.amazon.parse import ParsedReport
from plugin.services.ingest import ingest_report
from plugin.store.models import DONE, FAILED, RUNNING, SyncRun

SOURCE = "amazon"
# Windows are blocks of N days counted from this day, so a window that is complete keeps its
# dates (and its document id) from one sync to the next.
EPOCH = date(2000, 1, 1)


class Superseded(Exception):
    """The sync moved on without us (another execution of the step, or it ended)."""


@dataclass(frozen=True)
class Plan:
    """What one sync covers: days ``[since, until)`` and the day claims are judged on."""

    as_of: date
    since: date
    until: date
    window_days: int = 30
    finance_days: int = 180  # listFinancialEvents answers a longer window empty

    def report_windows(self) -> list[tuple[date, date]]:
        return windows(self.since, self.until, self.window_days)

    def finance_windows(self) -> list[tuple[date, date]]:
        return windows(self.since, self.until, self.finance_days)

    def to_json(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "window_days": self.window_days,
            "finance_days": self.finance_days,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Plan:
        return cls(
            as_of=date.fromisoformat(data["as_of"]),
            since=date.fromisoformat(data["since"]),
            until=date.fromisoformat(data["until"]),
            window_days=int(data["window_days"]),
            finance_days=int(data["finance_days"]),
        )


def windows(since: date, until: date, days: int) -> list[tuple[date, date]]:
    """Blocks of ``days`` days from ``EPOCH`` that meet ``[since, until)``, clipped to it."""
    if days < 1:
        raise ValueError("windows need at least one day")
    found = []
    start = EPOCH + timedelta(days=(since - EPOCH).days // days * days)
    while start < until:
        end = start + timedelta(days=days)
        found.append((max(start, since), min(end, until)))
        start = end
    return found


def midnight(day: date) -> datetime:
    """The start of ``day`` in UTC: SP-API's window bounds."""
    return datetime.combine(day, time(0), tzinfo=UTC)


def lock_run(session: Session, installation_id: int, sync_id: int) -> SyncRun:
    """The sync's row, locked for this transaction (SQLite: its BEGIN IMMEDIATE already is).

    Raises:
        Superseded: there is no such sync for this installation.
    """
    run = session.scalars(
        select(SyncRun)
        .where(SyncRun.installation_id == installation_id, SyncRun.id == sync_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()
    if run is None:
        raise Superseded(f"sync {sync_id} of installation {installation_id} does not exist")
    return run


class Checkpoint:
    """One transaction of a step: store rows, then move the position (see the module doc)."""

    def __init__(self, session: Session, run: SyncRun, installation_id: int, now: datetime):
        self.session = session
        self.run = run
        self.installation_id = installation_id
        self.now = now
        self.cursor: dict[str, Any] = dict(run.cursor)
        self.counts: dict[str, Any] = {key: _copy(value) for key, value in run.counts.items()}

    def ingest(self, report: ParsedReport, document_id: str) -> None:
        """Store one document's rows and count them under their kind."""
        result = ingest_report(
            self.session, self.installation_id, report, document_id, now=self.now
        )
        kind = result.kind.value
        for name, value in (("rows", result.rows), ("added", result.added)):
            tally = self.counts.setdefault(name, {})
            tally[kind] = tally.get(kind, 0) + value

    def move(self, at: dict[str, Any], *, units: int = 0) -> None:
        """The step's next position; ``units`` of work are done with it."""
        self.cursor["at"] = at
        self.cursor["done"] = self.cursor.get("done", 0) + units

    def grow(self, units: int) -> None:
        """More work than planned (shipments found once listed)."""
        self.cursor["total"] = self.cursor.get("total", 0) + units

    def next_step(self, step: str | None, *, units: int = 0) -> None:
        """End this step: the sync goes on with ``step`` (None: every step is done)."""
        self.move({}, units=units)
        self.cursor["step"] = step

    def skip(self, document_id: str, reason: str) -> None:
        """A document that cannot be read: left out, as ``reconcile`` leaves out a file."""
        self.cursor["skipped"] = [
            *self.cursor.get("skipped", []),
            {"document": document_id, "reason": reason},
        ]

    def finish(self) -> None:
        """The sync is complete."""
        self.run.status = DONE
        self.run.finished_at = self.now
        self.run.error = None

    def save(self) -> None:
        self.cursor["failures"] = 0
        self.run.cursor = self.cursor  # new dicts: the JSON columns see the change
        self.run.counts = self.counts


@contextmanager
def checkpoint(
    sessions: sessionmaker[Session],
    installation_id: int,
    sync_id: int,
    step: str,
    expected: dict[str, Any],
    now: datetime,
) -> Iterator[Checkpoint]:
    """A ``Checkpoint`` from position ``expected`` of ``step``; committed when the block ends.

    Raises:
        Superseded: the sync is no longer at that position (nothing is written).
    """
    with sessions.begin() as session:
        run = lock_run(session, installation_id, sync_id)
        cursor = run.cursor or {}
        if run.status != RUNNING or cursor.get("step") != step or cursor.get("at") != expected:
            raise Superseded(f"sync {sync_id} is no longer at {step} {expected}")
        point = Checkpoint(session, run, installation_id, now)
        yield point
        point.save()


def record_failure(
    sessions: sessionmaker[Session],
    installation_id: int,
    sync_id: int,
    error: str,
    limit: int,
    now: datetime,
) -> int:
    """Count one more consecutive upstream failure; past ``limit`` the sync fails.

    Returns the count (0 when the sync was no longer running).
    """
    with sessions.begin() as session:
        run = lock_run(session, installation_id, sync_id)
        if run.status != RUNNING:
            return 0
        cursor = dict(run.cursor)
        cursor["failures"] = failures = cursor.get("failures", 0) + 1
        run.cursor = cursor
        if failures > limit:
            _fail(run, f"{error} (failed {failures} times in a row)", now)
        return failures


def fail_run(
    sessions: sessionmaker[Session], installation_id: int, sync_id: int, error: str, now: datetime
) -> None:
    """End a running sync as failed, with the reason."""
    with sessions.begin() as session:
        run = lock_run(session, installation_id, sync_id)
        if run.status == RUNNING:
            _fail(run, error, now)


def _fail(run: SyncRun, error: str, now: datetime) -> None:
    run.status = FAILED
    run.finished_at = now
    run.error = error[:2000]


def _copy(value: Any) -> Any:
    return dict(value) if isinstance(value, dict) else value
