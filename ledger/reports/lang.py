"""The report's languages: which one a render uses, and its gettext.

English text is the message id; zh-CN comes from the catalogs of :mod:`ledger.i18n` (the report's own
texts are in ``report.po``). Renders take a ``lang`` ("en" or "zh-CN") and everything they write goes
through the gettext given here, so the HTML page, the PDF and the charts of one report say the same
thing in one language.
"""

from __future__ import annotations

from collections.abc import Callable

from ledger.i18n import LANGUAGES, N_, translator

__all__ = ["LANGUAGES", "Gettext", "N_", "check_lang", "gettext_for"]

Gettext = Callable[..., str]
"""``_(msgid, **placeholders)``: the translation of ``msgid`` with ``%(name)s`` placeholders filled."""


def check_lang(lang: str) -> str:
    """``lang`` when the report is written in it; a ValueError naming the field otherwise."""
    if lang not in LANGUAGES:
        raise ValueError(f"lang: {lang!r} is not one of {', '.join(LANGUAGES)}")
    return lang


def gettext_for(lang: str) -> Gettext:
    """The gettext of ``lang`` (English: the message itself, placeholders filled)."""
    return translator(check_lang(lang)).gettext
