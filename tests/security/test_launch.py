"""Signed launches and app tokens, end to end through a Flask app on the real store.

Zendesk's side is played by RSA keys made here: tokens are signed exactly as research §2.3
describes (iss, aud, sub, iat/nbf/exp, context). Each forgery in issue 4's list is refused
with a 401 that names the reason and carries nothing from the store.
"""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask, jsonify
from flask.testing import FlaskClient

from plugin.extensions import resources
from plugin.security.app_token import mint_app_token, read_app_token
from plugin.security.errors import SecurityError
from plugin.security.public_keys import cache_key
from plugin.security.web import accept_launch, app_token_required, current_identity
from plugin.services.zendesk_accounts import ZendeskCredentials, connect_zendesk
from tests.sync.support import Backend, postgresql_backend, sqlite_backend

SECRET = "security-test-secret"


class ZendeskKey:
    """One app's key pair, as Zendesk holds it."""

    def __init__(self) -> None:
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.public_pem = (
            self.private.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode("ascii")
        )

    def sign(self, claims: dict[str, Any], algorithm: str = "RS256") -> str:
        return jwt.encode(claims, self.private, algorithm=algorithm)


def claims_for(
    subdomain: str,
    installation: int,
    *,
    user: int = 7,
    location: str = "ticket_sidebar",
    issued: datetime | None = None,
    lifetime: int = 300,
) -> dict[str, Any]:
    at = int((issued or datetime.now(UTC)).timestamp())
    return {
        "iss": f"{subdomain}.zendesk.com",
        "aud": f"https://{subdomain}.zendesk.com/api/v2/apps/installations/{installation}.json",
        "sub": f"https://{subdomain}.zendesk.com/api/v2/users/{user}.json",
        "iat": at,
        "nbf": at,
        "exp": at + lifetime,
        "qsh": "ignored",
        "context": {"product": "support", "location": location},
    }


KEY_A = ZendeskKey()
KEY_B = ZendeskKey()


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    maker = sqlite_backend if request.param == "sqlite" else postgresql_backend
    with maker(tmp_path) as found:
        yield found


def add_probe_routes(app: Flask) -> None:
    """Two routes standing in for a signed page and a panel endpoint."""

    def launch() -> Any:
        found, token = accept_launch("ticket_sidebar")
        return jsonify(installation=found.installation_id, user=found.user_id, token=token)

    @app_token_required
    def whoami() -> Any:
        identity = current_identity()
        return jsonify(installation=identity.installation_id, user=identity.user_id)

    app.add_url_rule("/probe/launch", "probe_launch", launch, methods=["POST"])
    app.add_url_rule("/api/probe/whoami", "probe_whoami", whoami)


@pytest.fixture
def web(backend: Backend) -> Iterator[tuple[Flask, dict[str, int]]]:
    app = backend.app()
    app.config["SECRET_KEY"] = SECRET
    add_probe_routes(app)
    found = resources(app)
    found.migrate()
    ids: dict[str, int] = {}
    now = datetime.now(UTC)
    with found.session() as session:
        for name, subdomain, zendesk_id, key in (
            ("acme-seller", "acme", 101, KEY_A),
            ("globex-seller", "globex", 202, KEY_B),
        ):
            installation, _ = connect_zendesk(
                session,
                found.keyring,
                name,
                subdomain=subdomain,
                zendesk_installation_id=zendesk_id,
                app_id=None,
                url=None,
                secrets=ZendeskCredentials(public_key_pem=key.public_pem),
                now=now,
            )
            ids[name] = installation.id
    yield app, ids
    found.close()


def post_launch(client: FlaskClient, token: str | None) -> Any:
    data = {} if token is None else {"token": token}
    return client.post("/probe/launch?origin=https://acme.zendesk.com&app_guid=g-1", data=data)


def test_a_token_signed_as_zendesk_signs_launches_the_right_installation(web: Any) -> None:
    app, ids = web
    response = post_launch(app.test_client(), KEY_A.sign(claims_for("acme", 101, user=42)))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.json["installation"] == ids["acme-seller"]
    assert response.json["user"] == 42
    identity = read_app_token(SECRET, response.json["token"], datetime.now(UTC))
    assert identity.installation_id == ids["acme-seller"]
    assert identity.location == "ticket_sidebar"


def forgeries() -> dict[str, tuple[Callable[[], str | None], str]]:
    """Each forged or unusable token, and the reason it must be refused for."""
    now = datetime.now(UTC)

    def hs256_with_public_key() -> str:
        # Algorithm confusion: "signed" with the public key as an HMAC secret.
        header = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').rstrip(b"=")
        import hashlib
        import hmac
        import json

        body = base64.urlsafe_b64encode(json.dumps(claims_for("acme", 101)).encode()).rstrip(b"=")
        signing_input = header + b"." + body
        signature = hmac.new(KEY_A.public_pem.encode(), signing_input, hashlib.sha256).digest()
        return (signing_input + b"." + base64.urlsafe_b64encode(signature).rstrip(b"=")).decode()

    def unsigned() -> str:
        return jwt.encode(claims_for("acme", 101), key=None, algorithm="none")  # type: ignore[arg-type]

    def other_key() -> str:
        return ZendeskKey().sign(claims_for("acme", 101))

    def expired() -> str:
        return KEY_A.sign(claims_for("acme", 101, issued=now - timedelta(minutes=10)))

    def wrong_audience() -> str:
        return KEY_A.sign(claims_for("acme", 999))

    def wrong_issuer() -> str:
        claims = claims_for("acme", 101)
        claims["iss"] = "globex.zendesk.com"
        return KEY_A.sign(claims)

    def replayed_from_other_installation() -> str:
        # Installation A's key signing a token that names installation B.
        return KEY_A.sign(claims_for("globex", 202))

    def for_another_location() -> str:
        return KEY_A.sign(claims_for("acme", 101, location="nav_bar"))

    def too_long_lived() -> str:
        return KEY_A.sign(claims_for("acme", 101, lifetime=7 * 24 * 3600))

    def not_yet_valid() -> str:
        return KEY_A.sign(claims_for("acme", 101, issued=now + timedelta(minutes=10)))

    return {
        "missing": (lambda: None, "missing_token"),
        "garbage": (lambda: "not.a.jwt", "malformed"),
        "hs256 with the public key": (hs256_with_public_key, "bad_algorithm"),
        "alg none": (unsigned, "bad_algorithm"),
        "another key": (other_key, "bad_signature"),
        "expired": (expired, "expired"),
        "wrong audience": (wrong_audience, "unknown_installation"),
        "wrong issuer": (wrong_issuer, "bad_issuer"),
        "replayed from another installation": (replayed_from_other_installation, "bad_signature"),
        "another location": (for_another_location, "wrong_location"),
        "too long lived": (too_long_lived, "too_long"),
        "not yet valid": (not_yet_valid, "not_yet_valid"),
    }


@pytest.mark.parametrize("case", sorted(forgeries()))
def test_forged_and_unusable_tokens_are_refused(web: Any, case: str) -> None:
    app, _ = web
    make, reason = forgeries()[case]
    response = post_launch(app.test_client(), make())
    assert response.status_code == 401
    page = response.get_data(as_text=True)
    assert f'data-reason="{reason}"' in page
    assert "claimdesk could not sign you in" in page
    # Nothing from the store: neither tenant's name appears in any refusal.
    assert "acme-seller" not in page and "globex-seller" not in page
    assert "frame-ancestors" in response.headers["Content-Security-Policy"]


def test_app_tokens_speak_for_one_installation_only(web: Any) -> None:
    app, ids = web
    client = app.test_client()
    now = datetime.now(UTC)
    token_b = mint_app_token(
        SECRET, installation_id=ids["globex-seller"], user_id=9, location="ticket_sidebar", now=now
    )
    response = client.get("/api/probe/whoami", headers={"Authorization": f"Bearer {token_b}"})
    assert response.status_code == 200
    assert response.json == {"installation": ids["globex-seller"], "user": 9}
    # The same claims under another deployment's secret, a tampered token, an expired one.
    foreign = mint_app_token(
        "another-secret", installation_id=ids["acme-seller"], user_id=9, location="x", now=now
    )
    head, body, signature = token_b.split(".")
    tampered_body = base64.urlsafe_b64encode(
        base64.urlsafe_b64decode(body + "==").replace(
            f'"sub":"{ids["globex-seller"]}"'.encode(), f'"sub":"{ids["acme-seller"]}"'.encode()
        )
    ).rstrip(b"=")
    tampered = f"{head}.{tampered_body.decode()}.{signature}"
    expired = mint_app_token(
        SECRET,
        installation_id=ids["acme-seller"],
        user_id=9,
        location="x",
        now=now - timedelta(hours=2),
    )
    for token, reason in (
        (foreign, "bad_app_token"),
        (tampered, "bad_app_token"),
        (expired, "expired"),
        ("", "missing_token"),
    ):
        refused = client.get("/api/probe/whoami", headers={"Authorization": f"Bearer {token}"})
        assert refused.status_code == 401, token
        assert refused.json["reason"] == reason
    assert client.get("/api/probe/whoami").status_code == 401


def test_a_token_in_the_query_serves_downloads(web: Any) -> None:
    app, ids = web
    token = mint_app_token(
        SECRET,
        installation_id=ids["acme-seller"],
        user_id=None,
        location="nav_bar",
        now=datetime.now(UTC),
    )
    response = app.test_client().get(f"/api/probe/whoami?token={token}")
    assert response.status_code == 200
    assert response.json == {"installation": ids["acme-seller"], "user": None}


def test_app_token_lifetime_is_bounded() -> None:
    with pytest.raises(ValueError):
        mint_app_token(
            SECRET, installation_id=1, user_id=None, location="x", now=datetime.now(UTC), ttl=0
        )
    with pytest.raises(SecurityError):
        read_app_token(SECRET, "x" * 5000, datetime.now(UTC))


class KeyServer:
    """A stand-in for Zendesk's app public key endpoint, counting what it serves."""

    def __init__(self, pem: str, email: str, token: str, app_id: int) -> None:
        expected = "Basic " + base64.b64encode(f"{email}/token:{token}".encode()).decode()
        self.hits = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                outer.hits += 1
                if self.headers.get("Authorization") != expected:
                    self._send(401, b'{"error":"Couldn\'t authenticate you"}', "application/json")
                elif self.path != f"/api/v2/apps/{app_id}/public_key.pem":
                    self._send(404, b'{"error":"RecordNotFound"}', "application/json")
                else:
                    self._send(200, pem.encode(), "application/x-pem-file")

            def _send(self, status: int, body: bytes, kind: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_the_public_key_is_fetched_once_then_cached(backend: Backend) -> None:
    app = backend.app()
    app.config["SECRET_KEY"] = SECRET
    add_probe_routes(app)
    found = resources(app)
    found.migrate()
    key = ZendeskKey()
    server = KeyServer(key.public_pem, "bot@initech.test", "tok-123", app_id=77)
    try:
        with found.session() as session:
            installation, _ = connect_zendesk(
                session,
                found.keyring,
                "initech",
                subdomain="initech",
                zendesk_installation_id=303,
                app_id=77,
                url=server.url,
                secrets=ZendeskCredentials(email="bot@initech.test", api_token="tok-123"),
                now=datetime.now(UTC),
            )
            installation_id = installation.id
        found.redis.delete(cache_key(installation_id))
        client = app.test_client()
        for _ in range(3):
            response = post_launch(client, key.sign(claims_for("initech", 303)))
            assert response.status_code == 200, response.get_data(as_text=True)
        assert server.hits == 1
        assert found.redis.ttl(cache_key(installation_id)) > 3600
        # A key rotated at Zendesk: until the cache expires the old key is used; dropping
        # the cache entry fetches the new one.
        found.redis.delete(cache_key(installation_id))
        response = post_launch(client, key.sign(claims_for("initech", 303)))
        assert response.status_code == 200
        assert server.hits == 2
    finally:
        server.stop()
        found.redis.delete(cache_key(installation_id))
        found.close()


def test_an_unreachable_zendesk_is_a_clear_401(backend: Backend) -> None:
    app = backend.app()
    add_probe_routes(app)
    found = resources(app)
    found.migrate()
    with found.session() as session:
        connect_zendesk(
            session,
            found.keyring,
            "hooli",
            subdomain="hooli",
            zendesk_installation_id=404,
            app_id=5,
            url="http://127.0.0.1:9",  # nothing listens on the discard port
            secrets=ZendeskCredentials(email="a@hooli.test", api_token="t"),
            now=datetime.now(UTC),
        )
    started = time.monotonic()
    response = post_launch(app.test_client(), ZendeskKey().sign(claims_for("hooli", 404)))
    assert response.status_code == 401
    assert 'data-reason="key_unavailable"' in response.get_data(as_text=True)
    assert time.monotonic() - started < 15
    found.close()
