"""Plain-text layout for a person: "label: value" blocks and aligned tables.

Columns are aligned by display width, not by character count, so a Chinese header or factory name
(two terminal cells per character) keeps its table straight. No colour, no box drawing: the output
reads the same piped into a file or a mail.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence


def width(text: str) -> int:
    """Terminal cells ``text`` takes: wide and full-width characters count two, combining marks none."""
    cells = 0
    for char in text:
        if unicodedata.combining(char):
            continue
        cells += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return cells


def pad(text: str, cells: int, right: bool = False) -> str:
    """``text`` padded with spaces to ``cells`` display cells (on the left when ``right``)."""
    gap = " " * max(cells - width(text), 0)
    return gap + text if right else text + gap


def block(rows: Sequence[tuple[str, str]], indent: str = "") -> str:
    """``label: value`` lines, the values aligned; a multi-line value continues under its first line."""
    if not rows:
        return ""
    label_cells = max(width(label) for label, _ in rows) + 1  # the colon
    lines = []
    for label, value in rows:
        first, *rest = value.split("\n") if value else [""]
        lines.append(f"{indent}{pad(label + ':', label_cells)}  {first}".rstrip())
        lines += [f"{indent}{' ' * label_cells}  {line}".rstrip() for line in rest]
    return "\n".join(lines)


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], numeric: Sequence[bool] = ()) -> str:
    """An aligned table with a header row and a rule under it; columns flagged ``numeric`` are
    right-aligned so the digits line up."""
    right = list(numeric) + [False] * (len(headers) - len(numeric))
    cells = [max([width(h), *(width(r[i]) for r in rows)]) for i, h in enumerate(headers)]
    out = ["  ".join(pad(h, cells[i], right[i]) for i, h in enumerate(headers)).rstrip()]
    out.append("  ".join("-" * c for c in cells))
    out += ["  ".join(pad(v, cells[i], right[i]) for i, v in enumerate(row)).rstrip() for row in rows]
    return "\n".join(out)
