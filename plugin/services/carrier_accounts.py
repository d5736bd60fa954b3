"""An installation's carrier accounts: credentials encrypted at rest, and the clients built
from them.

Each carrier's credentials are one encrypted document (provider ``carrier:<code>``), stored
like the marketplaces' (``plugin.services.credentials``): UPS, FedEx and USPS take an OAuth
client id and secret, DHL an API key; a base URL points a client at a sandbox. Access tokens
the carriers hand out are kept in Redis, encrypted with the same keyring, so every worker
reuses one token (USPS reportedly revokes the previous token when a new one is issued).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from redis import Redis
from sqlalchemy.orm import Session

from connectors.carriers import CarrierClient, client_for
from connectors.carriers.dhl.settings import DhlSettings
from connectors.carriers.fedex.settings import FedexSettings
from connectors.carriers.ups.settings import UpsSettings
from connectors.carriers.usps.settings import UspsSettings
from plugin.errors import PluginError
from plugin.services import credentials, installations
from plugin.services.ratelimit import RedisLimiter
from plugin.store import queries
from plugin.store.crypto import CredentialsError, Keyring
from plugin.store.models import Installation

OAUTH_CARRIERS = ("ups", "fedex", "usps")
KEY_CARRIERS = ("dhl",)
CARRIERS = OAUTH_CARRIERS + KEY_CARRIERS
_SETTINGS: Mapping[str, type] = {
    "ups": UpsSettings,
    "fedex": FedexSettings,
    "usps": UspsSettings,
    "dhl": DhlSettings,
}
_HIDDEN = "'***'"


class CarrierAccountError(PluginError):
    """Carrier credentials that cannot be stored as given (the message says why)."""


def provider_of(carrier: str) -> str:
    """The credentials provider name of a carrier: ``carrier:ups`` …"""
    return f"carrier:{carrier}"


@dataclass(frozen=True)
class CarrierCredentials:
    """One carrier account: OAuth client credentials, or an API key (DHL); ``url`` is the API's
    base URL when it is not the carrier's production host."""

    carrier: str
    client_id: str | None = None
    client_secret: str | None = None
    api_key: str | None = None
    url: str | None = None

    def __repr__(self) -> str:
        return (
            f"CarrierCredentials(carrier={self.carrier!r}, client_id={self.client_id!r}, "
            f"client_secret={_HIDDEN if self.client_secret else None}, "
            f"api_key={_HIDDEN if self.api_key else None}, url={self.url!r})"
        )

    def to_document(self) -> dict[str, Any]:
        return {
            "carrier": self.carrier,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "api_key": self.api_key,
            "url": self.url,
        }

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> CarrierCredentials:
        return cls(
            carrier=str(document["carrier"]),
            client_id=document.get("client_id"),
            client_secret=document.get("client_secret"),
            api_key=document.get("api_key"),
            url=document.get("url"),
        )

    def settings(self, **limits: Any) -> Any:
        """The carrier client's settings; ``limits`` override timeouts, retries, pacing.

        Raises:
            ValueError: what the carrier's settings refuse.
        """
        kind = _SETTINGS[self.carrier]
        values: dict[str, Any] = dict(limits)
        if self.url:
            values["base_url"] = self.url
        if self.carrier in KEY_CARRIERS:
            values["api_key"] = self.api_key or ""
        else:
            values["client_id"] = self.client_id or ""
            values["client_secret"] = self.client_secret or ""
        return kind(**values)


def check_credentials(found: CarrierCredentials) -> CarrierCredentials:
    """``found`` with its URL checked, if it has what its carrier needs.

    Raises:
        CarrierAccountError: an unknown carrier, a missing or extra secret, a bad URL.
    """
    if found.carrier not in CARRIERS:
        raise CarrierAccountError(
            f"no tracking for carrier {found.carrier!r} (one of {', '.join(CARRIERS)})"
        )
    if found.carrier in KEY_CARRIERS:
        if not found.api_key or found.client_id or found.client_secret:
            raise CarrierAccountError(f"{found.carrier} takes --api-key only")
    elif not (found.client_id and found.client_secret) or found.api_key:
        raise CarrierAccountError(f"{found.carrier} takes --client-id and --client-secret")
    url = found.url
    if url is not None:
        try:
            url = credentials.check_endpoint(url, "--url")
        except ValueError as error:
            raise CarrierAccountError(str(error)) from None
    checked = CarrierCredentials(
        found.carrier, found.client_id, found.client_secret, found.api_key, url
    )
    try:
        checked.settings()
    except ValueError as error:
        raise CarrierAccountError(f"{found.carrier}: {error}") from None
    return checked


def connect_carrier(
    session: Session,
    keyring: Keyring,
    name: str,
    secrets: CarrierCredentials,
    now: datetime,
) -> tuple[Installation, bool]:
    """Create installation ``name`` if needed and store its carrier account, encrypted.

    Returns the installation and whether it was created.

    Raises:
        CarrierAccountError: as ``check_credentials``.
    """
    checked = check_credentials(secrets)
    installation, created = installations.ensure_installation(session, name, now)
    credentials.save_credentials(
        session,
        keyring,
        installation.id,
        provider_of(checked.carrier),
        checked.to_document(),
        now,
    )
    return installation, created


def load_carrier_credentials(
    session: Session, keyring: Keyring, installation_id: int, carrier: str
) -> CarrierCredentials | None:
    """The installation's account with ``carrier``; None when it has none.

    Raises:
        CredentialsError: stored, but no configured key opens it.
    """
    if carrier not in CARRIERS:
        return None
    if queries.credential(session, installation_id, provider_of(carrier)) is None:
        return None
    document = credentials.load_credentials(session, keyring, installation_id, provider_of(carrier))
    return CarrierCredentials.from_document(document)


def connected_carriers(session: Session, installation_id: int) -> frozenset[str]:
    """The carriers the installation has an account with."""
    return frozenset(
        carrier
        for carrier in CARRIERS
        if queries.credential(session, installation_id, provider_of(carrier)) is not None
    )


class RedisTokenCache:
    """The carriers' ``TokenCache`` in Redis: one token per credential for every worker,
    encrypted with the keyring (an access token is a secret while it lives)."""

    _DISCARD = """
    local held = redis.call('GET', KEYS[1])
    if held and held == ARGV[1] then return redis.call('DEL', KEYS[1]) end
    return 0
    """

    def __init__(self, redis: Redis, keyring: Keyring, prefix: str = "claimdesk:carrier-token:"):
        self.redis = redis
        self.keyring = keyring
        self.prefix = prefix
        self._discard = redis.register_script(self._DISCARD)
        self._sealed: dict[str, tuple[str, bytes]] = {}  # token -> its ciphertext we stored

    def get(self, key: str) -> str | None:
        stored = self.redis.get(self.prefix + key)
        if stored is None:
            return None
        if isinstance(stored, str):  # a client made with decode_responses
            stored = stored.encode()
        try:
            token = self.keyring.decrypt(
                stored, what="a carrier access token", stored_key_id=self.keyring.primary_id
            ).decode()
        except CredentialsError:
            return None  # sealed with a key rotated away since: fetch a new one
        self._sealed[key] = (token, stored)
        return token

    def put(self, key: str, token: str, ttl: float) -> None:
        sealed = self.keyring.encrypt(token.encode())
        self.redis.set(self.prefix + key, sealed, ex=max(1, math.floor(ttl)))
        self._sealed[key] = (token, sealed)

    def discard(self, key: str, token: str) -> None:
        held = self._sealed.get(key)
        if held is not None and held[0] == token:
            self._discard(keys=[self.prefix + key], args=[held[1]])
            self._sealed.pop(key, None)


def carrier_client(
    session: Session,
    keyring: Keyring,
    redis: Redis,
    installation_id: int,
    carrier: str,
    limits: Mapping[str, Any] | None = None,
) -> CarrierClient | None:
    """The installation's client of ``carrier``, sharing tokens and pacing through Redis;
    None when the installation has no account with it."""
    found = load_carrier_credentials(session, keyring, installation_id, carrier)
    if found is None:
        return None
    settings = found.settings(**dict(limits or {}))
    return client_for(
        carrier,
        settings,
        tokens=RedisTokenCache(redis, keyring),
        limiter=RedisLimiter(redis, prefix="claimdesk:carrier-rate:"),
    )
