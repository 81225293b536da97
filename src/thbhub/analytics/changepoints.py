"""One level shift per series: a likelihood-ratio scan over the years, on top of the trend.

For a series with a trend fit (analytics.trends), each candidate year ``k`` (leaving at least
:data:`MIN_SIDE` known years on either side) is tested by fitting
``log E[count_t] = a + b (t - centre) + d 1{t >= k}`` — the same censored Poisson model, all
series and all candidate years in one vectorised fit.  A shift is thus a jump *beyond* the
trend: a steady rise is not a change point.

The statistic at ``k`` is the likelihood ratio against the trend alone, divided by the
alternative's dispersion when it exceeds 1 (then referred to F(1, df), else to chi-squared
with 1 degree of freedom).  The scan's p-value is the smallest year's p-value times the
number of years scanned (Bonferroni), so the chance of a false change point in a series
without one stays at most :data:`ALPHA`, whatever the number of years scanned; the benchmark
measures how much below it lies.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import stats

from thbhub.analytics import model
from thbhub.analytics.trends import ChangePoint, Trend, arrays

#: Known years a change point leaves on either side of it (the trend needs them).
MIN_SIDE = 3
#: The scan's level: the chance of a false change point in a series without one.
ALPHA = 0.05


def _exp(x: float) -> float:
    """e^x, inf beyond float range (a shift to a side of zeros and `<5` cells has no
    finite upper bound)."""
    return math.exp(x) if x < 700 else math.inf


def _times(x: float) -> str:
    return "no upper bound" if not math.isfinite(x) else f"{x:.2g}"


def shift_text(c: ChangePoint) -> str:
    """The shift in words: its year, its size and interval."""
    return (
        f"A level shift in {c.year}: the counts from then on are about {_times(c.ratio)} times "
        f"what the trend alone gives (95% CI {_times(c.ci_low)} to {_times(c.ci_high)})."
    )


def candidates(years: Sequence[int]) -> list[int]:
    """The years a shift may start in: at least MIN_SIDE known years before and from it."""
    return list(years[MIN_SIDE : len(years) - MIN_SIDE + 1])


def find_change_points(trends: Sequence[Trend], *, alpha: float = ALPHA) -> None:
    """Set ``change_points`` of every fitted trend (at most one shift each)."""
    jobs: list[tuple[int, int]] = []  # (trend index, candidate year)
    stretches = []
    for i, t in enumerate(trends):
        if t.status != "ok" or t.loglik is None:
            continue
        known = [p.year for p in t.points if p.known]
        for k in candidates(known):
            jobs.append((i, k))
            stretches.append([p for p in t.points if p.known])
    if not jobs:
        return
    years, y, lo, hi, kind = arrays(stretches)
    present = (kind != model.ABSENT) * 1.0
    centre = np.array([trends[i].centre or 0.0 for i, _ in jobs])
    step = np.array([k for _, k in jobs], dtype=float)
    X = np.stack(
        [present, (years - centre[:, None]) * present, (years >= step[:, None]) * present], axis=2
    )
    f = model.fit(X, y, lo, hi, kind)
    scanned: dict[int, int] = {}  # trend -> candidate years tested (the Bonferroni factor)
    best: dict[int, tuple[float, int]] = {}  # trend -> (smallest p, its job)
    for j, (i, _) in enumerate(jobs):
        t = trends[i]
        scanned[i] = scanned.get(i, 0) + 1
        if not f.converged[j] or t.loglik is None:
            continue
        lr = max(0.0, 2.0 * (float(f.loglik[j]) - t.loglik))
        phi = float(f.dispersion[j])
        df = int(f.df[j])
        if math.isfinite(phi) and phi > 1.0 and df > 0:
            p = float(stats.f.sf(lr / phi, 1, df))
        else:
            p = float(stats.chi2.sf(lr, 1))
        if i not in best or p < best[i][0]:
            best[i] = (p, j)
    for i, (p, j) in best.items():
        adjusted = min(1.0, p * scanned[i])
        if adjusted >= alpha:
            continue
        d = float(f.beta[j, 2])
        se = math.sqrt(float(f.cov[j, 2, 2]))
        phi = float(f.dispersion[j])
        over = math.isfinite(phi) and phi > 1.0
        crit = float(stats.t.ppf(0.975, int(f.df[j]))) if over else float(stats.norm.ppf(0.975))
        shift = ChangePoint(
            year=jobs[j][1],
            ratio=_exp(d),
            ci_low=_exp(d - crit * se),
            ci_high=_exp(d + crit * se),
            p_value=adjusted,
        )
        trends[i].change_points = [shift]
        trends[i].reason += " " + shift_text(shift)
