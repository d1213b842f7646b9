"""A factory's display name: one canonical Unicode form, nothing that can disguise it.

Names are shown on pages, in reports and in the CLI next to chain facts. A name is NFC-normalised
(so ``é`` typed two ways is one name), and refused with a control character (a newline would forge a
second line in a log or a terminal) or a bidirectional override/isolate/mark (U+202A–202E,
U+2066–2069, U+200E/F, U+061C), which can make a name read differently from what it is.
"""

from __future__ import annotations

import unicodedata

from ledger.records.errors import RecordError

MAX_NAME_LENGTH = 200
BIDI_CONTROLS = frozenset(
    [*map(chr, range(0x202A, 0x202F)), *map(chr, range(0x2066, 0x206A)), "\u200e", "\u200f", "\u061c"]
)


def check_factory_name(name: object, field: str = "name") -> str:
    """The name NFC-normalised and stripped; :class:`RecordError` naming ``field`` otherwise."""
    if not isinstance(name, str):
        raise RecordError(field, f"must be a string, got {type(name).__name__}")
    text = unicodedata.normalize("NFC", name).strip()
    if not text or len(text) > MAX_NAME_LENGTH:
        raise RecordError(field, f"must be 1-{MAX_NAME_LENGTH} characters")
    for i, char in enumerate(text):
        if char in BIDI_CONTROLS or unicodedata.category(char) == "Cc":
            kind = "a bidirectional control" if char in BIDI_CONTROLS else "a control character"
            raise RecordError(field, f"contains {kind} (U+{ord(char):04X}) at position {i}")
    return text
