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
