"""A whole number of mWh spread over hours in proportion to integer weights, exactly.

Largest remainder (Hamilton's method): each hour first gets the floor of its exact share, then the
mWh still owed go one each to the hours with the largest remainders, ties to the earlier hour. The
hours add up to exactly the total, each within 1 mWh of its exact share, and the same inputs always
give the same hours: a signed run can be recomputed by anyone.
"""

from __future__ import annotations

import numpy as np

_SAFE = 2**62
"""Below this ``total * weight`` cannot overflow int64; above it the sums are done in Python ints."""


def largest_remainder(total: int, weights: np.ndarray) -> np.ndarray:
    """``total`` (int, >= 0) split over ``weights`` (non-negative ints, not all zero) as int64."""
    weights = np.asarray(weights)
    if total < 0:
        raise ValueError(f"cannot spread a negative total ({total})")
    if weights.ndim != 1 or not weights.size:
        raise ValueError("weights must be a non-empty one-dimensional array")
    if not np.issubdtype(weights.dtype, np.integer) or (weights < 0).any():
        raise ValueError("weights must be non-negative integers")
    whole = int(weights.sum(dtype=object))
    if whole == 0:
        raise ValueError("weights must not all be zero")
    if total * int(weights.max()) < _SAFE and whole < _SAFE:
        w = weights.astype(np.int64)
        product = w * np.int64(total)
        shares, remainders = product // whole, product % whole
    else:  # exact in Python ints, one hour at a time (rare: a total beyond 4.6e18 / weight)
        pairs = [divmod(total * int(x), whole) for x in weights]
        shares = np.array([p[0] for p in pairs], dtype=np.int64)
        remainders = np.array([p[1] for p in pairs], dtype=object)
    owed = total - int(shares.sum(dtype=object))
    if owed:
        if remainders.dtype == object:
            order = np.array(sorted(range(len(weights)), key=lambda i: (-remainders[i], i))[:owed], dtype=np.int64)
        else:  # lexsort's last key is the primary one; it is stable, so equal remainders keep hour order
            order = np.lexsort((np.arange(len(weights)), -remainders))[:owed]
        shares[order] += 1
    return shares
