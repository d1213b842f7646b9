"""The reconciler: a daemon thread that follows the chain every few seconds — re-checking what it
confirmed (:meth:`~ledger.services.lifecycle.Lifecycle.watch`) and finishing what is pending. Its
first round runs at start, so a chain that lost anchors while the service was down is caught at once."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence

from ledger.errors import Unavailable

log = logging.getLogger(__name__)


class Reconciler:
    """Runs ``steps`` (each a reconcile returning how many it finished) every ``interval`` seconds
    until :meth:`stop`. A chain that does not answer is logged and retried next round."""

    def __init__(self, steps: Sequence[Callable[[], int]], interval: float) -> None:
        self.steps, self.interval = list(steps), interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="zcl-reconciler", daemon=True)

    def start(self) -> Reconciler:
        self._thread.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            self.round()
            if self._stop.wait(self.interval):
                return

    def round(self) -> None:
        """One pass over the steps; a chain that does not answer (or a transaction not mined in time)
        is one log line, and the rest waits for the next round."""
        for step in self.steps:
            if self._stop.is_set():
                return
            try:
                changed = step()
            except Unavailable as exc:  # ChainUnavailable, TransactionTimeout
                log.warning("reconcile: %s; trying again in %g s", exc, self.interval)
                return
            except Exception:  # keep the loop alive whatever one round hits
                log.exception("reconcile round failed")
                continue
            if changed:
                log.warning("reconcile: %s changed %d item(s)", getattr(step, "__qualname__", step), changed)
