"""Estimates from a capture table: what the CLI, the API and the page call."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.stats import norm

from thbhub.domain.errors import UserError
from thbhub.estimation import bootstrap
from thbhub.estimation.model import all_pairs
from thbhub.estimation.selection import Selected, full_counts, select
from thbhub.estimation.table import CaptureTable

DEFAULT_THRESHOLD = 0.02
DEFAULT_BOOTSTRAP = 1000
DEFAULT_SEED = 1234
MAX_BOOTSTRAP = 100_000
#: Thresholds of the sensitivity table: from main effects only (0) to a loose 0.2.
SENSITIVITY = (0.0, 0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2)
STEPWISE = "stepwise"
MAIN = "main"
METHODS = (STEPWISE, MAIN)
#: What ``method`` says in results.
METHOD_TEXT = {
    STEPWISE: "stepwise Poisson log-linear (SparseMSE), BCa bootstrap",
    MAIN: "main effects (independence) Poisson log-linear, normal interval on log scale",
}
FIELDS = (
    "observed",
    "estimate",
    "ci_low",
    "ci_high",
    "interactions",
    "method",
    "threshold",
    "bootstrap",
    "seed",
    "warnings",
)


@dataclass
class Estimate:
    """One estimate of the whole population (seen + unseen) with its 95% interval."""

    observed: int
    estimate: float
    ci_low: float | None
    ci_high: float | None
    interactions: list[str]
    method: str
    threshold: float | None
    bootstrap: int
    seed: int | None
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "observed": self.observed,
            "estimate": _number(self.estimate),
            "ci_low": _number(self.ci_low),
            "ci_high": _number(self.ci_high),
            "interactions": list(self.interactions),
            "method": self.method,
            "threshold": self.threshold,
            "bootstrap": self.bootstrap,
            "seed": self.seed,
            "warnings": list(self.warnings),
        }

    @property
    def hidden_per_detected(self) -> float:
        """Unseen cases for every case seen."""
        return (self.estimate - self.observed) / self.observed


def _number(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), 2)


def _cells(table: CaptureTable, counts: np.ndarray) -> np.ndarray:
    return full_counts(table.n_lists, table.patterns, np.atleast_2d(counts))


def _names(table: CaptureTable, pairs: tuple[tuple[int, int], ...]) -> list[str]:
    return [f"{table.lists[i]}:{table.lists[j]}" for i, j in pairs]


def _selected(table: CaptureTable, threshold: float) -> Selected:
    return select(table.n_lists, _cells(table, table.counts), threshold)


def table_warnings(table: CaptureTable) -> list[str]:
    """What a reader must know about the table before trusting any estimate from it."""
    out = []
    cells = _cells(table, table.counts)[0]
    never = []
    for i, j in all_pairs(table.n_lists):
        both = sum(c for k, c in enumerate(cells, start=1) if (k >> i) & 1 and (k >> j) & 1)
        if both == 0:
            never.append(f"{table.lists[i]}:{table.lists[j]}")
    if never:
        out.append(
            f"{len(never)} pair(s) of lists never overlap ({', '.join(never)}): a pair chosen "
            "among them is set to minus infinity and its cells are left out"
        )
    totals = {name: 0 for name in table.lists}
    for pattern, count in zip(table.patterns.tolist(), table.counts.tolist(), strict=True):
        for i, name in enumerate(table.lists):
            if (pattern >> i) & 1:
                totals[name] += count
    for name, total in totals.items():
        if total == 0:
            out.append(f"list {name} holds no case: it tells nothing and is left out")
        elif total == table.observed:
            out.append(
                f"list {name} holds every case: no case can be unseen by it, so the "
                "estimate of the unseen number is 0"
            )
    return out


def _check_params(threshold: float, n_boot: int, seed: int) -> None:
    if seed < 0:
        raise UserError(f"seed is a whole number of 0 or more (got {seed})")
    if not 0 <= threshold <= 1:
        raise UserError(f"threshold is a p-value between 0 and 1 (got {threshold})")
    if not 0 <= n_boot <= MAX_BOOTSTRAP:
        raise UserError(f"bootstrap is between 0 and {MAX_BOOTSTRAP:,} replicates (got {n_boot})")


def estimate(
    table: CaptureTable,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    n_boot: int = DEFAULT_BOOTSTRAP,
    seed: int = DEFAULT_SEED,
    method: str = STEPWISE,
) -> Estimate:
    """The estimate of ``method`` (stepwise with a BCa interval from ``n_boot`` replicates,
    or main effects with a normal interval on the log of the unseen number)."""
    if method not in METHODS:
        raise UserError(f"method is one of {', '.join(METHODS)} (got {method!r})")
    if method == MAIN:
        return main_effects(table)
    _check_params(threshold, n_boot, seed)
    chosen = _selected(table, threshold)
    warnings = table_warnings(table)
    if not chosen.converged[0]:
        warnings.append("the fit did not converge: the estimate may not exist for this table")
    point = table.observed + float(chosen.dark[0])
    low = high = None
    if n_boot > 0:

        def estimator(counts: np.ndarray) -> np.ndarray:
            found = select(table.n_lists, _cells(table, counts), threshold)
            return counts.sum(axis=1) + found.dark

        found = bootstrap.interval(table.counts, point, estimator, n_boot, seed)
        low, high = found.low, found.high
        warnings += found.extreme_limits()
    return Estimate(
        observed=table.observed,
        estimate=point,
        ci_low=low,
        ci_high=high,
        interactions=_names(table, chosen.pairs[0]),
        method=METHOD_TEXT[STEPWISE],
        threshold=threshold,
        bootstrap=n_boot,
        seed=seed if n_boot > 0 else None,
        warnings=warnings,
    )


def main_effects(table: CaptureTable, level: float = 0.95) -> Estimate:
    """The independence model: every list catches cases independently of the others."""
    chosen = _selected(table, 0.0)
    warnings = table_warnings(table)
    if not chosen.converged[0]:
        warnings.append("the fit did not converge: the estimate may not exist for this table")
    dark, se = float(chosen.dark[0]), float(chosen.dark_log_se[0])
    z = float(norm.ppf(0.5 + level / 2))
    return Estimate(
        observed=table.observed,
        estimate=table.observed + dark,
        ci_low=table.observed + dark * math.exp(-z * se),
        ci_high=table.observed + dark * math.exp(z * se),
        interactions=[],
        method=METHOD_TEXT[MAIN],
        threshold=None,
        bootstrap=0,
        seed=None,
        warnings=warnings,
    )


def sensitivity(
    table: CaptureTable, thresholds: tuple[float, ...] = SENSITIVITY
) -> list[dict[str, Any]]:
    """The point estimate and chosen terms at each threshold (0 = main effects only)."""
    out = []
    for threshold in thresholds:
        chosen = _selected(table, threshold)
        out.append(
            {
                "threshold": threshold,
                "estimate": _number(table.observed + float(chosen.dark[0])),
                "interactions": _names(table, chosen.pairs[0]),
            }
        )
    return out
