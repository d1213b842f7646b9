"""The report's languages: which one a render uses, and its gettext.

English text is the message id; zh-CN comes from the ``report`` catalog of :mod:`ledger.i18n`.
Renders take a ``lang`` ("en" or "zh-CN") and everything they write goes through the gettext given
here, so the HTML page, the PDF and the charts of one report say the same thing in one language.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["LANGUAGES", "Gettext", "N_", "check_lang", "gettext_for"]

LANGUAGES = ("en", "zh-CN")

Gettext = Callable[..., str]
"""``_(msgid, **placeholders)``: the translation of ``msgid`` with ``%(name)s`` placeholders filled."""


def N_(message: str) -> str:  # noqa: N802 (the conventional name, which the extractor looks for)
    """Marks a module-level string for the catalog; it is translated where it is used."""
    return message


def check_lang(lang: str) -> str:
    """``lang`` when the report is written in it; a ValueError naming the field otherwise."""
    if lang not in LANGUAGES:
        raise ValueError(f"lang: {lang!r} is not one of {', '.join(LANGUAGES)}")
    return lang


def gettext_for(lang: str) -> Gettext:
    """The gettext of ``lang`` (English: the message itself, placeholders filled)."""
    check_lang(lang)

    def gettext(message: str, **placeholders: Any) -> str:
        return message % placeholders if placeholders else message

    return gettext
