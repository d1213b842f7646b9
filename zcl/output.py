"""What commands print and write: JSON on stdout, JSON and NDJSON files (written to a temporary
file and renamed, so a failed run never leaves half a file), reading JSON with the position of a
syntax error, and the progress of a long upload on stderr."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ledger.records import RecordError


def emit(
    args: Any, answer: Any, human: str | None = None, *, columns: Mapping[str, Sequence[str]] | None = None
) -> None:
    """Print a command's result: with ``--json`` the answer itself, unchanged (for scripts); else
    ``human``, or the answer laid out for a person (:func:`zcl.render.show`, ``columns`` choosing
    the columns of its tables)."""
    if getattr(args, "json", False):
        print_json(answer)
        return
    from zcl.render import show

    print(human if human is not None else show(json.loads(json.dumps(answer, default=json_default)), columns=columns))


def print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, ensure_ascii=False, default=json_default))


def json_default(value: Any) -> Any:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    raise TypeError(f"cannot encode {type(value).__name__}")


def read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise RecordError(str(path), f"not valid JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}") from None


def write_json(path: Path, value: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)


def write_lines(path: Path, lines: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as file:
        file.writelines(lines)
    tmp.replace(path)


class UploadProgress:
    """Bytes and records sent, on stderr: a rich bar on a terminal (when rich is installed), else a
    plain line every few seconds. Only counts are printed."""

    def __init__(self, total_bytes: int, total_records: int) -> None:
        self.total_bytes, self.total_records = total_bytes, total_records
        self.bytes = self.lines = 0
        self.last = 0.0
        self.bar: Any = None
        if sys.stderr.isatty():
            try:
                from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn
            except ImportError:
                pass
            else:
                self.bar = Progress(TextColumn("[bold]upload"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                                    TextColumn("{task.fields[records]}"), transient=False)  # fmt: skip
                self.bar.start()
                self.task = self.bar.add_task("upload", total=total_bytes, records="")

    @property
    def records(self) -> int:
        return max(self.lines - 1, 0)  # line 1 is the envelope

    def advance(self, size: int, lines: int) -> None:
        import time

        self.bytes += size
        self.lines += lines
        text = f"{self.records:,} of {self.total_records:,} records"
        if self.bar is not None:
            self.bar.update(self.task, completed=self.bytes, records=text)
        elif time.monotonic() - self.last >= 2.0 or self.bytes >= self.total_bytes:
            self.last = time.monotonic()
            print(f"zcl: sent {self.bytes / 1e6:,.1f} of {self.total_bytes / 1e6:,.1f} MB ({text})", file=sys.stderr)

    def sent(self) -> None:
        self.close()
        print(f"zcl: sent {self.records:,} records; the service is storing and anchoring them", file=sys.stderr)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None
