"""UPS's only I/O: a client-credentials token (Basic auth), then one Track call per number."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence

import requests

from connectors.amazon.ratelimit import Limiter
from connectors.carriers import models
from connectors.carriers.models import Tracking
from connectors.carriers.tokens import TokenCache, token_key
from connectors.carriers.transport import (
    Transport,
    clean_number,
    credential_key,
    json_or_none,
    read_token,
)
from connectors.carriers.ups import parse
from connectors.carriers.ups.settings import TOKEN_PATH, TRACK_PATH, UpsSettings
from connectors.errors import UpstreamError


class UpsClient:
    """Tracks UPS numbers, one request per number (the API takes one inquiry number)."""

    carrier = models.UPS
    max_batch = 1

    def __init__(
        self,
        settings: UpsSettings,
        *,
        tokens: TokenCache | None = None,
        limiter: Limiter | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.settings = settings
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
        headers = {"x-merchant-id": self.settings.merchant_id} if self.settings.merchant_id else {}
        response = self.transport.send(
            "POST",
            self.settings.base_url + TOKEN_PATH,
            authorized=False,
            auth=(self.settings.client_id, self.settings.client_secret),
            data={"grant_type": "client_credentials"},
            headers=headers,
        )
        return read_token(response, self.carrier)

    def track(self, numbers: Sequence[str]) -> list[Tracking]:
        return [self.track_one(number) for number in numbers]

    def track_one(self, number: str) -> Tracking:
        cleaned = clean_number(number)
        response = self.transport.send(
            "GET",
            self.settings.base_url + TRACK_PATH.format(number=cleaned),
            params={
                "locale": self.settings.locale,
                "returnSignature": "false",
                "returnMilestones": "false",
                "returnPOD": "false",
            },
            headers={
                "transId": uuid.uuid4().hex,  # <= 32 characters per the spec
                "transactionSrc": self.settings.transaction_src,
                "Accept": "application/json",
            },
        )
        body = json_or_none(response)
        if response.status_code != 200 or body is None:
            code, message = parse.read_error(response)
            if response.status_code == 404 or code in parse.NOT_FOUND_CODES:
                return Tracking.not_found(self.carrier, cleaned, message)
            raise UpstreamError(f"ups: {message}", status=response.status_code, code=code)
        return parse.parse_tracking(body, cleaned)
