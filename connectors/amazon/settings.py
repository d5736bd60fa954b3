"""What the SP-API client needs to know: one seller's credentials, where Amazon is, and how long
it may wait. Production hosts by default; tests and the demo point both URLs at the sandbox.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

NA_ENDPOINT = "https://sellingpartnerapi-na.amazon.com"
EU_ENDPOINT = "https://sellingpartnerapi-eu.amazon.com"
FE_ENDPOINT = "https://sellingpartnerapi-fe.amazon.com"
LWA_ENDPOINT = "https://api.amazon.com"
US_MARKETPLACE = "ATVPDKIKX0DER"


@dataclass(frozen=True)
class AmazonSettings:
    """Credentials and limits for one selling partner. Secrets never show in ``repr``.

    ``seller_key`` names the seller in rate-limit keys (``"{seller_key}:{operation}"``): Amazon
    meters per selling partner, so every process calling for one seller must use the same key.
    By default it is derived from the refresh token (never the token itself).

    ``max_attempts`` bounds the tries of one call through 429s, 5xx answers and lost
    connections; ``max_wait`` bounds the seconds one call spends waiting for tokens, Retry-After
    and backoff. Past either, the call raises ``RateLimited`` or ``UpstreamError``.
    """

    refresh_token: str = field(repr=False)
    client_id: str
    client_secret: str = field(repr=False)
    marketplace_ids: tuple[str, ...] = (US_MARKETPLACE,)
    endpoint: str = NA_ENDPOINT
    lwa_endpoint: str = LWA_ENDPOINT
    seller_key: str = ""
    timeout: tuple[float, float] = (5.0, 60.0)
    max_attempts: int = 6
    max_wait: float = 300.0
    backoff_base: float = 1.0
    backoff_cap: float = 60.0
    report_poll_initial: float = 15.0
    report_poll_max: float = 120.0
    report_timeout: float = 3600.0
    user_agent: str = "claimdesk/0.1 (Language=Python)"

    def __post_init__(self) -> None:
        if not self.refresh_token or not self.client_id or not self.client_secret:
            raise ValueError("AmazonSettings needs refresh_token, client_id and client_secret")
        if not self.marketplace_ids:
            raise ValueError("AmazonSettings needs at least one marketplace id")
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        object.__setattr__(self, "endpoint", self.endpoint.rstrip("/"))
        object.__setattr__(self, "lwa_endpoint", self.lwa_endpoint.rstrip("/"))
        if not self.seller_key:
            object.__setattr__(
                self, "seller_key", credential_key(self.client_id, self.refresh_token)
            )


def credential_key(client_id: str, refresh_token: str) -> str:
    """A stable, non-secret name for one application + seller authorization."""
    digest = hashlib.sha256(f"{client_id}\0{refresh_token}".encode()).hexdigest()
    return f"spapi-{digest[:16]}"
