"""Verify the RS256 token Zendesk POSTs when it loads a signed app location.

Zendesk signs ``iss = "{subdomain}.zendesk.com"``, ``aud =
"https://{subdomain}.zendesk.com/api/v2/apps/installations/{id}.json"``, ``sub`` (the agent's
user URL), ``iat``/``nbf``/``exp`` (about five minutes) and ``context.location``
(research/zendesk.md §2.3). The audience names the tenant, so it is read first, unverified, to
find the installation and its key; then everything is verified with that key, RS256 only (an
HS256 token "signed" with the public key is the classic algorithm-confusion forgery).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import jwt
from sqlalchemy.orm import Session

from plugin.security.errors import SecurityError
from plugin.store import queries
from plugin.store.models import Installation

ALGORITHM = "RS256"
# Seconds of clock difference between Zendesk and us that we forgive.
LEEWAY = 30
# A token living longer than this was not minted by Zendesk for a page load.
MAX_LIFETIME = 15 * 60

AUDIENCE = re.compile(
    r"https://(?P<subdomain>[a-z0-9][a-z0-9-]{0,62})\.zendesk\.com"
    r"/api/v2/apps/installations/(?P<installation>[1-9][0-9]{0,18})\.json"
)
SUBJECT = re.compile(
    r"https://[a-z0-9-]+\.zendesk\.com/api/v2/users/(?P<user>[1-9][0-9]{0,18})\.json"
)


@dataclass(frozen=True)
class Launch:
    """A verified page load: which installation, which agent, which app location."""

    installation_id: int
    installation_name: str
    subdomain: str
    zendesk_installation_id: int
    user_id: int | None
    location: str | None


def expected_issuer(subdomain: str) -> str:
    return f"{subdomain}.zendesk.com"


def expected_audience(subdomain: str, zendesk_installation_id: int) -> str:
    return (
        f"https://{subdomain}.zendesk.com/api/v2/apps/installations/{zendesk_installation_id}.json"
    )


def verify_launch_token(
    token: str,
    *,
    session: Session,
    public_key_for: Callable[[Installation], str],
    now: datetime,
) -> Launch:
    """The launch ``token`` proves, or ``SecurityError`` saying why not.

    ``public_key_for`` returns the installation's Zendesk app public key (PEM); it may fetch
    it, and raises ``SecurityError`` when it cannot.
    """
    if not token or len(token) > 8192:
        raise SecurityError("missing_token", "This page must be opened from Zendesk.")
    try:
        header = jwt.get_unverified_header(token)
        unverified = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise SecurityError("malformed", "The sign-in token from Zendesk is malformed.") from None
    if header.get("alg") != ALGORITHM:
        raise SecurityError(
            "bad_algorithm", "The sign-in token from Zendesk is not signed the way Zendesk signs."
        )
    audience = unverified.get("aud")
    match = AUDIENCE.fullmatch(audience) if isinstance(audience, str) else None
    if match is None:
        raise SecurityError("bad_audience", "The sign-in token names no Zendesk app installation.")
    subdomain = match["subdomain"]
    zendesk_installation_id = int(match["installation"])
    installation = queries.installation_by_zendesk(session, subdomain, zendesk_installation_id)
    if installation is None:
        raise SecurityError(
            "unknown_installation",
            "This Zendesk app installation is not connected to claimdesk yet: an admin runs "
            "`claimdesk connect zendesk` for it.",
        )
    key = public_key_for(installation)
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            audience=expected_audience(subdomain, zendesk_installation_id),
            issuer=expected_issuer(subdomain),
            # Times are checked below against ``now``, so tests and replays are judged alike.
            options={
                "require": ["exp", "iat", "aud", "iss"],
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
            },
        )
    except jwt.InvalidAudienceError:
        raise SecurityError(
            "bad_audience", "The sign-in token is for another installation."
        ) from None
    except jwt.InvalidIssuerError:
        raise SecurityError(
            "bad_issuer", "The sign-in token is from another Zendesk account."
        ) from None
    except jwt.InvalidSignatureError:
        raise SecurityError(
            "bad_signature", "The sign-in token's signature is not valid."
        ) from None
    except jwt.PyJWTError as error:
        raise SecurityError("invalid", f"The sign-in token is not valid ({error}).") from None
    _check_times(claims, now.timestamp())
    return Launch(
        installation_id=installation.id,
        installation_name=installation.name,
        subdomain=subdomain,
        zendesk_installation_id=zendesk_installation_id,
        user_id=_user_id(claims.get("sub")),
        location=_location(claims.get("context")),
    )


def _check_times(claims: dict[str, Any], now: float) -> None:
    try:
        expires = float(claims["exp"])
        issued = float(claims["iat"])
        not_before = float(claims.get("nbf", issued))
    except (TypeError, ValueError):
        raise SecurityError("malformed", "The sign-in token's times are not numbers.") from None
    if now > expires + LEEWAY:
        raise SecurityError(
            "expired", "The sign-in token from Zendesk has expired: reload the ticket."
        )
    if now + LEEWAY < not_before or now + LEEWAY < issued:
        raise SecurityError("not_yet_valid", "The sign-in token is not valid yet (check clocks).")
    if expires - issued > MAX_LIFETIME:
        raise SecurityError("too_long", "The sign-in token lives longer than Zendesk's do.")


def _user_id(subject: object) -> int | None:
    match = SUBJECT.fullmatch(subject) if isinstance(subject, str) else None
    return int(match["user"]) if match else None


def _location(context: object) -> str | None:
    if isinstance(context, dict):
        location = context.get("location")
        if isinstance(location, str):
            return location
    return None
