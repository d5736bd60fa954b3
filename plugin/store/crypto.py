"""Encryption of stored credentials: Fernet keys from configuration, never from the database.

``CLAIMDESK_CREDENTIALS_KEY`` holds one Fernet key, or several separated by commas (or a JSON
list): the first encrypts, all of them decrypt. To rotate, put a new key first, run
``plugin.services.credentials.rotate_credentials``, then drop the old key.
"""

from __future__ import annotations

import binascii
import hashlib
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from plugin.errors import ConfigError, PluginError

KEY_VARIABLE = "CLAIMDESK_CREDENTIALS_KEY"


class CredentialsError(PluginError):
    """Stored credentials that the configured keys cannot decrypt (or none are stored)."""


def generate_key() -> str:
    """A new random Fernet key, as text."""
    return Fernet.generate_key().decode("ascii")


def key_id(key: str | bytes) -> str:
    """A short, non-secret name of a key (a hash prefix), recorded beside each ciphertext."""
    raw = key.encode("ascii") if isinstance(key, str) else key
    return hashlib.blake2b(raw.strip(), digest_size=4).hexdigest()


def parse_keys(value: object) -> list[str]:
    """The keys in a setting: ``"k1,k2"``, ``["k1", "k2"]`` or None (no keys).

    Raises:
        ConfigError: a key is not a Fernet key; the message names the variable, never the key.
    """
    if value is None or value == "":
        return []
    if isinstance(value, bytes):
        value = value.decode("ascii", errors="replace")
    if isinstance(value, str):
        keys = [part.strip() for part in value.split(",")]
    elif isinstance(value, list | tuple) and all(isinstance(part, str) for part in value):
        keys = [part.strip() for part in value]
    else:
        raise ConfigError(f"{KEY_VARIABLE} must be text: one Fernet key, or several with commas")
    for position, key in enumerate(keys, 1):
        try:
            Fernet(key)
        except (ValueError, binascii.Error):
            which = f"key {position} of {len(keys)}" if len(keys) > 1 else "it"
            raise ConfigError(
                f"{KEY_VARIABLE} is not usable: {which} is not a Fernet key (32 url-safe "
                "base64 bytes; make one with python -c 'from cryptography.fernet import "
                "Fernet; print(Fernet.generate_key().decode())')"
            ) from None
    return keys


class Keyring:
    """The configured keys: the first encrypts, any of them decrypts."""

    def __init__(self, keys: Sequence[str]):
        if not keys:
            raise ValueError("a keyring needs at least one key")
        self._fernet = MultiFernet([Fernet(key) for key in keys])
        self.key_ids = tuple(key_id(key) for key in keys)

    @property
    def primary_id(self) -> str:
        return self.key_ids[0]

    def encrypt(self, plaintext: bytes) -> bytes:
        return self._fernet.encrypt(plaintext)

    def decrypt(self, token: bytes, *, what: str, stored_key_id: str) -> bytes:
        """Decrypt ``token``; ``what`` and ``stored_key_id`` only word the error.

        Raises:
            CredentialsError: no configured key opens it.
        """
        try:
            return self._fernet.decrypt(token)
        except InvalidToken:
            raise CredentialsError(
                f"cannot decrypt {what}: it was encrypted with key {stored_key_id}, and "
                f"{KEY_VARIABLE} holds key(s) {', '.join(self.key_ids)} "
                "(set the key it was stored with, or connect again)"
            ) from None

    def rotate(self, token: bytes) -> bytes:
        """Re-encrypt with the first key (raises ``InvalidToken`` if no key opens it)."""
        return self._fernet.rotate(token)

    def __repr__(self) -> str:
        return f"Keyring(key_ids={self.key_ids!r})"
