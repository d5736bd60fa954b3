"""Where one Zendesk account's API is, and how to sign in to it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ZendeskSettings:
    """An account's API base URL (``https://{subdomain}.zendesk.com`` or a sandbox's URL) and
    its API-token credentials (``email/token:API_TOKEN``, research/zendesk.md §4)."""

    subdomain: str
    base_url: str
    email: str | None = None
    api_token: str | None = None
    timeout: float = 10.0

    def __repr__(self) -> str:  # never the token
        token = "'***'" if self.api_token else "None"
        return (
            f"ZendeskSettings(subdomain={self.subdomain!r}, base_url={self.base_url!r}, "
            f"email={self.email!r}, api_token={token})"
        )

    @classmethod
    def production_url(cls, subdomain: str) -> str:
        return f"https://{subdomain}.zendesk.com"
