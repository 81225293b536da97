"""Differentially private counts of every attribute combination up to length R (OpenDP).

The method follows the Synthetic Data Showcase's DP marginals (read, not copied): for
k = 1..R, every candidate k-combination gets Gaussian noise and is kept if its noisy count
clears a threshold; the candidates for k are the combinations whose every (k-1)-part was
kept.  Then counts are normalised so that no combination exceeds any of its parts.

Where THB Hub differs, and why:

- Column value lists are public (the taxonomy's code lists: sexes, age bands, ISO countries,
  years), so single values need no privacy-spending discovery threshold; missing values are
  a category of their own ("age unknown" is information analysts use).
- Sensitivity is the public bound: one record adds 1 to C(m, k) k-combinations, m = number
  of columns.  (The showcase spends budget on a DP percentile of the same quantity; on the
  CTDC data that percentile is m anyway.)
- Noise is OpenDP's discrete Gaussian (exact sampling, integer counts).  Privacy is
  accounted in zero-concentrated DP, composed over lengths and the record count, and turned
  into (epsilon, delta) with OpenDP's zCDP-to-approximate-DP conversion; the noise scale is
  calibrated by bisection so that the release spends exactly the requested epsilon.
- Thresholds (post-processing, no privacy cost): ``threshold="auto"`` picks, per length,
  the multiple z of the noise deviation that minimises the estimated number of suppressed
  plus ``fabrication_weight`` x fabricated combinations, estimated from the noisy counts
  alone; a number fixes z for every length.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

import numpy as np
import polars as pl
from scipy.stats import norm

from thbhub.domain.errors import UserError
from thbhub.privacy.combinations import MISSING, Aggregates, Columns, count_combinations

ACCURACY_MODES = ("balanced", "long", "short")


@dataclass(frozen=True)
class DpConfig:
    epsilon: float
    delta: float | None = None  # default_delta of the noisy number of records
    reporting_length: int = 3
    accuracy: str = "long"  # which lengths get less noise: long, short or balanced
    threshold: str | float = "auto"
    fabrication_weight: float = 0.5
    records_epsilon_share: float = 0.005

    def __post_init__(self) -> None:
        if not self.epsilon > 0:
            raise UserError("epsilon must be positive")
        if not 1 <= self.reporting_length <= 6:
            raise UserError("reporting length must be between 1 and 6")
        if self.accuracy not in ACCURACY_MODES:
            raise UserError(f"accuracy must be one of {ACCURACY_MODES}")
        if self.delta is not None and not 0 < self.delta < 1:
            raise UserError("delta must be between 0 and 1")
        if not (self.threshold == "auto" or isinstance(self.threshold, int | float)):
            raise UserError("threshold is 'auto' or a number of noise deviations")

    def proportions(self) -> list[float]:
        r = range(1, self.reporting_length + 1)
        if self.accuracy == "long":
            return [1.0 / k for k in r]
        if self.accuracy == "short":
            return [float(k) for k in r]
        return [1.0 for _ in r]


@dataclass
class DpAggregates:
    """The released noisy combination counts and what the release spent."""

    aggregates: Aggregates
    columns: tuple[str, ...]
    reporting_length: int
    noisy_records: int
    epsilon: float
    delta: float
    rho: float
    noise_sd: dict[int, float]
    thresholds: dict[int, float]
    domains: dict[str, list[str]] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        return {
            "epsilon": self.epsilon,
            "delta": self.delta,
            "rho_zcdp": self.rho,
            "reporting_length": self.reporting_length,
            "noisy_records": self.noisy_records,
            "noise_sd_by_length": {str(k): round(v, 2) for k, v in self.noise_sd.items()},
            "threshold_by_length": {str(k): round(v, 2) for k, v in self.thresholds.items()},
            "combinations": sum(t.height for t in self.aggregates.values()),
        }

    def to_frame(self) -> pl.DataFrame:
        """One row per released combination: ``combination`` as 'col:value;...', ``count``."""
        parts = []
        for cols, t in self.aggregates.items():
            label = pl.concat_str([pl.lit(f"{c}:") + pl.col(c) for c in cols], separator=";")
            parts.append(
                t.select(
                    pl.lit(len(cols)).alias("length"),
                    label.alias("combination"),
                    pl.col("n").alias("count"),
                )
            )
        if not parts:
            return pl.DataFrame(
                schema={"length": pl.Int32, "combination": pl.Utf8, "count": pl.Int64}
            )
        return pl.concat(parts).sort(["length", "combination"])


# -- OpenDP mechanisms and accounting ---------------------------------------------------


def _opendp() -> Any:
    import opendp.prelude as dp

    dp.enable_features("contrib")
    return dp


def _gaussian(scale: float) -> Any:
    dp = _opendp()
    return dp.m.make_gaussian(
        dp.vector_domain(dp.atom_domain(T=int)), dp.l2_distance(T=int), scale=scale
    )


def _laplace_count(scale: float) -> Any:
    dp = _opendp()
    return dp.m.make_laplace(dp.atom_domain(T=int), dp.absolute_distance(T=int), scale=scale)


def _rho_of(sds: list[float], sensitivities: list[int]) -> float:
    """zCDP spent by the marginals: Gaussian rho grows with the squared L2 sensitivity, so
    the map at distance 1 times Delta_k is the rho for a record touching Delta_k counts."""
    return float(sum(_gaussian(sd).map(1) * d for sd, d in zip(sds, sensitivities, strict=True)))


def epsilon_of(rho: float, delta: float) -> float:
    """(epsilon, delta)-DP implied by rho-zCDP, using OpenDP's conversion."""
    dp = _opendp()
    unit = dp.m.make_gaussian(
        dp.atom_domain(T=float, nan=False), dp.absolute_distance(T=float), scale=1.0
    )  # rho = 1/2 at distance 1: distance sqrt(2 rho) gives the wanted rho
    approx = dp.c.make_fix_delta(dp.c.make_zCDP_to_approxDP(unit), delta)
    return float(approx.map(math.sqrt(2 * rho))[0])


def _epsilon_or_inf(sds: list[float], sensitivities: list[int], delta: float) -> float:
    """The epsilon of these deviations; infinite where OpenDP's conversion overflows (noise
    so small that the privacy loss is beyond any float: a very large --epsilon makes the
    bisection try such deviations, which are then simply too small)."""
    from opendp.mod import OpenDPException

    try:
        return epsilon_of(_rho_of(sds, sensitivities), delta)
    except OpenDPException:
        return math.inf


def calibrate(config: DpConfig, n_columns: int, delta: float) -> tuple[list[float], float]:
    """Noise deviation per length such that the marginals are (epsilon_M, delta)-DP, where
    epsilon_M is what is left after the record count's share; returns (sds, rho)."""
    r = config.reporting_length
    sens = [math.comb(n_columns, k) for k in range(1, r + 1)]
    props = config.proportions()
    eps_m = config.epsilon * (1 - config.records_epsilon_share)

    def sds_for(sigma: float) -> list[float]:
        return [p * sigma * math.sqrt(d) for p, d in zip(props, sens, strict=True)]

    lo, hi = 1e-3, 1e4
    for _ in range(60):
        mid = math.sqrt(lo * hi)
        if _epsilon_or_inf(sds_for(mid), sens, delta) > eps_m:
            lo = mid
        else:
            hi = mid
    sds = sds_for(hi)
    return sds, _rho_of(sds, sens)


# -- the release ---------------------------------------------------------------------------


def dp_aggregates(
    data: pl.DataFrame,
    config: DpConfig,
    *,
    domains: dict[str, list[str]] | None = None,
) -> DpAggregates:
    """Noisy counts of all combinations up to ``config.reporting_length`` of ``data``'s
    columns (already categorical, see :func:`thbhub.privacy.combinations.categorical`)."""
    columns = tuple(data.columns)
    if not columns:
        raise UserError("no columns to release")
    r = min(config.reporting_length, len(columns))
    domains = domains or {c: sorted(set(data[c].to_list()) | {MISSING}) for c in columns}
    noisy_records = max(
        0, int(_laplace_count(1.0 / (config.epsilon * config.records_epsilon_share))(data.height))
    )
    delta = config.delta if config.delta is not None else default_delta(noisy_records)
    cfg = DpConfig(**{**config.__dict__, "reporting_length": r})
    sds, rho = calibrate(cfg, len(columns), delta)
    spent = epsilon_of(rho, delta)
    truth = count_combinations(data, r, include_missing=True)
    released: Aggregates = {}
    thresholds: dict[int, float] = {}
    for k in range(1, r + 1):
        candidates = _candidates(columns, k, released, domains)
        if not candidates:
            break
        keys = list(candidates)
        sizes = [candidates[c].height for c in keys]
        true_counts: list[int] = []
        for cols in keys:
            joined = candidates[cols].join(truth[cols], on=list(cols), how="left")
            true_counts += joined["n"].fill_null(0).to_list()
        noisy = np.asarray(_gaussian(sds[k - 1])(true_counts), dtype=float)
        z = _choose_threshold(noisy, sds[k - 1], config)
        thresholds[k] = z * sds[k - 1]
        start = 0
        for cols, size in zip(keys, sizes, strict=True):
            values = noisy[start : start + size]
            start += size
            kept = (
                candidates[cols]
                .with_columns(n=pl.Series(values))
                .filter(pl.col("n") > max(thresholds[k], 0.5))
            )
            if kept.height:
                released[cols] = kept
    released = _normalise(released)
    return DpAggregates(
        aggregates=released,
        columns=columns,
        reporting_length=r,
        noisy_records=noisy_records,
        epsilon=spent + config.epsilon * config.records_epsilon_share,
        delta=delta,
        rho=rho,
        noise_sd={k + 1: sd for k, sd in enumerate(sds)},
        thresholds=thresholds,
        domains=domains,
    )


def default_delta(n: int) -> float:
    """The smaller of 1e-5 and the showcase's 1/(n ln n), for ``n`` records: the *noisy*
    count (an exact count would be given away by the published delta)."""
    n = max(n, 3)
    return min(1e-5, 1.0 / (n * math.log(n)))


def _candidates(
    columns: Columns, k: int, released: Aggregates, domains: dict[str, list[str]]
) -> dict[Columns, pl.DataFrame]:
    out: dict[Columns, pl.DataFrame] = {}
    if k == 1:
        return {(c,): pl.DataFrame({c: domains[c]}) for c in columns}
    for cols in combinations(columns, k):
        head, last = cols[:-1], (cols[-1],)
        if head not in released or last not in released:
            continue
        cand = (
            released[head].select(list(head)).join(released[last].select(list(last)), how="cross")
        )
        for drop in range(k - 1):
            sub = tuple(c for i, c in enumerate(cols) if i != drop)
            if sub not in released:
                cand = cand.head(0)
                break
            cand = cand.join(released[sub].select(list(sub)), on=list(sub), how="semi")
        if cand.height:
            out[cols] = cand
    return out


def _choose_threshold(noisy: np.ndarray, sd: float, config: DpConfig) -> float:
    if config.threshold != "auto":
        return float(config.threshold)
    n = len(noisy)
    # Zero-count candidates fall below 0 half the time, real ones less often: twice the
    # share below zero estimates (from above) how many candidates are really empty.
    zeros = min(n, 2.0 * float((noisy < 0).sum()))
    real = n - zeros
    best_z, best_cost = 0.0, math.inf
    for z in np.arange(0.0, 5.01, 0.1):
        reported = float((noisy > z * sd).sum())
        fabricated = zeros * float(norm.sf(z))
        suppressed = max(0.0, real - (reported - fabricated))
        cost = suppressed + config.fabrication_weight * fabricated
        if cost < best_cost:
            best_z, best_cost = float(z), cost
    return best_z


def _normalise(released: Aggregates) -> Aggregates:
    """Round to whole counts and cap each combination by every one of its parts."""
    out: Aggregates = {}
    for cols in sorted(released, key=len):
        t = released[cols].with_columns(n=pl.col("n").round().cast(pl.Int64).clip(lower_bound=1))
        if len(cols) > 1:
            for drop in range(len(cols)):
                sub = tuple(c for i, c in enumerate(cols) if i != drop)
                if sub in out:
                    t = (
                        t.join(out[sub].rename({"n": "_cap"}), on=list(sub), how="inner")
                        .with_columns(n=pl.min_horizontal("n", "_cap"))
                        .drop("_cap")
                    )
        if t.height:
            out[cols] = t
    return out
