"""``claimdesk connect carrier NAME CARRIER …`` on a real store: accounts stored encrypted, read
back, refused with a clear message when incomplete, secrets never printed."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from click.testing import CliRunner, Result
from cryptography.fernet import Fernet
from sqlalchemy.orm import Session, sessionmaker

from plugin.cli import main
from plugin.services import carrier_accounts as accounts
from plugin.store import queries
from plugin.store.crypto import Keyring
from tests.store.conftest import database_url

__all__ = ["database_url"]

KEY = Fernet.generate_key().decode()
SECRET = "s3cret-VALUE-never-shown"


@pytest.fixture
def claimdesk(database_url: str) -> Callable[..., Result]:
    environment = {
        "CLAIMDESK_ENV": "development",
        "CLAIMDESK_DATABASE_URL": database_url,
        "CLAIMDESK_CREDENTIALS_KEY": KEY,
    }

    def run(*args: str) -> Result:
        return CliRunner().invoke(main, list(args), env=environment)

    return run


def stored(
    sessions: sessionmaker[Session], name: str, carrier: str
) -> accounts.CarrierCredentials | None:
    with sessions() as session:
        installation = queries.installation_by_name(session, name)
        assert installation is not None
        row = queries.credential(session, installation.id, accounts.provider_of(carrier))
        assert row is None or SECRET.encode() not in row.ciphertext
        return accounts.load_carrier_credentials(session, Keyring([KEY]), installation.id, carrier)


@pytest.mark.parametrize("carrier", ["ups", "fedex", "usps"])
def test_oauth_carriers_store_their_client_credentials_encrypted(
    claimdesk: Callable[..., Result], sessions: sessionmaker[Session], carrier: str
) -> None:
    result = claimdesk(
        "connect", "carrier", "shop", carrier,
        "--client-id", "client-1", "--client-secret", SECRET,
        "--url", "http://127.0.0.1:8999/" + carrier,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Created installation shop" in result.output
    assert SECRET not in result.output
    found = stored(sessions, "shop", carrier)
    assert found == accounts.CarrierCredentials(
        carrier, "client-1", SECRET, None, f"http://127.0.0.1:8999/{carrier}"
    )
    assert SECRET not in repr(found)
    settings = found.settings()
    assert settings.base_url == f"http://127.0.0.1:8999/{carrier}"
    assert SECRET not in repr(settings)
    with sessions() as session:
        shop = queries.installation_by_name(session, "shop")
        assert shop is not None
        assert accounts.connected_carriers(session, shop.id) == {carrier}


def test_dhl_stores_its_api_key_and_a_second_connect_replaces_it(
    claimdesk: Callable[..., Result], sessions: sessionmaker[Session]
) -> None:
    assert claimdesk("connect", "carrier", "shop", "dhl", "--api-key", "old").exit_code == 0
    result = claimdesk("connect", "carrier", "shop", "dhl", "--api-key", SECRET)
    assert result.exit_code == 0 and "Updated installation shop" in result.output
    found = stored(sessions, "shop", "dhl")
    assert found is not None and found.api_key == SECRET and found.url is None
    assert found.settings().base_url == "https://api-eu.dhl.com"  # production by default


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("ups", "--api-key", "k"), "ups takes --client-id and --client-secret"),
        (("fedex", "--client-id", "c"), "fedex takes --client-id and --client-secret"),
        (("dhl", "--client-id", "c", "--client-secret", "s"), "dhl takes --api-key only"),
        (("dhl",), "dhl takes --api-key only"),
        (
            ("usps", "--client-id", "c", "--client-secret", "s", "--url", "http://example.com"),
            "must use https",
        ),
        (("usps", "--client-id", "c", "--client-secret", "s", "--url", "ftp://x"), "http(s)"),
    ],
)
def test_incomplete_or_unsafe_accounts_are_refused_and_nothing_is_stored(
    claimdesk: Callable[..., Result],
    sessions: sessionmaker[Session],
    args: tuple[str, ...],
    message: str,
) -> None:
    result = claimdesk("connect", "carrier", "shop", *args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    with sessions() as session:
        assert queries.installation_by_name(session, "shop") is None


def test_an_unknown_carrier_is_refused(claimdesk: Callable[..., Result]) -> None:
    result = claimdesk("connect", "carrier", "shop", "ontrac", "--api-key", "k")
    assert result.exit_code == 2 and "ontrac" in result.output
