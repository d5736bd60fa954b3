"""Settings of the web app: defaults, and the check that runs when the app starts.

Values come from ``Defaults``, then from ``CLAIMDESK_*`` environment variables (Flask's
``from_prefixed_env``: ``CLAIMDESK_SECRET_KEY`` sets ``SECRET_KEY``; values are read as JSON
when they parse as JSON, else as text), or from the test config instead of the environment.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import MutableMapping
from functools import cache
from importlib import metadata
from typing import Any

from plugin.errors import ConfigError

logger = logging.getLogger(__name__)

PREFIX = "CLAIMDESK"
ENVIRONMENTS = ("development", "production")
# Settings that production cannot start without (development fills in what it can).
REQUIRED_IN_PRODUCTION = ("SECRET_KEY", "CREDENTIALS_KEY")
# Settings that must be text: from_prefixed_env turns CLAIMDESK_SECRET_KEY=1234 into an int.
TEXT_SETTINGS = (
    "ENV",
    "SECRET_KEY",
    "POLICY_FILE",
    "DATABASE_URL",
    "REDIS_URL",
    "FRAME_ANCESTORS",
    "ZAF_SDK_URL",
)
# Zendesk's CDN copy of the ZAF SDK (research/zendesk.md §3), used in production.
ZAF_SDK_CDN = "https://static.zdassets.com/zendesk_app_framework_sdk/2.0/zaf_sdk.min.js"


class Defaults:
    """Values used unless a ``CLAIMDESK_*`` variable or the test config sets them."""

    ENV = "development"
    SECRET_KEY: str | None = None  # required in production; development generates one
    POLICY_FILE: str | None = None  # JSON claim-window overrides (domain.policy.parse_overrides)
    # The store and its defaults: plugin/extensions.py.
    DATABASE_URL: str | None = None  # default: SQLite in ~/.local/share/claimdesk/
    REDIS_URL: str | None = None  # default: an embedded Redis beside the SQLite file
    CREDENTIALS_KEY: str | None = None  # Fernet key(s); required in production
    # The web app.
    APP_TOKEN_TTL = 3600  # seconds a page's app token lives after a verified Zendesk launch
    SIDEBAR_CACHE_SECONDS = 60  # how long a sidebar answer may be served again (0: never)
    FRAME_ANCESTORS: str | None = None  # origins allowed to frame us besides *.zendesk.com
    # Where pages load the ZAF SDK from: Zendesk's CDN in production; "bundled" serves the
    # npm package zendesk_app_framework_sdk from node_modules/ (development, demo, tests).
    ZAF_SDK_URL: str | None = None
    # Bring the database to the newest schema when the app starts (development default).
    AUTO_MIGRATE: bool | None = None


def check_required(settings: MutableMapping[str, Any]) -> None:
    """Fail with one clear line when a setting is missing or unusable.

    In development a missing ``SECRET_KEY`` is replaced by a random one, with a warning.

    Raises:
        ConfigError: the message names the ``CLAIMDESK_*`` variable to set.
    """
    for key in TEXT_SETTINGS:
        value = settings.get(key)
        if value is not None and not isinstance(value, str | bytes):
            # The value is not shown: it may be a secret.
            raise ConfigError(
                f"{PREFIX}_{key} was read as JSON {type(value).__name__}; it must be text "
                f"(quote it as a JSON string: {PREFIX}_{key}='\"...\"')"
            )
    env = settings.get("ENV")
    if env not in ENVIRONMENTS:
        raise ConfigError(f"{PREFIX}_ENV must be one of {', '.join(ENVIRONMENTS)}, not {env!r}")
    if env == "production":
        missing = [f"{PREFIX}_{key}" for key in REQUIRED_IN_PRODUCTION if not settings.get(key)]
        if missing:
            raise ConfigError(f"{', '.join(missing)} must be set when {PREFIX}_ENV=production")
    if settings.get("ZAF_SDK_URL") is None:
        settings["ZAF_SDK_URL"] = ZAF_SDK_CDN if env == "production" else "bundled"
    if settings.get("AUTO_MIGRATE") is None:
        settings["AUTO_MIGRATE"] = env == "development" and not settings.get("TESTING")
    if not settings.get("SECRET_KEY"):
        settings["SECRET_KEY"] = secrets.token_hex(32)
        logger.warning(
            "%s_SECRET_KEY is not set: using a random development key "
            "(signed sessions and tokens end when the app restarts)",
            PREFIX,
        )


@cache
def package_version() -> str:
    """Return the installed claimdesk version, or ``"unknown"`` when it is not installed."""
    try:
        return metadata.version("claimdesk")
    except metadata.PackageNotFoundError:
        return "unknown"
