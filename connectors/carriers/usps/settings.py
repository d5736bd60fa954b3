"""USPS: OAuth v3, then Tracking 3.2 (``/tracking/v3r2/tracking``, several numbers per POST).

Research apis.md §1b: the v3r2 path and its array body are [U] (third-party clients and USPS
staff's wording; no public spec file was read), as are the default quota (about 60 calls an
hour) and the batch size: all are settings. Production host by default.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from connectors.carriers.transport import CarrierSettings

PRODUCTION_URL = "https://apis.usps.com"
TEST_URL = "https://apis-tem.usps.com"
TOKEN_PATH = "/oauth2/v3/token"
TRACK_PATH = "/tracking/v3r2/tracking"
SCOPE = "tracking"


@dataclass(frozen=True, kw_only=True)
class UspsSettings(CarrierSettings):
    """An application's USPS credentials. Secrets never show in ``repr``."""

    client_id: str
    client_secret: str = field(repr=False)
    base_url: str = PRODUCTION_URL
    scope: str = SCOPE
    batch_size: int = 35  # [U]
    rate: float = 60 / 3600 * 0.95  # 60 calls an hour [U], a little under
    max_wait: float = 120.0

    def __post_init__(self) -> None:
        if not self.client_id or not self.client_secret:
            raise ValueError("UspsSettings needs client_id and client_secret")
        if self.batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        object.__setattr__(self, "base_url", self.base_url.rstrip("/"))
        self.check()
