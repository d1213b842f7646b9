"""The Chinese catalogs: every ``locales/zh_CN/LC_MESSAGES/*.po`` file, read once with Babel and
merged into one table. Areas keep their own file (pages, report, cli, errors, …) so that changes to
different parts never touch the same file; a msgid that two files translate differently is an
error, caught by ``tests/test_i18n.py``."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

LOCALES = Path(__file__).resolve().parent / "locales"
DOMAINS_DIR = LOCALES / "zh_CN" / "LC_MESSAGES"
DOMAINS = tuple(sorted(path.stem for path in DOMAINS_DIR.glob("*.po")))

# A translation is a string, or for a plural message the tuple of its forms (Chinese has one).
Translation = str | tuple[str, ...]


def read_domain(path: Path) -> Catalog:
    with path.open("rb") as file:
        return read_po(file, locale="zh_CN", domain=path.stem)


@cache
def chinese() -> dict[str, Translation]:
    """msgid (the English text; for plurals, the singular) → its Chinese, fuzzy and empty ones left out."""
    table: dict[str, Translation] = {}
    for path in sorted(DOMAINS_DIR.glob("*.po")):
        for message in read_domain(path):
            if not message.id or message.fuzzy:
                continue
            key = message.id[0] if isinstance(message.id, (tuple, list)) else message.id
            value = tuple(message.string) if isinstance(message.string, (tuple, list)) else message.string
            if value and all(value):
                table[key] = value
    return table
