"""The language ``zcl`` speaks to a person: chosen once per run (``--lang``, else the locale
variables), then every human line goes through :func:`_` (marked for extraction into ``cli.po``).

``--json`` output never comes here: it stays English and machine-readable in every language.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping, Sequence
from typing import Any

from ledger.i18n import LANGUAGES, N_, Translator, language_from_env, normalize, translate_error, translator

_current: Translator = translator("en")


def choose(flag: str | None, environ: Mapping[str, str] = os.environ) -> str:
    """Use ``flag`` (``--lang``) when given, else the environment's language; returns the language."""
    language = normalize(flag) if flag else language_from_env(environ)
    global _current
    _current = translator(language or "en")
    argparse._ = _current.gettext  # type: ignore[attr-defined]  # argparse looks its own texts up through it
    return _current.lang


def lang_from_argv(argv: Sequence[str]) -> str | None:
    """``--lang X`` (or ``--lang=X``) wherever it stands, read before argparse builds the help texts
    in that language; None when absent."""
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--lang="):
            return arg.split("=", 1)[1]
    return None


def _(message: str, /, **values: Any) -> str:
    """``message`` in the chosen language, its ``%(name)s`` placeholders filled after translation."""
    return _current.gettext(message, **values)


def current() -> Translator:
    """The run's translator, for its dates and numbers."""
    return _current


__all__ = ["LANGUAGES", "N_", "_", "choose", "current", "lang_from_argv"]


def error(exc: BaseException) -> str:
    """An error's message in the chosen language: the library's English text through ledger.i18n's
    error catalog (a field path in front kept as is); the service's already comes in it."""
    return error_text(str(exc))


def error_text(message: str) -> str:
    """An English error text in the chosen language (unchanged when it has no translation)."""
    return translate_error(message, _current.lang)
