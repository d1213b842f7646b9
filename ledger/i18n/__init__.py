"""Chinese and English for everything a person reads: pages, reports, CLI lines and error texts.

English is the source language: the English text of a message is its msgid, so English needs no
catalog and a message without a translation still reads. Chinese lives in gettext catalogs, one
``.po`` file per area (``locales/zh_CN/LC_MESSAGES/<domain>.po``), read with Babel at first use —
no compiled ``.mo`` to forget to rebuild. ``tests/test_i18n.py`` extracts every marked string with
Babel's extractors and fails when one has no Chinese, so the catalogs cannot fall behind the code.

Machine-readable values (ids, enum values, JSON keys, field paths, ``--json`` output) never go
through here: they stay the same in every language.
"""

from __future__ import annotations

from ledger.i18n.catalog import DOMAINS
from ledger.i18n.errors import translate_error
from ledger.i18n.negotiate import DEFAULT, LANGUAGES, language_from_env, negotiate, normalize
from ledger.i18n.translator import Translator, translator


def N_(message: str) -> str:
    """Marks ``message`` for extraction without translating it: for module-level texts translated
    later, at the reader's language, with ``Translator.gettext``."""
    return message


__all__ = [
    "DEFAULT",
    "DOMAINS",
    "LANGUAGES",
    "N_",
    "Translator",
    "language_from_env",
    "negotiate",
    "normalize",
    "translate_error",
    "translator",
]
