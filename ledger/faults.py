"""Fault injection for the crash-safety tests: die like a power cut at a named point.

``ZCL_CRASH_AT=<point>`` makes the process SIGKILL itself when it reaches ``<point>`` (no
cleanup, no flushing, no atexit). Unset, every point is one comparison against ``None``.

Points: ``batch.stored`` / ``claim.stored`` (the pending row is committed, nothing sent),
``batch.sent`` / ``claim.sent`` (the transaction was handed to the node, its receipt not yet
read) and ``batch.mined`` / ``claim.mined`` (the receipt is in, the row not yet marked). The
``*.sent`` points fire inside the chain client, which knows only that *a* transaction was sent:
the caller names what it is sending with :func:`scope` (``tx.sent`` outside any scope).
"""

from __future__ import annotations

import contextvars
import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager

_TARGET = os.environ.get("ZCL_CRASH_AT") or None
_SCOPE: contextvars.ContextVar[str] = contextvars.ContextVar("zcl_fault_scope", default="tx")


def crash_point(name: str) -> None:
    """Kill this process at once (SIGKILL) when ``ZCL_CRASH_AT`` names this point."""
    if _TARGET is not None and name == _TARGET:
        os.kill(os.getpid(), signal.SIGKILL)


def sent() -> None:
    """The point right after a transaction was sent: ``<scope>.sent``."""
    if _TARGET is not None:
        crash_point(f"{_SCOPE.get()}.sent")


@contextmanager
def scope(name: str) -> Iterator[None]:
    """Name the transactions sent inside this block (``batch``, ``claim``) for :func:`sent`."""
    token = _SCOPE.set(name)
    try:
        yield
    finally:
        _SCOPE.reset(token)
