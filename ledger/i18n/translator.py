"""A reader's language, as one object: its messages, and numbers, quantities and dates written the
way that reader writes them. Pages, reports and the CLI each take one and never branch on the
language themselves."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal

from ledger.i18n.catalog import Translation, chinese
from ledger.i18n.negotiate import DEFAULT, normalize

# Dates and times are shown in China Standard Time, named, whatever the server's clock says: the
# readers are Chinese factories, parks and their evaluators, and a report must read the same
# wherever it is rendered. Stored values stay Unix seconds (UTC).
DISPLAY_ZONE = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class Translator:
    """Messages and formats for one language (``lang`` is ``"en"`` or ``"zh-CN"``)."""

    lang: str
    table: dict[str, Translation]

    @property
    def babel_locale(self) -> Locale:
        return Locale.parse(self.lang.replace("-", "_"))

    def gettext(self, message: str, /, **params: Any) -> str:
        """``message`` in this language, its ``%(name)s`` placeholders filled after translation."""
        found = self.table.get(message, message)
        text = found[0] if isinstance(found, tuple) else found
        return text % params if params else text

    def plural_form(self, singular: str, plural: str, n: int) -> str:
        """The form for ``n``, placeholders left as they are (Chinese has one plural form)."""
        found = self.table.get(singular)
        if isinstance(found, tuple):
            return found[0]
        if isinstance(found, str):
            return found
        return singular if n == 1 else plural

    def ngettext(self, singular: str, plural: str, n: int, /, **params: Any) -> str:
        """The form for ``n``; ``%(num)s`` is ``n`` unless given (as Jinja's i18n extension does)."""
        params.setdefault("num", n)
        return self.plural_form(singular, plural, n) % params

    def number(self, value: Decimal | int | str | None, places: int | None = None) -> str:
        """``value`` with thousands separators, rounded half up to ``places`` (all its digits when
        None); "—" for a missing value, never "0"."""
        if value is None or value == "":
            return "—"
        amount = Decimal(str(value))
        if places is not None:
            amount = amount.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
        exponent = amount.as_tuple().exponent
        digits = max(-exponent, 0) if isinstance(exponent, int) else 0
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        return format_decimal(amount, format=pattern, locale=self.babel_locale, decimal_quantization=False)

    def quantity(self, value: Decimal | int | str | None, unit: str, places: int | None = None) -> str:
        """A number and its unit ("12,345.6 MWh"); "—" alone when the value is missing."""
        text = self.number(value, places)
        return text if text == "—" else f"{text} {unit}"

    def percent(self, value: Decimal | int | str | None, places: int = 2) -> str:
        """A value already in percent ("99.99" → "99.99 %" in English, "99.99%" in Chinese)."""
        text = self.number(value, places)
        if text == "—":
            return text
        return f"{text}%" if self.lang == "zh-CN" else f"{text} %"

    def date(self, value: int | float | str | date | datetime | None) -> str:
        """A calendar date as the reader writes it ("Mar 5, 2026", "2026年3月5日")."""
        if value is None:
            return "—"
        return format_date(_at(value), format="medium", locale=self.babel_locale)

    def datetime(self, value: int | float | str | datetime | None) -> str:
        """A moment in China Standard Time, to the minute, with its zone named (a time without an
        offset is UTC, as the database hands back what it stored)."""
        if value is None:
            return "—"
        moment = _at(value)
        if not isinstance(moment, datetime):
            return self.date(moment)
        text = format_datetime(moment, format="yyyy-MM-dd HH:mm", tzinfo=DISPLAY_ZONE, locale=self.babel_locale)
        return f"{text} ({self.gettext('China time')})"


def _at(value: int | float | str | date | datetime) -> date | datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)  # ISO 8601, as the API and stored reports write times
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, UTC)
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


@cache
def translator(lang: str | None = None) -> Translator:
    """The translator for ``lang`` (any tag :func:`normalize` knows; English otherwise)."""
    language = normalize(lang) or DEFAULT
    return Translator(language, chinese() if language == "zh-CN" else {})
