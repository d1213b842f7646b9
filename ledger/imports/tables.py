"""A file as a table: its header and its data rows, numbered as the spreadsheet numbers them.

CSV comes in whatever encoding the exporting program used: UTF-8 with or without a byte-order mark,
UTF-16 (Excel's "Unicode text"), and GBK/GB18030 from Chinese Excel and many Chinese EMS programs.
``auto`` tries the byte-order marks, then strict UTF-8, then GB18030 (a superset of GBK); the
encoding used is reported. The delimiter is the one candidate that splits the header and the
first rows into the same number of fields; when none or several do, the mapping must say.

XLSX is read with openpyxl in read-only mode, after the archive's unpacked size is checked (a small
file can unpack to gigabytes). Cells keep their type: a number is a number, a date cell a datetime.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass
from typing import Any

from .issues import N_, ImportTooLarge, Issues
from .mapping import FileSpec

MAX_FILE_BYTES = 16 * 1024 * 1024
"""The largest file imported: a month of 15-minute readings of fifty meters is about 10 MB of CSV."""
MAX_ROWS = 250_000
MAX_UNPACKED_BYTES = 256 * 1024 * 1024
"""The most an XLSX archive may unpack to."""
DELIMITERS = (",", ";", "\t", "|")
XLSX_MAGIC = b"PK\x03\x04"


@dataclass(frozen=True)
class Row:
    number: int  # 1-based, as the spreadsheet numbers it
    cells: tuple[Any, ...]
    places: tuple[int | None, ...]  # decimals an Excel cell's number format shows


@dataclass(frozen=True)
class Table:
    headers: tuple[str, ...]
    header_row: int
    rows: tuple[Row, ...]
    encoding: str | None
    delimiter: str | None
    sheet: str | None
    sheets: tuple[str, ...] = ()  # every sheet of a workbook, for choosing another


def read_table(data: bytes, file_name: str, spec: FileSpec, issues: Issues) -> Table | None:
    """The table in ``data``; None (with the reason in ``issues``) when it cannot be read at all."""
    if len(data) > MAX_FILE_BYTES:
        raise ImportTooLarge("file", N_("the file is %(size)s bytes; the limit is %(limit)s"),
                             size=len(data), limit=MAX_FILE_BYTES)  # fmt: skip
    form = spec.format or ("xlsx" if file_name.lower().endswith((".xlsx", ".xlsm")) else "csv")
    if form == "xlsx" or data.startswith(XLSX_MAGIC):
        if not data.startswith(XLSX_MAGIC):
            issues.add("unreadable", N_("not an XLSX workbook (an .xls file must be saved as .xlsx or CSV first)"))
            return None
        return _read_xlsx(data, spec, issues)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        issues.add("unreadable", N_("an old .xls workbook: save it as .xlsx or CSV first"))
        return None
    return _read_csv(data, spec, issues)


def _decode(data: bytes, spec: FileSpec, issues: Issues) -> tuple[str, str] | None:
    boms = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))
    if spec.encoding == "auto":
        candidates = [enc for bom, enc in boms if data.startswith(bom)][:1] or ["utf-8", "gb18030"]
    else:
        candidates = ["utf-8-sig" if spec.encoding == "utf-8" else spec.encoding]
    for encoding in candidates:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError as exc:
            last = exc
    line = data[: last.start].count(b"\n") + 1
    issues.add("encoding", N_("cannot be decoded as %(encodings)s (byte %(offset)s, line %(line)s); set file.encoding"),
               row=line, field="file.encoding", encodings=" or ".join(candidates), offset=last.start, line=line)  # fmt: skip
    return None


def _read_csv(data: bytes, spec: FileSpec, issues: Issues) -> Table | None:
    decoded = _decode(data, spec, issues)
    if decoded is None:
        return None
    text, encoding = decoded
    lines = text.splitlines()
    if len(lines) > MAX_ROWS + spec.header_row:
        raise ImportTooLarge("file", N_("the file has more than %(limit)s rows"), limit=MAX_ROWS)
    if len(lines) < spec.header_row:
        return _table([], [], spec, issues, encoding=encoding, delimiter=None, sheet=None)  # names the missing row
    delimiter = spec.delimiter if spec.delimiter != "auto" else _sniff(lines, spec.header_row, issues)
    if delimiter is None:
        return None
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:  # a NUL byte, a field past csv's size limit
        issues.add("unreadable", N_("not a readable CSV file: %(error)s"), error=str(exc))
        return None
    return _table(rows, [None] * len(rows), spec, issues, encoding=encoding, delimiter=delimiter, sheet=None)


def _sniff(lines: list[str], header_row: int, issues: Issues) -> str | None:
    sample = [ln for ln in lines[header_row - 1 : header_row + 20] if ln.strip()]
    fitting = []
    for candidate in DELIMITERS:
        counts = {len(r) for r in csv.reader(sample, delimiter=candidate)}
        if sample and len(next(csv.reader(sample[:1], delimiter=candidate))) > 1 and len(counts) == 1:
            fitting.append(candidate)
    if len(fitting) == 1:
        return fitting[0]
    issues.add("delimiter", N_("cannot tell the delimiter (%(found)s split the header and rows alike); "
                               "set file.delimiter"), row=header_row, field="file.delimiter",
               found=", ".join(repr(d) for d in fitting) or "none")  # fmt: skip
    return None


def _read_xlsx(data: bytes, spec: FileSpec, issues: Issues) -> Table | None:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
        if unpacked > MAX_UNPACKED_BYTES:
            raise ImportTooLarge("file", N_("the workbook unpacks to %(size)s bytes; the limit is %(limit)s"),
                                 size=unpacked, limit=MAX_UNPACKED_BYTES)  # fmt: skip
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except ImportTooLarge:
        raise
    except Exception as exc:  # openpyxl raises many kinds for a damaged archive
        issues.add("unreadable", N_("not a readable XLSX workbook: %(error)s"), error=type(exc).__name__)
        return None
    try:
        if spec.sheet is not None and spec.sheet not in book.sheetnames:
            issues.add("sheet_missing", N_("no sheet %(sheet)s; the workbook has %(sheets)s"), field="file.sheet",
                       sheet=repr(spec.sheet), sheets=", ".join(book.sheetnames))  # fmt: skip
            return None
        sheet = book[spec.sheet] if spec.sheet is not None else book.worksheets[0]
        rows: list[list[Any]] = []
        places: list[list[int | None]] = []
        try:
            for row in sheet.iter_rows():
                if len(rows) > MAX_ROWS + spec.header_row:
                    raise ImportTooLarge("file", N_("the file has more than %(limit)s rows"), limit=MAX_ROWS)
                rows.append([getattr(c, "value", None) for c in row])
                places.append([_places(getattr(c, "number_format", None)) for c in row])
        except ImportTooLarge:
            raise
        except Exception as exc:  # a damaged sheet inside a sound archive
            issues.add("unreadable", N_("not a readable XLSX workbook: %(error)s"), error=type(exc).__name__)
            return None
        return _table(
            rows, places, spec, issues, encoding=None, delimiter=None, sheet=sheet.title, sheets=tuple(book.sheetnames)
        )
    finally:
        book.close()


_FORMAT_DECIMALS = re.compile(r"0\.(0+)")


def _places(number_format: str | None) -> int | None:
    """Decimals a cell format such as ``#,##0.00`` shows (None for General and text)."""
    if not number_format:
        return None
    match = _FORMAT_DECIMALS.search(number_format.split(";")[0])
    return len(match.group(1)) if match else None


def _table(rows: list[list[Any]], places: list[Any], spec: FileSpec, issues: Issues, **about: Any) -> Table | None:
    if len(rows) < spec.header_row:
        issues.add("no_header", N_("the file has no row %(row)s for the header"), row=spec.header_row,
                   field="file.header_row")  # fmt: skip
        return None
    headers = tuple(_header(cell) for cell in rows[spec.header_row - 1])
    width = len(headers)
    while width and not headers[width - 1]:
        width -= 1
    data_rows = []
    for offset, (cells, shown) in enumerate(zip(rows[spec.header_row :], places[spec.header_row :], strict=True)):
        number = spec.header_row + 1 + offset
        if all(c is None or (isinstance(c, str) and not c.strip()) for c in cells):
            continue  # a blank line holds no reading
        if len(cells) > width and any(c not in (None, "") for c in cells[width:]):
            issues.add("extra_cells", N_("the row has cells right of the last header"), row=number)
        padded = tuple(cells[:width]) + (None,) * max(0, width - len(cells))
        shown = tuple((shown or [])[:width]) + (None,) * max(0, width - len(shown or []))
        data_rows.append(Row(number, padded, shown))
    return Table(headers[:width], spec.header_row, tuple(data_rows), **about)


def _header(cell: Any) -> str:
    return " ".join(str(cell).split()) if cell is not None else ""
