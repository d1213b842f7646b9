"""Pausing Python's cyclic garbage collector while a year of records is read and counted.

An evaluation builds millions of small objects (decoded bodies, records, tuples, Fractions) and
keeps them until its report is done; none of them form reference cycles. The collector's
generational passes still walk every live container whenever enough new ones accumulate, so their
cost grows with the year: 40 % of an evaluation of 2 × 10^5 records (36.9 µs a record with the
collector, 21.0 without; ``./scripts/bench`` measures the whole). Reference counting frees what
is dropped either way; a pause only defers looking for cycles until the last pause in the process
ends. Pauses nest and may overlap across threads (the API evaluates in a thread pool): the
collector is enabled again when the last one ends, and only if it was enabled before the first.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0
_was_enabled = False


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic collection inside; usable as a decorator."""
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()
