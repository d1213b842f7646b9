"""The reconciler: a daemon thread that finishes pending items from the chain every few seconds."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence

from ledger.chain.errors import ChainUnavailable

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
        while not self._stop.wait(self.interval):
            for step in self.steps:
                if self._stop.is_set():
                    return
                try:
                    finished = step()
                except ChainUnavailable as exc:
                    log.info("reconcile: the chain does not answer yet (%s)", exc)
                    break
                except Exception:  # keep the loop alive whatever one round hits
                    log.exception("reconcile round failed")
                    continue
                if finished:
                    log.warning("reconcile: finished %d pending item(s)", finished)
