"""Jinja2's i18n extension, with the language taken per render from the template's context.

Templates write ``{{ _("Factory %(name)s", name=f.name) }}`` (or ``{% trans %}`` blocks) and receive
the reader's :class:`~ledger.i18n.translator.Translator` as ``t`` in their context; the same
environment serves every language at once. ``newstyle`` gettext escapes the placeholders' values
under autoescape and fills them after translation, as :meth:`Translator.gettext` does.
"""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, pass_context
from jinja2.runtime import Context

from ledger.i18n.translator import Translator, translator


def _reader(context: Context) -> Translator:
    found = context.get("t")
    return found if isinstance(found, Translator) else translator(context.get("lang"))


@pass_context
def _gettext(context: Context, message: str) -> str:
    return _reader(context).gettext(message)


@pass_context
def _ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    return _reader(context).plural_form(singular, plural, n)  # newstyle gettext fills the placeholders


def install(env: Environment) -> Environment:
    """Adds the i18n extension to ``env``: ``_``, ``gettext`` and ``ngettext`` in every template."""
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]
    return env


def context(lang: str | None) -> dict[str, Any]:
    """What a template needs to speak ``lang``: the translator ``t`` and ``lang`` itself."""
    reader = translator(lang)
    return {"t": reader, "lang": reader.lang}
