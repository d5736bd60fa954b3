"""Fixtures shared by every test: the Flask app trio (``app``, ``client``, ``runner``)."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from plugin import create_app


@pytest.fixture
def app() -> Flask:
    """An app built from the test config only (the environment is not read)."""
    return create_app({"TESTING": True, "SECRET_KEY": "test-secret-key"})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()
