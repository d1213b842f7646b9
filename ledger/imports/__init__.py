"""Meter data in without code: CSV and XLSX exports turned into batch records by a mapping.

A mapping (TOML on the command line, the same structure as JSON over the API) names the header
row, the timestamp columns and time zone, the interval and whether values are interval amounts or
cumulative counters, and for each column of values its source id, kind and unit.
:func:`import_file` applies it to a file's bytes and returns the records exactly as ``batch.json``
holds them, with every problem found — each naming file, row, column — and exact totals.
Nothing is guessed: a gap, an overlap, a number in an unexpected notation or a unit the kind does
not admit is a row's error, not a value filled in.
"""

from .inspect import inspect_file
from .issues import ImportIssue, ImportTooLarge, MappingError, column_letter
from .mapping import ImportMapping, load_mapping_text, parse_mapping, to_json
from .result import ImportResult, import_file
from .tables import MAX_FILE_BYTES, MAX_ROWS
from .templates import TEMPLATES_DIR, Template, templates
from .values import UNIT_ALIASES, resolve_unit

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_ROWS",
    "TEMPLATES_DIR",
    "UNIT_ALIASES",
    "ImportIssue",
    "ImportMapping",
    "ImportResult",
    "ImportTooLarge",
    "MappingError",
    "Template",
    "column_letter",
    "import_file",
    "inspect_file",
    "load_mapping_text",
    "parse_mapping",
    "resolve_unit",
    "templates",
    "to_json",
]
