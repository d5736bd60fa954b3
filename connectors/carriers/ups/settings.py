"""UPS: OAuth client credentials, then Track API v1 (research apis.md §1a-b;
UPS-API/api-documentation ``Tracking.yaml`` and ``OAuthClientCredentials.yaml``).
Production host by default."""

from __future__ import annotations

from dataclasses import dataclass, field

from connectors.carriers.transport import CarrierSettings

PRODUCTION_URL = "https://onlinetools.ups.com"
TEST_URL = "https://wwwcie.ups.com"  # UPS's "Customer Integration Environment"
TOKEN_PATH = "/security/v1/oauth/token"
TRACK_PATH = "/api/track/v1/details/{number}"


@dataclass(frozen=True, kw_only=True)
class UpsSettings(CarrierSettings):
    """An application's UPS credentials. Secrets never show in ``repr``.

    UPS publishes no per-application rate for tracking [U]: ``rate`` is a cautious 9.5 calls
    a second, one number per call. ``transaction_src`` is sent as the required
    ``transactionSrc`` header.
    """

    client_id: str
    client_secret: str = field(repr=False)
    base_url: str = PRODUCTION_URL
    merchant_id: str | None = None  # optional x-merchant-id on the token call
    locale: str = "en_US"
    transaction_src: str = "claimdesk"
    rate: float = 9.5

    def __post_init__(self) -> None:
        if not self.client_id or not self.client_secret:
            raise ValueError("UpsSettings needs client_id and client_secret")
        object.__setattr__(self, "base_url", self.base_url.rstrip("/"))
        self.check()
