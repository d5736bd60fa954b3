"""The app factory, its settings check, the health endpoint and the JSON error responses."""

from __future__ import annotations

import importlib
import logging
import sys
from importlib import metadata

import pytest
from flask import Flask, abort
from flask.testing import FlaskClient

import plugin
from plugin import create_app
from plugin.errors import ConfigError, PluginError
from plugin.health import register_check


def test_health_answers_ok_with_the_package_version(client: FlaskClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.is_json
    assert response.get_json() == {"status": "ok", "version": metadata.version("claimdesk")}


def test_health_runs_registered_checks_and_fails_with_503(app: Flask) -> None:
    def redis_down() -> None:
        raise ConnectionError("redis://10.0.0.9:6379 refused")

    register_check(app, "database", lambda: None)
    register_check(app, "redis", redis_down)
    response = app.test_client().get("/health")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "failing"
    assert body["checks"] == {"database": "ok", "redis": "failed"}
    assert "10.0.0.9" not in response.get_data(as_text=True)


def test_unknown_route_is_a_json_404(client: FlaskClient) -> None:
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert response.is_json
    assert response.get_json()["error"] == "not_found"
    assert response.get_json()["status"] == 404


def test_wrong_method_is_a_json_405_that_keeps_the_allow_header(client: FlaskClient) -> None:
    response = client.post("/health")
    assert response.status_code == 405
    assert response.get_json()["error"] == "method_not_allowed"
    assert "GET" in response.headers["Allow"]


def test_unexpected_error_is_a_json_500_without_the_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = create_app({"SECRET_KEY": "x"})  # not TESTING: errors are handled, not propagated

    def explode() -> str:
        raise RuntimeError("password=hunter2 in the query")

    def abort_with_detail() -> str:
        abort(500, "stack detail from the view")

    app.add_url_rule("/explode", view_func=explode)
    app.add_url_rule("/abort", view_func=abort_with_detail)
    client = app.test_client()
    with caplog.at_level(logging.ERROR):
        response = client.get("/explode")
    assert response.status_code == 500
    assert response.get_json()["error"] == "internal_server_error"
    text = response.get_data(as_text=True)
    assert "hunter2" not in text
    assert "Traceback" not in text
    assert "hunter2" in caplog.text  # logged for us, not shown to the caller
    assert "stack detail" not in client.get("/abort").get_data(as_text=True)


def test_production_without_secret_key_fails_with_one_clear_line() -> None:
    with pytest.raises(ConfigError) as raised:
        create_app({"ENV": "production"})
    message = str(raised.value)
    assert "CLAIMDESK_SECRET_KEY" in message
    assert "\n" not in message
    assert isinstance(raised.value, PluginError)


def test_production_settings_come_from_claimdesk_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CLAIMDESK_ENV", "production")
    monkeypatch.delenv("CLAIMDESK_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="CLAIMDESK_SECRET_KEY"):
        create_app()
    monkeypatch.setenv("CLAIMDESK_SECRET_KEY", "s3cret-from-env")
    with pytest.raises(ConfigError, match="CLAIMDESK_CREDENTIALS_KEY"):
        create_app()
    monkeypatch.setenv("CLAIMDESK_CREDENTIALS_KEY", "pWmYhh0o2JY6FQhUNA4vhrt1nn7Ne9XHp0k3d-BGx5w=")
    app = create_app()
    assert app.config["SECRET_KEY"] == "s3cret-from-env"
    assert app.config["ENV"] == "production"


def test_test_config_replaces_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLAIMDESK_ENV", "production")
    app = create_app({"TESTING": True})
    assert app.config["ENV"] == "development"


def test_development_generates_a_secret_key_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="plugin.config"):
        first = create_app({"TESTING": True})
    second = create_app({"TESTING": True})
    assert first.config["SECRET_KEY"]
    assert first.config["SECRET_KEY"] != second.config["SECRET_KEY"]
    assert "CLAIMDESK_SECRET_KEY is not set" in caplog.text


@pytest.mark.parametrize(
    ("settings", "variable"),
    [
        ({"ENV": "prod"}, "CLAIMDESK_ENV"),
        ({"ENV": "production", "SECRET_KEY": 123456}, "CLAIMDESK_SECRET_KEY"),
    ],
)
def test_unusable_settings_fail_naming_the_variable(
    settings: dict[str, object], variable: str
) -> None:
    with pytest.raises(ConfigError, match=variable) as raised:
        create_app(settings)
    assert "123456" not in str(raised.value)  # a secret's value is never echoed


def test_importing_the_package_builds_no_app() -> None:
    assert not any(isinstance(value, Flask) for value in vars(plugin).values())


def test_wsgi_module_exposes_the_app(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CLAIMDESK_ENV", raising=False)
    monkeypatch.setenv("CLAIMDESK_SECRET_KEY", "wsgi-test-key")
    monkeypatch.delitem(sys.modules, "wsgi", raising=False)
    wsgi = importlib.import_module("wsgi")
    assert isinstance(wsgi.app, Flask)
    assert wsgi.app.test_client().get("/health").status_code == 200
