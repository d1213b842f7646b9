"""A per-key rate limit (token bucket): how many relays a factory may ask of this service per hour.

The contract stops a double claim, but every claim this service relays costs it gas, and a block cut
into thousands of tiny claims costs every later claim of that block more. So a factory's relays are
limited per process (each instance keeps its own buckets); a request over the limit is told when to
come back (HTTP 429 with ``Retry-After``).
"""

from __future__ import annotations

import math
import threading
import time

from ledger.errors import RateLimited


class RateLimit:
    """``per_hour`` requests per key per hour, at most ``burst`` at once; None: no limit."""

    def __init__(self, per_hour: int | None, *, burst: int | None = None, what: str = "requests") -> None:
        self.per_hour, self.what = per_hour, what
        self.burst = burst if burst is not None else max(1, (per_hour or 1) // 6)
        self._buckets: dict[str, tuple[float, float]] = {}  # key → (tokens, when counted)
        self._lock = threading.Lock()

    def take(self, key: str) -> None:
        """Spend one token of ``key``'s bucket, or raise :class:`RateLimited` saying when one is back."""
        if self.per_hour is None:
            return
        rate = self.per_hour / 3600.0  # tokens per second
        now = time.monotonic()
        with self._lock:
            tokens, then = self._buckets.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - then) * rate)
            if tokens < 1.0:
                wait = math.ceil((1.0 - tokens) / rate)
                self._buckets[key] = (tokens, now)
                raise RateLimited(
                    f"{key} has used its {self.per_hour} {self.what} per hour; try again in {wait} s", wait
                )
            self._buckets[key] = (tokens - 1.0, now)
