"""Zendesk webhook signatures: is this request from Zendesk, and is it fresh?

Pure. Zendesk signs every webhook request (research/zendesk.md §0.6, §4.7):
``X-Zendesk-Webhook-Signature = base64(HMAC-SHA256(key=signing secret, timestamp + raw body))``
with the timestamp from ``X-Zendesk-Webhook-Signature-Timestamp``. The secret is used as the
literal string Zendesk shows (it looks like base64 but is not decoded). A request older (or
newer) than ``MAX_SKEW`` is refused: a captured delivery cannot be played back later, and the
store refuses the same delivery twice within the window (``WebhookDelivery.digest``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

MAX_SKEW = timedelta(minutes=5)

# Refusal reasons (WebhookDelivery.reason).
ACCEPTED = "accepted"
MISSING_SIGNATURE = "missing_signature"
BAD_TIMESTAMP = "bad_timestamp"
STALE = "stale_timestamp"
BAD_SIGNATURE = "bad_signature"
REPLAY = "replayed"
MALFORMED = "malformed_body"
UNKNOWN_ACCOUNT = "unknown_account"
NO_SECRET = "no_secret"


@dataclass(frozen=True)
class WebhookRefused(Exception):
    """The request is not a fresh, genuine Zendesk delivery; ``reason`` says why."""

    reason: str
    detail: str

    def __str__(self) -> str:
        return f"{self.reason}: {self.detail}"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """Zendesk's signature of ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("utf-8") + body, hashlib.sha256)
    return base64.b64encode(mac.digest()).decode("ascii")


def parse_timestamp(value: str) -> datetime:
    """``2026-07-22T10:00:00Z`` (ISO 8601 with a zone) as an aware UTC time.

    Raises:
        WebhookRefused: ``bad_timestamp``.
    """
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise WebhookRefused(BAD_TIMESTAMP, "the signature timestamp is not ISO 8601") from None
    if moment.tzinfo is None:
        raise WebhookRefused(BAD_TIMESTAMP, "the signature timestamp has no time zone")
    return moment.astimezone(UTC)


def check_fresh(timestamp: str, now: datetime, max_skew: timedelta = MAX_SKEW) -> datetime:
    """The timestamp, if within ``max_skew`` of ``now``.

    Raises:
        WebhookRefused: ``bad_timestamp`` or ``stale_timestamp``.
    """
    moment = parse_timestamp(timestamp)
    if abs(now - moment) > max_skew:
        raise WebhookRefused(
            STALE, f"signed at {moment:%Y-%m-%dT%H:%M:%SZ}, more than {max_skew} from now"
        )
    return moment


def verify(
    secrets: list[str],
    *,
    signature: str | None,
    timestamp: str | None,
    body: bytes,
    now: datetime,
    max_skew: timedelta = MAX_SKEW,
) -> int:
    """Check a delivery against each candidate secret; the index of the one that signed it.

    Freshness is checked first (no HMAC work for an old capture); every secret is compared in
    constant time.

    Raises:
        WebhookRefused: ``missing_signature``, ``bad_timestamp``, ``stale_timestamp``,
            ``no_secret`` or ``bad_signature``.
    """
    if not signature or not timestamp:
        raise WebhookRefused(MISSING_SIGNATURE, "the signature or its timestamp header is absent")
    check_fresh(timestamp, now, max_skew)
    if not secrets:
        raise WebhookRefused(
            NO_SECRET,
            "no webhook signing secret is stored for this account "
            "(claimdesk triage fetch-webhook-secret NAME)",
        )
    given = signature.strip().encode("ascii", "replace")
    found = -1
    for index, secret in enumerate(secrets):
        expected = sign(secret, timestamp, body).encode("ascii")
        if hmac.compare_digest(expected, given) and found < 0:
            found = index
    if found < 0:
        raise WebhookRefused(BAD_SIGNATURE, "the signature does not match the body")
    return found


def delivery_digest(timestamp: str, body: bytes, invocation: str = "") -> str:
    """What identifies one delivery: the same timestamp, body and invocation id again is a
    replay.

    The invocation id (``X-Zendesk-Webhook-Invocation-Id``) is not signed, but two genuine
    deliveries can share a body and a second (the trigger body holds no update time: a
    customer's reply just after one of ours); without it the second would be lost. Someone
    who changes it can only make claimdesk triage a ticket again within the 5 minutes, which
    writes nothing twice.
    """
    return hashlib.sha256(
        timestamp.encode("utf-8") + b"\n" + invocation.encode("utf-8") + b"\n" + body
    ).hexdigest()
