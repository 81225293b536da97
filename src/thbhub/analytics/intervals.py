"""Score intervals for a share whose count or denominator may be known only as a range.

A share is ``x / (x + rest)``: ``x`` the category's count, ``rest`` the other victims of the
denominator.  The Wilson score interval (and Goodman's simultaneous version, the same formula
with a larger quantile) rises with ``x`` and falls with ``rest``.  So when a suppressed cell
is known only as ``x`` in [a, b] and ``rest`` in [r_lo, r_hi], the union of the intervals of
every possible table is ``[low(a, r_hi), high(b, r_lo)]``: computed at two corners, never by
reading a suppressed cell as 0 or as a midpoint.  tests/analytics/test_shares_intervals.py
checks the corners against every table in the ranges.
"""

from __future__ import annotations

import math

from scipy.stats import chi2, norm

#: Nominal coverage of every interval here.
LEVEL = 0.95
METHODS = ("wilson", "goodman")


def quantile2(method: str, categories: int, level: float = LEVEL) -> float:
    """The squared quantile of the score interval: z² for Wilson (each share on its own),
    the chi-square(1) quantile at 1 - alpha/K for Goodman (all K shares at once)."""
    alpha = 1.0 - level
    if method == "wilson":
        return float(norm.ppf(1.0 - alpha / 2.0) ** 2)
    if method == "goodman":
        return float(chi2.ppf(1.0 - alpha / max(categories, 1), 1))
    raise ValueError(f"unknown interval method {method!r}")


def score_interval(x: float, n: float, z2: float) -> tuple[float, float]:
    """The score interval of x successes out of n (n > 0), with squared quantile z2."""
    p = x / n
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = math.sqrt(z2) / (1 + z2 / n) * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def share_range(
    count: tuple[float, float], rest: tuple[float, float], z2: float
) -> tuple[float, float, float, float] | None:
    """(share low, share high, interval low, interval high) of a count in [a, b] beside the
    rest of the denominator in [r_lo, r_hi]; None when the denominator may be 0."""
    a, b = count
    r_lo, r_hi = rest
    if a + r_hi <= 0 or b + r_lo <= 0:
        return None
    share_low = a / (a + r_hi)
    share_high = b / (b + r_lo)
    return (
        share_low,
        share_high,
        score_interval(a, a + r_hi, z2)[0],
        score_interval(b, b + r_lo, z2)[1],
    )
