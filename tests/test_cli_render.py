"""How `zcl` lays answers out for a person: exact grouped quantities, local dates, short hashes in
tables only, and columns that stay aligned with Chinese text (two terminal cells per character)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import pytest

from zcl.render import grouped, quantity, show, when
from zcl.tables import table, width

pytestmark = pytest.mark.unit


@pytest.fixture
def shanghai() -> Iterator[None]:
    """The machine's zone set to China Standard Time for the test."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "Asia/Shanghai"
    time.tzset()
    yield
    if before is None:
        os.environ.pop("TZ")
    else:
        os.environ["TZ"] = before
    time.tzset()


def test_quantities_keep_every_digit() -> None:
    assert grouped("1286420.4") == "1,286,420.4" and grouped("-1234567.8900") == "-1,234,567.8900"
    assert grouped("0.000001") == "0.000001" and grouped("1e5") == "1e5", "not a plain decimal: left as it is"
    assert quantity("18652.0", "Nm3") == "18,652.0 Nm3"


def test_dates_are_local_and_named(shanghai: None) -> None:
    moment = 1767225600  # 2026-01-01 00:00 UTC
    assert when(moment) == "2026-01-01 08:00:00 CST"
    assert when("2026-01-01T00:00:00") == "2026-01-01 08:00:00 CST", "a zoneless time from the service is UTC"
    assert when("2026-01-01T09:30:00+09:00") == "2026-01-01 08:30:00 CST"


def test_hashes_are_shortened_in_tables_only() -> None:
    tx = "0x" + "8f5faa4e" + "00" * 27 + "2a19"
    shown = show({"tx_hash": tx, "batches": [{"tx_hash": tx, "leaf_count": 1234567}]})
    block, rows = shown.split("batches:")
    assert tx in block and tx not in rows and "0x8f5faa4e…2a19" in rows
    assert rows.splitlines()[-1].endswith("1,234,567"), "counts right-aligned, grouped"


def test_columns_align_with_wide_characters() -> None:
    lines = table(["名称", "id"], [["苏州精密", "a"], ["x", "bb"]]).splitlines()
    assert width("苏州精密") == 8
    assert {width(line[: line.index(cell)]) for line, cell in zip(lines[2:], ["a", "bb"], strict=True)} == {10}
