"""The app installations of a Zendesk account: which app an installation belongs to.

``claimdesk connect zendesk`` needs the app id to fetch the app's public key; an admin knows
the installation id (``client.metadata().installationId``) more readily, so the app id is
looked up from ``GET /api/v2/apps/installations.json`` when not given.
"""

from __future__ import annotations

import requests

from connectors.errors import AuthError, NotFound, UpstreamError
from connectors.http import build_session
from connectors.zendesk.settings import ZendeskSettings

USER_AGENT = "claimdesk (+https://github.com/claimdesk/claimdesk)"


def find_app_id(settings: ZendeskSettings, installation_id: int) -> int:
    """The id of the app that installation ``installation_id`` is an install of.

    Raises:
        AuthError: no API credentials, or Zendesk refused them.
        NotFound: the account has no such installation.
        UpstreamError: no answer, or an answer that is not the installations list.
    """
    if not settings.email or not settings.api_token:
        raise AuthError("no Zendesk API credentials to look the app up with")
    url = f"{settings.base_url.rstrip('/')}/api/v2/apps/installations.json"
    with build_session(USER_AGENT, timeout=settings.timeout) as session:
        try:
            response = session.get(url, auth=(f"{settings.email}/token", settings.api_token))
        except requests.RequestException as error:
            raise UpstreamError(
                f"Zendesk did not answer for its app installations: {type(error).__name__}",
                status=0,
            ) from None
    if response.status_code in (401, 403):
        raise AuthError("Zendesk refused the API token", status=response.status_code)
    try:
        installations = response.json()["installations"]
        for installation in installations:
            if int(installation["id"]) == installation_id:
                return int(installation["app_id"])
    except (ValueError, KeyError, TypeError):
        raise UpstreamError(
            f"Zendesk answered {response.status_code} without an installations list",
            status=response.status_code,
        ) from None
    raise NotFound(
        f"Zendesk account {settings.subdomain} has no app installation {installation_id}"
    )
