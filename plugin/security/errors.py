"""The security layer's errors: each is a 401 whose message is safe to show."""

from __future__ import annotations

from plugin.errors import PluginError


class SecurityError(PluginError):
    """A request that does not prove who sent it.

    ``reason`` is a short code for logs and tests (``expired``, ``bad_signature`` …); the
    message is what the agent reads. Neither carries data from the store.
    """

    status = 401

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason
        self.message = message
