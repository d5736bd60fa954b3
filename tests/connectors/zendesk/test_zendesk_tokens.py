"""Launch tokens: signed RS256 as Zendesk signs them, verified with PyJWT and the public key
the sandbox serves; every mutation a test can ask for is refused by the same checks."""

from __future__ import annotations

from typing import Any

import jwt
import pytest
import requests

from connectors.errors import AuthError, NotFound
from connectors.zendesk.client import fetch_app_public_key
from connectors.zendesk.sandbox import ZendeskSandbox
from connectors.zendesk.settings import ZendeskSettings

from .conftest import Start


def public_key(sandbox: ZendeskSandbox) -> str:
    response = requests.get(
        f"{sandbox.url}/api/v2/apps/{sandbox.app_id}/public_key.pem",
        auth=(f"{sandbox.credentials.email}/token", sandbox.credentials.api_token),
    )
    assert response.status_code == 200
    return response.text


def verify(sandbox: ZendeskSandbox, token: str, key: str | None = None) -> dict[str, Any]:
    """What our server does (research/zendesk.md §2.3): RS256 only, aud, iss, required claims."""
    return jwt.decode(
        token,
        key or public_key(sandbox),
        algorithms=["RS256"],
        audience=sandbox.audience(),
        issuer=f"{sandbox.subdomain}.zendesk.com",
        options={"require": ["exp", "iat", "aud", "iss", "sub"]},
    )


def test_public_key_needs_auth_and_the_right_app(sandbox: ZendeskSandbox) -> None:
    url = f"{sandbox.url}/api/v2/apps/{sandbox.app_id}/public_key.pem"
    assert requests.get(url).status_code == 401
    pem = public_key(sandbox)
    assert pem.startswith("-----BEGIN PUBLIC KEY-----") and pem == sandbox.public_key_pem
    other = requests.get(
        f"{sandbox.url}/api/v2/apps/{sandbox.app_id + 1}/public_key.pem",
        auth=(f"{sandbox.credentials.email}/token", sandbox.credentials.api_token),
    )
    assert other.status_code == 404


def test_the_connector_fetches_the_key_from_the_sandbox(sandbox: ZendeskSandbox) -> None:
    settings = ZendeskSettings(
        "acme", sandbox.url, sandbox.credentials.email, sandbox.credentials.api_token
    )
    assert fetch_app_public_key(settings, sandbox.app_id).strip() == sandbox.public_key_pem.strip()
    with pytest.raises(NotFound):
        fetch_app_public_key(settings, 42)
    wrong = ZendeskSettings("acme", sandbox.url, sandbox.credentials.email, "nope")
    with pytest.raises(AuthError):
        fetch_app_public_key(wrong, sandbox.app_id)


def test_token_claims_are_zendesks(make_sandbox: Start) -> None:
    sandbox = make_sandbox(subdomain="shop", installation_id=777)
    claims = verify(sandbox, sandbox.mint_token(2, "nav_bar"))
    assert claims["iss"] == "shop.zendesk.com"
    assert claims["aud"] == "https://shop.zendesk.com/api/v2/apps/installations/777.json"
    assert claims["sub"] == "https://shop.zendesk.com/api/v2/users/2.json"
    assert claims["exp"] - claims["iat"] == 300 and claims["nbf"] == claims["iat"]
    assert claims["context"] == {"product": "support", "location": "nav_bar"}
    assert jwt.get_unverified_header(sandbox.mint_token())["alg"] == "RS256"


@pytest.mark.parametrize(
    ("mutation", "error"),
    [
        ({"expired": True}, jwt.ExpiredSignatureError),
        (
            {"aud": "https://acme.zendesk.com/api/v2/apps/installations/1.json"},
            jwt.InvalidAudienceError,
        ),
        ({"installation_id": 31337}, jwt.InvalidAudienceError),
        ({"iss": "evil.zendesk.com"}, jwt.InvalidIssuerError),
        ({"omit": ("exp",)}, jwt.MissingRequiredClaimError),
        ({"omit": ("sub",)}, jwt.MissingRequiredClaimError),
        ({"algorithm": "HS256"}, jwt.InvalidAlgorithmError),  # HMAC keyed with the public PEM
        ({"algorithm": "HS256", "hs256_secret": "shared"}, jwt.InvalidAlgorithmError),
        ({"algorithm": "none"}, jwt.InvalidAlgorithmError),
    ],
)
def test_every_mutation_is_refused(
    sandbox: ZendeskSandbox, mutation: dict[str, Any], error: type[Exception]
) -> None:
    with pytest.raises(error):
        verify(sandbox, sandbox.mint_token(**mutation))


def test_a_token_from_another_account_key_is_refused(make_sandbox: Start) -> None:
    ours = make_sandbox()
    theirs = make_sandbox(private_key_pem=None)  # its own fresh key, same claims
    with pytest.raises(jwt.InvalidSignatureError):
        verify(ours, theirs.mint_token(), key=ours.public_key_pem)


def test_control_endpoint_mints_mutated_tokens(sandbox: ZendeskSandbox) -> None:
    url = f"{sandbox.url}/_sandbox/token"
    good = requests.post(url, json={"agent_id": 2, "location": "ticket_sidebar"}).json()["token"]
    assert verify(sandbox, good)["sub"].endswith("/users/2.json")
    expired = requests.post(url, json={"expired": True}).json()["token"]
    with pytest.raises(jwt.ExpiredSignatureError):
        verify(sandbox, expired)
    other = requests.post(url, json={"installation_id": 5}).json()["token"]
    with pytest.raises(jwt.InvalidAudienceError):
        verify(sandbox, other)
    assert requests.post(url, json={"lifetime_days": 3}).status_code == 400


def test_a_saved_key_signs_the_same_way_after_a_restart(make_sandbox: Start) -> None:
    first = make_sandbox(private_key_pem=None)
    second = make_sandbox(private_key_pem=first.private_key_pem())
    assert second.public_key_pem == first.public_key_pem
    assert verify(first, second.mint_token(), key=first.public_key_pem)["iss"] == "acme.zendesk.com"
