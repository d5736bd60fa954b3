"""Connecting an installation to its Zendesk account and app installation.

The subdomain, Zendesk installation id, app id and API URL are plain columns of the
installation (a verified launch token finds the installation by them). The API token, a
configured app public key and the webhook signing secret are one encrypted credentials
document (provider ``zendesk``), like the marketplaces' secrets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from connectors.zendesk.settings import ZendeskSettings
from plugin.errors import PluginError
from plugin.services import credentials, installations
from plugin.store import queries
from plugin.store.crypto import CredentialsError, Keyring
from plugin.store.models import Installation

ZENDESK = "zendesk"
SUBDOMAIN = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
PEM_START = "-----BEGIN PUBLIC KEY-----"

_HIDDEN = "'***'"


class ZendeskAccountError(PluginError):
    """A Zendesk connection that cannot be made as asked (the message says why)."""


@dataclass(frozen=True)
class ZendeskCredentials:
    """The secrets (and the optional pinned key) of one installation's Zendesk account."""

    email: str | None = None
    api_token: str | None = None
    public_key_pem: str | None = None
    webhook_secret: str | None = None

    def __repr__(self) -> str:
        return (
            f"ZendeskCredentials(email={self.email!r}, "
            f"api_token={_HIDDEN if self.api_token else None}, "
            f"public_key_pem={'<pem>' if self.public_key_pem else None}, "
            f"webhook_secret={_HIDDEN if self.webhook_secret else None})"
        )

    def to_document(self) -> dict[str, Any]:
        return {
            "email": self.email,
            "api_token": self.api_token,
            "public_key_pem": self.public_key_pem,
            "webhook_secret": self.webhook_secret,
        }

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> ZendeskCredentials:
        return cls(
            email=document.get("email"),
            api_token=document.get("api_token"),
            public_key_pem=document.get("public_key_pem"),
            webhook_secret=document.get("webhook_secret"),
        )


def check_subdomain(subdomain: str) -> str:
    value = subdomain.strip().lower()
    if value.endswith(".zendesk.com"):
        value = value[: -len(".zendesk.com")]
    if not SUBDOMAIN.fullmatch(value):
        raise ZendeskAccountError(
            f"{subdomain!r} is not a Zendesk subdomain (the 'acme' of acme.zendesk.com)"
        )
    return value


def check_public_key(pem: str) -> str:
    """``pem`` if it is an RSA public key in PEM form (what Zendesk serves)."""
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    text = pem.strip()
    try:
        key = load_pem_public_key(text.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        raise ZendeskAccountError("the public key is not a PEM public key") from None
    if not isinstance(key, RSAPublicKey):
        raise ZendeskAccountError("the public key is not an RSA key (Zendesk signs RS256)")
    return text + "\n"


def connect_zendesk(
    session: Session,
    keyring: Keyring,
    name: str,
    *,
    subdomain: str,
    zendesk_installation_id: int,
    app_id: int | None,
    url: str | None,
    secrets: ZendeskCredentials,
    now: datetime,
) -> tuple[Installation, bool]:
    """Create or update installation ``name`` as Zendesk's ``subdomain`` / installation.

    Secrets not given keep their stored values (connecting again to add a webhook secret
    does not drop the API token). Returns the installation and whether it was created.

    Raises:
        ZendeskAccountError: another installation already claims this Zendesk installation,
            or an input is unusable.
    """
    subdomain = check_subdomain(subdomain)
    if zendesk_installation_id <= 0:
        raise ZendeskAccountError("the Zendesk installation id is a positive number")
    base = credentials.check_endpoint(
        url or ZendeskSettings.production_url(subdomain), "the Zendesk URL"
    )
    installation, created = installations.ensure_installation(session, name, now)
    other = queries.installation_by_zendesk(session, subdomain, zendesk_installation_id)
    if other is not None and other.id != installation.id:
        raise ZendeskAccountError(
            f"Zendesk installation {zendesk_installation_id} on {subdomain} is already "
            f"connected to installation {other.name!r}"
        )
    installation.zendesk_subdomain = subdomain
    installation.zendesk_installation_id = zendesk_installation_id
    if app_id is not None:
        installation.zendesk_app_id = app_id
    installation.zendesk_url = base
    try:
        stored = load_zendesk_credentials(session, keyring, installation.id)
    except CredentialsError:
        stored = ZendeskCredentials()
    merged = ZendeskCredentials(
        email=secrets.email or stored.email,
        api_token=secrets.api_token or stored.api_token,
        public_key_pem=(
            check_public_key(secrets.public_key_pem)
            if secrets.public_key_pem
            else stored.public_key_pem
        ),
        webhook_secret=secrets.webhook_secret or stored.webhook_secret,
    )
    credentials.save_credentials(
        session, keyring, installation.id, ZENDESK, merged.to_document(), now
    )
    session.flush()
    return installation, created


def load_zendesk_credentials(
    session: Session, keyring: Keyring, installation_id: int
) -> ZendeskCredentials:
    """The installation's Zendesk secrets (``CredentialsError`` when none are stored)."""
    return ZendeskCredentials.from_document(
        credentials.load_credentials(session, keyring, installation_id, ZENDESK)
    )


def zendesk_settings(installation: Installation, secrets: ZendeskCredentials) -> ZendeskSettings:
    """The connector's settings for ``installation`` (which must be connected)."""
    if not installation.zendesk_subdomain:
        raise ZendeskAccountError(
            f"installation {installation.name!r} is not connected to Zendesk "
            f"(claimdesk connect zendesk {installation.name} …)"
        )
    return ZendeskSettings(
        subdomain=installation.zendesk_subdomain,
        base_url=installation.zendesk_url
        or ZendeskSettings.production_url(installation.zendesk_subdomain),
        email=secrets.email,
        api_token=secrets.api_token,
    )
