"""Likelihood-ratio tests and profile-likelihood intervals for the slope of many series at once.

The Wald test (estimate over standard error) loses power exactly where trafficking series
are hard: a steep rise out of `<5` cells, where the standard error at the estimate is large
(the Hauck–Donner effect).  The likelihood ratio does not: the trend's p-value compares the
fitted trend with a constant level by ``LR = 2 (loglik_trend - loglik_constant)``, divided by
the dispersion for quasi-Poisson, and refers ``sqrt(LR)`` to the normal (Poisson) or to
Student's t on the residual degrees of freedom (over-dispersed: the dispersion is estimated).

The 95% interval is the set of slopes the same test does not reject (the profile
likelihood): ``b`` is inside when ``2 (loglik_max - loglik_profile(b)) <= c``, with
``loglik_profile(b)`` the best fit with the slope held at ``b`` (an offset; the intercept
refitted) and ``c`` the test's critical value squared (times the dispersion for
quasi-Poisson).  So the interval excludes no change exactly when p < 0.05: a sentence's
interval and p-value never disagree.  Both ends are found by bisection, all series together.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from thbhub.analytics import model

Array = NDArray[np.float64]

#: Bisection steps for each end (the bracket shrinks 2^-40: far below the printed digits).
STEPS = 40
#: Brackets tried for each end, in Wald standard errors times the critical value.
WIDTHS = (2.0, 4.0, 8.0, 16.0)


def _profile(
    X: Array,
    y: Array,
    lo: Array,
    hi: Array,
    kind: NDArray[np.int64],
    alpha: Array | None,
    slope: Array,
) -> Array:
    """The log-likelihood of each series with its slope held at ``slope`` (column 1 of X)."""
    offset = X[:, :, 1] * slope[:, None]
    return model.fit(X[:, :, :1], y, lo, hi, kind, alpha=alpha, offset=offset).loglik


def interval(
    X: Array,
    y: Array,
    lo: Array,
    hi: Array,
    kind: NDArray[np.int64],
    alpha: Array | None,
    best: Array,
    loglik: Array,
    se: Array,
    drop: Array,
) -> tuple[Array, Array]:
    """(lower, upper) slopes where the log-likelihood has fallen by ``drop`` from its maximum
    ``loglik`` at ``best``; where no bracket up to the widest holds the end (a flat profile),
    the Wald end ``best -/+ sqrt(2 drop) se`` is kept."""
    S = best.shape[0]
    ends = []
    for sign in (-1.0, 1.0):
        wald = best + sign * np.sqrt(2.0 * drop) * se
        outer = np.full(S, np.nan)
        for width in WIDTHS:
            todo = np.isnan(outer)
            if not todo.any():
                break
            trial = best + sign * width * np.sqrt(2.0 * drop) * se
            ll = _profile(
                X[todo], y[todo], lo[todo], hi[todo], kind[todo],
                None if alpha is None else alpha[todo], trial[todo],
            )  # fmt: skip
            fell = loglik[todo] - ll >= drop[todo]
            idx = np.flatnonzero(todo)[fell]
            outer[idx] = trial[idx]
        found = ~np.isnan(outer)
        inner = best.copy()
        out = np.where(found, outer, wald)
        idx = np.flatnonzero(found)
        if idx.size:
            a, b = inner[idx], out[idx]
            for _ in range(STEPS):
                mid = (a + b) / 2.0
                ll = _profile(
                    X[idx], y[idx], lo[idx], hi[idx], kind[idx],
                    None if alpha is None else alpha[idx], mid,
                )  # fmt: skip
                beyond = loglik[idx] - ll >= drop[idx]
                b = np.where(beyond, mid, b)
                a = np.where(beyond, a, mid)
            out[idx] = (a + b) / 2.0
        ends.append(out)
    return ends[0], ends[1]
