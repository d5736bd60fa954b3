"""FedEx: OAuth (the Track API project's keys), then Track API v1, 30 numbers per call
(research apis.md §1a-b; FedEx ``TrackingNumbers-Resource.json``). Production host by default."""

from __future__ import annotations

from dataclasses import dataclass, field

from connectors.carriers.transport import CarrierSettings

PRODUCTION_URL = "https://apis.fedex.com"
TEST_URL = "https://apis-sandbox.fedex.com"
TOKEN_PATH = "/oauth/token"
TRACK_PATH = "/track/v1/trackingnumbers"
MAX_NUMBERS = 30  # trackingInfo maxItems in the spec


@dataclass(frozen=True, kw_only=True)
class FedexSettings(CarrierSettings):
    """The Track API project's key and secret (FedEx issues tracking its own project keys,
    separate from shipping's). Secrets never show in ``repr``.

    FedEx throttles a project at 1,400 transactions per 10 seconds [U]; ``rate`` stays under.
    """

    client_id: str  # the Track API key
    client_secret: str = field(repr=False)
    base_url: str = PRODUCTION_URL
    locale: str = "en_US"
    rate: float = 130.0
    batch_size: int = MAX_NUMBERS

    def __post_init__(self) -> None:
        if not self.client_id or not self.client_secret:
            raise ValueError("FedexSettings needs client_id and client_secret")
        if not 1 <= self.batch_size <= MAX_NUMBERS:
            raise ValueError(f"batch_size must be 1 to {MAX_NUMBERS}")
        object.__setattr__(self, "base_url", self.base_url.rstrip("/"))
        self.check()
