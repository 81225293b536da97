"""Over-dispersion: quasi-Poisson or negative binomial, chosen per series (docs/trends.md).

Trafficking counts vary more than Poisson's.  Two ways to allow for it, each with one
parameter estimated by moments from the Poisson fit's means ``mu``:

- **quasi-Poisson**: variance ``phi * mu`` (``phi``: the Pearson statistic over the residual
  degrees of freedom, analytics.model);
- **negative binomial** (NB2): variance ``mu + alpha * mu^2``, ``alpha`` solving
  ``sum (y - mu)^2 / (mu (1 + alpha mu)) = df`` (the Pearson moment equation).

Which one a series gets is the one whose variance function is closer to its squared residuals
``(y - mu)^2`` (published cells), in the sum of ``((y - mu)^2 - V)^2 / mu^2``: a series whose
scatter grows with the square of its level (one large case doubles a big year) takes the
negative binomial, one whose scatter grows with its level keeps quasi-Poisson.  All series
are handled together with array operations.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from thbhub.analytics.model import EXACT

Array = NDArray[np.float64]

#: Bisection steps for alpha (on a log scale between 1e-6 and 1e6: ample precision).
STEPS = 60


def moment_alpha(pieces: Array, mu: Array, df: NDArray[np.int64]) -> Array:
    """The NB2 alpha of each series from its cells' Pearson terms under Poisson (0 where the
    series is not over-dispersed)."""
    lo = np.full(mu.shape[0], -6.0)
    hi = np.full(mu.shape[0], 6.0)
    target = np.maximum(df, 1).astype(float)

    def excess(log_alpha: Array) -> Array:
        a = np.power(10.0, log_alpha)[:, None]
        return np.asarray((pieces / (1.0 + a * mu)).sum(axis=1) - target, dtype=np.float64)

    for _ in range(STEPS):
        mid = (lo + hi) / 2.0
        up = excess(mid) > 0  # still too much scatter for this alpha: alpha is larger
        lo = np.where(up, mid, lo)
        hi = np.where(up, hi, mid)
    alpha = np.power(10.0, (lo + hi) / 2.0)
    over = pieces.sum(axis=1) > target
    return np.asarray(np.where(over & (df > 0), alpha, 0.0), dtype=np.float64)


def prefers_negative_binomial(
    y: Array, kind: NDArray[np.int64], mu: Array, phi: Array, alpha: Array
) -> NDArray[np.bool_]:
    """Whether NB2's variance function fits each series' squared residuals better than
    quasi-Poisson's (published cells only; a suppressed cell has no residual to square)."""
    exact = kind == EXACT
    with np.errstate(invalid="ignore", divide="ignore"):
        r2 = (y - mu) ** 2
        quasi = np.where(exact, (r2 - phi[:, None] * mu) ** 2 / mu**2, 0.0).sum(axis=1)
        negbin = np.where(exact, (r2 - mu - alpha[:, None] * mu**2) ** 2 / mu**2, 0.0).sum(axis=1)
    return np.asarray((alpha > 0) & (negbin < quasi), dtype=np.bool_)
