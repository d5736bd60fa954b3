"""The triage webhook's signing secret, read from the account's Webhooks API.

``GET /api/v2/webhooks`` finds the webhook the app's requirements installed (by name, else by
its endpoint path); ``GET /api/v2/webhooks/{id}/signing_secret`` reveals its secret
(research/zendesk.md §4.7). Only I/O lives here.
"""

from __future__ import annotations

from typing import Any

import requests

from connectors.errors import AuthError, NotFound, UpstreamError
from connectors.http import build_session
from connectors.zendesk.settings import ZendeskSettings

USER_AGENT = "claimdesk (+https://github.com/claimdesk/claimdesk)"
WEBHOOK_NAME = "claimdesk triage"
ENDPOINT_PATH = "/webhooks/zendesk"


def fetch_signing_secret(
    settings: ZendeskSettings, *, webhook_id: str | None = None
) -> tuple[str, str]:
    """``(webhook id, signing secret)`` of the triage webhook (or of ``webhook_id``).

    Raises:
        AuthError: no credentials, or Zendesk refused them.
        NotFound: no such webhook on the account.
        UpstreamError: anything else.
    """
    if not settings.email or not settings.api_token:
        raise AuthError("no Zendesk API credentials to read the webhook's signing secret with")
    base = settings.base_url.rstrip("/") + "/api/v2/webhooks"
    auth = (f"{settings.email}/token", settings.api_token)
    with build_session(USER_AGENT, timeout=settings.timeout) as session:
        if webhook_id is None:
            listed = _get(session, base, auth, "the webhooks")
            webhook_id = _pick(listed.get("webhooks") or [], settings.subdomain)
        found = _get(session, f"{base}/{webhook_id}/signing_secret", auth, "the signing secret")
    secret = (found.get("signing_secret") or {}).get("secret")
    if not isinstance(secret, str) or not secret:
        raise UpstreamError("Zendesk answered without a signing secret", status=200)
    return webhook_id, secret


def _pick(webhooks: list[Any], subdomain: str) -> str:
    named = [w for w in webhooks if isinstance(w, dict) and w.get("name") == WEBHOOK_NAME]
    if not named:
        named = [
            w
            for w in webhooks
            if isinstance(w, dict) and str(w.get("endpoint", "")).endswith(ENDPOINT_PATH)
        ]
    if not named:
        raise NotFound(
            f"no webhook named {WEBHOOK_NAME!r} (or posting to {ENDPOINT_PATH}) on {subdomain}: "
            "is the app installed?"
        )
    return str(named[0]["id"])


def _get(session: requests.Session, url: str, auth: tuple[str, str], what: str) -> dict[str, Any]:
    try:
        response = session.get(url, auth=auth)
    except requests.RequestException as error:
        raise UpstreamError(
            f"Zendesk did not answer for {what}: {type(error).__name__}", status=0
        ) from None
    if response.status_code in (401, 403):
        raise AuthError("Zendesk refused the API token", status=response.status_code)
    if response.status_code == 404:
        raise NotFound(f"Zendesk has no {what} at {url.split('/api/')[-1]}")
    if response.status_code != 200:
        raise UpstreamError(
            f"Zendesk answered {response.status_code} for {what}", status=response.status_code
        )
    try:
        document = response.json()
    except ValueError:
        raise UpstreamError(f"Zendesk answered {what} without JSON", status=200) from None
    if not isinstance(document, dict):
        raise UpstreamError(f"Zendesk answered {what} with unexpected JSON", status=200)
    return document
