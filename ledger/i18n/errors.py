"""Error texts in the reader's language, without touching the code that raises them.

An error is raised with an English text, often built from values ("records[3].value: must be at
most 18 digits, got 19"). Its Chinese is found in two ways: the whole text as a msgid, or a msgid
with ``%(name)s`` placeholders read as a pattern whose placeholders match any text and are carried
into the Chinese unchanged. A field path before the first ": " stays as it is (it is
machine-readable). A text with no translation comes back in English: readable, never lost.
"""

from __future__ import annotations

import re
from functools import cache

from ledger.i18n.catalog import chinese
from ledger.i18n.negotiate import normalize

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")
_FIELD = re.compile(r"^([A-Za-z_][\w.\[\]-]*): (.+)$", re.DOTALL)


@cache
def _patterns() -> tuple[tuple[re.Pattern[str], str], ...]:
    """Each msgid with placeholders as an anchored regex, the most literal text first so that the
    most specific pattern wins."""
    found = []
    for msgid, value in chinese().items():
        if "%(" not in msgid or not isinstance(value, str):
            continue
        parts = _PLACEHOLDER.split(msgid)
        regex = "".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)" for i, part in enumerate(parts))
        try:
            compiled = re.compile(f"^{regex}$", re.DOTALL)
        except re.error:  # the same placeholder twice: not usable as a pattern
            continue
        literal = sum(len(part) for part in parts[::2])
        found.append((literal, compiled, value))
    found.sort(key=lambda item: -item[0])
    return tuple((compiled, value) for _, compiled, value in found)


def _translate(text: str) -> str | None:
    table = chinese()
    exact = table.get(text)
    if isinstance(exact, str):
        return exact
    for pattern, chinese_text in _patterns():
        match = pattern.match(text)
        if match:
            values = {name: _translate(value) or value for name, value in match.groupdict().items()}
            return chinese_text % values
    return None


def translate_error(text: str, lang: str | None) -> str:
    """``text`` in ``lang``; the field path in front of it (``records[3].value: …``) kept as is."""
    if normalize(lang) != "zh-CN":
        return text
    whole = _translate(text)
    if whole is not None:
        return whole
    field = _FIELD.match(text)
    if field:
        rest = _translate(field.group(2))
        if rest is not None:
            return f"{field.group(1)}: {rest}"
    return text
