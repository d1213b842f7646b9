"""Registry serials → (registry, block_id, start..end): formats, same-block normalisation, named errors."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.claims import parse_claim, serials
from ledger.claims.serials import SERIAL_FORMATS, SerialFormat, SerialRange, parse_serial, register_serial_format
from ledger.records.errors import RecordError

VERRA_EXAMPLE = "0001-000001-000100-VCS-VCU-003-VER-US-0003-01012020-31122020-1"
VERRA_REAL = "9660-115597313-115618057-VCS-VCU-261-VER-US-14-1060-01012019-31122019-0"
VERRA_LEGACY = "8040-449402275-449402275-VCU-042-MER-PE-14-1360-01072013-30062014-1"  # no program part
GS_REAL = "GS1-1-KE-GS7495-16-2025-30645-608-30350"
# GEC: project 32050100000000017, production month 2025-01, sequence, electricity category, trade category
GEC_PROJECT = "32050100000000017"


def gec(sequence: int, *, month: str = "202501", project: str = GEC_PROJECT, elec: str = "1", trade: str = "2") -> str:
    serial = f"{project}{month}{sequence:07d}{elec}{trade}"
    assert len(serial) == 32
    return serial


# ------------------------------------------------------------------------------------------------
# formats that parse


@pytest.mark.parametrize(
    ("text", "registry", "block_id", "start", "end"),
    [
        (VERRA_EXAMPLE, "VCS", "VCS-VCU-3-VER-US-3-01012020-31122020", 1, 100),
        (VERRA_REAL, "VCS", "VCS-VCU-261-VER-US-14-1060-01012019-31122019", 115597313, 115618057),
        (VERRA_LEGACY, "VCS", "VCS-VCU-42-MER-PE-14-1360-01072013-30062014", 449402275, 449402275),
        (VERRA_REAL.lower(), "VCS", "VCS-VCU-261-VER-US-14-1060-01012019-31122019", 115597313, 115618057),
        (GS_REAL, "GS", "GS1-1-KE-GS7495-16-2025-30645", 608, 30350),
        ("GS1-1-CN-GS7604-3-2020-21289-85975-85979", "GS", "GS1-1-CN-GS7604-3-2020-21289", 85975, 85979),
        (gec(101), "GEC", f"{GEC_PROJECT}-202501", 101, 101),
        (f"{gec(101)}..{gec(200)}", "GEC", f"{GEC_PROJECT}-202501", 101, 200),
        (f"{gec(1, month='202412')} .. {gec(7, month='202412')}", "GEC", f"{GEC_PROJECT}-202412", 1, 7),
        ("0000-0001-2345-6789", "I-REC", "I-REC-0000-0001-23xx-xxxx", 123456789, 123456789),
        ("0000000123456789..0000-0001-2345-6888", "I-REC", "I-REC-0000-0001-23xx-xxxx", 123456789, 123456888),
    ],
)
def test_parses_each_format(text: str, registry: str, block_id: str, start: int, end: int) -> None:
    detected = parse_serial(text)
    assert detected == SerialRange(registry, block_id, start, end)
    assert parse_serial(text, registry=registry) == detected  # the same with the registry given


def test_verra_example_is_units_1_to_100_of_one_block() -> None:
    parsed = parse_serial(VERRA_EXAMPLE)
    assert (parsed.registry, parsed.start, parsed.end, parsed.units) == ("VCS", 1, 100, 100)


def test_gold_standard_units_match_the_published_credit_count() -> None:
    assert parse_serial(GS_REAL).units == 29743  # number_of_credits of that block on the GS API


@pytest.mark.parametrize(
    ("first", "second"),
    [
        # two retirements cut from one Verra issuance; issuance sequence and label flag may differ
        (
            "9660-115597313-115600000-VCS-VCU-261-VER-US-14-1060-01012019-31122019-0",
            "9712-115600001-115618057-VCS-VCU-261-VER-US-14-1060-01012019-31122019-1",
        ),
        # zero padding and case never split a block
        (VERRA_EXAMPLE, "0001-000050-000060-vcs-vcu-3-ver-us-3-01012020-31122020-1"),
        # legacy serial without the program part: the same block as with it
        (VERRA_LEGACY, "8040-449402275-449402275-VCS-VCU-042-MER-PE-14-1360-01072013-30062014-1"),
        ("GS1-1-KE-GS7495-16-2025-30645-608-1000", "gs1-1-ke-gs7495-16-2025-30645-1001-30350"),
        (f"{gec(1)}..{gec(50)}", f"{gec(51, elec='2', trade='1')}..{gec(90, elec='2', trade='1')}"),
        ("0000-0001-2300-0000", "0000-0001-2399-9999"),
    ],
)
def test_sub_ranges_of_one_block_share_the_block_id(first: str, second: str) -> None:
    a, b = parse_serial(first), parse_serial(second)
    assert (a.registry, a.block_id) == (b.registry, b.block_id)


def test_different_blocks_differ() -> None:
    assert parse_serial(gec(1)).block_id != parse_serial(gec(1, month="202502")).block_id
    other_project = VERRA_REAL.replace("-1060-", "-1061-")
    assert parse_serial(VERRA_REAL).block_id != parse_serial(other_project).block_id
    assert parse_serial("0000-0001-2299-9999").block_id != parse_serial("0000-0001-2300-0000").block_id


@given(st.integers(1, 10**9), st.integers(0, 10**6), st.integers(1, 99999), st.booleans())
def test_any_verra_sub_range_keeps_the_block(start: int, length: int, sequence: int, flag: bool) -> None:
    text = f"{sequence:04d}-{start:09d}-{start + length:09d}-VCS-VCU-261-VER-US-14-1060-01012019-31122019-{int(flag)}"
    parsed = parse_serial(text)
    assert parsed.block_id == "VCS-VCU-261-VER-US-14-1060-01012019-31122019"
    assert (parsed.start, parsed.units) == (start, length + 1)


# ------------------------------------------------------------------------------------------------
# malformations: each error names the part at fault


def _bad_verra(index: int, value: str, base: str = VERRA_REAL) -> str:
    parts = base.split("-")
    parts[index - 1] = value
    return "-".join(parts)


@pytest.mark.parametrize(
    ("text", "registry", "message"),
    [
        (
            "0001-000100-000050-VCS-VCU-003-VER-US-0003-01012020-31122020-1", None,
            'Verra serial part 3 (end serial "000050") is below part 2 (start serial "000100")',
        ),
        (
            "0001-000001-000100-VCS-VCU-003-VER-US-01012020-31122020-1", None,
            "must have 12 or 13 dash-separated parts, got 11",
        ),
        (_bad_verra(1, "12a4"), None, 'part 1 (issuance sequence "12a4") must be a number'),
        (_bad_verra(2, "11559731x"), None, 'part 2 (start serial "11559731x") must be a whole number'),
        (_bad_verra(4, "VCT"), None, 'part 4 (program "VCT") is not VCS'),
        (_bad_verra(5, "VCX"), "VCS", 'part 5 (unit type "VCX") is not VCU'),
        (_bad_verra(7, "XYZ"), None, 'part 7 (originating registry "XYZ") is not VER (Verra) or MER (Markit)'),
        (_bad_verra(8, "USA"), None, 'part 8 (country "USA") must be a two-letter ISO 3166 country code'),
        (_bad_verra(9, "1A"), None, 'part 9 (sectoral scope "1A") must be a number'),
        (_bad_verra(10, "10A0"), None, 'part 10 (project id "10A0") must be a number'),
        (_bad_verra(11, "31022020", VERRA_REAL), None, 'part 11 (vintage start "31022020") is not a real date'),
        (
            "0001-000001-000100-VCS-VCU-003-VER-US-0003-31022020-31122020-1", None,
            'Verra serial part 10 (vintage start "31022020") is not a real date',
        ),
        (_bad_verra(12, "2019"), None, 'part 12 (vintage end "2019") must be a date DDMMYYYY'),
        (
            _bad_verra(12, "31122018"), None,
            'Verra serial part 12 (vintage end "31122018") is before part 11 (vintage start "01012019")',
        ),
        (_bad_verra(13, "2"), None, 'part 13 (additional certification flag "2") must be 0 or 1'),
        ("GS1-1-KE-GS7495-16-2025-608-30350", None, "Gold Standard serial must have 9 dash-separated parts, got 8"),
        ("GS1-1-KE-7495-16-2025-30645-608-30350", "GS", 'part 4 (project id "7495") must be GS followed by a number'),
        ("GS1-1-K1-GS7495-16-2025-30645-608-30350", None, 'part 3 (country "K1") must be a two-letter'),
        ("GS1-1-KE-GS7495-16-1890-30645-608-30350", None, 'part 6 (vintage "1890") must be a year from 1990 to 2100'),
        (
            "GS1-1-KE-GS7495-16-2025-30645-608-600", None,
            'Gold Standard serial part 9 (end serial "600") is below part 8 (start serial "608")',
        ),
        (gec(1)[:-1], None, "GEC serials must be 32 digits, got 31"),
        (gec(1) + "0", "GEC", "GEC serials must be 32 digits, got 33"),
        (f"{gec(1)}..{gec(2)[:-1]}", None, "GEC serials must be 32 digits, got 31 (end serial)"),
        (gec(1)[:-2] + "A1", "GEC", "must be 32 digits, not other characters"),
        (VERRA_EXAMPLE, "GEC", "must be 32 digits, not other characters"),
        (gec(1, month="202513"), None, 'digits 18-23 (production month "202513") are not a month YYYYMM'),
        (
            f"{gec(1)}..{gec(9, month='202502')}", None,
            f"the range's two GEC serials belong to different blocks (project-month {GEC_PROJECT}-202501 vs "
            f"{GEC_PROJECT}-202502)",
        ),
        (f"{gec(9)}..{gec(1)}", None, 'digits 24-30 (sequence number "0000001") are below the start\'s ("0000009")'),
        (f"{gec(1)}..{gec(2)}..{gec(3)}", "GEC", "a range has one '..' between two serials"),
        (
            "0000-0001-2345-6800..0000-0001-2345-6789", None,
            'end I-REC certificate number "0000-0001-2345-6789" is below',
        ),
        ("0000-0001-2399-9990..0000-0001-2400-0009", None, "crosses a block edge at 0000000124000000"),
        ("0000-0001-2345-678", "I-REC", 'I-REC certificate number "0000-0001-2345-678" must be 16 digits'),
        ("CCER-123-2024-1-100", None, "unknown format; expected one of: Verra"),
        ("", None, "is empty"),
        (gec(1), "CCER", "no serial format is known for CCER"),
    ],
)  # fmt: skip
def test_malformed_serials_name_the_part(text: str, registry: str | None, message: str) -> None:
    with pytest.raises(RecordError) as caught:
        parse_serial(text, registry=registry)
    assert caught.value.field == "serial"
    assert message in caught.value.message, caught.value.message


def test_brief_messages_verbatim() -> None:
    with pytest.raises(RecordError) as caught:
        parse_serial("0001-000100-000050-VCS-VCU-003-VER-US-0003-01012020-31122020-1")
    assert str(caught.value) == (
        'serial: Verra serial part 3 (end serial "000050") is below part 2 (start serial "000100")'
    )
    with pytest.raises(RecordError) as caught:
        parse_serial(gec(1)[:-1])
    assert str(caught.value) == "serial: GEC serials must be 32 digits, got 31"


@pytest.mark.parametrize("registry", ["NOPE", 7, ""])
def test_an_unknown_registry_is_the_registry_fields_fault(registry: Any) -> None:
    with pytest.raises(RecordError) as caught:
        parse_serial(gec(1), registry=registry)
    assert caught.value.field == "registry"


def test_serial_range_checks_itself() -> None:
    assert SerialRange("GEC", "b", 5, 5).units == 1
    with pytest.raises(RecordError):
        SerialRange("GEC", "b", 6, 5)
    with pytest.raises(RecordError):
        SerialRange("GEC", "b", 0, 2**128)
    with pytest.raises(RecordError):
        SerialRange("GEC", "x" * 129, 0, 1)


# ------------------------------------------------------------------------------------------------
# the table


def test_formats_are_a_table_that_can_grow(monkeypatch: pytest.MonkeyPatch) -> None:
    assert set(SERIAL_FORMATS) == {"VCS", "GS", "GEC", "I-REC"}
    monkeypatch.setattr(serials, "_FORMATS", dict(serials._FORMATS))  # undone after the test

    def parse(text: str) -> SerialRange:
        project, start, end = text.removeprefix("CCER-").split("-")
        return SerialRange("CCER", project, int(start), int(end))

    fmt = SerialFormat("CCER", 'CCER "CCER-<project>-<start>-<end>"', lambda t: t.startswith("CCER-"), parse)
    register_serial_format(fmt)
    assert parse_serial("CCER-CCER1000000001-1-50") == SerialRange("CCER", "CCER1000000001", 1, 50)
    assert parse_serial("CCER-P1-1-50", registry="CCER").units == 50
    register_serial_format(fmt)  # the same again is fine
    with pytest.raises(ValueError, match="already registered"):
        register_serial_format(SerialFormat("CCER", "other", fmt.detect, fmt.parse))
    with pytest.raises(ValueError, match="not defined"):
        register_serial_format(SerialFormat("NOPE", "x", fmt.detect, fmt.parse))


def test_a_parser_that_mislabels_its_registry_is_a_programming_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(serials, "_FORMATS", dict(serials._FORMATS))
    register_serial_format(
        SerialFormat("CCER", "x", lambda t: t == "X", lambda t: SerialRange("GEC", "b", 1, 1)), replace=True
    )
    with pytest.raises(ValueError, match="returned registry 'GEC'") as caught:
        parse_serial("X")
    assert not isinstance(caught.value, RecordError)


# ------------------------------------------------------------------------------------------------
# parse_claim with a serial


def claim_json(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "factory_id": "CN-JS-SZ-0001",
        "consumption_start": "2025-01",
        "consumption_end": "2025-12",
        "project_id": "VCS-3",
        "technology": "wind",
        "quantity": "100",
        "unit": "tCO2e",
        "generation_start": "2020-01",
        "generation_end": "2020-12",
        "purpose": "Offset of residual Scope 1 emissions, 2025",
        "evidence_sha256": "ab" * 32,
        "country": "US",
        "methodology": "ACM0002",
        "cancellation_number": "VCS-RET-0001",
        "cancellation_date": "2025-12-31",
        "serial": VERRA_EXAMPLE,
    }
    base.update(fields)
    return {k: v for k, v in base.items() if v is not None}


def test_parse_claim_accepts_a_serial_instead_of_registry_block_and_range() -> None:
    claim = parse_claim(claim_json())
    assert (claim.registry, claim.block_id, claim.serial_start, claim.serial_end, claim.units) == (
        "VCS", "VCS-VCU-3-VER-US-3-01012020-31122020", 1, 100, 100,
    )  # fmt: skip
    # the JSON form the claim serialises to carries the parsed key, and parses to the same claim
    assert parse_claim(claim.to_json()) == claim


def test_parse_claim_with_a_gec_range() -> None:
    claim = parse_claim(
        claim_json(
            serial=f"{gec(101)}..{gec(200)}", unit="MWh", quantity="100", project_id=GEC_PROJECT,
            generation_start="2025-01", generation_end="2025-01",
        )
    )  # fmt: skip
    assert (claim.registry, claim.block_id, claim.serial_start, claim.serial_end) == (
        "GEC", f"{GEC_PROJECT}-202501", 101, 200,
    )  # fmt: skip


def test_parse_claim_accepts_explicit_fields_that_agree() -> None:
    claim = parse_claim(
        claim_json(registry="VCS", block_id="VCS-VCU-3-VER-US-3-01012020-31122020", serial_start="1", serial_end="100")
    )
    assert claim.units == 100


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"block_id": "VCS-VCU-3-VER-US-3-01012021-31122021"}, "block_id"),
        ({"serial_start": "2"}, "serial_start"),
        ({"serial_end": "99"}, "serial_end"),
        ({"registry": "GEC"}, "serial"),  # a Verra serial is not in the GEC format
        ({"registry": "Verra"}, "registry"),
        ({"quantity": "99"}, "quantity"),
    ],
)
def test_parse_claim_refuses_fields_that_disagree_with_the_serial(extra: dict[str, str], field: str) -> None:
    with pytest.raises(RecordError) as caught:
        parse_claim(claim_json(**extra))
    assert caught.value.field == field


def test_parse_claim_reports_a_bad_serial_on_the_serial_field() -> None:
    with pytest.raises(RecordError) as caught:
        parse_claim(claim_json(serial="0001-000100-000050-VCS-VCU-003-VER-US-0003-01012020-31122020-1"))
    assert caught.value.field == "serial" and "part 3" in caught.value.message
