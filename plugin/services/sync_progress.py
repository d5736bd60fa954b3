"""How far a sync has got, and the one line that sums it up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from connectors.amazon.models import ReportKind
from plugin.store import queries
from plugin.store.models import DONE, RUNNING


@dataclass(frozen=True)
class Progress:
    """How far a sync has got (read from its row)."""

    sync_id: int
    installation_id: int
    status: str
    step: str | None
    done: int
    total: int
    counts: dict[str, Any]
    skipped: list[dict[str, str]]
    error: str | None
    started_at: datetime
    finished_at: datetime | None

    @property
    def finished(self) -> bool:
        return self.status != RUNNING

    @property
    def fraction(self) -> float:
        return min(1.0, self.done / self.total) if self.total else 0.0


def progress(session: Session, installation_id: int, sync_id: int) -> Progress | None:
    run = queries.sync_run(session, installation_id, sync_id)
    if run is None:
        return None
    cursor = run.cursor or {}
    return Progress(
        sync_id=run.id,
        installation_id=installation_id,
        status=run.status,
        step=cursor.get("step"),
        done=int(cursor.get("done", 0)),
        total=int(cursor.get("total", 0)),
        counts=dict(run.counts or {}),
        skipped=list(cursor.get("skipped", [])),
        error=run.error,
        started_at=run.started_at,
        finished_at=run.finished_at,
    )


KIND_LABELS = {
    ReportKind.LEDGER.value: "ledger",
    ReportKind.REIMBURSEMENTS.value: "reimbursements",
    ReportKind.RETURNS.value: "returns",
    ReportKind.ORDERS.value: "orders",
    ReportKind.FINANCES.value: "refunds",
    ReportKind.INBOUND_SHIPMENTS.value: "shipments",
    ReportKind.INBOUND_ITEMS.value: "shipment items",
}


def summary(name: str, state: Progress, elapsed: float | None = None) -> str:
    """One line: rows per kind, claims new/changed/unchanged/gone, and the time taken."""
    if elapsed is None:
        end = state.finished_at or datetime.now(UTC)
        elapsed = (end - state.started_at).total_seconds()
    rows = state.counts.get("rows", {})
    kinds = ", ".join(f"{label} {rows.get(kind, 0):,}" for kind, label in KIND_LABELS.items())
    claims = state.counts.get("claims", {})
    verdict = {DONE: "synced", RUNNING: "still syncing"}.get(state.status, "sync FAILED")
    line = f"{name}: {verdict} in {_duration(elapsed)}; rows {kinds}"
    if claims:
        line += (
            f"; claims {claims.get('new', 0)} new, {claims.get('changed', 0)} changed, "
            f"{claims.get('unchanged', 0)} unchanged, {claims.get('gone', 0)} gone"
        )
    if state.skipped:
        line += f"; {len(state.skipped)} documents unreadable"
    if state.error and state.status != DONE:
        line += f"; error: {state.error}"
    return line


def _duration(seconds: float) -> str:
    minutes, rest = divmod(max(0.0, seconds), 60)
    return f"{int(minutes)}m{rest:04.1f}s" if minutes else f"{rest:.1f}s"
