"""Bootstrap intervals with the BCa correction (Chan, Silverman & Vincent 2021, Sec. 3.3;
DiCiccio & Efron 1996), the model selection rerun on every replicate.

Replicates: the observed cases resampled (a multinomial draw of the same total over the
observed capture histories), all drawn at once from a seeded generator, so the same seed
gives the same interval.  Acceleration: a jackknife that leaves out one case of each observed
history, weighted by how many cases share that history.  Limits: quantiles of the replicates
(Hyndman & Fan's type 8, as R's SparseMSE uses) at levels moved by the bias (the share of
replicates below the estimate) and the acceleration.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.stats import norm

Estimator = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Interval:
    low: float
    high: float
    bias: float  # z0
    acceleration: float  # a
    replicates: np.ndarray
    # the BCa-adjusted levels the limits were read at (0.025 and 0.975 before adjustment)
    levels: tuple[float, float] = (0.025, 0.975)

    def extreme_limits(self) -> list[str]:
        """The limits read beyond the replicates: an adjusted level below 1/(B+1) (or above
        B/(B+1)) makes the limit the smallest (largest) replicate, an extreme order
        statistic that moves a lot from seed to seed (docs/estimation.md, NewOrl_5)."""
        n = len(self.replicates)
        out = []
        if self.levels[0] < 1 / (n + 1):
            out.append(("lower", "smallest", self.levels[0]))
        if self.levels[1] > n / (n + 1):
            out.append(("upper", "largest", self.levels[1]))
        return [
            f"the {side} limit is the {which} of the {n:,} replicates (BCa level {level:.2g}): "
            "it varies much from seed to seed; more replicates or another seed show how much"
            for side, which, level in out
        ]


def resample(counts: np.ndarray, n_boot: int, seed: int) -> np.ndarray:
    """(n_boot, patterns) multinomial resamples of ``counts``."""
    rng = np.random.Generator(np.random.PCG64(seed))
    total = int(counts.sum())
    return rng.multinomial(total, counts / total, size=n_boot)


def jackknife(counts: np.ndarray) -> np.ndarray:
    """(patterns, patterns) tables each with one case fewer in one history."""
    return counts[None, :] - np.eye(len(counts), dtype=counts.dtype)


def acceleration(counts: np.ndarray, leave_one_out: np.ndarray) -> float:
    """The BCa acceleration from the jackknife estimates, each counted as often as its
    history has cases."""
    weights = counts.astype(np.float64)
    finite = np.isfinite(leave_one_out)
    if not finite.all():
        return 0.0
    residual = np.sum(weights * leave_one_out) / weights.sum() - leave_one_out
    spread = np.sum(weights * residual**2)
    if spread <= 0:
        return 0.0
    return float(np.sum(weights * residual**3) / (6.0 * spread**1.5))


def bca(
    estimate: float, replicates: np.ndarray, accel: float, level: float = 0.95
) -> tuple[float, float, float, tuple[float, float]]:
    """(low, high, z0, adjusted levels): the BCa limits of a two-sided ``level`` interval."""
    below = float(np.mean(replicates < estimate))
    # All replicates on one side gives an infinite bias: the limits are then the extreme
    # replicates, which is where the formula tends.
    z0 = float(norm.ppf(below)) if 0 < below < 1 else (-np.inf if below == 0 else np.inf)
    tail = (1 - level) / 2
    limits, levels = [], []
    for alpha in (tail, 1 - tail):
        za = norm.ppf(alpha)
        if np.isfinite(z0):
            shifted = z0 + za
            q = float(norm.cdf(z0 + shifted / (1 - accel * shifted)))
        else:
            q = 0.0 if z0 < 0 else 1.0
        levels.append(q)
        limits.append(float(np.quantile(replicates, q, method="median_unbiased")))
    return limits[0], limits[1], z0, (levels[0], levels[1])


def interval(
    counts: np.ndarray, estimate: float, estimator: Estimator, n_boot: int, seed: int
) -> Interval:
    """The BCa interval of ``estimator`` (tables of per-pattern counts -> estimates) at the
    observed ``counts``."""
    replicates = estimator(resample(counts, n_boot, seed))
    accel = acceleration(counts, estimator(jackknife(counts)))
    low, high, z0, levels = bca(estimate, replicates, accel)
    return Interval(low, high, z0, accel, replicates, levels)
