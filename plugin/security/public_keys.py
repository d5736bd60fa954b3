"""Each installation's Zendesk app public key: pinned by the admin, or fetched and cached.

A key given to ``claimdesk connect zendesk --public-key`` wins. Otherwise the key comes from
the account's API (``/api/v2/apps/{app_id}/public_key.pem``) and is kept in Redis for a day,
shared by every web process, so a page load costs no Zendesk call once warm.
"""

from __future__ import annotations

import logging

import redis
from sqlalchemy.orm import Session

from connectors.errors import ConnectorError
from connectors.zendesk.client import fetch_app_public_key
from plugin.security.errors import SecurityError
from plugin.services.zendesk_accounts import load_zendesk_credentials, zendesk_settings
from plugin.store.crypto import CredentialsError, Keyring
from plugin.store.models import Installation

logger = logging.getLogger(__name__)

CACHE_SECONDS = 24 * 60 * 60


def cache_key(installation_id: int) -> str:
    return f"claimdesk:zendesk:public-key:{installation_id}"


class PublicKeys:
    """``public_key_for(installation)`` for ``verify_launch_token``."""

    def __init__(self, session: Session, keyring: Keyring, connection: redis.Redis):
        self.session = session
        self.keyring = keyring
        self.redis = connection

    def __call__(self, installation: Installation) -> str:
        unavailable = SecurityError(
            "key_unavailable",
            "claimdesk cannot check Zendesk's signature for this installation yet: an admin "
            "connects it with its API token or public key (claimdesk connect zendesk).",
        )
        try:
            secrets = load_zendesk_credentials(self.session, self.keyring, installation.id)
        except CredentialsError:
            raise unavailable from None
        if secrets.public_key_pem:
            return secrets.public_key_pem
        cached = self.redis.get(cache_key(installation.id))
        if cached is not None:
            return cached.decode("ascii") if isinstance(cached, bytes) else str(cached)
        if installation.zendesk_app_id is None or not secrets.api_token:
            raise unavailable
        try:
            pem = fetch_app_public_key(
                zendesk_settings(installation, secrets), installation.zendesk_app_id
            )
        except ConnectorError as error:
            logger.warning(
                "fetching the Zendesk app public key of installation %s failed: %s",
                installation.id,
                error,
            )
            raise SecurityError(
                "key_unavailable",
                "claimdesk could not fetch Zendesk's app public key just now: try again.",
            ) from None
        self.redis.set(cache_key(installation.id), pem.encode("ascii"), ex=CACHE_SECONDS)
        return pem
