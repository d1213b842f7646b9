"""ledger.imports: exports and mappings in, batch records out, and every kind of row error named
with its file, row and column. Files are made here as exporting programs write them (GBK, a BOM,
decimal commas, an XLSX from openpyxl); the shipped templates import to the example month."""

from __future__ import annotations

import io
import json
from datetime import datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from ledger.i18n import translator
from ledger.imports import (
    ImportMapping,
    ImportResult,
    ImportTooLarge,
    MappingError,
    Template,
    column_letter,
    import_file,
    load_mapping_text,
    templates,
    to_json,
)
from ledger.imports.tables import MAX_FILE_BYTES
from ledger.records import parse_batch

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = json.loads((ROOT / "examples/2025-01/batch.json").read_text())
FACTORY = "CN-JS-SZ-0001"

EMS = """
[time]
timezone = "Asia/Shanghai"
format = "%Y-%m-%d %H:%M"
column = "时间"
label = "end"
interval = "15min"
{time}

[[columns]]
column = "电量(kWh)"
source_id = "meter-1"
kind = "grid_electricity"
unit = "{unit}"
{column}
"""


def mapping(time: str = "", unit: str = "kWh", column: str = "", head: str = "") -> ImportMapping:
    return load_mapping_text(head + EMS.replace("{time}", time).replace("{unit}", unit).replace("{column}", column))


def quarter_hours(values: list[str], start: datetime = datetime(2025, 1, 1), header: str = "时间,电量(kWh)") -> str:
    lines = [header]
    for i, value in enumerate(values):
        lines.append(f"{(start + timedelta(minutes=15 * (i + 1))).strftime('%Y-%m-%d %H:%M')},{value}")
    return "\n".join(lines) + "\n"


def run(text: str | bytes, m: ImportMapping | None = None, name: str = "ems.csv", **kw: str) -> ImportResult:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return import_file(data, name, m or mapping(), factory_id=kw.pop("factory_id", FACTORY), **kw)


def codes(result: ImportResult) -> list[tuple[int | None, str]]:
    """(row, code) of each problem; every message formats in English and Chinese (placeholders filled)."""
    zh = translator("zh-CN")
    for issue in result.issues:
        assert issue.message() and "%(" not in issue.message() and "%(" not in issue.message(zh)
    return [(i.row, i.code) for i in result.issues]


# --- the shipped templates -----------------------------------------------------------------


@pytest.mark.parametrize("template", templates(), ids=lambda t: t.name)
def test_each_template_imports_its_sample_to_the_example_month(template: Template) -> None:
    assert template.sample is not None
    path = ROOT / "examples/import-templates" / template.name / template.sample
    result = import_file(path.read_bytes(), path.name, template.mapping, factory_id=FACTORY)
    assert result.ok, [i.where() + " " + i.message() for i in result.issues]
    assert result.period == "2025-01"
    expected = {(r["source_id"], r["kind"], r["unit"]): r["value"] for r in EXAMPLE["records"]}
    for entry in result.by_source():
        assert expected[(entry["source"], entry["kind"], entry["unit"])] == entry["total"], entry
    batch = parse_batch(result.batch() | {"records": [r | {"salt": "0x" + "11" * 32} for r in result.records]})
    assert batch.records[0].interval_start.utcoffset() == timedelta(hours=8)
    assert result.records[0]["evidence"][0]["file_name"] == path.name


def test_templates_round_trip_as_json() -> None:
    for template in templates():
        again = load_mapping_text(json.dumps(to_json(template.mapping)), json_text=True)
        assert again == template.mapping


# --- encodings, delimiters, notations ---------------------------------------------------------


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig", "utf-8", "utf-16"])
def test_csv_in_any_common_encoding(encoding: str) -> None:
    text = quarter_hours(["1.5", "2.25"])
    result = run(text.encode(encoding))
    assert result.ok and [r["value"] for r in result.records] == ["1.5", "2.25"]
    assert result.encoding in (encoding, "gb18030" if encoding == "gbk" else encoding)


def test_semicolons_and_decimal_commas() -> None:
    text = quarter_hours(["1.234,5", "0,75"]).replace(",", ";", 1)
    text = "\n".join(line.replace(",", ";", 1) if i else line for i, line in enumerate(text.splitlines())) + "\n"
    m = mapping(head='[file]\ndecimal = ","\nthousands = "."\n')
    result = run(text, m)
    assert result.ok, result.issues
    assert result.delimiter == ";" and [r["value"] for r in result.records] == ["1234.5", "0.75"]


def test_thousands_grouping_is_checked_not_guessed() -> None:
    m = mapping(head='[file]\nthousands = ","\n')
    result = run(quarter_hours(['"1,234.5"', '"12,34.5"']), m)
    assert codes(result) == [(3, "bad_grouping")]
    without = run(quarter_hours(['"1,234.5"']))  # no thousands separator declared: 1,234.5 is not a number
    assert codes(without) == [(2, "not_a_number")]


def test_unit_conversion_is_exact() -> None:
    m = mapping(unit="万kWh")
    result = run(quarter_hours(["0.12345", "1"]), m)
    assert [(r["value"], r["unit"]) for r in result.records] == [("1234.5", "kWh"), ("10000", "kWh")]
    to_mwh = mapping(column='record_unit = "MWh"')
    assert run(quarter_hours(["1286420.4"]), to_mwh).records[0]["value"] == "1286.4204"
    gj = load_mapping_text(
        EMS.replace("{time}", "").replace("{column}", 'record_unit = "kWh"').replace("{unit}", "GJ")
        .replace("grid_electricity", "purchased_heat")
    )  # fmt: skip
    result = run(quarter_hours(["1", "3.6"]), gj)
    assert codes(result) == [(2, "not_exact")] and result.records[0]["value"] == "1000"


def test_multiplier_and_sum_check() -> None:
    text = "时间,电量(kWh),峰,谷,倍率\n2025-01-01 00:15,3.0,1.0,2.0,80\n2025-01-01 00:30,3.0,1.0,1.0,80\n"
    m = mapping(column='multiplier_column = "倍率"\nequals_sum_of = ["峰", "谷"]')
    result = run(text, m)
    assert result.records[0]["value"] == "240.0"
    [issue] = result.issues
    assert (issue.row, issue.code, issue.column, issue.column_letter) == (3, "sum_mismatch", "电量(kWh)", "B")


# --- every row error, with its row and column -------------------------------------------------


def test_errors_are_all_collected_with_row_and_column() -> None:
    text = quarter_hours(["1", "x", "", "-2", "5"])
    result = run(text)
    assert codes(result) == [(3, "not_a_number"), (4, "empty"), (5, "negative")]  # row 6 is not blamed for them
    assert [r["value"] for r in result.records] == ["1", "5"]
    issue = result.issues[0]
    assert (issue.file, issue.column, issue.column_letter) == ("ems.csv", "电量(kWh)", "B")
    assert issue.where() == "ems.csv:3:电量(kWh) (B)"
    assert "x" in issue.message() and issue.to_json()["code"] == "not_a_number"


def test_gap_and_overlap_name_both_rows() -> None:
    text = "时间,电量(kWh)\n2025-01-01 00:15,1\n2025-01-01 00:45,1\n2025-01-01 00:30,1\n"
    result = run(text)
    assert codes(result) == [(3, "gap"), (4, "overlap")]
    assert "row 2" in result.issues[0].message() and "00:30" in result.issues[0].message()
    assert len(result.records) == 1  # nothing filled in


def test_empty_cells_may_be_skipped_only_when_the_mapping_says() -> None:
    m = mapping(column='empty = "skip"', time="contiguous = false")
    assert run(quarter_hours(["1", "", "2"]), m).ok


def test_without_contiguity_gaps_pass_but_a_time_is_never_counted_twice() -> None:
    m = mapping(time="contiguous = false")
    text = "时间,电量(kWh)\n2025-01-01 00:15,1\n2025-01-01 01:00,1\n2025-01-01 00:15,1\n2025-01-01 00:45,1\n"
    result = run(text, m)
    assert codes(result) == [(4, "overlap")] and len(result.records) == 3
    assert "row 2" in result.issues[0].message()


def test_timestamps() -> None:
    result = run("时间,电量(kWh)\n2025/01/01 00:15,1\n,2\n2025-01-01 00:45:00.5,1\n")
    assert codes(result) == [(2, "bad_timestamp"), (3, "empty"), (4, "bad_timestamp")]
    assert result.issues[0].column == "时间" and result.issues[0].column_letter == "A"


def test_separate_date_and_time_columns_and_24_00() -> None:
    m = load_mapping_text(EMS.replace('column = "时间"', 'column = "时间"\ndate_column = "日期"')
                          .replace("{time}", "").replace("{unit}", "kWh").replace("{column}", ""))  # fmt: skip
    text = "日期,时间,电量(kWh)\n2025-01-01,23:30,1\n2025-01-01,23:45,2\n2025-01-01,24:00,3\n2025-01-02,00:15,4\n"
    result = run(text, m)
    assert result.ok, [i.message() for i in result.issues]
    assert result.records[2]["interval_end"] == "2025-01-02T00:00:00+08:00"
    assert result.records[3]["interval_start"] == "2025-01-02T00:00:00+08:00"
    cells = xlsx([["日期", "时间", "电量(kWh)"], [datetime(2025, 1, 1), time(0, 15), 5]])
    assert run(cells, m, name="m.xlsx").records[0]["interval_end"] == "2025-01-01T00:15:00+08:00"
    with pytest.raises(MappingError) as caught:
        load_mapping_text(EMS.replace('column = "时间"', 'date_column = "日期"').replace("{time}", "")
                          .replace("{unit}", "kWh").replace("{column}", ""))  # fmt: skip
    assert caught.value.field == "mapping.time"


def test_newest_first_exports() -> None:
    lines = quarter_hours(["1", "2", "3"]).splitlines()
    newest_first = "\n".join([lines[0], *reversed(lines[1:])]) + "\n"
    assert [c for _, c in codes(run(newest_first))] == ["overlap", "overlap"]
    result = run(newest_first, mapping(time='order = "descending"'))
    assert result.ok and [r["value"] for r in result.records] == ["1", "2", "3"]


def test_daylight_saving_ambiguity_is_an_error() -> None:
    m = load_mapping_text(EMS.replace("Asia/Shanghai", "Europe/Berlin").replace("{time}", "contiguous = false")
                          .replace("{unit}", "kWh").replace("{column}", ""))  # fmt: skip
    result = run("时间,电量(kWh)\n2025-10-26 02:30,1\n2025-03-30 02:30,1\n", m, period="2025-10")
    assert [c for _, c in codes(result)][:2] == ["ambiguous_time", "ambiguous_time"]


def test_the_time_zone_gives_the_offset() -> None:
    result = run(quarter_hours(["1"]))
    assert result.records[0]["interval_start"] == "2025-01-01T00:00:00+08:00"
    assert result.records[0]["interval_end"] == "2025-01-01T00:15:00+08:00"


def test_outside_the_period_and_incomplete() -> None:
    result = run(quarter_hours(["1", "2", "3"], start=datetime(2025, 1, 31, 23, 30)), period="2025-01")
    assert codes(result) == [(4, "outside_period")]
    m = mapping(time="complete = true")
    result = run(quarter_hours(["1", "2"]), m)
    assert [c for _, c in codes(result)] == ["incomplete"] and result.issues[0].row == 3


def test_cumulative_readings_are_differenced() -> None:
    m = mapping(column='readings = "cumulative"')
    result = run(quarter_hours(["100.0", "101.5", "101.5", "104"]), m)
    assert [r["value"] for r in result.records] == ["1.5", "0.0", "2.5"]
    assert result.records[0]["interval_start"] == "2025-01-01T00:15:00+08:00"  # the first row opens the series
    down = run(quarter_hours(["100", "99"]), m)
    assert codes(down) == [(3, "decreasing_reading")]


def test_instant_readings_need_cumulative_columns_and_spacing() -> None:
    with pytest.raises(MappingError) as caught:
        load_mapping_text(EMS.replace('label = "end"', 'label = "instant"').replace("{time}", "")
                          .replace("{unit}", "kWh").replace("{column}", ""))  # fmt: skip
    assert caught.value.field == "mapping.time.label"
    m = load_mapping_text(EMS.replace('label = "end"', 'label = "instant"').replace("{time}", "")
                          .replace("{unit}", "kWh").replace("{column}", 'readings = "cumulative"'))  # fmt: skip
    result = run("时间,电量(kWh)\n2025-01-01 00:00,5\n2025-01-01 00:15,6\n2025-01-01 00:45,8\n", m)
    assert codes(result) == [(4, "gap")] and result.records[0]["value"] == "1"


def test_columns_missing_unmapped_ambiguous_and_by_letter() -> None:
    result = run("时间,电量(kWh),备注\n2025-01-01 00:15,1,x\n")
    assert codes(result) == [(1, "unmapped_column")] and result.issues[0].column_letter == "C"
    ignored = mapping(head='[file]\nignore = ["C"]\n')
    assert run("时间,电量(kWh),备注\n2025-01-01 00:15,1,x\n", ignored).ok
    result = run("时间,用量\n2025-01-01 00:15,1\n")
    assert ("column_missing", "columns[0].column") in [(i.code, i.field) for i in result.issues]
    result = run("时间,电量(kWh),电量(kWh)\n2025-01-01 00:15,1,2\n")
    assert [c for _, c in codes(result)][0] == "ambiguous_column"
    by_letter = load_mapping_text(EMS.replace('column = "电量(kWh)"', 'column = "B"').replace("{time}", "")
                                  .replace("{unit}", "kWh").replace("{column}", ""))  # fmt: skip
    assert run(quarter_hours(["7"]), by_letter).records[0]["value"] == "7"


def test_whole_file_problems() -> None:
    assert codes(run(b"\x81\x30\xff\xfe", name="x.csv")) == [(1, "encoding")]
    assert codes(run(b"a;b,c\n1;2;3\n1,2,3,4\n")) == [(1, "delimiter")]
    assert codes(run("时间,电量(kWh)\n")) == [(1, "no_rows")]
    assert codes(run(b"\xd0\xcf\x11\xe0old", name="x.xls")) == [(None, "unreadable")]
    huge = '时间,电量(kWh)\n2025-01-01 00:15,"' + "1" * 200_000 + '"\n'  # past csv's field limit
    assert codes(run(huge, mapping(head='[file]\ndelimiter = ","\n'))) == [(None, "unreadable")]
    assert codes(run(b"PK\x03\x04broken", name="x.xlsx")) == [(None, "unreadable")]
    assert codes(run(quarter_hours(["1"]), factory_id="")) == [(None, "no_factory")]
    with pytest.raises(ImportTooLarge):
        run(b"x" * (MAX_FILE_BYTES + 1))


def test_a_record_rule_broken_after_import_names_the_row() -> None:
    m = mapping(column="", head="")
    result = run(quarter_hours(["1." + "1" * 19]), m)
    assert codes(result) == [(2, "record")] and result.issues[0].field == "value"
    english, chinese = result.issues[0].message(), result.issues[0].message(translator("zh-CN"))
    assert "value: at most 18 fractional digits" in english and "fractional" not in chinese and "18" in chinese


def test_messages_translate_codes_do_not() -> None:
    result = run(quarter_hours(["x"]))
    zh = result.issues[0].to_json(translator("zh-CN"))
    en = result.issues[0].to_json()
    assert zh["code"] == en["code"] == "not_a_number" and zh["message"] != en["message"]
    assert "x" in zh["message"]


# --- XLSX ------------------------------------------------------------------------------------


def xlsx(rows: list[list[object]], title: str = "数据", formats: dict[int, str] | None = None) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    for index, form in (formats or {}).items():
        for row in sheet.iter_rows(min_row=2):
            row[index].number_format = form
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_xlsx_cells_keep_their_type_and_precision() -> None:
    rows: list[list[object]] = [["时间", "电量(kWh)"]]
    for i, value in enumerate([38216.0, 0.1 + 0.2, 12, "1,234.5"]):
        rows.append([datetime(2025, 1, 1) + timedelta(minutes=15 * (i + 1)), value])
    m = mapping(head='[file]\nthousands = ","\n')
    result = run(xlsx(rows, formats={1: "0.0"}), m, name="meter.xlsx")
    assert result.ok, result.issues
    assert [r["value"] for r in result.records] == ["38216.0", "0.3", "12.0", "1234.5"]
    assert result.sheet == "数据" and result.records[0]["evidence"][0]["media_type"].endswith("sheet")


def test_xlsx_sheet_and_header_row() -> None:
    data = xlsx([["报表"], [], ["时间", "电量(kWh)"], [datetime(2025, 1, 1, 0, 15), 3]], title="产量")
    assert codes(run(data, mapping(head='[file]\nsheet = "能耗"\n'), name="m.xlsx")) == [(None, "sheet_missing")]
    result = run(data, mapping(head='[file]\nsheet = "产量"\nheader_row = 3\n'), name="m.xlsx")
    assert result.ok and result.rows == 1
    bad = xlsx([["时间", "电量(kWh)"], [datetime(2025, 1, 1, 0, 15), True]])
    assert codes(run(bad, name="m.xlsx")) == [(2, "not_a_number")]


# --- the mapping ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda s: s.replace('unit = "kWh"', 'unit = "kwhh"'), "mapping.columns[0].unit"),
        (lambda s: s.replace('unit = "kWh"', 'unit = "t"'), "mapping.columns[0].unit"),
        (lambda s: s.replace("grid_electricity", "electricity"), "mapping.columns[0].kind"),
        (lambda s: s.replace("Asia/Shanghai", "Asia/Beijing"), "mapping.time.timezone"),
        (lambda s: s.replace('interval = "15min"', ""), "mapping.time.interval"),
        (lambda s: s.replace('label = "end"', 'label = "middle"'), "mapping.time.label"),
        (lambda s: s + 'colour = "red"\n', "mapping.columns[0].colour"),
        (lambda s: s.replace('[time]', '[time]\nwhole_period = true'), "mapping.time"),
        (lambda s: s.replace('source_id = "meter-1"', 'source_id = "meter-1"\nmultiplier = "-1"'),
         "mapping.columns[0].multiplier"),
        (lambda s: "[file]\nheader_row = 0\n" + s, "mapping.file.header_row"),
        (lambda s: s + "[[columns", "mapping"),
    ],
)  # fmt: skip
def test_a_wrong_mapping_names_its_field(change: object, field: str) -> None:
    text = EMS.replace("{time}", "").replace("{unit}", "kWh").replace("{column}", "")
    with pytest.raises(MappingError) as caught:
        load_mapping_text(change(text))  # type: ignore[operator]
    assert caught.value.field == field


def test_column_letters() -> None:
    assert [column_letter(i) for i in (0, 25, 26, 701, 702)] == ["A", "Z", "AA", "ZZ", "AAA"]


# --- property: totals are the exact sums of the rows ------------------------------------------

amounts = st.decimals(min_value=0, max_value=10**7, places=3, allow_nan=False, allow_infinity=False)


@settings(max_examples=60, deadline=None)
@given(values=st.lists(amounts, min_size=1, max_size=200), aggregate=st.sampled_from(["row", "day", "period"]))
def test_interval_sums_equal_record_totals_exactly(values: list[Decimal], aggregate: str) -> None:
    text = quarter_hours([str(v) for v in values])
    result = run(text, mapping(time=f'aggregate = "{aggregate}"'))
    assert result.ok, result.issues
    assert sum(Decimal(r["value"]) for r in result.records) == sum(values)
    assert Decimal(result.by_source()[0]["total"]) == sum(values)
    assert result.records[-1]["interval_end"] == (datetime(2025, 1, 1) + timedelta(minutes=15 * len(values))).strftime(
        "%Y-%m-%dT%H:%M:00+08:00"
    )


@settings(max_examples=40, deadline=None)
@given(start=amounts, steps=st.lists(amounts, min_size=1, max_size=100))
def test_cumulative_differences_add_up_to_the_counter_advance(start: Decimal, steps: list[Decimal]) -> None:
    counters = [start]
    for step in steps:
        counters.append(counters[-1] + step)
    result = run(quarter_hours([str(c) for c in counters]), mapping(column='readings = "cumulative"'))
    assert result.ok, result.issues
    assert sum(Decimal(r["value"]) for r in result.records) == counters[-1] - counters[0]


BILL = """
[file]
skip = [{ column = "表号", values = ["合计"] }]
[time]
timezone = "Asia/Shanghai"
format = "%Y-%m-%d"
start_column = "起始"
end_column = "截止"
end_inclusive = true
[[columns]]
column = "用电量"
source_id = "meter-{表号}"
kind = "grid_electricity"
unit = "kWh"
"""


def test_period_columns_source_templates_and_total_lines() -> None:
    text = ("表号,起始,截止,用电量\nA-1,2025-01-01,2025-01-31,10.5\n,2025-01-01,2025-01-31,3\n"
            "B-2,2025-01-10,2025-01-05,1\nC-3,2025-01-01,2025-01-31 12:00,1\n合计,,,14.5\n")  # fmt: skip
    result = run(text, load_mapping_text(BILL), name="bill.csv")
    assert codes(result) == [(3, "empty"), (4, "bad_interval"), (5, "bad_timestamp")]
    assert result.issues[0].column == "表号" and result.issues[0].column_letter == "A"
    assert result.issues[1].column == "截止" and result.skipped == 1 and result.rows == 4
    assert result.records == [{
        "source_id": "meter-A-1", "kind": "grid_electricity", "value": "10.5", "unit": "kWh",
        "interval_start": "2025-01-01T00:00:00+08:00", "interval_end": "2025-02-01T00:00:00+08:00",
        "evidence": result.records[0]["evidence"],
    }]  # fmt: skip


def test_whole_period_rows_need_the_period() -> None:
    whole = BILL.replace('start_column = "起始"\nend_column = "截止"\nend_inclusive = true', "whole_period = true")
    m = load_mapping_text(whole.replace("skip = [", 'ignore = ["起始", "截止"]\nskip = ['))
    text = "表号,起始,截止,用电量\nA-1,,,10.5\n"
    assert codes(run(text, m)) == [(2, "no_period")]
    result = run(text, m, period="2025-02")
    assert result.ok and result.records[0]["interval_end"] == "2025-03-01T00:00:00+08:00"


def test_cells_right_of_the_header_and_a_missing_header_row() -> None:
    extra = quarter_hours(["1"]).replace(",1\n", ",1,extra\n")
    assert codes(run(extra, mapping(head='[file]\ndelimiter = ","\n'))) == [(2, "extra_cells")]
    assert codes(run("时间,电量(kWh)\n", mapping(head="[file]\nheader_row = 5\n"))) == [(5, "no_header")]


def test_instant_readings_out_of_order() -> None:
    m = load_mapping_text(EMS.replace('label = "end"', 'label = "instant"').replace('interval = "15min"', "")
                          .replace("{time}", "").replace("{unit}", "kWh").replace("{column}", 'readings = "cumulative"'))  # fmt: skip
    result = run("时间,电量(kWh)\n2025-01-01 01:00,5\n2025-01-01 00:30,6\n2025-01-01 02:00,9\n", m)
    assert codes(result) == [(3, "overlap")]
    assert [r["value"] for r in result.records] == ["3"]  # 02:00 is differenced from the row before it, 00:30
