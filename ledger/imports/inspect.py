"""A first look at an export before there is a mapping: its columns (header and letter), a few
rows as text, and how it was read — what a person (or the upload page) needs to map columns."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ledger.i18n import Translator

from .issues import Issues, column_letter
from .mapping import parse_file_spec
from .tables import read_table
from .values import NumberError, canonical_text, parse_number

SAMPLE_ROWS = 5


def inspect_file(
    data: bytes, file_name: str, file_options: object = None, t: Translator | None = None
) -> dict[str, Any]:
    """The columns and first rows of ``data``; ``file_options`` is a mapping's ``file`` table
    (encoding, delimiter, sheet, header_row…), checked as the mapping's (:class:`MappingError`);
    problems reading it in ``t``'s language."""
    spec = parse_file_spec(file_options if file_options is not None else {})
    issues = Issues(file_name)
    table = read_table(data, file_name, spec, issues)
    out: dict[str, Any] = {"file": file_name, "encoding": None, "delimiter": None, "sheet": None, "sheets": [],
                           "header_row": spec.header_row, "columns": [], "rows": []}  # fmt: skip
    if table is not None:
        out.update(encoding=table.encoding, delimiter=table.delimiter, sheet=table.sheet, sheets=list(table.sheets))
        out["columns"] = [{"name": name, "letter": column_letter(i)} for i, name in enumerate(table.headers)]
        out["rows"] = [{"row": r.number, "cells": [_text(c, p) for c, p in zip(r.cells, r.places, strict=True)]}
                       for r in table.rows[:SAMPLE_ROWS]]  # fmt: skip
    out["errors"] = [issue.to_json(t) for issue in issues.items]
    return out


def _text(cell: object, places: int | None) -> str:
    if cell is None:
        return ""
    if isinstance(cell, datetime):
        return cell.isoformat(sep=" ", timespec="seconds")
    if isinstance(cell, date):
        return cell.isoformat()
    if isinstance(cell, (int, float)) and not isinstance(cell, bool):
        try:
            return canonical_text(parse_number(cell, places=places))
        except NumberError:
            return str(cell)
    return str(cell)
