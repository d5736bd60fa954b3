"""Blueprint ``health``: ``GET /health`` for load balancers and uptime checks.

It answers ``{"status": "ok", "version": ...}``. Later layers add readiness checks with
``register_check`` from their ``init_app`` (the store a ``SELECT 1``, the queue a Redis
``PING``); ``/health`` then runs them and answers 503 when one fails.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Flask, current_app

from plugin.config import package_version

logger = logging.getLogger(__name__)

bp = Blueprint("health", __name__)

HealthCheck = Callable[[], None]
"""A check returns on success and raises on failure."""

CHECKS = "claimdesk.health_checks"  # key in app.extensions


def register_check(app: Flask, name: str, check: HealthCheck) -> None:
    """Make ``/health`` run ``check`` on every call, reported under ``name``."""
    app.extensions.setdefault(CHECKS, {})[name] = check


@bp.get("/health")
def health() -> tuple[dict[str, Any], int]:
    """Report the version, and the result of every registered check."""
    body: dict[str, Any] = {"status": "ok", "version": package_version()}
    checks: dict[str, HealthCheck] = current_app.extensions.get(CHECKS, {})
    if not checks:
        return body, 200
    results = {name: _run(name, check) for name, check in checks.items()}
    body["checks"] = results
    if "failed" in results.values():
        body["status"] = "failing"
        return body, 503
    return body, 200


def _run(name: str, check: HealthCheck) -> str:
    try:
        check()
    except Exception:  # any failure means "not ready"; the log keeps the detail, not the body
        logger.exception("health check %s failed", name)
        return "failed"
    return "ok"
