"""Two factor sets side by side: which factors differ, and by how much.

The grid factor is the number most easily chosen to flatter a result, so an evaluation must be able
to show what changes between sets. :func:`compare` lists every key whose value or unit differs or
that only one set has; :func:`compare_table` prints that as plain text.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from .derived import round_half_even
from .factor_set import Factor, FactorSet

_METADATA = ("source", "year", "confirmed", "note")


@dataclass(frozen=True)
class FactorDiff:
    """One key that differs between set ``a`` and set ``b`` (``None``: absent from that set)."""

    key: str
    a: Factor | None
    b: Factor | None

    @property
    def change(self) -> str:
        """``only_a``, ``only_b``, or the differing fields joined by ``,`` (``value``, ``unit,value``…)."""
        if self.b is None:
            return "only_a"
        if self.a is None:
            return "only_b"
        fields = []
        if self.a.value != self.b.value:
            fields.append("value")
        if self.a.unit != self.b.unit:
            fields.append("unit")
        fields += [name for name in _METADATA if getattr(self.a, name) != getattr(self.b, name)]
        return ",".join(fields)

    @property
    def delta(self) -> Decimal | None:
        """``b − a``, exact, when both exist in the same unit; otherwise ``None``."""
        if self.a is None or self.b is None or self.a.unit != self.b.unit:
            return None
        return _exact_decimal(Fraction(self.b.value) - Fraction(self.a.value), self.a.value, self.b.value)

    @property
    def relative(self) -> Fraction | None:
        """``(b − a) / a`` exactly, when :attr:`delta` exists and ``a`` is not zero."""
        if self.delta is None or self.a is None or self.a.value == 0:
            return None
        return (Fraction(self.b.value) - Fraction(self.a.value)) / Fraction(self.a.value)  # type: ignore[union-attr]


def _exact_decimal(value: Fraction, *operands: Decimal) -> Decimal:
    # a difference of two decimals is a decimal with at most the finer of their exponents
    places = max(0, *(-int(op.as_tuple().exponent) for op in operands))
    result = round_half_even(value, places)
    assert Fraction(result) == value
    return result


def compare(a: FactorSet, b: FactorSet, *, metadata: bool = False) -> list[FactorDiff]:
    """Every key whose value (numerically) or unit differs between ``a`` and ``b``, or that only
    one of them has; with ``metadata=True`` also keys whose source, year, confirmed or note differ.
    Order: ``a``'s keys in file order, then keys only ``b`` has, in ``b``'s order."""
    diffs: list[FactorDiff] = []
    for key in list(a.factors) + [k for k in b.factors if k not in a.factors]:
        fa, fb = a.factors.get(key), b.factors.get(key)
        fields = ("value", "unit", *_METADATA) if metadata else ("value", "unit")
        if fa is None or fb is None or any(getattr(fa, name) != getattr(fb, name) for name in fields):
            diffs.append(FactorDiff(key, fa, fb))
    return diffs


def _cell(factor: Factor | None) -> str:
    if factor is None:
        return "(absent)"
    return f"{factor.value} {factor.unit}" + ("" if factor.confirmed else " *")


def _change(diff: FactorDiff) -> str:
    if diff.a is None or diff.b is None:
        return ""
    if diff.a.unit != diff.b.unit:
        return "unit differs"
    delta = diff.delta
    if delta is None or delta == 0:
        return ""
    text = f"{delta:+f}"
    relative = diff.relative
    if relative is not None:
        text += f" ({round_half_even(relative * 100, 1):+f} %)"
    return text


def compare_table(a: FactorSet, b: FactorSet, *, all_keys: bool = False) -> str:
    """A plain-text side-by-side table of :func:`compare` (or of every key, ``all_keys=True``).

    Columns: key, the value and unit in ``a``, in ``b``, and ``b − a`` with the relative change
    (rounded half-even to 0.1 %). ``*`` marks a factor its set flags ``confirmed = false``."""
    if all_keys:
        keys = list(a.factors) + [k for k in b.factors if k not in a.factors]
        rows = [FactorDiff(k, a.factors.get(k), b.factors.get(k)) for k in keys]
    else:
        rows = compare(a, b)
    head = ["key", f"A: {a.label}", f"B: {b.label}", "B - A"]
    body = [[d.key, _cell(d.a), _cell(d.b), _change(d)] for d in rows]
    widths = [max(len(row[i]) for row in [head, *body]) for i in range(4)]

    def line(cells: list[str]) -> str:
        return " | ".join(cell.ljust(widths[i]) for i, cell in enumerate(cells)).rstrip()

    out = [f"A = {a.label} ({a.origin})", f"B = {b.label} ({b.origin})", "", line(head)]
    out.append("-+-".join("-" * w for w in widths))
    out += [line(row) for row in body]
    if not body:
        out.append(f"(no factor differs in value or unit; {len(a.factors)} and {len(b.factors)} factors)")
    if any(f is not None and not f.confirmed for d in rows for f in (d.a, d.b)):
        out.append("")
        out.append("* confirmed = false: a default or placeholder to check or replace")
    return "\n".join(out) + "\n"
