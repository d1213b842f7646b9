"""Evaluation at scale keeps its answers and its guarantee: the faster path gives the figures the
previous path gave, to the last digit (the example year, and a random year of mixed sub-meters),
each of its lines exactly the sum of the per-record lines it replaces, and a record body edited in
the database is still refused, naming the record."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from typing import Any

from eth_account.signers.local import LocalAccount
from sqlalchemy import select

from benchmarks.bench_evaluate import figures, month_of_readings, previous_path, previous_shown
from benchmarks.common import STEAM_DECLARED
from ledger.accounting.evaluation import load_rules
from ledger.factors.steam import parse_steam
from ledger.numbers import shown
from ledger.records import convert_fraction
from ledger.store.models import RecordRow
from tests.builders import EXAMPLE_STEAM, batch_json, example_batch, register_factory
from tests.conftest import Service

FACTORY = "CN-JS-SZ-0001"


def _submit_year(service: Service, factory: LocalAccount, months: Callable[[int], dict[str, Any]]) -> None:
    domain = service.ledger.domain()
    for month in range(1, 13):
        response = service.http.post("/batches", json=batch_json(domain, factory, months(month)))
        assert response.status_code == 201, response.text


def _both_paths(
    service: Service, factory: LocalAccount, factory_id: str, months: Callable[[int], dict[str, Any]]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The year submitted, then its report from the current path and from the previous one; each
    current line is checked to be exactly the sum of the previous path's lines of its month, source,
    kind, unit, scope and gas (a fuel has a CO2, a CH4 and an N2O line; from the inventories, as
    Fractions, before any rounding)."""
    register_factory(service.http, factory, factory_id)
    _submit_year(service, factory, months)
    evaluations = service.services.evaluations
    args = (factory_id, 2025, evaluations.factor_set(None, None), load_rules())
    steam = STEAM_DECLARED | EXAMPLE_STEAM
    new_inv = evaluations.inventory(*args, steam=parse_steam(steam))[0]
    new = evaluations.create(factory_id, 2025, "I", steam=steam)
    with previous_path():
        old_inv = evaluations.inventory(*args, steam=parse_steam(steam))[0]
        old = evaluations.create(factory_id, 2025, "I", steam=steam)
    summed: dict[tuple[str, ...], Fraction] = {}
    for ln in old_inv.lines:
        key = (ln.period, ln.source_id, ln.category, ln.activity.split(" ", 1)[1], ln.scope, ln.gases)
        summed[key] = summed.get(key, Fraction(0)) + ln.result
    assert len(old_inv.lines) >= len(new_inv.lines)
    assert {(ln.period, ln.source_id, ln.category, ln.activity.split(" ", 1)[1], ln.scope, ln.gases): ln.result
            for ln in new_inv.lines} == summed  # fmt: skip
    assert sum(ln.records for ln in new_inv.lines) == sum(ln.records for ln in old_inv.lines)
    return new, old


def test_shown_rounds_as_the_decimal_path_did() -> None:
    rng = random.Random(3)
    values = [Fraction(0), Fraction(1, 2_000_000), Fraction(-1, 2_000_000), Fraction(3, 2_000_000), Fraction(-5, 10)]
    values += [Fraction(rng.randrange(-(10**12), 10**12), rng.randrange(1, 10**9)) for _ in range(20_000)]
    values += [Fraction(rng.randrange(-(10**9), 10**9), 10 ** rng.randrange(0, 9)) for _ in range(5_000)]
    for places in (0, 2, 6):
        assert [shown(v, places) for v in values] == [previous_shown(v, places) for v in values]


def test_the_example_year_gives_the_same_report_on_both_paths(
    service: Service, new_account: Callable[[], LocalAccount]
) -> None:
    new, old = _both_paths(service, new_account(), FACTORY, lambda m: example_batch(month=f"2025-{m:02d}"))
    assert figures(new) == figures(old) and len(new["lines"]) > 12


def test_a_random_year_of_mixed_meters_gives_the_same_report_on_both_paths(
    service: Service, new_account: Callable[[], LocalAccount]
) -> None:
    months = lambda m: month_of_readings("CN-RANDOM", m, 300, seed=11)  # noqa: E731
    report, old = _both_paths(service, new_account(), "CN-RANDOM", months)
    assert figures(report) == figures(old) and report["report_hash"] != old["report_hash"]
    assert len(old["lines"]) > 10 * len(report["lines"])  # 300 readings a month, a handful of meters
    # gas, steam and grid readings all reached the report, with figures that are not round
    assert {line["category"] for line in report["lines"]} == {"grid_electricity", "natural_gas", "purchased_steam"}
    # each month's grid MWh (now summed per unit, then converted) is the sum of its records' MWh one by one
    for month in report["monthly"]:
        kwh = [line["activity"] for line in report["lines"]
               if line["period"] == month["period"] and line["category"] == "grid_electricity" and line["scope"] == "scope2"]  # fmt: skip
        one_by_one = sum((convert_fraction(Decimal(a.split()[0]), "kWh", "MWh") for a in kwh), Fraction(0))
        assert kwh and month["grid_electricity"] == shown(one_by_one)


def test_a_record_body_edited_in_the_database_is_refused_by_the_evaluation(
    service: Service, new_account: Callable[[], LocalAccount]
) -> None:
    factory = new_account()
    register_factory(service.http, factory, FACTORY)
    _submit_year(service, factory, lambda m: example_batch(month=f"2025-{m:02d}"))
    with service.services.sessions.begin() as session:
        row = session.scalars(select(RecordRow).order_by(RecordRow.position).limit(1)).one()
        body = json.loads(row.body)
        body["value"] = str(int(Fraction(body["value"])) + 1)
        row.body = json.dumps(body, separators=(",", ":"), sort_keys=True)
        record_id = row.id
    response = service.http.post(
        "/evaluations", json={"factory_id": FACTORY, "year": 2025, "type": "I", "steam": EXAMPLE_STEAM}
    )
    assert response.status_code == 500
    assert f"record {record_id} of batch" in response.text and "no longer hashes" in response.text
