"""The one way connectors make HTTP sessions: a default timeout on every call, and retries
only where they are always safe.

urllib3 retries a request only when it never reached the server (the connection could not be
opened). Anything the server answered, 429 and 5xx included, comes back to the connector's
client, which knows the API's rules for waiting and gives up within its own bounds.
"""

from __future__ import annotations

from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

# (connect, read) seconds. A report document can be tens of megabytes: reads get a minute.
DEFAULT_TIMEOUT: tuple[float, float] = (5.0, 60.0)


class TimeoutSession(requests.Session):
    """A ``requests.Session`` whose calls get ``timeout`` unless they pass their own."""

    def __init__(self, timeout: float | tuple[float, float] = DEFAULT_TIMEOUT):
        super().__init__()
        self.timeout = timeout

    def request(
        self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any
    ) -> requests.Response:
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        return super().request(method, url, *args, **kwargs)


def build_session(
    user_agent: str,
    *,
    timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
    connect_retries: int = 2,
    pool_size: int = 10,
) -> TimeoutSession:
    """A session that sends ``user_agent``, times out, and retries failed connects only."""
    session = TimeoutSession(timeout)
    session.headers["User-Agent"] = user_agent
    retry = Retry(
        total=None,
        connect=connect_retries,
        read=0,
        status=0,
        other=0,
        redirect=3,
        backoff_factor=0.2,
        raise_on_status=False,
    )
    adapter = HTTPAdapter(max_retries=retry, pool_connections=pool_size, pool_maxsize=pool_size)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
