"""What is wrong with an imported file: every problem found, each naming file, row and column.

An import collects all its problems rather than stopping at the first, so a person fixes a sheet
in one pass. A problem's text is kept as an English message id and its parameters, translated only
when shown (:meth:`ImportIssue.message`): the ``code`` and the location stay the same in every
language, for scripts and for the web page that highlights the cell.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ledger.errors import InputError
from ledger.i18n import N_, Translator, translate_error

__all__ = ["N_", "ImportIssue", "ImportTooLarge", "Issues", "MappingError", "column_letter"]


def column_letter(index: int) -> str:
    """0 → ``A``, 25 → ``Z``, 26 → ``AA``: the column as a spreadsheet names it."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


@dataclass(frozen=True)
class ImportIssue:
    """One problem: where (file, 1-based row as the spreadsheet numbers it, column) and what.

    ``field`` is the mapping field or record field concerned (``columns[0].unit``, ``value``);
    ``code`` is a stable English word a program can act on; ``text`` is the English message id,
    formatted with ``params`` (python-format ``%(name)s``) after translation.
    """

    file: str
    row: int | None
    column: str | None
    column_letter: str | None
    field: str | None
    code: str
    text: str
    params: dict[str, Any]

    def message(self, t: Translator | None = None) -> str:
        """The message in ``t``'s language (``translator(lang)``), else English."""
        return _render(self.text, self.params, t)

    def where(self) -> str:
        """``file:row:column`` as the CLI prints it (``bill.csv:7:用电量(kWh) (C)``)."""
        parts = [self.file]
        if self.row is not None:
            parts.append(str(self.row))
        if self.column is not None:
            parts.append(f"{self.column} ({self.column_letter})" if self.column_letter else self.column)
        elif self.column_letter is not None:
            parts.append(self.column_letter)
        return ":".join(parts)

    def to_json(self, t: Translator | None = None) -> dict[str, Any]:
        return {
            "file": self.file,
            "row": self.row,
            "column": self.column,
            "column_letter": self.column_letter,
            "field": self.field,
            "message": self.message(t),
            "code": self.code,
        }


def _render(text: str, params: dict[str, Any], t: Translator | None) -> str:
    """``text`` with ``params``, in ``t``'s language; a nested error text (``error``, as the records'
    rules word it) is translated too."""
    if t is None:
        return text % params if params else text
    if isinstance(params.get("error"), str):
        params = params | {"error": translate_error(params["error"], t.lang)}
    return t.gettext(text, **params)


class Issues:
    """The problems of one file, in the order they were found, with a cap so a broken file of a
    million rows does not answer with a million messages."""

    LIMIT = 1000

    def __init__(self, file: str) -> None:
        self.file = file
        self.items: list[ImportIssue] = []
        self.dropped = 0

    def add(
        self, code: str, text: str, *, row: int | None = None, column: str | None = None,
        index: int | None = None, field: str | None = None, **params: Any,
    ) -> None:  # fmt: skip
        """Record a problem at ``row`` (1-based) in ``column`` (its header) at 0-based ``index``."""
        if len(self.items) >= self.LIMIT:
            self.dropped += 1
            return
        letter = column_letter(index) if index is not None else None
        params = {"row": row, "column": column} | params  # a message may name its own row and column
        self.items.append(ImportIssue(self.file, row, column, letter, field, code, text, params))

    def __bool__(self) -> bool:
        return bool(self.items)

    def __len__(self) -> int:
        return len(self.items) + self.dropped


class MappingError(InputError):
    """The mapping itself is wrong; ``field`` is its path (``mapping.columns[0].unit``).

    Raised (not collected): with a wrong mapping every row would be wrong for the same reason.
    """

    def __init__(self, field: str, text: str, **params: Any) -> None:
        self.text, self.params = text, params
        path = f"mapping.{field}" if field else "mapping"
        super().__init__(path, text % params if params else text)

    def message_in(self, t: Translator | None) -> str:
        return _render(self.text, self.params, t)

    def __reduce__(self) -> Any:
        return (_mapping_error, (self.field, self.text, self.params))


def _mapping_error(path: str, text: str, params: dict[str, Any]) -> MappingError:
    return MappingError(path.removeprefix("mapping").removeprefix("."), text, **params)


class ImportTooLarge(InputError):
    """The upload is over a limit (bytes, rows, unpacked workbook size): refused before any row."""

    def __init__(self, field: str, text: str, **params: Any) -> None:
        self.text, self.params = text, params
        super().__init__(field, text % params if params else text)

    def message_in(self, t: Translator | None) -> str:
        return _render(self.text, self.params, t)

    def __reduce__(self) -> Any:
        return (_too_large, (self.field, self.text, self.params))


def _too_large(field: str, text: str, params: dict[str, Any]) -> ImportTooLarge:
    return ImportTooLarge(field, text, **params)
