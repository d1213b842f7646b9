"""Builders for the golden cases: a factory registered through the API and months of whole-month
readings submitted as signed batches, as a factory's client would send them."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from eth_account.signers.local import LocalAccount

from ledger.records import new_salt
from tests.builders import batch_json, register_factory
from tests.conftest import Service

Reading = tuple[str, str, str, str]
"""source_id, kind, value, unit: one meter's whole-month reading."""


def month_batch(factory_id: str, period: str, readings: Iterable[Reading], revision: int = 1) -> dict[str, Any]:
    """A batch of ``period`` with one record per reading, each covering the whole month (UTC+8)."""
    y, m = map(int, period.split("-"))
    end = f"{y + (m == 12)}-{m % 12 + 1:02d}-01T00:00:00+08:00"
    records = [
        {"source_id": source, "kind": kind, "value": value, "unit": unit, "evidence": [],
         "interval_start": f"{period}-01T00:00:00+08:00", "interval_end": end, "salt": "0x" + new_salt().hex()}
        for source, kind, value, unit in readings
    ]  # fmt: skip
    return {"factory_id": factory_id, "period": period, "revision": revision, "uri": "", "records": records}


def submit(service: Service, key: LocalAccount, batch: dict[str, Any]) -> None:
    response = service.http.post("/batches", json=batch_json(service.ledger, key, batch))
    assert response.status_code == 201, response.text


def factory_with_months(
    service: Service, new_account: Callable[[], LocalAccount], factory_id: str, readings: Sequence[Reading],
    months: Iterable[int] = range(1, 13), year: int = 2025,
) -> LocalAccount:  # fmt: skip
    """A factory registered through the API with ``readings`` submitted for each of ``months``."""
    key = new_account()
    register_factory(service.http, key, factory_id, name=f"Golden {factory_id}")
    for month in months:
        submit(service, key, month_batch(factory_id, f"{year}-{month:02d}", readings))
    return key
