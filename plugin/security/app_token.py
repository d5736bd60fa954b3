"""Short-lived tokens our own pages use after a verified launch.

Zendesk's signed token arrives once, on the page's first POST; the page's later calls (panel
data, downloads) carry this token instead, as a Bearer header. It is an HS256 JWT under a key
derived from ``SECRET_KEY`` for this one purpose, naming the installation, the agent and the
location. No cookie is involved: third-party cookies inside Zendesk's iframe are unreliable.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import jwt

from plugin.security.errors import SecurityError

ISSUER = "claimdesk"
AUDIENCE = "claimdesk:app"
ALGORITHM = "HS256"
DEFAULT_TTL = 60 * 60  # an agent keeps a ticket open for a while; Zendesk reloads on revisit
MAX_TTL = 24 * 60 * 60


@dataclass(frozen=True)
class AppIdentity:
    """Whom an app token speaks for."""

    installation_id: int
    user_id: int | None
    location: str

    @property
    def actor(self) -> str:
        """The audit trail's name for this caller."""
        return f"agent:{self.user_id}" if self.user_id is not None else f"app:{self.location}"


def _key(secret: str) -> bytes:
    # A key of its own: a token never doubles as anything else signed with SECRET_KEY.
    return hmac.new(secret.encode("utf-8"), b"claimdesk app token v1", hashlib.sha256).digest()


def mint_app_token(
    secret: str,
    *,
    installation_id: int,
    user_id: int | None,
    location: str,
    now: datetime,
    ttl: int = DEFAULT_TTL,
) -> str:
    """A token for ``installation_id`` valid for ``ttl`` seconds from ``now``."""
    if not 0 < ttl <= MAX_TTL:
        raise ValueError(f"an app token lives between 1 s and {MAX_TTL} s, not {ttl}")
    issued = int(now.timestamp())
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": str(installation_id),
        "loc": location,
        "iat": issued,
        "exp": issued + ttl,
    }
    if user_id is not None:
        claims["uid"] = user_id
    return jwt.encode(claims, _key(secret), algorithm=ALGORITHM)


def read_app_token(secret: str, token: str, now: datetime) -> AppIdentity:
    """Whom ``token`` speaks for, or ``SecurityError``."""
    return read_app_token_with_expiry(secret, token, now)[0]


def read_app_token_with_expiry(secret: str, token: str, now: datetime) -> tuple[AppIdentity, float]:
    """Whom ``token`` speaks for, and until when (a POSIX time), or ``SecurityError``."""
    if not token or len(token) > 4096:
        raise SecurityError("missing_token", "Sign in again: open the app from Zendesk.")
    try:
        claims = jwt.decode(
            token,
            _key(secret),
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub"], "verify_exp": False, "verify_iat": False},
        )
    except jwt.PyJWTError:
        raise SecurityError(
            "bad_app_token", "This session is not valid: reload the page."
        ) from None
    if now.timestamp() >= float(claims["exp"]):
        raise SecurityError("expired", "This session has expired: reload the page.")
    try:
        installation_id = int(claims["sub"])
        user = claims.get("uid")
        user_id = int(user) if user is not None else None
    except (TypeError, ValueError):
        raise SecurityError(
            "bad_app_token", "This session is not valid: reload the page."
        ) from None
    return AppIdentity(installation_id, user_id, str(claims.get("loc", ""))), float(claims["exp"])
