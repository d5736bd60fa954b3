"""DHL's only I/O: ``GET /track/shipments`` with the ``DHL-API-Key`` header, one number a call."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import requests

from connectors.amazon.ratelimit import Limiter
from connectors.carriers import models
from connectors.carriers.dhl import parse
from connectors.carriers.dhl.settings import TRACK_PATH, DhlSettings
from connectors.carriers.models import Tracking
from connectors.carriers.tokens import TokenCache
from connectors.carriers.transport import Transport, clean_number, credential_key, json_or_none
from connectors.errors import UpstreamError


class DhlClient:
    """Tracks DHL numbers; DHL has no OAuth for tracking, so ``tokens`` is not used."""

    carrier = models.DHL
    max_batch = 1

    def __init__(
        self,
        settings: DhlSettings,
        *,
        tokens: TokenCache | None = None,
        limiter: Limiter | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        del tokens  # the API key is the credential: nothing to cache
        self.settings = settings
        self.transport = Transport(
            self.carrier,
            settings,
            limiter_key=credential_key(self.carrier, settings.base_url, settings.api_key),
            read_error=parse.read_error,
            limiter=limiter,
            session=session,
            sleep=sleep,
        )

    def track(self, numbers: Sequence[str]) -> list[Tracking]:
        return [self.track_one(number) for number in numbers]

    def track_one(self, number: str) -> Tracking:
        cleaned = clean_number(number)
        params = {"trackingNumber": cleaned, "language": self.settings.language}
        if self.settings.service:
            params["service"] = self.settings.service
        if self.settings.requester_country:
            params["requesterCountryCode"] = self.settings.requester_country
        response = self.transport.send(
            "GET",
            self.settings.base_url + TRACK_PATH,
            params=params,
            headers={"DHL-API-Key": self.settings.api_key, "Accept": "application/json"},
        )
        if response.status_code == 404:
            code, message = parse.read_error(response)
            return Tracking.not_found(self.carrier, cleaned, message)
        body = json_or_none(response)
        if response.status_code != 200 or body is None:
            code, message = parse.read_error(response)
            raise UpstreamError(f"dhl: {message}", status=response.status_code, code=code)
        return parse.parse_tracking(body, cleaned)
