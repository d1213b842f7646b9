"""Importing an export on the wire: the preview's records (as batch.json holds them), its row
errors and summary, and the shipped templates."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from api.schemas.common import Out


class ImportEvidenceOut(Out):
    sha256: str = Field(description="sha256 of the cited file, 64 lower-case hex digits")
    file_name: str
    media_type: str


class ImportRecordOut(Out):
    """A record exactly as batch.json holds it, without the salt that signing adds."""

    source_id: str
    kind: str
    value: str = Field(description="exact decimal string")
    unit: str
    interval_start: str = Field(description="ISO 8601 with the mapping time zone's offset")
    interval_end: str
    evidence: list[ImportEvidenceOut]


class ImportErrorOut(Out):
    """One problem, where a person finds it in the spreadsheet."""

    file: str
    row: int | None = Field(description="1-based, as the spreadsheet numbers rows; null for the whole file")
    column: str | None = Field(description="the column's header (or the mapping's reference to it)")
    column_letter: str | None = Field(description="A, B, …, AA as the spreadsheet names the column")
    field: str | None = Field(description="the mapping or record field concerned (columns[0], time, value)")
    message: str = Field(description="in the reader's language")
    code: str = Field(description="stable English word: gap, overlap, not_a_number, unmapped_column, …")


class ImportSourceTotalOut(Out):
    source: str
    kind: str
    unit: str
    total: str = Field(description="exact decimal sum of the source's records")
    count: int


class ImportSummaryOut(Out):
    rows: int = Field(description="data rows read (total lines the mapping skips not counted)")
    records: int
    by_source: list[ImportSourceTotalOut]


class ImportPreviewOut(Out):
    factory_id: str | None
    period: str | None = Field(description="YYYY-MM: as given, or the month the first record starts in")
    records: list[ImportRecordOut]
    errors: list[ImportErrorOut]
    errors_not_listed: int = Field(description="problems past the listed ones (a very broken file)")
    summary: ImportSummaryOut


class ImportTemplateOut(Out):
    name: str
    title: str
    description: str
    sample: str | None = Field(description="the sample export's file name (GET /imports/templates/{name}/sample)")
    mapping: dict[str, Any] = Field(description="the mapping as JSON: send it back as the `mapping` field")


class ImportColumnOut(Out):
    name: str = Field(description="the header as written (spaces collapsed); empty for a column without one")
    letter: str


class ImportSampleRowOut(Out):
    row: int = Field(description="1-based, as the spreadsheet numbers rows")
    cells: list[str] = Field(description="each cell as text: numbers exact, dates ISO 8601")


class ImportInspectOut(Out):
    """What a file holds before it is mapped: enough to choose columns."""

    file: str
    encoding: str | None = Field(description="the encoding a CSV was read in (utf-8-sig, gb18030, …)")
    delimiter: str | None
    sheet: str | None = Field(description="the sheet read (XLSX)")
    sheets: list[str] = Field(description="every sheet of the workbook")
    header_row: int
    columns: list[ImportColumnOut]
    rows: list[ImportSampleRowOut] = Field(description="the first data rows")
    errors: list[ImportErrorOut]
