"""Numbers and units as exports write them, turned into exact decimals and canonical units.

A meter export writes ``1,286,420.4`` or ``1.286.420,4``, ``万kWh`` or ``度``; the ledger takes
one decimal form and one symbol per unit (:mod:`ledger.records.units`). The mapping says which
decimal mark and grouping a file uses, so ``1,234`` is never read as either 1234 or 1.234 by
guessing. A number from an Excel cell (a binary double) is taken at Excel's own precision, 15
significant digits, and padded to the decimals its cell format shows, so ``38216.0`` stays
``38216.0``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from decimal import Context, Decimal, Inexact, InvalidOperation
from types import MappingProxyType

from ledger.records import UNITS

EXACT = Context(prec=200, traps=[Inexact, InvalidOperation])
"""Arithmetic on imported values: far more digits than any reading has, and an error, never a
rounding, if a result would not fit."""

_ALIASES: dict[str, tuple[str, Decimal]] = {}


def _alias(symbol: str, factor: str, *spellings: str) -> None:
    for spelling in spellings:
        _ALIASES[_unit_key(spelling)] = (symbol, Decimal(factor))


def _unit_key(text: str) -> str:
    return unicodedata.normalize("NFKC", text).replace(" ", "").replace("·", "").replace("³", "3").casefold()


for _symbol in UNITS:
    _alias(_symbol, "1", _symbol)
_alias("kWh", "1", "度", "千瓦时", "千瓦·时", "kW·h", "kW.h")
_alias("kWh", "10000", "万kWh", "万千瓦时", "万度")
_alias("MWh", "1", "兆瓦时")
_alias("GJ", "1", "吉焦")
_alias("MJ", "1", "兆焦")
_alias("Nm3", "1", "Nm³", "标方", "标准立方米")
_alias("10^4 Nm3", "1", "万Nm3", "万Nm³", "万标方", "万标准立方米")
_alias("m3", "1", "m³", "立方米", "方")
_alias("m3", "10000", "万m3", "万立方米")
_alias("t", "1", "吨", "tonne", "tonnes")
_alias("kg", "1", "千克", "公斤")
_alias("pcs", "1", "件", "个", "台", "只", "套")
_alias("m2", "1", "m²", "平方米")
_alias("L", "1", "升")

UNIT_ALIASES: Mapping[str, tuple[str, Decimal]] = MappingProxyType(_ALIASES)
"""How an export may name a unit → (canonical symbol, the factor to it): ``万kWh`` → (kWh, 10000)."""


def resolve_unit(text: str) -> tuple[str, Decimal] | None:
    """The canonical symbol and factor for a unit as a file or mapping writes it; None if unknown."""
    return _ALIASES.get(_unit_key(text)) if isinstance(text, str) else None


SEPARATORS = {"": "", ",": ",", ".": ".", " ": " ", "'": "'", "_": "_"}
_SPACES = re.compile(r"[\s\u00a0\u202f\u3000]")


class NumberError(ValueError):
    """Why a cell is not a number this mapping accepts: ``code`` and an English message id."""

    def __init__(self, code: str, text: str, **params: object) -> None:
        super().__init__(text % params if params else text)
        self.code, self.text, self.params = code, text, params


def parse_number(raw: object, *, decimal: str = ".", thousands: str = "", places: int | None = None) -> Decimal:
    """An exact, non-negative Decimal from a cell: text in the mapping's notation, or an Excel number.

    ``places`` is the number of decimals an Excel cell's format shows (trailing zeros kept).
    Raises :class:`NumberError` naming the problem; nothing is rounded or guessed.
    """
    from .issues import N_

    if isinstance(raw, bool):
        raise NumberError("not_a_number", N_("a true/false cell is not a number"))
    if isinstance(raw, int):
        value = Decimal(raw)
    elif isinstance(raw, float):
        value = _excel_number(raw)
    elif isinstance(raw, str):
        value = _text_number(raw, decimal, thousands)
    else:
        raise NumberError("not_a_number", N_("%(value)s is not a number"), value=str(raw))
    if places is not None and not isinstance(raw, str) and -value.as_tuple().exponent < places:  # type: ignore[operator]
        value = value.quantize(Decimal(1).scaleb(-places), context=EXACT)
    if value.is_signed() and value != 0:
        raise NumberError("negative", N_("%(value)s is negative; readings and quantities are never negative"),
                          value=str(raw).strip())  # fmt: skip
    return abs(value) if value == 0 else value


def _excel_number(raw: float) -> Decimal:
    from .issues import N_

    if raw != raw or raw in (float("inf"), float("-inf")):
        raise NumberError("not_a_number", N_("%(value)s is not a number"), value=repr(raw))
    if raw.is_integer() and abs(raw) < 1e15:
        return Decimal(int(raw))  # shown as Excel's General format shows it: 12, not 12.0
    shortest = Decimal(repr(raw))
    if len(shortest.as_tuple().digits) > 15:  # binary noise past Excel's 15 digits (0.1 + 0.2)
        shortest = Decimal(format(raw, ".15g"))
    if shortest == shortest.to_integral_value() and shortest.as_tuple().exponent > 0:  # type: ignore[operator]
        shortest = shortest.quantize(Decimal(1), context=EXACT)
    return shortest


_PLAIN = re.compile(r"[0-9]+(?:\.[0-9]+)?")


def _text_number(raw: str, decimal: str, thousands: str) -> Decimal:
    from .issues import N_

    text = _SPACES.sub(" ", unicodedata.normalize("NFKC", raw)).strip()
    if not text:
        raise NumberError("empty", N_("the cell is empty"))
    shown = text
    negative = text.startswith("-") or (text.startswith("(") and text.endswith(")"))
    body = text.strip("()").lstrip("-+").strip()
    if thousands:
        groups = body.split(decimal)[0].split(thousands)
        if len(groups) > 1 and (not 1 <= len(groups[0]) <= 3 or any(len(g) != 3 for g in groups[1:])):
            raise NumberError("bad_grouping", N_("%(value)s: digit groups of three are expected between %(sep)s"),
                              value=shown, sep=repr(thousands))  # fmt: skip
        body = body.replace(thousands, "")
    if decimal != ".":
        if "." in body:
            raise NumberError("not_a_number", N_("%(value)s: the decimal mark of this file is %(mark)s"),
                              value=shown, mark=repr(decimal))  # fmt: skip
        body = body.replace(decimal, ".")
    if not _PLAIN.fullmatch(body):
        raise NumberError("not_a_number", N_("%(value)s is not a number in this file's notation "
                                             "(decimal mark %(mark)s, thousands %(sep)s)"),
                          value=shown, mark=repr(decimal), sep=repr(thousands or "none"))  # fmt: skip
    value = Decimal(body)
    return -value if negative else value


def scale(value: Decimal, factor: Decimal) -> Decimal:
    """``value × factor`` exactly; a power of ten shifts the decimal point, so ``0.12345`` 万kWh is
    ``1234.5`` kWh (as precise as the reading), not ``1234.50000``."""
    if factor == 1:
        return value
    exponent = factor.normalize().as_tuple()
    if exponent.digits == (1,) and isinstance(exponent.exponent, int):
        return value.scaleb(exponent.exponent, context=EXACT)
    return EXACT.multiply(value, factor)


def canonical_text(value: Decimal) -> str:
    """The ledger's decimal string for ``value``: no exponent, no sign, trailing zeros kept."""
    text = format(value, "f")
    return "0" if text in ("-0", "0") else text.removeprefix("-")
