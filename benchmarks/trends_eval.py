"""Trends and change points on simulated series of known truth, against the naive rule.

    .venv/bin/python -m benchmarks.trends_eval

1,000 series per scenario (seeded): 10-15 years, baselines from 2 to 200 on a log scale, half
Poisson and half negative binomial (gamma shape 5), every count below 5 published as `<5`
(bounds 0 to 4).  Scenarios: no change, +10% and +30% a year, a level shift x2 at a random
year (at least 3 years from either end).

Printed side by side:
- the trend test (analytics.trends, p < 0.05 two-sided; "power" counts significant rises);
- the naive rule analysts use today: the last year-on-year change (|log ratio| of the last
  two years, a `<5` cell read as 2.5), its threshold calibrated on a separate set of null
  series to the same 5% of false alarms;
- change points (analytics.changepoints): found within a year of the true shift, and false
  ones on the null series;
- the floor: an oracle, the exact GLM test (statsmodels) on the true counts before
  suppression with the true family and dispersion known, and the hub's change-point scan on
  those true counts: what no method reading the published series can beat on average.

Speed is measured by benchmarks.trends_speed.

Targets (issue 14): false alarms within 1.5 points of 5%; power >= 0.95 at 30%, >= 0.85 at
10%; change points in at least half of the x2 shifts with at most 10% false ones.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from thbhub.analytics.changepoints import find_change_points
from thbhub.analytics.series import Point, Series
from thbhub.analytics.trends import Trend, fit_trends

N = 1000
FIRST = 2005
#: The over-dispersed half: gamma-mixed Poisson (negative binomial, alpha = 1 / SHAPE).
SHAPE = 5.0


Sim = tuple[Series, list[float], int, np.ndarray, bool]


def simulate(rng: np.random.Generator, growth: float, shift: float) -> Sim:
    """A series, its counts as the naive rule reads them, the year of its shift, its true
    counts and whether it is over-dispersed."""
    n = int(rng.integers(10, 16))
    k = int(rng.integers(3, n - 2))
    base = math.exp(rng.uniform(math.log(2), math.log(200)))
    t = np.arange(n)
    mu = base * np.exp(math.log1p(growth) * (t - n / 2))
    mu[k:] *= shift
    over = bool(rng.uniform() < 0.5)
    if over:
        mu = rng.gamma(SHAPE, mu / SHAPE)
    counts = rng.poisson(mu)
    points, naive = [], []
    for i, v in enumerate(counts):
        if v < 5:
            points.append(Point(FIRST + i, "suppressed", None, 0, 4))
            naive.append(2.5)
        else:
            points.append(Point(FIRST + i, "value", float(v)))
            naive.append(float(v))
    return Series(f"s{len(naive)}", points), naive, FIRST + k, counts, over


def scenario(
    seed: int, growth: float, shift: float
) -> tuple[list[Series], list[list[float]], list[int]]:
    sims = scenario_sims(seed, growth, shift)
    return [s[0] for s in sims], [s[1] for s in sims], [s[2] for s in sims]


def scenario_sims(seed: int, growth: float, shift: float) -> list[Sim]:
    rng = np.random.default_rng(seed)
    return [simulate(rng, growth, shift) for _ in range(N)]


def oracle_trend(sims: list[Sim]) -> list[tuple[float, float]]:
    """(slope, two-sided p) of the exact GLM on the true, unsuppressed counts with the true
    family and dispersion known (Poisson, or NB2 with alpha = 1/SHAPE): statsmodels' Wald
    test.  No test on the published series can do better than this one on average."""
    import statsmodels.api as sm

    out = []
    for _series, _, _, counts, over in sims:
        t = np.arange(len(counts), dtype=float)
        X = np.column_stack([np.ones_like(t), t - t.mean()])
        family = sm.families.NegativeBinomial(alpha=1 / SHAPE) if over else sm.families.Poisson()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = sm.GLM(counts, X, family=family).fit()
        out.append((float(res.params[1]), float(res.pvalues[1])))
    return out


def unsuppressed(sims: list[Sim]) -> list[Series]:
    """The same series with every count published (no `<5`)."""
    return [
        Series(s.key, [Point(FIRST + i, "value", float(v)) for i, v in enumerate(counts)])
        for s, _, _, counts, _ in sims
    ]


def last_change(counts: list[float]) -> float:
    return math.log(counts[-1] / counts[-2])


def significant(p: float | None, slope: float | None, two_sided: bool) -> bool:
    """Called significant: p < 0.05, and a rise unless any direction counts (null series)."""
    return p is not None and p < 0.05 and (two_sided or (slope or 0.0) > 0)


def found_near(trends: list[Trend], shifts: list[int]) -> float:
    return float(
        np.mean(
            [
                any(abs(c.year - k) <= 1 for c in t.change_points)
                for t, k in zip(trends, shifts, strict=True)
            ]
        )
    )


def main() -> None:
    calib = [s[1] for s in scenario_sims(100, 0.0, 1.0)]
    threshold = float(np.quantile([abs(last_change(c)) for c in calib], 0.95))
    print(
        f"naive rule: alarm when |last year-on-year change| > {100 * math.expm1(threshold):.0f}% "
        "(calibrated on 1,000 other null series to 5% false alarms)"
    )
    cols = ("hub", "naive", "oracle", "cp hub", "cp oracle", "no number")
    print(f"{'scenario':<14}" + "".join(f"{c:>11}" for c in cols))
    for name, seed, growth, shift in (
        ("no change", 1, 0.0, 1.0),
        ("+10% a year", 2, 0.1, 1.0),
        ("+30% a year", 3, 0.3, 1.0),
        ("shift x2", 4, 0.0, 2.0),
    ):
        sims = scenario_sims(seed, growth, shift)
        null = growth == 0.0 and shift == 1.0
        trends = fit_trends([s[0] for s in sims])
        find_change_points(trends)
        hub = np.mean([significant(t.p_value, t.slope, null) for t in trends])
        naive = np.mean(
            [
                abs(last_change(s[1])) > threshold if null else last_change(s[1]) > threshold
                for s in sims
            ]
        )
        oracle = np.mean([significant(p, b, null) for b, p in oracle_trend(sims)])
        # The same change-point scan on the true counts, nothing suppressed.
        full = fit_trends(unsuppressed(sims))
        find_change_points(full)
        if shift != 1.0:
            shifts = [s[2] for s in sims]
            cp, cp_full = found_near(trends, shifts), found_near(full, shifts)
        else:
            cp = float(np.mean([bool(t.change_points) for t in trends]))
            cp_full = float(np.mean([bool(t.change_points) for t in full]))
        unfit = np.mean([t.p_value is None for t in trends])
        values = (hub, naive, oracle, cp, cp_full, unfit)
        print(f"{name:<14}" + "".join(f"{v:>11.3f}" for v in values))
    print(
        "hub: the hub's trend test (p < 0.05; false alarms on no change, significant rises "
        "otherwise); naive: the last year-on-year change at the calibrated threshold; oracle: "
        "the exact GLM (Poisson, or NB2 with the true alpha) on the true unsuppressed counts, "
        "dispersion known; cp hub: change points (false ones where there is no shift, found "
        "within a year of a x2 shift); cp oracle: the same scan on the true unsuppressed counts; "
        "no number: series given no trend.  Shares of 1,000 series each."
    )


if __name__ == "__main__":
    main()
