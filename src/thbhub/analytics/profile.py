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
interval and p-value never disagree.  Both ends are found by regula falsi, all series together.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from thbhub.analytics import model

Array = NDArray[np.float64]

#: Regula-falsi steps at most for each end; an end is found when the profile is within TOL
#: of its level (log-likelihood; the slope then moves by about TOL times its standard error,
#: far below the printed digits of a % change).
STEPS = 30
TOL = 1e-5
#: Newton steps at most for one profile point: one parameter from a close start; a series
#: still moving after them is within 1e-6 of its maximum on the log-likelihood scale (the
#: interval's ends move by far less than the printed digits).
PROFILE_ITER = 8
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
    start: Array,
) -> Array:
    """The log-likelihood of each series with its slope held at ``slope`` (column 1 of X),
    the intercept refitted from ``start``."""
    offset = X[:, :, 1] * slope[:, None]
    # Start at the intercept that matches the total count under this slope (exact where no
    # cell is censored; a censored cell taken at its middle): a few Newton steps from there.
    present = kind != model.ABSENT
    total = np.where(kind == model.EXACT, y, np.where(kind == model.CENSORED, (lo + hi) / 2, 0))
    with np.errstate(over="ignore", divide="ignore"):
        scale = np.where(present, np.exp(np.minimum(offset, model.ETA_LIMIT)), 0.0).sum(axis=1)
        guess = np.log(total.sum(axis=1) + 0.5) - np.log(scale)
    guess = np.where(np.isfinite(guess), guess, start)
    f = model.fit(
        X[:, :, :1], y, lo, hi, kind, alpha=alpha, offset=offset, beta0=guess[:, None],
        max_iter=PROFILE_ITER,
    )  # fmt: skip
    return f.loglik


def _root(
    X: Array,
    y: Array,
    lo: Array,
    hi: Array,
    kind: NDArray[np.int64],
    alpha: Array | None,
    inner: Array,
    outer: Array,
    level: Array,
    intercept: Array,
) -> Array:
    """The slope between ``inner`` (profile above ``level``) and ``outer`` (below it) where
    the profile log-likelihood equals ``level``: regula falsi with the Illinois rule (a few
    fits, not forty bisections), all series together."""
    a, b = inner.copy(), outer.copy()
    fa = _profile(X, y, lo, hi, kind, alpha, a, intercept) - level  # > 0: inside
    fb = _profile(X, y, lo, hi, kind, alpha, b, intercept) - level  # <= 0: outside
    side = np.zeros(a.shape, dtype=np.int64)
    act = np.arange(a.size)  # the ends not found yet: only they are refitted
    for _ in range(STEPS):
        if act.size == 0:
            break
        aa, bb, ga, gb = a[act], b[act], fa[act], fb[act]
        with np.errstate(invalid="ignore", divide="ignore"):
            c = np.where(ga != gb, bb - gb * (bb - aa) / (gb - ga), (aa + bb) / 2.0)
        c = np.where(np.isfinite(c), c, (aa + bb) / 2.0)
        c = np.clip(c, np.minimum(aa, bb), np.maximum(aa, bb))
        fc = (
            _profile(
                X[act],
                y[act],
                lo[act],
                hi[act],
                kind[act],
                None if alpha is None else alpha[act],
                c,
                intercept[act],
            )  # fmt: skip
            - level[act]
        )
        inside = fc > 0
        # Illinois: when one end is kept twice running, halve its value (no stalling).
        gb = np.where(inside & (side[act] == 1), gb / 2.0, gb)
        ga = np.where(~inside & (side[act] == -1), ga / 2.0, ga)
        a[act], fa[act] = np.where(inside, c, aa), np.where(inside, fc, ga)
        b[act], fb[act] = np.where(inside, bb, c), np.where(inside, gb, fc)
        side[act] = np.where(inside, 1, -1)
        done = (np.abs(fc) < TOL) | (np.abs(b[act] - a[act]) < 1e-7)
        act = act[~done]
    return np.asarray(np.where(np.abs(fa) < np.abs(fb), a, b), dtype=np.float64)


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
    intercept: Array,
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
                None if alpha is None else alpha[todo], trial[todo], intercept[todo],
            )  # fmt: skip
            fell = loglik[todo] - ll >= drop[todo]
            idx = np.flatnonzero(todo)[fell]
            outer[idx] = trial[idx]
        found = ~np.isnan(outer)
        out = np.where(found, outer, wald)
        idx = np.flatnonzero(found)
        if idx.size:
            out[idx] = _root(
                X[idx], y[idx], lo[idx], hi[idx], kind[idx],
                None if alpha is None else alpha[idx],
                best[idx], outer[idx], loglik[idx] - drop[idx], intercept[idx],
            )  # fmt: skip
        ends.append(out)
    return ends[0], ends[1]
