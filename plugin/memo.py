"""A small, bounded, thread-safe cache of values with an expiry, local to one process.

Used where a value is already shared or verified elsewhere and only the cost of asking again
is saved: verified app tokens, and the sidebar's recent answers (their shared copy lives in
Redis). Entries never outlive the expiry they were stored with; the oldest go first when full.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class ExpiringMemo(Generic[K, V]):
    """At most ``size`` entries; ``get`` answers None for an absent or expired one."""

    def __init__(self, size: int, clock: Callable[[], float] = time.monotonic):
        self.size = size
        self.clock = clock
        self._entries: OrderedDict[K, tuple[float, V]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            expires, value = found
            if self.clock() >= expires:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return value

    def put(self, key: K, value: V, seconds: float) -> None:
        if seconds <= 0 or self.size <= 0:
            return
        with self._lock:
            self._entries[key] = (self.clock() + seconds, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
