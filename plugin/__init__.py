"""claimdesk's web app. ``create_app`` builds it; importing this package builds nothing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from plugin import audit_views, claims, config, errors, extensions, health, sidebar, webhooks
from plugin.security import web as security


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Create and configure the claimdesk web app.

    Settings: ``config.Defaults``, then the ``CLAIMDESK_*`` environment variables, or
    ``test_config`` instead of the environment when it is given.

    Raises:
        errors.ConfigError: a required setting is missing or unusable (one line).
    """
    app = Flask(__name__)
    app.config.from_object(config.Defaults)
    if test_config is None:
        app.config.from_prefixed_env(config.PREFIX)
    else:
        app.config.update(test_config)
    config.check_required(app.config)
    extensions.init_app(app)
    errors.register_error_handlers(app)
    security.init_app(app)
    if app.config["AUTO_MIGRATE"]:
        extensions.resources(app).migrate()
    app.register_blueprint(health.bp)
    app.register_blueprint(sidebar.bp)
    app.register_blueprint(claims.bp)
    app.register_blueprint(webhooks.bp)
    app.register_blueprint(audit_views.bp)
    return app
