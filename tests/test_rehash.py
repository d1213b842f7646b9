"""The month-at-a-time re-hash of stored bodies gives, for every body, exactly what the full path
(``json.loads``, the full checks, ``record_hash``) gives: the same leaf and record, or the same
error naming the same field — however the bodies are written, and whatever was remembered before."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from typing import Any

import pytest

from benchmarks.bench_evaluate import month_of_readings
from ledger.records import RecordError, parse_record, record_hash
from ledger.records import parsing as parsing_module
from ledger.records.rehash import rehash_bodies
from tests.test_records import BAD_RECORDS, FACTORY, PERIOD, one_evidence, wire_record


def _full(bodies: list[str], factory_id: str, period: str) -> Any:
    """The full path, one body at a time, as the check ran before: leaves and records, or the error."""
    try:
        records = [
            parsing_module._parse_checked(json.loads(b), factory_id=factory_id, period=period, path=f"records[{i}]")
            for i, b in enumerate(bodies)
        ]
    except RecordError as e:
        return ("refused", e.field, e.message)
    return [record_hash(r) for r in records], records


def _fast(bodies: list[str], factory_id: str, period: str) -> Any:
    try:
        return rehash_bodies(bodies, factory_id=factory_id, period=period)
    except RecordError as e:
        return ("refused", e.field, e.message)


def _same(bodies: list[str], factory_id: str = FACTORY, period: str = PERIOD) -> Any:
    fast = _fast(bodies, factory_id, period)
    assert fast == _full(bodies, factory_id, period)
    return fast


def test_a_month_of_readings_gives_the_same_leaves_and_records() -> None:
    month = month_of_readings("CN-REHASH", 3, 2_000, seed=5)
    rng = random.Random(5)
    wire = [{"factory_id": "CN-REHASH", "period": "2025-03"} | r if rng.random() < 0.5 else r for r in month["records"]]
    for r in wire[::97]:  # some with evidence, which the fast path leaves to the full one
        r["evidence"] = one_evidence()["evidence"]
    bodies = [
        json.dumps(r, sort_keys=rng.random() < 0.5, separators=rng.choice([(",", ":"), (", ", ": ")])) for r in wire
    ]
    leaves, records = _same(bodies, "CN-REHASH", "2025-03")
    assert len(leaves) == len(set(leaves)) == 2_000 and records[0].source_id == "submeter-000"


_JSON_SAFE = [c for c in BAD_RECORDS if c[0] not in {"value-decimal", "sha-bytes", "salt-bytes"}]


@pytest.mark.parametrize(("changes", "field", "fragment"), [c[1:] for c in _JSON_SAFE], ids=[c[0] for c in _JSON_SAFE])
def test_a_bad_body_after_good_ones_is_refused_as_the_full_path_refuses_it(
    changes: dict[str, Any], field: str, fragment: str
) -> None:
    """Every part but the broken one was remembered from the good bodies before it."""
    good = [wire_record(salt="0x" + f"{i:02x}" * 32) for i in range(1, 4)]
    refused = _same([json.dumps(r) for r in [*good, wire_record(**changes)]])
    assert refused[:2] == ("refused", f"records[3].{field}") and fragment in refused[2]


@pytest.mark.parametrize(
    "changes",
    [
        {"value": "0.000"},
        {"value": "1." + "1" * 18},
        {"value": "1." + "1" * 19},
        {"interval_start": "2025-01-31T16:00:00+08:00"},
        {"interval_end": "2025-01-01T08:00:00+08:00"},  # no later than the remembered start? still after it
        {"interval_start": "2025-01-01T00:00:00+08:00", "interval_end": "2025-01-01T00:00:00+08:00"},
        {"interval_start": "2025-01-31T16:00:00+08:00", "interval_end": "2025-01-01T08:00:00+08:00"},
        {"interval_start": "2024-12-31T16:00:00Z", "interval_end": "2025-01-01T00:15:00+08:00"},
        {"salt": "0x" + "5a" * 31 + " 5"},
        {"source_id": ["M1"]},
        {"kind": {"k": 1}},
        {"evidence": None},
        {"factory_id": FACTORY, "period": "2025-02"},
    ],
)
def test_a_body_mixing_remembered_parts_is_judged_as_the_full_path_judges_it(changes: dict[str, Any]) -> None:
    taught = [
        wire_record(interval_start="2025-01-31T16:00:00+08:00", interval_end="2025-02-01T00:00:00+08:00"),
        wire_record(interval_start="2025-01-01T00:00:00+08:00", interval_end="2025-01-01T08:00:00+08:00"),
    ]
    _same([json.dumps(r) for r in [*taught, wire_record(**changes)]])


@pytest.mark.parametrize(
    "bodies",
    [
        lambda a, b, c: [a + "," + b, c, c],  # one body holding two records
        lambda a, b, c: [a, "[" + b, c + "]"],  # two bodies joined into one array
        lambda a, b, c: [a, b, ""],
        lambda a, b, c: [a, b, "null"],
    ],
)
def test_bodies_that_are_not_one_record_each_are_refused(bodies: Callable[[str, str, str], list[str]]) -> None:
    a, b, c = (json.dumps(wire_record(salt="0x" + f"{i:02x}" * 32)) for i in range(1, 4))
    stored = bodies(a, b, c)
    with pytest.raises((RecordError, ValueError)) as fast:
        rehash_bodies(stored, factory_id=FACTORY, period=PERIOD)
    with pytest.raises((RecordError, ValueError)) as full:
        for i, body in enumerate(stored):
            parse_record(json.loads(body), factory_id=FACTORY, period=PERIOD, path=f"records[{i}]")
    assert type(fast.value) is type(full.value)


def test_nothing_is_remembered_from_one_month_for_another() -> None:
    """The same instants are good for January and refused for February, in either order."""
    january = [json.dumps(wire_record())]
    assert _same(january)[0]
    refused = _same(january, period="2025-02")
    assert refused[0] == "refused" and refused[1] == "records[0].interval_start"
    assert _same(january)[0] and _same([], FACTORY, PERIOD) == ([], [])


def test_the_fast_path_is_taken_for_a_body_of_remembered_parts() -> None:
    from ledger.records.rehash import _Month

    month = _Month(FACTORY, PERIOD)
    month.slow(wire_record(evidence=[]), "records[0]")
    assert month.fast(wire_record(value="9.5", salt="0x" + "07" * 32, evidence=[])) is not None
    assert month.fast(wire_record(source_id="M9", evidence=[])) is None  # a new meter: the full path
    assert month.fast(wire_record()) is None  # evidence cited: the full path
