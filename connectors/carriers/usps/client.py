"""USPS's only I/O: an OAuth v3 token, then Tracking 3.2 POSTs of several numbers."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import requests

from connectors.amazon.ratelimit import Limiter
from connectors.carriers import models
from connectors.carriers.models import Tracking
from connectors.carriers.tokens import TokenCache, token_key
from connectors.carriers.transport import (
    Transport,
    batches,
    credential_key,
    fetch_client_credentials,
    json_or_none,
)
from connectors.carriers.usps import parse
from connectors.carriers.usps.settings import TOKEN_PATH, TRACK_PATH, UspsSettings
from connectors.errors import UpstreamError


class UspsClient:
    """Tracks USPS numbers, ``settings.batch_size`` per request."""

    carrier = models.USPS

    def __init__(
        self,
        settings: UspsSettings,
        *,
        tokens: TokenCache | None = None,
        limiter: Limiter | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.settings = settings
        self.max_batch = settings.batch_size
        self.transport = Transport(
            self.carrier,
            settings,
            limiter_key=credential_key(self.carrier, settings.base_url, settings.client_id),
            read_error=parse.read_error,
            fetch_token=self._fetch_token,
            token_key=token_key(self.carrier, settings.base_url, settings.client_id),
            tokens=tokens,
            limiter=limiter,
            session=session,
            sleep=sleep,
        )

    def _fetch_token(self) -> tuple[str, float]:
        return fetch_client_credentials(
            self.transport,
            self.settings.base_url + TOKEN_PATH,
            client_id=self.settings.client_id,
            client_secret=self.settings.client_secret,
            scope=self.settings.scope,
        )

    def track(self, numbers: Sequence[str]) -> list[Tracking]:
        found: list[Tracking] = []
        for batch in batches(numbers, self.max_batch):
            found.extend(self._track_batch(batch))
        return found

    def _track_batch(self, numbers: Sequence[str]) -> list[Tracking]:
        response = self.transport.send(
            "POST",
            self.settings.base_url + TRACK_PATH,
            json=[{"trackingNumber": n} for n in numbers],
            headers={"Accept": "application/json"},
        )
        body = json_or_none(response)
        if response.status_code == 404 and len(numbers) == 1:
            code, message = parse.read_error(response)
            return [Tracking.not_found(self.carrier, numbers[0], message)]
        if response.status_code not in (200, 207) or body is None:
            code, message = parse.read_error(response)
            raise UpstreamError(f"usps: {message}", status=response.status_code, code=code)
        return parse.parse_trackings(body, numbers)
