"""Calls to a Zendesk account's REST API (requests; zenpy joins for ticket write-back).

Only I/O lives here. Today: the app's public key, which verifies signed-URL launch tokens
(``GET /api/v2/apps/{app_id}/public_key.pem``, research/zendesk.md §2.3).
"""

from __future__ import annotations

import requests

from connectors.errors import AuthError, NotFound, UpstreamError
from connectors.http import build_session
from connectors.zendesk.settings import ZendeskSettings

USER_AGENT = "claimdesk (+https://github.com/claimdesk/claimdesk)"
PEM_START = "-----BEGIN PUBLIC KEY-----"


def fetch_app_public_key(settings: ZendeskSettings, app_id: int) -> str:
    """The PEM public key Zendesk signs app ``app_id``'s launch tokens with.

    Raises:
        AuthError: the API token was refused.
        NotFound: no such app on this account.
        UpstreamError: anything else (no answer, 5xx, an answer that is not a PEM key).
    """
    if not settings.email or not settings.api_token:
        raise AuthError("no Zendesk API credentials to fetch the app's public key with")
    url = f"{settings.base_url.rstrip('/')}/api/v2/apps/{app_id}/public_key.pem"
    with build_session(USER_AGENT, timeout=settings.timeout) as session:
        try:
            response = session.get(url, auth=(f"{settings.email}/token", settings.api_token))
        except requests.RequestException as error:
            raise UpstreamError(
                f"Zendesk did not answer for the app public key: {type(error).__name__}",
                status=0,
            ) from None
    if response.status_code in (401, 403):
        raise AuthError("Zendesk refused the API token", status=response.status_code)
    if response.status_code == 404:
        raise NotFound(f"Zendesk has no app {app_id} on {settings.subdomain}")
    text = response.text.strip()
    if response.status_code != 200 or not text.startswith(PEM_START):
        raise UpstreamError(
            f"Zendesk answered {response.status_code} without a PEM public key",
            status=response.status_code,
        )
    return text + "\n"
