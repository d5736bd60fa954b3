"""FedEx's only I/O: a client-credentials token, then Track calls of up to 30 numbers."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence

import requests

from connectors.amazon.ratelimit import Limiter
from connectors.carriers import models
from connectors.carriers.fedex import parse
from connectors.carriers.fedex.settings import TOKEN_PATH, TRACK_PATH, FedexSettings
from connectors.carriers.models import Tracking
from connectors.carriers.tokens import TokenCache, token_key
from connectors.carriers.transport import (
    Transport,
    batches,
    credential_key,
    fetch_client_credentials,
    json_or_none,
)
from connectors.errors import UpstreamError


class FedexClient:
    """Tracks FedEx numbers, ``settings.batch_size`` (at most 30) per request."""

    carrier = models.FEDEX

    def __init__(
        self,
        settings: FedexSettings,
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
            json={
                "includeDetailedScans": True,
                "trackingInfo": [{"trackingNumberInfo": {"trackingNumber": n}} for n in numbers],
            },
            headers={
                "x-locale": self.settings.locale,
                "x-customer-transaction-id": uuid.uuid4().hex,
            },
        )
        body = json_or_none(response)
        if response.status_code == 404:  # NOT.FOUND.ERROR for the whole call
            code, message = parse.read_error(response)
            return [Tracking.not_found(self.carrier, n, message) for n in numbers]
        if response.status_code != 200 or body is None:
            code, message = parse.read_error(response)
            raise UpstreamError(f"fedex: {message}", status=response.status_code, code=code)
        return parse.parse_trackings(body, numbers)
