"""One level shift per series: a likelihood-ratio scan over the years (docs/trends.md).

For a series with a trend fit (analytics.trends), each candidate year ``k`` (leaving at least
:data:`MIN_SIDE` known years on either side) is tested two ways, with the same censored
Poisson model, all series, years and both ways in vectorised fits:

- a shift *beyond the trend*: ``a + b (t - centre) + d 1{t >= k}`` against the trend alone;
- a *step instead of a trend*: ``a + d 1{t >= k}`` against a constant level, counted only
  when the step fits better than the steady trend by more than :data:`MARGIN` (log-likelihood;
  the same number of parameters), so that a steady rise is not called a step.

Each statistic is the likelihood ratio, divided by the alternative's dispersion when it
exceeds 1 (then referred to F(1, df), else to chi-squared with 1 degree of freedom).  The
scan's p-value is the smallest p-value times the number of tests (Bonferroni over years and
both ways), so the chance of a false change point in a series without one stays at most
:data:`ALPHA`; the benchmark (benchmarks.trends_eval) measures how far below it lies.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import special, stats

from thbhub.analytics import model
from thbhub.analytics.trends import ChangePoint, Trend, arrays, num, pct

#: Known years a change point leaves on either side of it (the trend needs them).
MIN_SIDE = 3
#: The scan's level: the chance of a false change point in a series without one.
ALPHA = 0.05
#: How much better (log-likelihood) a step must fit than a steady trend to be a step, not
#: the trend: 2 keeps change points on steady +10% and +30% trends near 10% (benchmark).
MARGIN = 2.0

Array = NDArray[np.float64]


def _exp(x: float) -> float:
    """e^x, inf beyond float range (a shift to a side of zeros and `<5` cells has no
    finite upper bound)."""
    return math.exp(x) if x < 700 else math.inf


def _times(x: float) -> str:
    return "no upper bound" if not math.isfinite(x) else f"{x:.2g}"


def shift_text(c: ChangePoint) -> str:
    """The shift in words: its year, its direction, size and interval.

    A shift beyond a trend is stated with the trend fitted beside it (``c.slope_change``),
    which is not the series' trend alone: a series may rise overall and still drop in one
    year (Latvia's men, 2015).  Naming the direction and the slope it goes with keeps the
    sentence from contradicting the numbers next to it.
    """
    move = "drop" if c.ratio < 1 else "jump"
    size = f"about {_times(c.ratio)} times (95% CI {_times(c.ci_low)} to {_times(c.ci_high)})"
    if c.relative_to == "before":
        return f"A level shift in {c.year}: the counts {move} to {size} their level before it."
    pace = c.slope_change or 0.0
    way = "rise" if pace > 0 else "fall"
    return (
        f"A level shift in {c.year} beyond the trend: fitted with a {way} of about "
        f"{num(abs(pace))}% a year, the counts {move} in {c.year} to {size} that line's level."
    )


def candidates(years: Sequence[int]) -> list[int]:
    """The years a shift may start in: at least MIN_SIDE known years before and from it."""
    return list(years[MIN_SIDE : len(years) - MIN_SIDE + 1])


def _p_value(lr: Array, phi: Array, df: NDArray[Any]) -> Array:
    """The likelihood ratio's p-value: F(1, df) on lr / phi when over-dispersed, else
    chi-squared with 1 degree of freedom."""
    over = np.isfinite(phi) & (phi > 1.0) & (df > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        f_stat = lr / np.where(over, phi, 1.0)
    return np.where(
        over, special.fdtrc(1.0, np.maximum(df, 1).astype(float), f_stat), special.chdtrc(1, lr)
    )


def find_change_points(trends: Sequence[Trend], *, alpha: float = ALPHA) -> None:
    """Set ``change_points`` of every fitted trend (at most one shift each)."""
    owners: list[int] = []  # the trend of each candidate
    steps: list[int] = []  # the candidate year
    stretches = []
    for i, t in enumerate(trends):
        if t.status != "ok" or t.loglik is None:
            continue
        known = [p for p in t.points if p.known]
        for k in candidates([p.year for p in known]):
            owners.append(i)
            steps.append(k)
            stretches.append(known)
    if not owners:
        return
    years, y, lo, hi, kind = arrays(stretches)
    present = (kind != model.ABSENT) * 1.0
    centre = np.array([trends[i].centre or 0.0 for i in owners])
    jump = (years >= np.array(steps, dtype=float)[:, None]) * present
    slope = (years - centre[:, None]) * present
    # The two alternatives of every candidate year, all fitted together (module docstring).
    beyond = model.fit(np.stack([present, slope, jump], axis=2), y, lo, hi, kind)
    level = model.fit(np.stack([present, jump], axis=2), y, lo, hi, kind)
    flat = model.fit(present[:, :, None], y, lo, hi, kind)
    own = np.array(owners)
    trend_ll = np.array([trends[i].loglik or 0.0 for i in owners])
    p_beyond = _p_value(
        np.maximum(0.0, 2.0 * (beyond.loglik - trend_ll)), beyond.dispersion, beyond.df
    )
    p_level = _p_value(
        np.maximum(0.0, 2.0 * (level.loglik - flat.loglik)), level.dispersion, level.df
    )
    # A step that fits worse than a steady trend (same number of parameters) is the trend's.
    p_level = np.where(level.loglik > trend_ll + MARGIN, p_level, 1.0)
    p_beyond = np.where(beyond.converged, p_beyond, 1.0)
    p_level = np.where(level.converged & flat.converged, p_level, 1.0)
    for i in sorted(set(owners)):
        rows = np.flatnonzero(own == i)
        tests = np.concatenate([p_beyond[rows], p_level[rows]])
        pick = int(np.argmin(tests))
        adjusted = min(1.0, float(tests[pick]) * tests.size)  # Bonferroni over both scans
        if adjusted >= alpha:
            continue
        fit, column = (beyond, 2) if pick < rows.size else (level, 1)
        j = int(rows[pick % rows.size])
        d = float(fit.beta[j, column])
        se = math.sqrt(float(fit.cov[j, column, column]))
        phi = float(fit.dispersion[j])
        over = math.isfinite(phi) and phi > 1.0
        crit = float(stats.t.ppf(0.975, int(fit.df[j]))) if over else float(stats.norm.ppf(0.975))
        shift = ChangePoint(
            year=steps[j],
            ratio=_exp(d),
            ci_low=_exp(d - crit * se),
            ci_high=_exp(d + crit * se),
            p_value=adjusted,
            relative_to="trend" if fit is beyond else "before",
            slope_change=pct(float(fit.beta[j, 1])) if fit is beyond else None,
        )
        trends[i].change_points = [shift]
        trends[i].reason += " " + shift_text(shift)
