"""``claimdesk connect``, ``costs``, ``claims`` and ``migrate`` on a real store."""

from __future__ import annotations

import json
import stat
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from cryptography.fernet import Fernet
from sqlalchemy.orm import Session, sessionmaker

from plugin.cli import main
from plugin.domain.claims import find_claims
from plugin.services.claim_store import save_claims
from plugin.services.credentials import load_amazon_credentials
from plugin.services.ingest import load_inputs
from plugin.store import migrate, queries
from plugin.store.crypto import Keyring
from tests.store.conftest import NOW
from tests.store.folder import write_seller
from tests.store.test_reconcile_equivalence import ingest_folder

KEY = Fernet.generate_key().decode()
SECRETS = ("Atzr|refresh-SECRET", "client-SECRET")


@pytest.fixture
def claimdesk(database_url: str) -> Callable[..., Result]:
    """Run ``claimdesk ARGS`` against the test store, with a configured credentials key."""
    environment = {
        "CLAIMDESK_ENV": "development",
        "CLAIMDESK_DATABASE_URL": database_url,
        "CLAIMDESK_CREDENTIALS_KEY": KEY,
    }

    def run(*args: str) -> Result:
        return CliRunner().invoke(main, list(args), env=environment)

    return run


def connect(claimdesk: Callable[..., Result], name: str, *extra: str) -> Result:
    return claimdesk(
        "connect",
        "amazon",
        name,
        "--refresh-token",
        SECRETS[0],
        "--client-id",
        "amzn1.app-id",
        "--client-secret",
        SECRETS[1],
        *extra,
    )


def installation_id(sessions: sessionmaker[Session], name: str) -> int:
    with sessions() as session:
        found = queries.installation_by_name(session, name)
        assert found is not None
        return found.id


@pytest.mark.parametrize(
    ("extra", "endpoint", "lwa"),
    [
        ((), "https://sellingpartnerapi-na.amazon.com", "https://api.amazon.com"),
        (
            ("--endpoint", "http://127.0.0.1:8321/"),
            "http://127.0.0.1:8321",
            "http://127.0.0.1:8321",
        ),
        (
            (
                "--endpoint",
                "http://localhost:9000/spapi",
                "--lwa-endpoint",
                "http://localhost:9001",
            ),
            "http://localhost:9000/spapi",
            "http://localhost:9001",
        ),
        (
            ("--endpoint", "https://sellingpartnerapi-eu.amazon.com"),
            "https://sellingpartnerapi-eu.amazon.com",
            "https://api.amazon.com",
        ),
    ],
)
def test_connect_stores_encrypted_credentials(
    claimdesk: Callable[..., Result],
    sessions: sessionmaker[Session],
    extra: tuple[str, ...],
    endpoint: str,
    lwa: str,
) -> None:
    result = connect(claimdesk, "acme", *extra, "--marketplace-id", "A1", "--marketplace-id", "A2")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Created installation acme: Amazon credentials stored")
    assert not any(secret in result.output for secret in SECRETS)
    with sessions() as session:
        credentials = load_amazon_credentials(
            session, Keyring([KEY]), installation_id(sessions, "acme")
        )
    assert (credentials.endpoint, credentials.lwa_endpoint) == (endpoint, lwa)
    assert (credentials.refresh_token, credentials.client_secret) == SECRETS
    assert credentials.marketplace_ids == ("A1", "A2")


def test_connect_again_replaces_the_credentials(
    claimdesk: Callable[..., Result], sessions: sessionmaker[Session]
) -> None:
    assert connect(claimdesk, "acme").exit_code == 0
    again = connect(claimdesk, "acme", "--endpoint", "http://127.0.0.1:1")
    assert again.exit_code == 0 and again.output.startswith("Updated installation acme")
    seller = installation_id(sessions, "acme")
    with sessions() as session:
        assert queries.installations(session)[0].id == seller
        stored = load_amazon_credentials(session, Keyring([KEY]), seller)
        assert stored.endpoint == "http://127.0.0.1:1"


@pytest.mark.parametrize(
    ("name", "extra", "message"),
    [
        ("acme store", (), "not a valid installation name"),
        ("acme", ("--endpoint", "http://sellingpartnerapi-na.amazon.com"), "must use https"),
        ("acme", ("--endpoint", "ftp://x"), "is not an http(s) URL"),
    ],
)
def test_connect_refuses_bad_input(
    claimdesk: Callable[..., Result], name: str, extra: tuple[str, ...], message: str
) -> None:
    result = connect(claimdesk, name, *extra)
    assert result.exit_code == 2
    assert message in result.output


def test_costs_replace_the_installations_costs(
    claimdesk: Callable[..., Result], sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    assert connect(claimdesk, "acme").exit_code == 0
    first = tmp_path / "costs.csv"
    first.write_text("sku,unit_cost,currency\nMUG-1,4.10,USD\nMUG-2,3,usd\nMUG-1,4.20,USD\n")
    result = claimdesk("costs", "acme", str(first))
    assert result.exit_code == 0
    assert result.output == "Imported 2 unit costs for acme (replacing 0).\n"
    second = tmp_path / "costs-2027.csv"
    second.write_text("sku,unit_cost,currency\nTEA-3,1.99,EUR\n")
    result = claimdesk("costs", "acme", str(second))
    assert result.output == "Imported 1 unit costs for acme (replacing 2).\n"
    with sessions() as session:
        costs = queries.costs(session, installation_id(sessions, "acme"))
        assert [(c.sku, c.unit_cost, c.currency, c.source_line) for c in costs] == [
            ("TEA-3", Decimal("1.99"), "EUR", 2)
        ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "Date\tFNSKU\tASIN\tMSKU\tEvent Type\tReference ID\tQuantity\tReason\n"
            "10/01/2026\tX1\tB1\tM1\tAdjustments\t1\t-1\tM\n",
            "is not a costs file (it looks like ledger data); expected exactly the columns "
            "sku,unit_cost,currency",
        ),
        ("sku,unit_cost,currency\nMUG-1,cheap,USD\n", "line 2: unit_cost 'cheap' is not a number"),
        ("", "empty file"),
    ],
)
def test_costs_refuse_other_files_and_keep_the_old_costs(
    claimdesk: Callable[..., Result],
    sessions: sessionmaker[Session],
    tmp_path: Path,
    content: str,
    message: str,
) -> None:
    assert connect(claimdesk, "acme").exit_code == 0
    good = tmp_path / "good.csv"
    good.write_text("sku,unit_cost,currency\nMUG-1,4.10,USD\n")
    assert claimdesk("costs", "acme", str(good)).exit_code == 0
    bad = tmp_path / "bad.txt"
    bad.write_text(content)
    result = claimdesk("costs", "acme", str(bad))
    assert result.exit_code == 1
    assert message in result.output
    with sessions() as session:
        assert [c.sku for c in queries.costs(session, installation_id(sessions, "acme"))] == [
            "MUG-1"
        ]


def test_commands_name_an_unknown_installation(
    claimdesk: Callable[..., Result], tmp_path: Path
) -> None:
    costs = tmp_path / "costs.csv"
    costs.write_text("sku,unit_cost,currency\nMUG-1,4.10,USD\n")
    for result in (claimdesk("costs", "nobody", str(costs)), claimdesk("claims", "nobody")):
        assert result.exit_code == 1
        assert "no installation named 'nobody'" in result.output


@pytest.mark.parametrize("as_of", ["2026-10-31", "2026-12-10"])
def test_claims_print_what_reconcile_prints(
    claimdesk: Callable[..., Result],
    sessions: sessionmaker[Session],
    tmp_path: Path,
    as_of: str,
) -> None:
    directory = write_seller(tmp_path / "seller")
    assert connect(claimdesk, "acme").exit_code == 0
    seller = installation_id(sessions, "acme")
    ingest_folder(sessions, seller, directory)  # what a sync does …
    with sessions.begin() as session:  # … followed by a reconcile
        save_claims(session, seller, find_claims(load_inputs(session, seller), NOW.date()), NOW)

    stored = claimdesk("claims", "acme", "--json", "--as-of", as_of)
    folder = claimdesk("reconcile", str(directory), "--json", "--as-of", as_of)
    assert stored.exit_code == 0 and folder.exit_code == 0
    stored_document, folder_document = json.loads(stored.output), json.loads(folder.output)
    assert stored_document["claims"] == folder_document["claims"]
    assert len(stored_document["claims"]) == 9
    assert stored_document["as_of"] == as_of and stored_document["skipped_files"] == []

    table = claimdesk("claims", "acme", "--as-of", as_of).output
    expected = claimdesk("reconcile", str(directory), "--as-of", as_of).output
    assert table.splitlines()[0] == f"claimdesk claims acme (as of {as_of})"
    end = "Values are estimates"
    assert table.splitlines()[1:] == expected.split("\nSkipped files")[0].splitlines()[1:]
    assert end in table


def test_claims_default_to_today(claimdesk: Callable[..., Result]) -> None:
    assert connect(claimdesk, "acme").exit_code == 0
    result = claimdesk("claims", "acme", "--json")
    assert json.loads(result.output) == {
        "as_of": date.today().isoformat(),
        "claims": [],
        "skipped_files": [],
    }


def test_migrate_reports_the_revision(claimdesk: Callable[..., Result]) -> None:
    result = claimdesk("migrate")
    assert result.exit_code == 0
    assert result.output.rstrip().endswith(f"is at revision {migrate.head()}.")


def test_a_bad_database_url_is_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["claims", "acme"], env={"CLAIMDESK_DATABASE_URL": "mysql://nope"}
    )
    assert result.exit_code == 1
    assert result.output == (
        "Error: CLAIMDESK_DATABASE_URL is not usable: 'mysql' is not a supported database "
        "(use postgresql or sqlite)\n"
    )


def test_the_defaults_live_in_the_data_folder(tmp_path: Path) -> None:
    """No settings: SQLite, the development key and the embedded Redis in one folder."""
    environment = {
        "XDG_DATA_HOME": str(tmp_path),
        "CLAIMDESK_ENV": "development",
        "CLAIMDESK_DATABASE_URL": "",
        "CLAIMDESK_CREDENTIALS_KEY": "",
        "CLAIMDESK_REDIS_URL": "",
    }
    runner = CliRunner()
    arguments = ["connect", "amazon", "acme", "--refresh-token", SECRETS[0]]
    arguments += ["--client-id", "id", "--client-secret", SECRETS[1]]
    result = runner.invoke(main, arguments, env=environment)
    assert result.exit_code == 0, result.output
    folder = tmp_path / "claimdesk"
    assert "Note: CLAIMDESK_CREDENTIALS_KEY is not set" in result.stderr
    assert str(folder / "credentials.key") in result.stderr
    assert (folder / "claimdesk.db").exists()
    assert stat.S_IMODE((folder / "credentials.key").stat().st_mode) == 0o600
    claims = runner.invoke(main, ["claims", "acme", "--json"], env=environment)
    assert json.loads(claims.output)["claims"] == []
