"""The cyclic collector is paused while an evaluation runs, and only then: pauses nest and overlap
across threads, and the collector's state before the first pause is what remains after the last."""

from __future__ import annotations

import gc
import threading
import traceback
from collections.abc import Callable, Iterator

import pytest
from eth_account.signers.local import LocalAccount

from ledger.gc_pause import collector_paused
from tests.builders import EXAMPLE_STEAM, batch_json, example_batch, register_factory
from tests.conftest import Service


@pytest.fixture
def collector_enabled() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_pauses_nest_and_restore_the_state_before_the_first(collector_enabled: None) -> None:
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    with collector_paused():
        pass
    assert not gc.isenabled()  # disabled by someone else before: left disabled


def test_overlapping_pauses_in_threads_end_with_the_last(collector_enabled: None) -> None:
    first_in, second_in, first_may_leave = threading.Event(), threading.Event(), threading.Event()
    seen: list[bool] = []

    def first() -> None:
        with collector_paused():
            first_in.set()
            first_may_leave.wait(5)
        seen.append(gc.isenabled())  # the second thread still pauses

    def second() -> None:
        first_in.wait(5)
        with collector_paused():
            second_in.set()
            first_may_leave.set()
            while not seen:
                threading.Event().wait(0.01)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert seen == [False] and gc.isenabled()


def test_the_collector_does_not_run_during_an_evaluation(
    service: Service, new_account: Callable[[], LocalAccount], collector_enabled: None
) -> None:
    factory = new_account()
    register_factory(service.http, factory, "CN-GC-0001")
    domain = service.ledger.domain()
    for month in (1, 2):
        batch = example_batch("CN-GC-0001", month=f"2025-{month:02d}")
        response = service.http.post("/batches", json=batch_json(domain, factory, batch))
        assert response.status_code == 201, response.text
    seen: list[set[str]] = []  # for each collection, the ledger functions that were running

    def record(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            seen.append({f.name for f in traceback.extract_stack() if "/ledger/" in f.filename})

    threshold = gc.get_threshold()
    gc.callbacks.append(record)
    try:
        gc.set_threshold(1)  # a collection at nearly every allocation, were the collector running
        report = service.services.evaluations.create("CN-GC-0001", 2025, "I", steam=EXAMPLE_STEAM)
        service.services.evaluations.factor_set(None, None)  # outside a pause, it runs as usual
    finally:
        gc.callbacks.remove(record)
        gc.set_threshold(*threshold)
    assert report["periods"]["used"]
    assert not [names for names in seen if "gather_year" in names or "compute_inventory" in names]
    assert [names for names in seen if "factor_set" in names]  # the hook saw collections where they ran
