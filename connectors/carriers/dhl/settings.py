"""DHL: Shipment Tracking - Unified (``GET /track/shipments``), with the ``DHL-API-Key`` header
(research apis.md §1a-b). One host, no test host: the key's plan decides what it may do."""

from __future__ import annotations

from dataclasses import dataclass, field

from connectors.carriers.transport import CarrierSettings

PRODUCTION_URL = "https://api-eu.dhl.com"
TRACK_PATH = "/track/shipments"


@dataclass(frozen=True, kw_only=True)
class DhlSettings(CarrierSettings):
    """An application's DHL API key (the "consumer key"; the secret is not sent for tracking).

    The default plan allows calls "per day and per second", often quoted as 250 a day and one
    every 5 seconds [U]; ``rate`` follows the per-second part. ``service`` narrows the search
    (``express``, ``parcel-de``, ``ecommerce`` …); None lets DHL look everywhere.
    """

    api_key: str = field(repr=False)
    base_url: str = PRODUCTION_URL
    language: str = "en"
    service: str | None = None
    requester_country: str | None = None
    rate: float = 0.19

    def __post_init__(self) -> None:
        if not self.api_key:
            raise ValueError("DhlSettings needs api_key")
        object.__setattr__(self, "base_url", self.base_url.rstrip("/"))
        self.check()
