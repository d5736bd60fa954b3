"""The security layer in Flask: signed launches, app tokens on every later call, framing rules.

- ``accept_launch(location)``: a POST from Zendesk to a signed location (``token`` form
  field) becomes a verified ``Launch`` plus an app token for the page to use.
- ``app_token_required``: the page's later calls carry that token (``Authorization: Bearer``;
  ``?token=`` for downloads and the standalone claims view); ``g.identity`` says whom for.
- Every response may be framed only by Zendesk (and the local sandbox in the demo).
A refusal is a 401: JSON for API calls, a short readable HTML fragment for pages.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import ParamSpec, TypeVar

from flask import Flask, current_app, g, json, request
from markupsafe import escape
from werkzeug.wrappers import Response

from plugin.extensions import resources
from plugin.memo import ExpiringMemo
from plugin.security.app_token import AppIdentity, mint_app_token, read_app_token_with_expiry
from plugin.security.errors import SecurityError
from plugin.security.public_keys import PublicKeys
from plugin.security.zendesk_jwt import Launch, verify_launch_token

logger = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

ZENDESK_ANCESTORS = "https://*.zendesk.com"


def _now() -> datetime:
    return datetime.now(UTC)


def accept_launch(location: str) -> tuple[Launch, str]:
    """Verify the launch POSTed to this view and mint the page's app token.

    Raises:
        SecurityError: the token is missing, forged, expired, for another installation or
            for another app location (the error handler answers 401).
    """
    token = request.form.get("token", "")
    found = resources()
    with found.session() as session:
        launch = verify_launch_token(
            token,
            session=session,
            public_key_for=PublicKeys(session, found.keyring, found.redis),
            now=_now(),
        )
    if launch.location is not None and launch.location != location:
        raise SecurityError(
            "wrong_location", f"This sign-in token is for the {launch.location} location."
        )
    app_token = mint_app_token(
        current_app.config["SECRET_KEY"],
        installation_id=launch.installation_id,
        user_id=launch.user_id,
        location=location,
        now=_now(),
        ttl=int(current_app.config["APP_TOKEN_TTL"]),
    )
    logger.info(
        "launch of %s for installation %s by user %s",
        location,
        launch.installation_id,
        launch.user_id,
    )
    return launch, app_token


def current_identity() -> AppIdentity:
    """The caller proven by ``app_token_required`` (only inside such a view)."""
    identity: AppIdentity = g.identity
    return identity


# A page calls us many times with one app token: its verification is remembered (per app, up
# to the token's own expiry) so a panel request costs no signature check after the first.
_TOKENS = "claimdesk.verified_tokens"


def _verified(token: str) -> AppIdentity:
    memo: ExpiringMemo[str, tuple[AppIdentity, float]] | None = current_app.extensions.get(_TOKENS)
    if memo is None:
        memo = current_app.extensions.setdefault(_TOKENS, ExpiringMemo(4096))
    now = _now()
    found = memo.get(token)
    if found is not None and now.timestamp() < found[1]:
        return found[0]
    identity, expires = read_app_token_with_expiry(current_app.config["SECRET_KEY"], token, now)
    memo.put(token, (identity, expires), min(300.0, expires - now.timestamp()))
    return identity


def app_token_required(view: Callable[P, R]) -> Callable[P, R]:
    """Refuse the call (401) unless it carries a valid app token; set ``g.identity``."""

    @functools.wraps(view)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
        header = request.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        token = value.strip() if scheme.lower() == "bearer" else request.args.get("token", "")
        g.identity = _verified(token)
        return view(*args, **kwargs)

    return guarded


def frame_ancestors(app: Flask) -> str:
    extra = app.config.get("FRAME_ANCESTORS") or ""
    sources = ["'self'", ZENDESK_ANCESTORS, *str(extra).split()]
    return " ".join(dict.fromkeys(sources))


def _security_headers(response: Response) -> Response:
    policy = response.headers.get("Content-Security-Policy")
    ancestors = f"frame-ancestors {frame_ancestors(current_app)}"
    response.headers["Content-Security-Policy"] = f"{policy}; {ancestors}" if policy else ancestors
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    return response


def _refused(error: SecurityError) -> Response:
    logger.warning("refused %s %s: %s", request.method, request.path, error.reason)
    wants_json = request.path.startswith("/api/") or "Authorization" in request.headers
    if wants_json:
        body = {"error": "unauthorized", "reason": error.reason, "message": error.message}
        return Response(json.dumps(body), status=401, content_type="application/json")
    page = (
        '<!doctype html><html lang="en"><meta charset="utf-8"><title>claimdesk</title>'
        '<body style="font:14px system-ui,sans-serif;margin:12px">'
        f'<p role="alert" id="auth-error" data-reason="{escape(error.reason)}">'
        f"<strong>claimdesk could not sign you in.</strong> {escape(error.message)}</p>"
        "</body></html>"
    )
    return Response(page, status=401, content_type="text/html; charset=utf-8")


def init_app(app: Flask) -> None:
    """Install the framing headers and the 401 answers on ``app``."""
    app.after_request(_security_headers)
    app.register_error_handler(SecurityError, _refused)
