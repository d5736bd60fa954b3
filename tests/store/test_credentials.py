"""Credentials: encrypted at rest, readable only with a configured key, rotatable, never shown."""

from __future__ import annotations

import logging
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from plugin import create_app
from plugin.errors import ConfigError
from plugin.extensions import Resources, StoreSettings, development_key, resources
from plugin.services.credentials import (
    AmazonCredentials,
    load_amazon_credentials,
    rotate_credentials,
    save_amazon_credentials,
)
from plugin.store import queries
from plugin.store.crypto import CredentialsError, Keyring, key_id, parse_keys
from tests.store.conftest import NOW

SECRET = "Atzr|IwEBI-refresh-token-that-must-never-leak"
CLIENT_SECRET = "amzn1.oa2-cs.v1.client-secret-never-shown"

AMAZON = AmazonCredentials(
    endpoint="https://sellingpartnerapi-na.amazon.com",
    lwa_endpoint="https://api.amazon.com",
    client_id="amzn1.application-oa2-client.abc",
    client_secret=CLIENT_SECRET,
    refresh_token=SECRET,
    marketplace_ids=("ATVPDKIKX0DER",),
)


def store(sessions: sessionmaker[Session], keyring: Keyring, installation_id: int) -> None:
    with sessions.begin() as session:
        save_amazon_credentials(session, keyring, installation_id, AMAZON, NOW)


def test_the_database_holds_only_ciphertext(
    sessions: sessionmaker[Session], make_installation: Callable[[str], int]
) -> None:
    keyring = Keyring([Fernet.generate_key().decode()])
    seller = make_installation("acme")
    store(sessions, keyring, seller)
    with sessions() as session:
        rows = session.execute(text("SELECT * FROM credentials")).all()
    raw = repr(rows).encode() + b"".join(bytes(row.ciphertext) for row in rows)
    for secret in (SECRET, CLIENT_SECRET, "refresh-token", AMAZON.client_id):
        assert secret.encode() not in raw
    with sessions() as session:
        assert load_amazon_credentials(session, keyring, seller) == AMAZON
        stored = queries.credential(session, seller, "amazon")
        assert stored is not None and stored.key_id == keyring.primary_id
        assert "ciphertext" not in repr(stored)


def test_a_wrong_key_is_a_clear_error(
    sessions: sessionmaker[Session], make_installation: Callable[[str], int]
) -> None:
    right, wrong = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    seller = make_installation("acme")
    store(sessions, Keyring([right]), seller)
    with sessions() as session, pytest.raises(CredentialsError) as raised:
        load_amazon_credentials(session, Keyring([wrong]), seller)
    message = str(raised.value)
    assert f"encrypted with key {key_id(right)}" in message
    assert key_id(wrong) in message
    assert right not in message and wrong not in message


def test_missing_credentials_say_how_to_connect(
    sessions: sessionmaker[Session], make_installation: Callable[[str], int]
) -> None:
    seller = make_installation("acme")
    keyring = Keyring([Fernet.generate_key().decode()])
    with sessions() as session, pytest.raises(CredentialsError, match="claimdesk connect amazon"):
        load_amazon_credentials(session, keyring, seller)


def test_rotation_moves_every_credential_to_the_new_key(
    sessions: sessionmaker[Session], make_installation: Callable[[str], int]
) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    sellers = [make_installation("acme"), make_installation("globex")]
    for seller in sellers:
        store(sessions, Keyring([old]), seller)
    both = Keyring([new, old])
    with sessions() as session:  # during rotation, both keys read everything
        assert all(load_amazon_credentials(session, both, s) == AMAZON for s in sellers)
    with sessions.begin() as session:
        assert rotate_credentials(session, both, NOW) == 2
    with sessions.begin() as session:
        assert rotate_credentials(session, both, NOW) == 0
    with sessions() as session:  # the old key can go
        assert all(load_amazon_credentials(session, Keyring([new]), s) == AMAZON for s in sellers)
        with pytest.raises(CredentialsError):
            load_amazon_credentials(session, Keyring([old]), sellers[0])


def test_repr_hides_secrets() -> None:
    shown = repr(AMAZON) + str(AMAZON) + f"{AMAZON}"
    assert SECRET not in shown and CLIENT_SECRET not in shown
    assert "refresh_token='***'" in shown and AMAZON.client_id in shown
    key = Fernet.generate_key().decode()
    assert key not in repr(Keyring([key]))


@pytest.mark.parametrize(
    ("value", "count"),
    [(None, 0), ("", 0), ("K1", 1), ("K1, K2", 2), (["K1", "K2"], 2)],
)
def test_keys_setting_takes_one_key_or_a_list(value: object, count: int) -> None:
    keys = [Fernet.generate_key().decode(), Fernet.generate_key().decode()]
    if isinstance(value, str):
        value = value.replace("K1", keys[0]).replace("K2", keys[1])
    elif isinstance(value, list):
        value = keys
    assert parse_keys(value) == keys[:count]


def test_a_malformed_key_fails_in_one_line_without_echoing_it() -> None:
    with pytest.raises(ConfigError) as raised:
        parse_keys(f"{Fernet.generate_key().decode()},not-a-key-123")
    message = str(raised.value)
    assert "CLAIMDESK_CREDENTIALS_KEY" in message and "key 2 of 2" in message
    assert "not-a-key-123" not in message and "\n" not in message


def test_production_without_a_key_fails_at_start_in_one_line() -> None:
    with pytest.raises(ConfigError) as raised:
        create_app({"ENV": "production", "SECRET_KEY": "s"})
    assert "CLAIMDESK_CREDENTIALS_KEY" in str(raised.value)
    assert "\n" not in str(raised.value)
    key = Fernet.generate_key().decode()
    app = create_app({"ENV": "production", "SECRET_KEY": "s", "CREDENTIALS_KEY": key})
    assert resources(app).keyring.key_ids == (key_id(key),)


def test_development_makes_a_private_key_once_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = StoreSettings.from_config({"DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}"})
    with caplog.at_level(logging.WARNING, logger="plugin.extensions"):
        first = Resources(settings).keyring
    path = tmp_path / "credentials.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "CLAIMDESK_CREDENTIALS_KEY is not set" in caplog.text and str(path) in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="plugin.extensions"):
        second = Resources(settings).keyring
    assert first.key_ids == second.key_ids
    assert caplog.text == ""
    assert [p.name for p in tmp_path.iterdir()] == ["credentials.key"]  # no temporary left


def test_a_damaged_development_key_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "credentials.key"
    path.write_text("garbage\n")
    with pytest.raises(ConfigError, match="does not hold a Fernet key"):
        development_key(path)


def test_credentials_become_the_clients_settings() -> None:
    settings = AMAZON.settings(max_attempts=2)
    assert (settings.endpoint, settings.lwa_endpoint) == (AMAZON.endpoint, AMAZON.lwa_endpoint)
    assert (settings.refresh_token, settings.client_secret) == (SECRET, CLIENT_SECRET)
    assert settings.marketplace_ids == ("ATVPDKIKX0DER",) and settings.max_attempts == 2
    assert SECRET not in repr(settings)
