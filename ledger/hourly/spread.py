"""A whole number of mWh spread over hours in proportion to integer weights, exactly.

Largest remainder (Hamilton's method): each hour first gets the floor of its exact share, then the
mWh still owed go one each to the hours with the largest remainders, ties to the earlier hour. The
hours add up to exactly the total, each within 1 mWh of its exact share, and the same inputs always
give the same hours: a signed run can be recomputed by anyone.
"""

from __future__ import annotations

import numpy as np

_SAFE = 2**62
"""Below this ``total * weight`` cannot overflow int64; above it float64 estimates or Python ints do it."""


def largest_remainder(total: int, weights: np.ndarray) -> np.ndarray:
    """``total`` (int, >= 0) split over ``weights`` (non-negative ints, not all zero) as int64."""
    weights = np.asarray(weights)
    if total < 0:
        raise ValueError(f"cannot spread a negative total ({total})")
    if weights.ndim != 1 or not weights.size:
        raise ValueError("weights must be a non-empty one-dimensional array")
    if not np.issubdtype(weights.dtype, np.integer) or (weights < 0).any():
        raise ValueError("weights must be non-negative integers")
    if int(weights.sum(dtype=object)) >= _SAFE:
        raise ValueError("weights add up to more than int64 can hold")
    w = weights.astype(np.int64)
    whole = int(w.sum())
    if whole == 0:
        raise ValueError("weights must not all be zero")
    shares, remainders = _divide(total, w, whole)
    owed = total - int(shares.sum())
    if owed:  # argsort is stable: among equal remainders the earlier hour comes first
        shares[np.argsort(-remainders, kind="stable")[:owed]] += 1
    return shares


def _divide(total: int, w: np.ndarray, whole: int) -> tuple[np.ndarray, np.ndarray]:
    """``divmod(total × w, whole)`` per entry, exactly, in int64. ``total × w`` passes int64 for a
    large claim over a large plant's hourly mWh, so the quotient is estimated in float64 (off by at
    most one while ``total`` < 2**52) and the remainder ``total × w − q × whole`` computed with int64
    wrapping, which is exact because the true remainder is small; one correction step each way then
    makes ``0 ≤ rest < whole``. Past those bounds, Python integers do it."""
    if total * int(w.max()) < _SAFE:
        prod = w * np.int64(total)
        return prod // whole, prod % whole
    if total >= 2**52:
        exact = w.astype(object) * total
        return (exact // whole).astype(np.int64), (exact % whole).astype(np.int64)
    share = np.floor(w.astype(np.float64) * (total / whole)).astype(np.int64)
    with np.errstate(over="ignore"):
        rest = w * np.int64(total) - share * np.int64(whole)  # wraps in int64; the true value is small
    for _ in range(2):
        low, high = rest < 0, rest >= whole
        share[low] -= 1
        rest[low] += whole
        share[high] += 1
        rest[high] -= whole
    return share, rest
