"""``claimdesk connect zendesk``: the installation's Zendesk identity and its secrets."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from plugin.extensions import resources
from plugin.services.zendesk_accounts import load_zendesk_credentials
from plugin.store import queries
from tests.security.test_launch import ZendeskKey
from tests.sync.support import Backend, postgresql_backend, sqlite_backend


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    maker = sqlite_backend if request.param == "sqlite" else postgresql_backend
    with maker(tmp_path) as found:
        yield found


def test_connect_pins_the_key_and_keeps_secrets_encrypted(backend: Backend, tmp_path: Path) -> None:
    pem = tmp_path / "key.pem"
    pem.write_text(ZendeskKey().public_pem)
    result = backend.claimdesk(
        "connect", "zendesk", "acme-seller", "--subdomain", "Acme.zendesk.com",
        "--installation-id", "101", "--public-key", str(pem),
        "--email", "bot@acme.test", "--api-token", "sekret-token-1",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Zendesk acme installation 101 at https://acme.zendesk.com" in result.output
    assert "sekret-token-1" not in result.output
    # Connecting again with only a webhook secret keeps the token and the key.
    again = backend.claimdesk(
        "connect", "zendesk", "acme-seller", "--subdomain", "acme",
        "--installation-id", "101", "--public-key", str(pem), "--webhook-secret", "whsec",
    )  # fmt: skip
    assert again.exit_code == 0, again.output
    app = backend.app()
    found = resources(app)
    with found.session() as session:
        installation = queries.installation_by_zendesk(session, "acme", 101)
        assert installation is not None and installation.name == "acme-seller"
        secrets = load_zendesk_credentials(session, found.keyring, installation.id)
        assert secrets.api_token == "sekret-token-1"
        assert secrets.webhook_secret == "whsec"
        assert secrets.public_key_pem == pem.read_text().strip() + "\n"
        assert "sekret" not in repr(secrets)
        stored = queries.credential(session, installation.id, "zendesk")
        assert stored is not None and b"sekret-token-1" not in stored.ciphertext
    found.close()


def test_one_zendesk_installation_belongs_to_one_seller(backend: Backend, tmp_path: Path) -> None:
    pem = tmp_path / "key.pem"
    pem.write_text(ZendeskKey().public_pem)
    common = ["--subdomain", "acme", "--installation-id", "101", "--public-key", str(pem)]
    assert backend.claimdesk("connect", "zendesk", "first", *common).exit_code == 0
    second = backend.claimdesk("connect", "zendesk", "second", *common)
    assert second.exit_code == 1
    assert "already connected to installation 'first'" in second.output


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            ["--subdomain", "ac me", "--installation-id", "1", "--public-key", "{pem}"],
            "not a Zendesk subdomain",
        ),
        (["--subdomain", "acme", "--installation-id", "1"], "give --public-key FILE"),
        (
            ["--subdomain", "acme", "--installation-id", "1", "--public-key", "{bad}"],
            "not a PEM public key",
        ),
        (
            [
                "--subdomain",
                "acme",
                "--installation-id",
                "1",
                "--public-key",
                "{pem}",
                "--email",
                "a@b",
            ],
            "go together",
        ),
        (
            [
                "--subdomain",
                "acme",
                "--installation-id",
                "1",
                "--public-key",
                "{pem}",
                "--url",
                "http://evil.example",
            ],
            "must use https",
        ),
    ],
)
def test_bad_input_is_a_clear_error(
    backend: Backend, tmp_path: Path, arguments: list[str], message: str
) -> None:
    pem = tmp_path / "key.pem"
    pem.write_text(ZendeskKey().public_pem)
    bad = tmp_path / "bad.pem"
    bad.write_text("-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----\n")
    filled = [a.format(pem=pem, bad=bad) for a in arguments]
    result = backend.claimdesk("connect", "zendesk", "acme-seller", *filled)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output


def test_with_an_api_token_the_app_and_its_key_come_from_zendesk(backend: Backend) -> None:
    """Only the installation id and an API token: the app id is looked up from the account's
    installations, and the first launch fetches the app's key (the Zendesk sandbox)."""
    from connectors.zendesk.sandbox import start_sandbox
    from connectors.zendesk.sandbox_data import parse_seed
    from tests.connectors.zendesk.conftest import seed_document
    from tests.security.test_launch import add_probe_routes, post_launch

    zendesk = start_sandbox(parse_seed(seed_document(), "seed"), subdomain="initech")
    try:
        result = backend.claimdesk(
            "connect", "zendesk", "initech", "--subdomain", "initech",
            "--installation-id", str(zendesk.installation_id), "--url", zendesk.url,
            "--email", zendesk.credentials.email, "--api-token", zendesk.credentials.api_token,
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        assert f"public key fetched from app {zendesk.app_id}" in result.output
        app = backend.app()
        add_probe_routes(app)
        response = post_launch(app.test_client(), zendesk.mint_token())
        assert response.status_code == 200, response.get_data(as_text=True)
        forged = post_launch(app.test_client(), ZendeskKey().sign(
            {**jwt_claims(zendesk)}
        ))  # fmt: skip
        assert forged.status_code == 401
        wrong = backend.claimdesk(
            "connect", "zendesk", "other", "--subdomain", "initech",
            "--installation-id", "999", "--url", zendesk.url,
            "--email", zendesk.credentials.email, "--api-token", zendesk.credentials.api_token,
        )  # fmt: skip
        assert wrong.exit_code == 1
        assert "has no app installation 999" in wrong.output
        resources(app).close()
    finally:
        zendesk.stop()


def jwt_claims(zendesk: object) -> dict[str, object]:
    """The claims of a genuine token of ``zendesk``, to re-sign with another key."""
    import jwt

    token = zendesk.mint_token()  # type: ignore[attr-defined]
    claims: dict[str, object] = jwt.decode(token, options={"verify_signature": False})
    return claims
