"""One error tree for every connector: callers catch these, never transport errors."""

from __future__ import annotations


class ConnectorError(Exception):
    """Base of every error a connector raises."""


class ReportError(ConnectorError):
    """A file or document that cannot be used; says which and why.

    ``line`` is the 1-based physical line (text files) and ``path`` the JSON path
    (JSON files) where reading stopped, when known.
    """

    def __init__(self, file: str, reason: str, line: int | None = None, path: str | None = None):
        self.file = file
        self.reason = reason
        self.line = line
        self.path = path
        super().__init__(self.describe())

    def describe(self) -> str:
        """The reason with its place, e.g. ``line 12: Quantity 'x' is not a whole number``."""
        if self.line is not None:
            return f"line {self.line}: {self.reason}"
        if self.path is not None:
            return f"{self.path}: {self.reason}"
        return self.reason


class AuthError(ConnectorError):
    """The credentials were refused (LWA ``invalid_grant``/``invalid_client``, HTTP 401/403).

    Retrying will not help: the installation needs reconnecting.
    """

    def __init__(self, message: str, *, status: int | None = None, code: str = ""):
        self.status = status
        self.code = code
        super().__init__(message)


class NotFound(ConnectorError):
    """The thing asked for does not exist (HTTP 404)."""

    def __init__(self, message: str, *, code: str = ""):
        self.code = code
        super().__init__(message)


class RateLimited(ConnectorError):
    """Throttled, and waiting longer was not allowed: try again after ``retry_after`` seconds."""

    def __init__(self, message: str, *, retry_after: float | None = None):
        self.retry_after = retry_after
        super().__init__(message)


class UpstreamError(ConnectorError):
    """The service answered with an error that is not about credentials, absence or quota.

    ``status`` is the HTTP status (0 when no answer came: connection refused, timeout), ``code``
    the service's own error code (SP-API ``errors[0].code``) when it gave one.
    """

    def __init__(self, message: str, *, status: int, code: str = ""):
        self.status = status
        self.code = code
        super().__init__(message)
