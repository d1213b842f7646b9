"""Measurement records and batches: every validation rule names its field, units convert exactly,
period rules mirror the contracts, and the record hash is EIP-712's hashStruct (checked against
eth-account) and moves with every field.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import pickle
import random
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from eth_abi import encode
from eth_account.messages import encode_typed_data
from eth_utils import keccak

from ledger.records import (
    EVIDENCE_TYPEHASH,
    QUANTITY_KINDS,
    RECORD_TYPEHASH,
    RECORD_TYPES,
    UNITS,
    Batch,
    BatchError,
    EvidenceRef,
    MeasurementRecord,
    QuantityKind,
    RecordError,
    check_factory_id,
    check_period,
    convert,
    convert_fraction,
    new_salt,
    parse_batch,
    parse_record,
    period_bounds,
    record_hash,
    record_message,
    register_kind,
)

CST = timezone(timedelta(hours=8))
UTC = UTC
FACTORY = "cn.js.suzhou:F-001"
PERIOD = "2025-01"
SALT = "0x" + "5a" * 32
SHA = "ab" * 32
DELETE = object()  # marks a key to remove in a mutated wire dict


def wire_record(**changes: Any) -> dict[str, Any]:
    """A valid wire-form record for FACTORY/PERIOD, with ``changes`` applied (DELETE removes)."""
    data: dict[str, Any] = {
        "source_id": "电表-01",
        "kind": "grid_electricity",
        "value": "1234.5",
        "unit": "kWh",
        "interval_start": "2025-01-01T00:00:00+08:00",
        "interval_end": "2025-02-01T00:00:00+08:00",
        "evidence": [{"sha256": SHA, "file_name": "2025-01 电费发票.pdf", "media_type": "application/pdf"}],
        "salt": SALT,
    }
    for key, value in changes.items():
        if value is DELETE:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def wire_evidence(**changes: Any) -> dict[str, Any]:
    item: dict[str, Any] = {"sha256": SHA, "file_name": "meter.jpg", "media_type": "image/jpeg"}
    for key, value in changes.items():
        if value is DELETE:
            item.pop(key, None)
        else:
            item[key] = value
    return item


def one_evidence(**changes: Any) -> dict[str, Any]:
    """Record changes that replace the evidence list with one (changed) item."""
    return {"evidence": [wire_evidence(**changes)]}


def parse(data: Any, path: str = "records[3]") -> MeasurementRecord:
    return parse_record(data, factory_id=FACTORY, period=PERIOD, path=path)


def make_record(**changes: Any) -> MeasurementRecord:
    return dataclasses.replace(parse(wire_record(), path="record"), **changes)


def evidence(n: int, name: str = "doc") -> tuple[EvidenceRef, ...]:
    return tuple(
        EvidenceRef(sha256=keccak(text=f"{name}{i}"), file_name=f"{name}-{i}.pdf", media_type="application/pdf")
        for i in range(n)
    )


# --- errors -----------------------------------------------------------------------------------


def test_record_error_shape() -> None:
    e = RecordError("records[3].value", "must be a decimal string")
    assert isinstance(e, ValueError)
    assert (e.field, e.message) == ("records[3].value", "must be a decimal string")
    assert str(e) == "records[3].value: must be a decimal string"
    assert issubclass(BatchError, RecordError)
    again = pickle.loads(pickle.dumps(BatchError("records[5]", "duplicates records[2]")))
    assert type(again) is BatchError and str(again) == "records[5]: duplicates records[2]"
    moved = RecordError("record.evidence[0].sha256", "x").rebased("record", "records[7]")
    assert str(moved) == "records[7].evidence[0].sha256: x"
    assert RecordError("recordings.x", "m").rebased("record", "r").field == "recordings.x"


# --- units ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "source", "target", "expected"),
    [
        ("1", "MWh", "kWh", "1000"),
        ("1", "GWh", "MWh", "1000"),
        ("1", "kWh", "GJ", "0.0036"),
        ("1", "kWh", "MJ", "3.6"),
        ("1000", "kWh", "GJ", "3.6"),
        ("1", "MWh", "GJ", "3.6"),
        ("1", "TJ", "GJ", "1000"),
        ("1", "GJ", "MJ", "1000"),
        ("36", "GJ", "MWh", "10"),
        ("2.5", "10^4 Nm3", "Nm3", "25000"),
        ("25000", "Nm3", "10^4 Nm3", "2.5"),
        ("1", "t", "kg", "1000"),
        ("1", "kg", "t", "0.001"),
        ("1", "m3", "L", "1000"),
        ("1", "L", "m3", "0.001"),
        ("7", "pcs", "pcs", "7"),
        # far beyond the default 28-digit context: still exact
        (
            "123456789012345678901234567890.123456789012345678",
            "MWh",
            "kWh",
            "123456789012345678901234567890123.456789012345678",
        ),
        ("0.000000000000000001", "GWh", "kWh", "0.000000000001"),
    ],
)
def test_convert_is_exact(value: str, source: str, target: str, expected: str) -> None:
    result = convert(Decimal(value), source, target)
    assert isinstance(result, Decimal)
    assert result == Decimal(expected)
    assert Fraction(result) == convert_fraction(Decimal(value), source, target)


def test_convert_never_rounds() -> None:
    with pytest.raises(ValueError, match="no exact decimal value"):
        convert(Decimal(1), "GJ", "kWh")  # 277.777...
    assert convert_fraction(Decimal(1), "GJ", "kWh") == Fraction(2500, 9)
    assert convert(Decimal("0.0036"), "GJ", "kWh") == 1


@pytest.mark.parametrize(
    ("source", "target"),
    [
        ("m3", "Nm3"),
        ("Nm3", "m3"),
        ("10^4 Nm3", "m3"),
        ("L", "Nm3"),
        ("kWh", "kg"),
        ("t", "GJ"),
        ("pcs", "kg"),
        ("m2", "m3"),
    ],
)
def test_convert_refuses_other_dimensions(source: str, target: str) -> None:
    with pytest.raises(ValueError) as info:
        convert(Decimal(1), source, target)
    assert source in str(info.value) and target in str(info.value)
    with pytest.raises(ValueError):
        convert_fraction(Decimal(1), source, target)


@pytest.mark.parametrize("symbol", ["kwh", "KWH", "kW·h", "Nm³", "万Nm3", "10^4Nm3", "tonne", "", " kWh"])
def test_convert_refuses_non_canonical_symbols(symbol: str) -> None:
    with pytest.raises(ValueError, match="unknown unit"):
        convert(Decimal(1), symbol, "kWh")
    with pytest.raises(ValueError, match="unknown unit"):
        convert(Decimal(1), "kWh", symbol)


@pytest.mark.parametrize("value", [Decimal("NaN"), Decimal("Infinity"), 1.5, 1, "1"])
def test_convert_takes_finite_decimals_only(value: Any) -> None:
    with pytest.raises(ValueError, match="finite Decimal"):
        convert(value, "kWh", "MWh")


def test_unit_table() -> None:
    assert set(UNITS) == {
        "kWh", "MWh", "GWh", "GJ", "MJ", "TJ", "m3", "L", "Nm3", "10^4 Nm3", "kg", "t", "pcs", "m2", "tkm", "kgCO2e", "tCO2e",
    }  # fmt: skip
    assert convert(Decimal("2.5"), "tCO2e", "kgCO2e") == Decimal("2500")
    assert UNITS["m3"].dimension != UNITS["Nm3"].dimension
    assert all(isinstance(u.factor, Decimal) and u.factor > 0 and u.symbol == s for s, u in UNITS.items())
    with pytest.raises(TypeError):
        UNITS["x"] = UNITS["kg"]  # type: ignore[index]


# --- kinds ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "dimensions"),
    [
        ("grid_electricity", {"energy"}),
        ("onsite_renewable_self_consumed", {"energy"}),
        ("green_power_contract", {"energy"}),
        ("natural_gas", {"volume_normal", "volume_actual", "energy"}),
        ("coal", {"mass", "energy"}),
        ("diesel", {"mass", "volume_actual"}),
        ("gasoline", {"mass", "volume_actual"}),
        ("purchased_steam", {"energy", "mass"}),
        ("purchased_heat", {"energy"}),
        ("production_output", {"mass", "count", "volume_actual", "area", "energy"}),
    ],
)
def test_builtin_kinds(name: str, dimensions: set[str]) -> None:
    kind = QUANTITY_KINDS[name]
    assert kind.dimensions == frozenset(dimensions)
    assert kind.consumption is (name != "production_output")
    assert kind.description


@pytest.fixture
def restore_kinds() -> Iterator[None]:
    """Kinds a test registers are gone after it: the registry is process-wide."""
    from ledger.records import kinds

    saved = dict(kinds._KINDS)
    yield
    kinds._KINDS.clear()
    kinds._KINDS.update(saved)


def test_kinds_are_extensible(restore_kinds: None) -> None:
    def air() -> QuantityKind:
        return QuantityKind("test_compressed_air", "Compressed air.", frozenset({"volume_normal"}), True)

    kind = air()
    assert register_kind(kind) is kind
    register_kind(air())  # the same definition again is fine
    record = parse(wire_record(kind="test_compressed_air", unit="10^4 Nm3", value="3.25"))
    assert record.kind == "test_compressed_air" and record.quantity == Decimal("3.25")
    with pytest.raises(RecordError) as info:
        parse(wire_record(kind="test_compressed_air", unit="m3"))
    assert info.value.field == "records[3].unit" and "Nm3, 10^4 Nm3" in info.value.message
    with pytest.raises(ValueError, match="different definition"):
        register_kind(QuantityKind("test_compressed_air", "other", frozenset({"volume_actual"}), True))
    with pytest.raises(TypeError):
        QUANTITY_KINDS["x"] = kind  # type: ignore[index]


@pytest.mark.parametrize(
    "args",
    [
        ("Bad-Name", "d", frozenset({"energy"}), True),
        ("", "d", frozenset({"energy"}), True),
        ("ok_name", "d", frozenset(), True),
        ("ok_name", "d", frozenset({"joules"}), True),
        ("ok_name", "d", {"energy"}, True),
    ],
)
def test_bad_kind_definitions(args: tuple[Any, ...]) -> None:
    with pytest.raises(ValueError):
        QuantityKind(*args)


# --- factory ids and periods, as the contracts decide -----------------------------------------


def contract_period_is_valid(text: str) -> bool:
    """A line-by-line port of ``Periods.isValid`` (on the UTF-8 bytes, as the contract sees them)."""
    b = text.encode("utf-8")
    if len(b) != 7 or b[4] != ord("-"):
        return False
    for i in range(7):
        if i != 4 and not ord("0") <= b[i] <= ord("9"):
            return False
    month = (b[5] - 48) * 10 + (b[6] - 48)
    return 1 <= month <= 12


def contract_factory_id_is_valid(text: str) -> bool:
    """A port of ``FactoryRegistry._checkFactoryId``."""
    b = text.encode("utf-8")
    if len(b) == 0 or len(b) > 64:
        return False
    return all(chr(c).isascii() and (chr(c).isalnum() or chr(c) in "._:-") for c in b)


def _accepts(check: Callable[[str], str], text: str) -> bool:
    try:
        assert check(text) == text
        return True
    except RecordError:
        return False


@pytest.mark.parametrize(
    "text",
    [
        *("2025-01", "2025-12", "0000-01", "9999-12", "2025-00", "2025-13", "2025-1", "2025-001", "2025/01"),
        *("25-01-01", "２０２５-01", "2025-０1", "٢٠٢٥-01", "2025-01 ", " 2025-01", "2025-01\n", ""),
        *("2025—01", "20a5-01", "2025-19"),
    ],
)
def test_check_period_mirrors_contract(text: str) -> None:
    assert _accepts(check_period, text) is contract_period_is_valid(text)


@pytest.mark.parametrize(
    "text",
    [
        *("F1", "cn.js.suzhou:F-001", "a" * 64, "a" * 65, "", "F 1", "F/1", "工厂1", "F1\n", "Ｆ1", "F@1"),
        *("f_1.2:3-4", "é"),
    ],
)
def test_check_factory_id_mirrors_contract(text: str) -> None:
    assert _accepts(check_factory_id, text) is contract_factory_id_is_valid(text)


def test_period_and_factory_id_rules_agree_with_contract_ports_on_random_strings() -> None:
    rng = random.Random(7)
    alphabet = "0123456789-._:/ aZ\n١２é电"
    for _ in range(5000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.choice([0, 1, 6, 7, 7, 7, 8, 64, 65])))
        assert _accepts(check_period, text) is contract_period_is_valid(text), text
        assert _accepts(check_factory_id, text) is contract_factory_id_is_valid(text), text
    for year in ("2025", "0001", "1999"):
        for month in range(0, 100):
            text = f"{year}-{month:02d}"
            assert _accepts(check_period, text) is contract_period_is_valid(text) is (1 <= month <= 12)


@pytest.mark.parametrize("value", [None, 202501, b"2025-01"])
def test_check_period_and_factory_id_need_strings(value: Any) -> None:
    with pytest.raises(RecordError) as info:
        check_period(value)
    assert info.value.field == "period"
    with pytest.raises(RecordError) as info:
        check_factory_id(value, "records[1].factory_id")
    assert info.value.field == "records[1].factory_id"


def test_period_bounds() -> None:
    assert period_bounds("2025-01", CST) == (datetime(2025, 1, 1, tzinfo=CST), datetime(2025, 2, 1, tzinfo=CST))
    start, end = period_bounds("2024-12", UTC)  # December rolls over into January of the next year
    assert (start, end) == (datetime(2024, 12, 1, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC))
    assert end.isoformat() == "2025-01-01T00:00:00+00:00"
    # the same period is a different span of instants in +08:00 and +00:00
    cst_start, cst_end = period_bounds("2025-01", CST)
    utc_start, utc_end = period_bounds("2025-01", UTC)
    assert utc_start - cst_start == timedelta(hours=8) and utc_end - cst_end == timedelta(hours=8)
    assert cst_end.isoformat() == "2025-02-01T00:00:00+08:00"
    assert period_bounds("2024-02", UTC)[1] - period_bounds("2024-02", UTC)[0] == timedelta(days=29)
    for edge in ("0000-01", "9999-12"):  # valid on chain, beyond Python's datetimes
        with pytest.raises(RecordError, match="period"):
            period_bounds(edge, UTC)
    with pytest.raises(RecordError):
        period_bounds("2025-13", UTC)


# --- records: the valid form ------------------------------------------------------------------


def test_parse_valid_record() -> None:
    record = parse(wire_record())
    assert record.factory_id == FACTORY and record.period == PERIOD
    assert record.value == "1234.5" and record.quantity == Decimal("1234.5")
    assert record.interval_start == datetime(2025, 1, 1, tzinfo=CST)
    assert record.evidence[0].sha256 == bytes.fromhex(SHA)
    assert record.salt == bytes.fromhex(SALT[2:])
    # trailing zeros are kept: they say how precise the meter is
    assert parse(wire_record(value="1234.50")).value == "1234.50"
    assert parse(wire_record(value="1234.50")).quantity.as_tuple().exponent == -2
    # context keys are allowed when they match the batch
    assert parse(wire_record(factory_id=FACTORY, period=PERIOD)) == record


@pytest.mark.parametrize(
    "value",
    ["0", "0.0", "0.000", "1", "10", "1234.5", "1234.50", "0.000000000000000001", "9" * 45 + "." + "9" * 18],
)
def test_valid_values(value: str) -> None:
    assert parse(wire_record(value=value)).quantity == Decimal(value)


@pytest.mark.parametrize(
    ("sha", "expected"),
    [(SHA.upper(), SHA), ("0x" + SHA, SHA), ("0x" + "AbCd" * 16, "abcd" * 16)],
)
def test_evidence_hash_hex_is_normalized(sha: str, expected: str) -> None:
    record = parse(wire_record(evidence=[wire_evidence(sha256=sha)]))
    assert record.evidence[0].sha256 == bytes.fromhex(expected)
    assert record.to_json()["evidence"][0]["sha256"] == expected


def test_z_offset_and_zoneinfo() -> None:
    record = parse(wire_record(interval_start="2025-01-01T00:00:00Z", interval_end="2025-01-31T16:00:00Z"))
    assert record.interval_start == datetime(2025, 1, 1, 8, tzinfo=CST)
    assert record.interval_end.utcoffset() == timedelta(0)
    shanghai = make_record(
        interval_start=datetime(2025, 1, 1, tzinfo=ZoneInfo("Asia/Shanghai")),
        interval_end=datetime(2025, 2, 1, tzinfo=ZoneInfo("Asia/Shanghai")),
    )
    assert record_hash(shanghai) == record_hash(make_record())
    assert parse(shanghai.to_json()) == shanghai


@pytest.mark.parametrize("n", [0, 1, 32])
def test_evidence_count(n: int) -> None:
    assert len(parse(wire_record(evidence=[wire_evidence(file_name=f"f{i}.jpg") for i in range(n)])).evidence) == n


# --- records: every rule, with the field it names ---------------------------------------------

BAD_RECORDS: list[tuple[str, dict[str, Any], str, str]] = [
    # (id, changes, field under records[3], message fragment)
    ("value-float", {"value": 1234.5}, "value", 'must be a decimal string like "1234.5"'),
    ("value-int", {"value": 1234}, "value", 'must be a decimal string like "1234.5"'),
    ("value-bool", {"value": True}, "value", 'must be a decimal string like "1234.5"'),
    ("value-none", {"value": None}, "value", 'must be a decimal string like "1234.5"'),
    ("value-nan-float", {"value": float("nan")}, "value", 'must be a decimal string like "1234.5"'),
    ("value-inf-float", {"value": float("inf")}, "value", 'must be a decimal string like "1234.5"'),
    ("value-decimal", {"value": Decimal("1.5")}, "value", 'must be a decimal string like "1234.5"'),
    ("value-NaN", {"value": "NaN"}, "value", 'must be a decimal string like "1234.5"'),
    ("value-Infinity", {"value": "Infinity"}, "value", 'must be a decimal string like "1234.5"'),
    ("value-negative", {"value": "-1"}, "value", "consumption cannot be negative"),
    ("value-negative-fraction", {"value": "-0.5"}, "value", "consumption cannot be negative"),
    ("value-plus", {"value": "+1"}, "value", "no sign"),
    ("value-exponent", {"value": "1e3"}, "value", "exponent"),
    ("value-exponent-upper", {"value": "1E3"}, "value", "exponent"),
    ("value-leading-zero", {"value": "01"}, "value", "leading zeros"),
    ("value-leading-zeros", {"value": "00.5"}, "value", "leading zeros"),
    ("value-trailing-dot", {"value": "1."}, "value", "decimal string"),
    ("value-leading-dot", {"value": ".5"}, "value", "decimal string"),
    ("value-empty", {"value": ""}, "value", "decimal string"),
    ("value-space", {"value": " 1"}, "value", "decimal string"),
    ("value-newline", {"value": "1\n"}, "value", "decimal string"),
    ("value-comma", {"value": "1,000"}, "value", "decimal string"),
    ("value-underscore", {"value": "1_000"}, "value", "decimal string"),
    ("value-arabic-digit", {"value": "٣"}, "value", "decimal string"),
    ("value-fullwidth-digit", {"value": "３"}, "value", "decimal string"),
    ("value-19-fraction-digits", {"value": "1." + "0" * 19}, "value", "at most 18 fractional digits"),
    ("value-too-long", {"value": "1" * 65}, "value", "at most 64 characters"),
    ("kind-unknown", {"kind": "electricity"}, "kind", "unknown kind 'electricity'"),
    ("kind-case", {"kind": "Grid_Electricity"}, "kind", "unknown kind"),
    ("kind-none", {"kind": None}, "kind", "unknown kind"),
    ("unit-unknown", {"unit": "kwh"}, "unit", "unknown unit 'kwh'; accepted for grid_electricity: kWh, MWh, GWh, MJ"),
    ("unit-wrong-dimension", {"unit": "Nm3"}, "unit", "'Nm3' measures volume_normal; accepted for grid_electricity:"),
    ("unit-mass-for-electricity", {"unit": "t"}, "unit", "accepted for grid_electricity"),
    ("unit-number", {"unit": 1}, "unit", "unknown unit"),
    ("unit-empty", {"unit": ""}, "unit", "unknown unit"),
    ("gas-in-m3-is-not-Nm3", {"kind": "diesel", "unit": "Nm3"}, "unit", "accepted for diesel: m3, L, kg, t"),
    ("source-empty", {"source_id": ""}, "source_id", "1-128 characters"),
    ("source-too-long", {"source_id": "电" * 129}, "source_id", "1-128 characters"),
    ("source-leading-space", {"source_id": " M1"}, "source_id", "leading or trailing whitespace"),
    ("source-trailing-space", {"source_id": "M1 "}, "source_id", "leading or trailing whitespace"),
    ("source-tab", {"source_id": "M\t1"}, "source_id", "printable"),
    ("source-newline", {"source_id": "M1\n"}, "source_id", "printable"),
    ("source-ideographic-space", {"source_id": "\u3000M1"}, "source_id", "printable"),
    ("source-surrogate", {"source_id": "M\ud8001"}, "source_id", "printable"),
    ("source-number", {"source_id": 1}, "source_id", "must be a string"),
    ("start-naive", {"interval_start": "2025-01-01T00:00:00"}, "interval_start", "explicit UTC offset"),
    ("start-fraction", {"interval_start": "2025-01-01T00:00:00.5+08:00"}, "interval_start", "fractional seconds"),
    ("start-fraction-zero", {"interval_start": "2025-01-01T00:00:00.000Z"}, "interval_start", "fractional seconds"),
    ("start-date-only", {"interval_start": "2025-01-01"}, "interval_start", "ISO 8601"),
    ("start-no-seconds", {"interval_start": "2025-01-01T00:00+08:00"}, "interval_start", "ISO 8601"),
    ("start-space", {"interval_start": "2025-01-01 00:00:00+08:00"}, "interval_start", "ISO 8601"),
    ("start-basic-format", {"interval_start": "20250101T000000+0800"}, "interval_start", "ISO 8601"),
    ("start-unix", {"interval_start": 1735660800}, "interval_start", "ISO 8601"),
    ("start-bad-date", {"interval_start": "2025-01-32T00:00:00+08:00"}, "interval_start", "not a valid date-time"),
    ("start-bad-offset", {"interval_start": "2025-01-01T00:00:00+08:61"}, "interval_start", "ISO 8601"),
    ("start-unknown-offset", {"interval_start": "2025-01-01T00:00:00-00:00"}, "interval_start", "-00:00"),
    ("start-offset-too-big", {"interval_start": "2025-01-01T00:00:00+15:00"}, "interval_start", "within ±14:00"),
    ("start-before-period", {"interval_start": "2024-12-31T23:59:59+08:00"}, "interval_start", "outside period"),
    ("start-before-period-utc", {"interval_start": "2024-12-31T16:00:00Z"}, "interval_start", "outside period"),
    ("end-naive", {"interval_end": "2025-02-01T00:00:00"}, "interval_end", "explicit UTC offset"),
    ("end-equals-start", {"interval_end": "2025-01-01T00:00:00+08:00"}, "interval_end", "must be after interval_start"),
    ("end-before-start", {"interval_end": "2024-12-31T16:00:00Z"}, "interval_end", "must be after interval_start"),
    ("end-after-period", {"interval_end": "2025-02-01T00:00:01+08:00"}, "interval_end", "outside period 2025-01"),
    ("evidence-not-list", {"evidence": "x"}, "evidence", "must be a list"),
    ("evidence-object", {"evidence": {"sha256": SHA}}, "evidence", "must be a list"),
    ("evidence-none", {"evidence": None}, "evidence", "must be a list"),
    ("evidence-33", {"evidence": [wire_evidence()] * 33}, "evidence", "at most 32 items"),
    ("evidence-item-not-object", {"evidence": [SHA]}, "evidence[0]", "must be an object"),
    ("evidence-unknown-key", one_evidence(url="https://x"), "evidence[0].url", "unknown field"),
    ("evidence-missing-sha", one_evidence(sha256=DELETE), "evidence[0].sha256", "is required"),
    ("evidence-missing-name", one_evidence(file_name=DELETE), "evidence[0].file_name", "is required"),
    ("evidence-missing-type", one_evidence(media_type=DELETE), "evidence[0].media_type", "is required"),
    ("sha-short", one_evidence(sha256="ab" * 31), "evidence[0].sha256", "64 hex digits"),
    ("sha-long", one_evidence(sha256="ab" * 33), "evidence[0].sha256", "64 hex digits"),
    ("sha-not-hex", one_evidence(sha256="zz" * 32), "evidence[0].sha256", "64 hex digits"),
    ("sha-0X", one_evidence(sha256="0X" + SHA), "evidence[0].sha256", "64 hex digits"),
    ("sha-bytes", one_evidence(sha256=bytes(32)), "evidence[0].sha256", "must be a string"),
    ("file-empty", {"evidence": [wire_evidence(), wire_evidence(file_name="")]}, "evidence[1].file_name", "1-255"),
    ("file-too-long", one_evidence(file_name="a" * 256), "evidence[0].file_name", "1-255 characters"),
    ("file-slash", one_evidence(file_name="a/b.pdf"), "evidence[0].file_name", "without '/'"),
    ("file-backslash", one_evidence(file_name="a\\b.pdf"), "evidence[0].file_name", "without '/'"),
    ("file-nul", one_evidence(file_name="a\x00.pdf"), "evidence[0].file_name", "control"),
    ("file-newline", one_evidence(file_name="a\n.pdf"), "evidence[0].file_name", "control"),
    ("file-del", one_evidence(file_name="a\x7f.pdf"), "evidence[0].file_name", "control"),
    ("file-bidi-override", one_evidence(file_name="invoice\u202efdp.exe"), "evidence[0].file_name", "format"),
    ("file-number", one_evidence(file_name=5), "evidence[0].file_name", "must be a string"),
    ("media-no-subtype", one_evidence(media_type="pdf"), "evidence[0].media_type", "media type"),
    ("media-empty-subtype", one_evidence(media_type="application/"), "evidence[0].media_type", "media type"),
    ("media-empty-type", one_evidence(media_type="/pdf"), "evidence[0].media_type", "media type"),
    ("media-parameters", one_evidence(media_type="text/plain; charset=utf-8"), "evidence[0].media_type", "media type"),
    ("media-space", one_evidence(media_type="image/ jpeg"), "evidence[0].media_type", "media type"),
    ("media-two-slashes", one_evidence(media_type="a/b/c"), "evidence[0].media_type", "media type"),
    ("media-leading-dot", one_evidence(media_type="image/.jpeg"), "evidence[0].media_type", "media type"),
    ("media-too-long", one_evidence(media_type="a/" + "b" * 128), "evidence[0].media_type", "media type"),
    ("salt-missing", {"salt": DELETE}, "salt", "is required"),
    ("salt-none", {"salt": None}, "salt", '"0x" followed by 64 hex digits'),
    ("salt-no-prefix", {"salt": "5a" * 32}, "salt", '"0x" followed by 64 hex digits'),
    ("salt-31-bytes", {"salt": "0x" + "5a" * 31}, "salt", "32 bytes"),
    ("salt-33-bytes", {"salt": "0x" + "5a" * 33}, "salt", "32 bytes"),
    ("salt-not-hex", {"salt": "0x" + "5g" * 32}, "salt", "32 bytes"),
    ("salt-bytes", {"salt": bytes(32)}, "salt", "must be a string"),
    ("missing-source", {"source_id": DELETE}, "source_id", "is required"),
    ("missing-kind", {"kind": DELETE}, "kind", "is required"),
    ("missing-value", {"value": DELETE}, "value", "is required"),
    ("missing-unit", {"unit": DELETE}, "unit", "is required"),
    ("missing-start", {"interval_start": DELETE}, "interval_start", "is required"),
    ("missing-end", {"interval_end": DELETE}, "interval_end", "is required"),
    ("missing-evidence", {"evidence": DELETE}, "evidence", "is required"),
    ("unknown-key", {"comment": "hi"}, "comment", "unknown field"),
    ("unknown-key-camel", {"sourceId": "M1"}, "sourceId", "unknown field"),
    ("other-factory", {"factory_id": "F-002"}, "factory_id", "but the batch is for"),
    ("other-period", {"period": "2025-02"}, "period", "but the batch is for '2025-01'"),
    ("period-not-string", {"period": 202501}, "period", "but the batch is for"),
]


@pytest.mark.parametrize(
    ("changes", "field", "fragment"), [c[1:] for c in BAD_RECORDS], ids=[c[0] for c in BAD_RECORDS]
)
def test_bad_record_names_its_field(changes: dict[str, Any], field: str, fragment: str) -> None:
    with pytest.raises(RecordError) as info:
        parse(wire_record(**changes))
    assert info.value.field == f"records[3].{field}"
    assert fragment in info.value.message
    assert str(info.value) == f"records[3].{field}: {info.value.message}"


def test_negative_production_output() -> None:
    with pytest.raises(RecordError) as info:
        parse(wire_record(kind="production_output", unit="t", value="-3"))
    assert info.value.field == "records[3].value" and "cannot be negative" in info.value.message


@pytest.mark.parametrize("data", [[], "record", None, 5])
def test_record_must_be_an_object(data: Any) -> None:
    with pytest.raises(RecordError) as info:
        parse(data, path="records[0]")
    assert info.value.field == "records[0]"


def test_default_path_and_batch_arguments() -> None:
    with pytest.raises(RecordError) as info:
        parse_record(wire_record(value="-1"), factory_id=FACTORY, period=PERIOD)
    assert info.value.field == "record.value"
    with pytest.raises(RecordError) as info:
        parse_record(wire_record(), factory_id="bad id", period=PERIOD)
    assert info.value.field == "factory_id"
    with pytest.raises(RecordError) as info:
        parse_record(wire_record(), factory_id=FACTORY, period="2025-13")
    assert info.value.field == "period"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"interval_start": datetime(2025, 1, 1)}, "interval_start"),
        ({"interval_end": "2025-02-01T00:00:00+08:00"}, "interval_end"),
        ({"interval_start": datetime(2025, 1, 1, 0, 0, 0, 1, tzinfo=CST)}, "interval_start"),
        ({"interval_start": datetime(2025, 1, 1, tzinfo=timezone(timedelta(hours=8, seconds=30)))}, "interval_start"),
        ({"evidence": list(evidence(1))}, "evidence"),
        ({"evidence": ("not evidence",)}, "evidence[0]"),
        ({"salt": bytes(31)}, "salt"),
        ({"salt": "0x" + "00" * 32}, "salt"),
        ({"salt": bytearray(32)}, "salt"),
        ({"value": 5}, "value"),
        ({"factory_id": "bad id"}, "factory_id"),
        ({"period": "2025-1"}, "period"),
    ],
)
def test_records_check_themselves(changes: dict[str, Any], field: str) -> None:
    """Constructing a record directly applies the same rules as parsing one."""
    with pytest.raises(RecordError) as info:
        make_record(**changes)
    assert info.value.field == f"record.{field}"


def test_evidence_refs_check_themselves() -> None:
    with pytest.raises(RecordError) as info:
        EvidenceRef(sha256=bytes(31), file_name="a.pdf", media_type="application/pdf")
    assert info.value.field == "evidence.sha256"
    with pytest.raises(RecordError) as info:
        EvidenceRef(sha256=bytes(32), file_name="../a.pdf", media_type="application/pdf")
    assert info.value.field == "evidence.file_name"


def test_timestamps_before_1970_cannot_be_hashed() -> None:
    with pytest.raises(RecordError) as info:
        parse_record(
            wire_record(interval_start="1969-12-01T00:00:00+00:00", interval_end="1970-01-01T00:00:00+00:00"),
            factory_id=FACTORY,
            period="1969-12",
            path="r",
        )
    assert info.value.field == "r.interval_start" and "1970" in info.value.message


# --- period membership across offsets ---------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "period"),
    [
        ("2025-01-31T20:00:00+08:00", "2025-02-01T00:00:00+08:00", "2025-01"),
        # start read in +00:00, end in +08:00: both in January in their own offsets
        ("2025-01-31T15:00:00+00:00", "2025-02-01T00:00:00+08:00", "2025-01"),
        ("2025-01-01T00:00:00+00:00", "2025-01-01T08:00:01+08:00", "2025-01"),
        ("2025-01-01T00:00:00+08:00", "2025-01-31T16:00:00+00:00", "2025-01"),
        ("2025-01-01T00:00:00+08:00", "2025-02-01T00:00:00+00:00", "2025-01"),  # ends 8 h after the +08:00 month
        ("2024-12-31T00:00:00+08:00", "2025-01-01T00:00:00+08:00", "2024-12"),  # December rolls over
        ("2024-12-01T00:00:00Z", "2025-01-01T00:00:00Z", "2024-12"),
    ],
)
def test_intervals_inside_the_period(start: str, end: str, period: str) -> None:
    record = parse_record(wire_record(interval_start=start, interval_end=end), factory_id=FACTORY, period=period)
    assert record.interval_start == datetime.fromisoformat(start)


@pytest.mark.parametrize(
    ("start", "end", "period", "field"),
    [
        ("2025-01-31T20:00:00+08:00", "2025-02-01T00:00:01+08:00", "2025-01", "interval_end"),
        # the brief's "16:00+00:00 to 00:00+08:00" is the same instant twice: a zero-length interval
        ("2025-01-31T16:00:00+00:00", "2025-02-01T00:00:00+08:00", "2025-01", "interval_end"),
        ("2024-12-31T23:00:00+08:00", "2025-01-01T01:00:00+08:00", "2025-01", "interval_start"),
        ("2024-12-31T23:00:00+08:00", "2025-01-01T01:00:00+08:00", "2024-12", "interval_end"),
        ("2025-01-31T16:00:00+00:00", "2025-02-01T00:00:01+00:00", "2025-01", "interval_end"),
        ("2025-01-01T00:00:00+08:00", "2025-02-01T00:00:01+00:00", "2025-01", "interval_end"),
        # instants inside January's UTC span, but written as February / December wall times
        ("2025-02-01T00:00:00+14:00", "2025-01-31T23:00:00-10:00", "2025-01", "interval_start"),
        ("2025-01-01T00:00:00+14:00", "2024-12-31T23:00:00-10:00", "2025-01", "interval_end"),
        ("2024-12-01T00:00:00Z", "2025-01-01T00:00:00Z", "2025-01", "interval_start"),
    ],
)
def test_intervals_outside_the_period(start: str, end: str, period: str, field: str) -> None:
    with pytest.raises(RecordError) as info:
        data = wire_record(interval_start=start, interval_end=end)
        parse_record(data, factory_id=FACTORY, period=period, path="records[0]")
    assert info.value.field == f"records[0].{field}"


# --- round trip -------------------------------------------------------------------------------


ROUND_TRIP_RECORDS = [
    wire_record(),
    wire_record(evidence=[], value="0.000", source_id="M1"),
    wire_record(
        source_id="电" * 128,
        kind="natural_gas",
        value="12.345000",
        unit="10^4 Nm3",
        interval_start="2025-01-05T00:00:00Z",
        interval_end="2025-01-06T00:00:00-05:30",
        evidence=[wire_evidence(file_name=f"照片 {i}.jpg", sha256=f"{i:064x}") for i in range(3)],
    ),
    wire_record(kind="production_output", unit="pcs", value="1200"),
]


@pytest.mark.parametrize("data", ROUND_TRIP_RECORDS)
def test_to_json_round_trip(data: dict[str, Any]) -> None:
    record = parse(data)
    wire = record.to_json()
    assert wire["factory_id"] == FACTORY and wire["period"] == PERIOD
    assert parse(wire) == record
    assert parse(json.loads(json.dumps(wire))) == record
    assert record_hash(parse(json.loads(json.dumps(wire, ensure_ascii=False)))) == record_hash(record)
    assert parse(record.to_json(include_context=False)) == record
    for key in ("source_id", "kind", "value", "unit"):
        assert wire[key] == data[key]
    assert wire["interval_end"] == datetime.fromisoformat(data["interval_end"]).isoformat()


def test_new_salt() -> None:
    salts = {new_salt() for _ in range(100)}
    assert len(salts) == 100 and all(len(s) == 32 for s in salts)
    assert len(make_record(salt=new_salt()).salt) == 32


# --- EIP-712 ----------------------------------------------------------------------------------

DOMAIN_TYPE = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]
DOMAIN = {
    "name": "CarbonLedger",
    "version": "1",
    "chainId": 31337,
    "verifyingContract": "0x5FbDB2315678afecb367f032d93F642f64180aa3",
}
BRIEF_TYPE_STRING = (
    "MeasurementRecord(string factoryId,string period,string sourceId,string kind,string value,string unit,"
    "uint64 intervalStart,uint64 intervalEnd,Evidence[] evidence,bytes32 salt)"
    "Evidence(bytes32 sha256,string fileName,string mediaType)"
)


def independent_domain_separator() -> bytes:
    return keccak(
        encode(
            ["bytes32", "bytes32", "bytes32", "uint256", "address"],
            [
                keccak(text="EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak(text=DOMAIN["name"]),
                keccak(text=DOMAIN["version"]),
                DOMAIN["chainId"],
                DOMAIN["verifyingContract"],
            ],
        )
    )


def reference_record_hash(r: MeasurementRecord) -> bytes:
    """hashStruct from the EIP-712 text with eth_abi.encode, sharing nothing with ledger.records.hashing."""
    evidence_typehash = keccak(text="Evidence(bytes32 sha256,string fileName,string mediaType)")
    items = b"".join(
        keccak(
            encode(
                ["bytes32", "bytes32", "bytes32", "bytes32"],
                [evidence_typehash, e.sha256, keccak(text=e.file_name), keccak(text=e.media_type)],
            )
        )
        for e in r.evidence
    )
    return keccak(
        encode(
            ["bytes32"] * 7 + ["uint64", "uint64", "bytes32", "bytes32"],
            [
                keccak(text=BRIEF_TYPE_STRING),
                keccak(text=r.factory_id),
                keccak(text=r.period),
                keccak(text=r.source_id),
                keccak(text=r.kind),
                keccak(text=r.value),
                keccak(text=r.unit),
                int(r.interval_start.astimezone(UTC).timestamp()),
                int(r.interval_end.astimezone(UTC).timestamp()),
                keccak(items),
                r.salt,
            ],
        )
    )


EIP712_RECORDS = [
    make_record(evidence=()),
    make_record(evidence=evidence(1)),
    make_record(evidence=evidence(3)),
    make_record(source_id="电表-01", evidence=evidence(3, "发票")),
    make_record(
        factory_id="Z" * 64,
        source_id="长" * 128,
        value="9" * 45 + "." + "9" * 18,
        kind="purchased_steam",
        unit="t",
        interval_start=datetime(2025, 1, 3, 7, 15, 42, tzinfo=timezone(timedelta(hours=-9, minutes=-30))),
        evidence=(
            EvidenceRef(
                sha256=bytes(range(32)),
                file_name="名" * 255,
                media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ),
        )
        * 2,
        salt=bytes([0xFF]) * 32,
    ),
]


def test_type_hashes() -> None:
    assert RECORD_TYPEHASH == keccak(text=BRIEF_TYPE_STRING)
    assert EVIDENCE_TYPEHASH == keccak(text="Evidence(bytes32 sha256,string fileName,string mediaType)")
    assert list(RECORD_TYPES) == ["MeasurementRecord", "Evidence"]


@pytest.mark.parametrize("record", EIP712_RECORDS, ids=["0-evidence", "1-evidence", "3-evidence", "unicode", "long"])
def test_record_hash_is_eip712_hash_struct(record: MeasurementRecord) -> None:
    full_message = {
        "types": {"EIP712Domain": DOMAIN_TYPE, **RECORD_TYPES},
        "primaryType": "MeasurementRecord",
        "domain": DOMAIN,
        "message": record_message(record),
    }
    signable = encode_typed_data(full_message=full_message)
    eth_account_digest = keccak(b"\x19" + signable.version + signable.header + signable.body)
    separator = independent_domain_separator()
    assert signable.header == separator
    assert signable.body == record_hash(record)
    assert keccak(b"\x19\x01" + separator + record_hash(record)) == eth_account_digest
    assert record_hash(record) == reference_record_hash(record)


def test_record_message() -> None:
    message = record_message(make_record())
    assert message["intervalStart"] == 1735660800 and message["intervalEnd"] == 1738339200
    assert message["evidence"] == [
        {"sha256": bytes.fromhex(SHA), "fileName": "2025-01 电费发票.pdf", "mediaType": "application/pdf"}
    ]
    assert message["salt"] == bytes.fromhex(SALT[2:])


def unchecked(record: MeasurementRecord, **changes: Any) -> MeasurementRecord:
    """A copy with fields changed without validation (a lone period change is never valid)."""
    clone = copy.copy(record)
    for name, value in changes.items():
        object.__setattr__(clone, name, value)
    return clone


def test_record_hash_moves_with_every_field() -> None:
    base = make_record(evidence=evidence(3))
    ev = base.evidence
    second = timedelta(seconds=1)

    def with_second_evidence(**changes: Any) -> MeasurementRecord:
        return dataclasses.replace(base, evidence=(ev[0], dataclasses.replace(ev[1], **changes), ev[2]))

    variants = {
        "factory_id": dataclasses.replace(base, factory_id="cn.js.suzhou:F-002"),
        "period": unchecked(base, period="2025-02"),
        "source_id": dataclasses.replace(base, source_id="电表-02"),
        "kind": dataclasses.replace(base, kind="onsite_renewable_self_consumed"),
        "value": dataclasses.replace(base, value="1234.6"),
        "unit": dataclasses.replace(base, unit="MWh"),
        "interval_start": dataclasses.replace(base, interval_start=base.interval_start + second),
        "interval_end": dataclasses.replace(base, interval_end=base.interval_end - second),
        "evidence-removed": dataclasses.replace(base, evidence=ev[:2]),
        "evidence-none": dataclasses.replace(base, evidence=()),
        "evidence-added": dataclasses.replace(base, evidence=ev + evidence(1, "extra")),
        "evidence-order": dataclasses.replace(base, evidence=(ev[1], ev[0], ev[2])),
        "evidence[1].sha256": with_second_evidence(sha256=bytes(32)),
        "evidence[1].file_name": with_second_evidence(file_name="doc-1.PDF"),
        "evidence[1].media_type": with_second_evidence(media_type="image/png"),
        "salt": dataclasses.replace(base, salt=base.salt[:-1] + b"\x00"),
    }
    hashes = {name: record_hash(r) for name, r in variants.items()}
    assert record_hash(base) == record_hash(dataclasses.replace(base))
    for name, h in hashes.items():
        assert h != record_hash(base), name
    assert len(set(hashes.values())) == len(hashes)


def test_value_string_is_hashed_exactly() -> None:
    a, b = make_record(value="1234.5"), make_record(value="1234.50")
    assert a.quantity == b.quantity
    assert a != b and record_hash(a) != record_hash(b)


def test_record_hash_ignores_how_an_instant_is_written() -> None:
    """Hashes use unix seconds, so the same instants in another offset give the same leaf."""
    a = parse(wire_record(interval_start="2025-01-01T08:00:00+08:00", interval_end="2025-01-31T16:00:00+00:00"))
    b = parse(wire_record(interval_start="2025-01-01T00:00:00Z", interval_end="2025-02-01T00:00:00+08:00"))
    assert a == b and record_hash(a) == record_hash(b)


# --- batches ----------------------------------------------------------------------------------


def wire_batch(n: int = 3, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "factory_id": FACTORY,
        "period": PERIOD,
        "revision": 1,
        "uri": "ipfs://bafy.../2025-01.json",
        "records": [wire_record(source_id=f"M{i}", salt="0x" + f"{i:064x}") for i in range(n)],
    }
    for key, value in changes.items():
        if value is DELETE:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def test_parse_batch() -> None:
    batch = parse_batch(wire_batch())
    assert (batch.factory_id, batch.period, batch.revision, len(batch.records)) == (FACTORY, PERIOD, 1, 3)
    assert batch.record_hashes() == [record_hash(r) for r in batch.records]
    assert parse_batch(batch.to_json()) == batch
    assert parse_batch(json.loads(json.dumps(batch.to_json()))).record_hashes() == batch.record_hashes()
    assert "factory_id" not in batch.to_json()["records"][0]
    assert parse_batch(wire_batch(uri=DELETE)).uri == ""
    assert parse_batch(wire_batch(revision=2**32 - 1)).revision == 2**32 - 1
    assert parse_batch(wire_batch(uri="电" * 170 + "ab")).uri  # 512 bytes exactly
    # records may repeat the batch's factory and period
    with_context = wire_batch(records=[wire_record(factory_id=FACTORY, period=PERIOD)])
    assert parse_batch(with_context).records[0].factory_id == FACTORY
    # a signed envelope's extra keys are allowed only when named
    envelope = wire_batch(root="0x" + "00" * 32, signature="0x")
    assert parse_batch(envelope, extra_keys=frozenset({"root", "signature"})) == parse_batch(wire_batch())
    # hashes are a copy: callers cannot change the batch's leaves
    batch.record_hashes().clear()
    assert len(batch.record_hashes()) == 3


BAD_BATCHES: list[tuple[str, dict[str, Any], str, str]] = [
    ("factory-missing", {"factory_id": DELETE}, "factory_id", "is required"),
    ("factory-bad", {"factory_id": "工厂 1"}, "factory_id", "A-Z a-z 0-9"),
    ("factory-too-long", {"factory_id": "F" * 65}, "factory_id", "1-64"),
    ("factory-number", {"factory_id": 1}, "factory_id", "must be a string"),
    ("period-missing", {"period": DELETE}, "period", "is required"),
    ("period-bad", {"period": "2025-13"}, "period", "YYYY-MM"),
    ("period-short", {"period": "2025-1"}, "period", "YYYY-MM"),
    ("revision-missing", {"revision": DELETE}, "revision", "is required"),
    ("revision-zero", {"revision": 0}, "revision", "between 1 and"),
    ("revision-negative", {"revision": -1}, "revision", "between 1 and"),
    ("revision-too-big", {"revision": 2**32}, "revision", "between 1 and"),
    ("revision-string", {"revision": "1"}, "revision", "must be an integer"),
    ("revision-bool", {"revision": True}, "revision", "must be an integer"),
    ("revision-float", {"revision": 1.0}, "revision", "must be an integer"),
    ("revision-none", {"revision": None}, "revision", "must be an integer"),
    ("uri-too-long", {"uri": "电" * 171}, "uri", "at most 512 bytes"),
    ("uri-ascii-too-long", {"uri": "a" * 513}, "uri", "at most 512 bytes"),
    ("uri-number", {"uri": 5}, "uri", "must be a string"),
    ("uri-none", {"uri": None}, "uri", "must be a string"),
    ("uri-surrogate", {"uri": "\ud800"}, "uri", "Unicode"),
    ("records-missing", {"records": DELETE}, "records", "is required"),
    ("records-empty", {"records": []}, "records", "at least one record"),
    ("records-object", {"records": {"0": wire_record()}}, "records", "must be a list"),
    ("records-string", {"records": "[]"}, "records", "must be a list"),
    ("unknown-key", {"root": "0x00"}, "root", "unknown field"),
    ("record-not-object", {"records": [wire_record(), "x"]}, "records[1]", "must be an object"),
    ("record-bad-unit", {"records": [wire_record()] * 3 + [wire_record(unit="MW")]}, "records[3].unit", "unknown unit"),
    (
        "record-bad-evidence",
        {"records": [wire_record(**one_evidence(sha256="x"))]},
        "records[0].evidence[0].sha256",
        "hex",
    ),
    (
        "record-other-factory",
        {"records": [wire_record(), wire_record(factory_id="F-9")]},
        "records[1].factory_id",
        "batch is",
    ),
    ("record-other-period", {"records": [wire_record(period="2025-02")]}, "records[0].period", "but the batch is for"),
    ("record-outside-period", {"period": "2025-02"}, "records[0].interval_start", "outside period 2025-02"),
]


@pytest.mark.parametrize(
    ("changes", "field", "fragment"), [c[1:] for c in BAD_BATCHES], ids=[c[0] for c in BAD_BATCHES]
)
def test_bad_batch_names_its_field(changes: dict[str, Any], field: str, fragment: str) -> None:
    with pytest.raises(RecordError) as info:
        parse_batch(wire_batch(**changes))
    assert info.value.field == field
    assert fragment in info.value.message


def test_duplicate_records() -> None:
    records = [wire_record(source_id=f"M{i}", salt="0x" + f"{i:064x}") for i in range(6)]
    records[5] = dict(records[2])
    with pytest.raises(BatchError) as info:
        parse_batch(wire_batch(records=records))
    assert str(info.value) == "records[5]: duplicates records[2]"
    # the same instants written in another offset are the same record
    records[5] = wire_record(source_id="M2", salt="0x" + f"{2:064x}", interval_end="2025-01-31T16:00:00Z")
    with pytest.raises(BatchError, match=r"records\[5\]: duplicates records\[2\]"):
        parse_batch(wire_batch(records=records))
    # a genuinely repeated reading with its own salt is a different leaf
    records[5] = wire_record(source_id="M2", salt="0x" + "ee" * 32)
    assert len(parse_batch(wire_batch(records=records)).record_hashes()) == 6


@pytest.mark.parametrize("data", [None, [], "batch"])
def test_batch_must_be_an_object(data: Any) -> None:
    with pytest.raises(BatchError) as info:
        parse_batch(data)
    assert info.value.field == "batch"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"records": ()}, "records"),
        ({"records": [make_record()]}, "records"),
        ({"records": (make_record(), "x")}, "records[1]"),
        ({"records": (make_record(), make_record())}, "records[1]"),
        ({"records": (make_record(factory_id="F-2"),)}, "records[0].factory_id"),
        ({"revision": 0}, "revision"),
        ({"uri": "a" * 513}, "uri"),
        ({"period": "2025-02"}, "records[0].period"),
        ({"factory_id": ""}, "factory_id"),
    ],
)
def test_batches_check_themselves(changes: dict[str, Any], field: str) -> None:
    fields: dict[str, Any] = dict(factory_id=FACTORY, period=PERIOD, revision=1, uri="", records=(make_record(),))
    fields.update(changes)
    with pytest.raises(BatchError) as info:
        Batch(**fields)
    assert info.value.field == field


def _outcome(fn: Callable[[], MeasurementRecord]) -> Any:
    try:
        return fn()
    except RecordError as e:
        return ("refused", e.field, e.message)


def test_the_fast_path_for_repeated_parts_gives_the_full_paths_record_or_error() -> None:
    """parse_record skips re-checking parts it has seen pass (same meter, kind, unit, instants);
    whatever it returns or raises must be exactly what the full checks give."""
    from ledger.records import parsing as module

    february = "2025-02"
    parse(wire_record())  # teach it January's parts
    parse_record(wire_record(interval_start="2025-02-01T00:00:00+08:00", interval_end="2025-03-01T00:00:00+08:00"),
                 factory_id=FACTORY, period=february, path="records[0]")  # fmt: skip
    cases: list[tuple[str, dict[str, Any]]] = [
        (PERIOD, wire_record()),
        (PERIOD, wire_record(value="0.000", salt="0x" + "07" * 32)),
        (PERIOD, wire_record(evidence=[])),
        (PERIOD, wire_record(**one_evidence(file_name="other.jpg"))),
        (PERIOD, wire_record(factory_id=FACTORY, period=PERIOD)),
        # refused: each breaks one rule while every other part is a remembered one
        (PERIOD, wire_record(value="1e5")),
        (PERIOD, wire_record(value="-1")),
        (PERIOD, wire_record(value=" 1")),
        (PERIOD, wire_record(value="1." + "1" * 40)),
        (PERIOD, wire_record(value=12)),
        (PERIOD, wire_record(salt="0x" + "5a" * 31)),
        (PERIOD, wire_record(salt="0X" + "5a" * 32)),
        (PERIOD, wire_record(salt="0x" + "5a" * 31 + " 5")),
        (PERIOD, wire_record(interval_start="2025-02-01T00:00:00+08:00")),  # ends before it starts
        (PERIOD, wire_record(unit="Nm3")),
        (PERIOD, wire_record(kind="no_such_kind")),
        (PERIOD, wire_record(extra="x")),
        (PERIOD, wire_record(salt=DELETE)),
        (PERIOD, wire_record(factory_id="cn.other:F-9")),
        (PERIOD, wire_record(**one_evidence(sha256="zz" * 32))),
        # January's instants are remembered, but lie outside February
        (february, wire_record()),
        (february, wire_record(interval_end="2025-03-01T00:00:00+08:00")),  # starts in January
        (PERIOD, wire_record(interval_start="2025-02-01T00:00:00+08:00", interval_end="2025-03-01T00:00:00+08:00")),
    ]
    for period, data in cases:
        full = _outcome(lambda: module._parse_checked(data, factory_id=FACTORY, period=period, path="records[3]"))
        fast = _outcome(lambda: parse_record(data, factory_id=FACTORY, period=period, path="records[3]"))
        assert fast == full, (period, data)
    assert module._parse_fast(wire_record(value="9.5"), FACTORY, PERIOD) is not None  # it was exercised
