"""Carrier tracking clients: UPS, FedEx, USPS and DHL behind one ``CarrierClient`` protocol.

One folder per carrier (karrio's shape): ``settings.py`` (credentials, hosts, limits),
``client.py`` (the only I/O), ``parse.py`` (pure: the carrier's JSON -> ``Tracking``) and
``sandbox.py`` (the carrier's API served locally for tests and the demo). ``client_for``
builds the client of a carrier from its settings.
"""

from __future__ import annotations

from typing import Any

from connectors.carriers.models import (
    CARRIERS,
    CarrierClient,
    ProofOfDelivery,
    Tracking,
    TrackingEvent,
)
from connectors.carriers.tokens import MemoryTokenCache, TokenCache

__all__ = [
    "CARRIERS",
    "CarrierClient",
    "MemoryTokenCache",
    "ProofOfDelivery",
    "TokenCache",
    "Tracking",
    "TrackingEvent",
    "client_for",
]


def client_for(carrier: str, settings: Any, **options: Any) -> CarrierClient:
    """The client of ``carrier`` (``ups``, ``fedex``, ``usps``, ``dhl``) for ``settings`` (that
    carrier's settings class). Options go to the client: ``tokens`` (a ``TokenCache``; share
    the plugin's Redis one between workers), ``limiter`` (a shared ``Limiter``), ``session``,
    ``sleep``.

    Raises:
        ValueError: an unknown carrier, or settings of another carrier.
    """
    if carrier == "ups":
        from connectors.carriers.ups.client import UpsClient
        from connectors.carriers.ups.settings import UpsSettings

        _expect(settings, UpsSettings, carrier)
        return UpsClient(settings, **options)
    if carrier == "fedex":
        from connectors.carriers.fedex.client import FedexClient
        from connectors.carriers.fedex.settings import FedexSettings

        _expect(settings, FedexSettings, carrier)
        return FedexClient(settings, **options)
    if carrier == "usps":
        from connectors.carriers.usps.client import UspsClient
        from connectors.carriers.usps.settings import UspsSettings

        _expect(settings, UspsSettings, carrier)
        return UspsClient(settings, **options)
    if carrier == "dhl":
        from connectors.carriers.dhl.client import DhlClient
        from connectors.carriers.dhl.settings import DhlSettings

        _expect(settings, DhlSettings, carrier)
        return DhlClient(settings, **options)
    raise ValueError(f"no tracking client for carrier {carrier!r} (one of {', '.join(CARRIERS)})")


def _expect(settings: Any, kind: type, carrier: str) -> None:
    if not isinstance(settings, kind):
        raise ValueError(f"{carrier} needs {kind.__name__}, not {type(settings).__name__}")
