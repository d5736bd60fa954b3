"""An installation's marketplace credentials: encrypted at rest, never logged or shown.

Each provider's credentials are one JSON document, encrypted whole with the configured keys
(``plugin.store.crypto``) into the ``credentials`` table. Objects holding secrets hide them
from ``repr`` (and so from logs and tracebacks).
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from connectors.amazon.settings import LWA_ENDPOINT, AmazonSettings
from plugin.store import queries
from plugin.store.crypto import CredentialsError, Keyring

AMAZON = "amazon"

_HIDDEN = "'***'"


@dataclass(frozen=True)
class AmazonCredentials:
    """What the SP-API client needs for one seller: where to call, and the LWA secrets."""

    endpoint: str
    lwa_endpoint: str
    client_id: str
    client_secret: str
    refresh_token: str
    marketplace_ids: tuple[str, ...] = ()

    def __repr__(self) -> str:
        return (
            f"AmazonCredentials(endpoint={self.endpoint!r}, lwa_endpoint={self.lwa_endpoint!r}, "
            f"client_id={self.client_id!r}, client_secret={_HIDDEN}, "
            f"refresh_token={_HIDDEN}, marketplace_ids={self.marketplace_ids!r})"
        )

    def to_document(self) -> dict[str, Any]:
        return {
            "endpoint": self.endpoint,
            "lwa_endpoint": self.lwa_endpoint,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "refresh_token": self.refresh_token,
            "marketplace_ids": list(self.marketplace_ids),
        }

    def settings(self, **limits: Any) -> AmazonSettings:
        """The SP-API client's settings; ``limits`` set its timeouts and retry bounds.

        No marketplace ids stored means the client's default (the US marketplace).
        """
        if self.marketplace_ids:
            limits["marketplace_ids"] = self.marketplace_ids
        return AmazonSettings(
            refresh_token=self.refresh_token,
            client_id=self.client_id,
            client_secret=self.client_secret,
            endpoint=self.endpoint,
            lwa_endpoint=self.lwa_endpoint,
            **limits,
        )

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> AmazonCredentials:
        return cls(
            endpoint=document["endpoint"],
            lwa_endpoint=document["lwa_endpoint"],
            client_id=document["client_id"],
            client_secret=document["client_secret"],
            refresh_token=document["refresh_token"],
            marketplace_ids=tuple(document.get("marketplace_ids", ())),
        )


def is_local(url: str) -> bool:
    """True for a URL on this machine (a sandbox): localhost or a loopback address."""
    host = urlsplit(url).hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_endpoint(url: str, what: str) -> str:
    """``url`` without a trailing slash, if it is an https URL (or http to a local sandbox).

    Raises:
        ValueError: the message says what is wrong; secrets never travel over plain http.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{what} {url!r} is not an http(s) URL")
    if parts.scheme == "http" and not is_local(url):
        raise ValueError(f"{what} {url!r} must use https (plain http only to a local sandbox)")
    return url.rstrip("/")


def default_lwa_endpoint(endpoint: str) -> str:
    """Amazon's LWA host, except for a local sandbox, which serves LWA on its own base URL."""
    if is_local(endpoint):
        parts = urlsplit(endpoint)
        return f"{parts.scheme}://{parts.netloc}"
    return LWA_ENDPOINT


def save_credentials(
    session: Session,
    keyring: Keyring,
    installation_id: int,
    provider: str,
    document: dict[str, Any],
    now: datetime,
) -> str:
    """Encrypt and store ``document`` as the installation's ``provider`` credentials.

    Returns the id of the key that encrypted it.
    """
    plaintext = json.dumps(document, sort_keys=True).encode("utf-8")
    queries.put_credential(
        session, installation_id, provider, keyring.encrypt(plaintext), keyring.primary_id, now
    )
    return keyring.primary_id


def load_credentials(
    session: Session, keyring: Keyring, installation_id: int, provider: str
) -> dict[str, Any]:
    """The installation's decrypted ``provider`` credentials.

    Raises:
        CredentialsError: none are stored, or no configured key decrypts them.
    """
    stored = queries.credential(session, installation_id, provider)
    if stored is None:
        raise CredentialsError(
            f"installation {installation_id} has no {provider} credentials "
            f"(store them with: claimdesk connect {provider} NAME …)"
        )
    plaintext = keyring.decrypt(
        stored.ciphertext,
        what=f"the {provider} credentials of installation {installation_id}",
        stored_key_id=stored.key_id,
    )
    document: dict[str, Any] = json.loads(plaintext)
    return document


def save_amazon_credentials(
    session: Session,
    keyring: Keyring,
    installation_id: int,
    credentials: AmazonCredentials,
    now: datetime,
) -> str:
    """Store an installation's SP-API credentials; returns the encrypting key's id."""
    return save_credentials(
        session, keyring, installation_id, AMAZON, credentials.to_document(), now
    )


def load_amazon_credentials(
    session: Session, keyring: Keyring, installation_id: int
) -> AmazonCredentials:
    """An installation's SP-API credentials (raises ``CredentialsError`` as load_credentials)."""
    return AmazonCredentials.from_document(
        load_credentials(session, keyring, installation_id, AMAZON)
    )


def rotate_credentials(session: Session, keyring: Keyring, now: datetime) -> int:
    """Re-encrypt, with the keyring's first key, every credential stored under another key.

    Runs across installations (key maintenance, not a tenant's request). Returns how many
    were re-encrypted.

    Raises:
        CredentialsError: a credential opens with none of the configured keys.
    """
    rotated = 0
    for stored in queries.credentials_not_under_key(session, keyring.primary_id):
        plaintext = keyring.decrypt(
            stored.ciphertext,
            what=f"the {stored.provider} credentials of installation {stored.installation_id}",
            stored_key_id=stored.key_id,
        )
        stored.ciphertext = keyring.encrypt(plaintext)
        stored.key_id = keyring.primary_id
        stored.updated_at = now
        rotated += 1
    session.flush()
    return rotated
