"""The hub's trend fitter against statsmodels' GLM in a loop, on every stored series.

    .venv/bin/python -m benchmarks.trends_speed [--glotip PATH] [--repeats 3]

Two databases are built on the user's path in a temporary directory: `thbhub init --sample`
(the bundled data) and `thbhub init` + `thbhub import glotip` of the full GLOTIP file
(../shared/data/unodc-glotip/data_glotip.xlsx; skipped with a note when absent).  From each,
every stored series is read as `thbhub trends` reads it (analytics.stored, every indicator and
country, the total and each of sex, age, form and citizenship), and fitted, in the same run:

- **hub**: ``analytics.trends.fit_trends`` — every series' checks and the censored
  quasi-Poisson fit of all series together (suppressed cells by their bounds);
- **hub, published cells only**: the same fitter on the same series with suppressed cells
  left out — the very model statsmodels fits below, so the estimates can be compared;
- **statsmodels**: ``GLM(y, [1, year - centre], Poisson).fit(scale="X2")`` (quasi-Poisson)
  in a loop over the same series, published cells only — a GLM cannot take an interval, so
  statsmodels does less work per series than the hub's censored fit.

Printed: series fitted, the best of ``--repeats`` times, the ratios hub ÷ statsmodels
(target of issue 14: at most 0.5) and the largest difference between the hub's and
statsmodels' slopes on the published-cells fit.
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

from thbhub.analytics import model
from thbhub.analytics.series import Series
from thbhub.analytics.service import ALERT_BREAKDOWNS
from thbhub.analytics.stored import stored_series
from thbhub.analytics.trends import arrays, fit_trends
from thbhub.stats.query import ObservationQuery
from thbhub.storage import Database

GLOTIP = Path(__file__).resolve().parents[2] / "shared/data/unodc-glotip/data_glotip.xlsx"


def thbhub(url: str, *args: str) -> None:
    """Run the CLI as a user does (the installed entry point, its own process)."""
    exe = Path(sys.executable).with_name("thbhub")
    env = {**os.environ, "THBHUB_DATABASE_URL": url}
    subprocess.run([str(exe), *args], check=True, env=env, capture_output=True)


def every_series(url: str) -> list[Series]:
    db = Database(url, create=False)
    try:
        found: dict[str, Series] = {}
        for by in ALERT_BREAKDOWNS:
            for s in stored_series(db, ObservationQuery(by=[by] if by else [])):
                found.setdefault(s.key, s)
        return list(found.values())
    finally:
        db.dispose()


def published(series: list[Series]) -> list[Series]:
    """The same series with suppressed cells left out (what a GLM can take)."""
    return [
        Series(s.key, [p for p in s.points if p.status in ("value", "zero")], s.labels)
        for s in series
    ]


def statsmodels_loop(series: list[Series]) -> dict[str, float]:
    """Each fittable series' slope by statsmodels' GLM, one call per series."""
    import statsmodels.api as sm

    slopes: dict[str, float] = {}
    for s in series:
        years = np.array([p.year for p in s.points], dtype=float)
        y = np.array([p.count or 0.0 for p in s.points])
        X = np.column_stack([np.ones_like(years), years - years.mean()])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                res = sm.GLM(y, X, family=sm.families.Poisson()).fit(scale="X2")
            except Exception:  # a diverging series (all zeros at one end): no slope
                continue
        slopes[s.key] = float(res.params[1])
    return slopes


def fitter_only(series: list[Series]) -> Callable[[], object]:
    """The hub's fitter alone (analytics.model.fit, all series in one call): the estimates
    and Wald covariance statsmodels' loop computes, without the hub's checks, likelihood-ratio
    tests and profile intervals."""
    stretches = [[p for p in s.sorted_points() if p.known] for s in series]
    years, y, lo, hi, kind = arrays(stretches)
    present = kind != model.ABSENT
    centre = (years * present).sum(axis=1) / present.sum(axis=1)
    X = np.stack([present * 1.0, (years - centre[:, None]) * present], axis=2)
    return lambda: model.fit(X, y, lo, hi, kind)


def best(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def measure(name: str, url: str, repeats: int) -> None:
    series = every_series(url)
    trends = fit_trends(series)
    ok = [s for s, t in zip(series, trends, strict=True) if t.status == "ok"]
    plain = published(ok)
    plain_trends = fit_trends(plain)
    fitted = [s for s, t in zip(plain, plain_trends, strict=True) if t.status == "ok"]
    hub = best(lambda: fit_trends(ok), repeats)
    fit_censored = best(fitter_only(ok), repeats)
    fit_plain = best(fitter_only(fitted), repeats)
    hub_plain = best(lambda: fit_trends(fitted), repeats)
    sm_time = best(lambda: statsmodels_loop(fitted), repeats)
    sm_slopes = statsmodels_loop(fitted)
    # The negative-binomial fall-back is another model than statsmodels' Poisson GLM here.
    hub_slopes = {
        t.series: t.slope
        for t in fit_trends(fitted)
        if t.slope is not None and t.model != "negative-binomial"
    }
    common = [k for k in hub_slopes if k in sm_slopes and math.isfinite(sm_slopes[k])]
    diff = max((abs(hub_slopes[k] - sm_slopes[k]) for k in common), default=float("nan"))
    print(
        f"{name}: {len(series)} stored series, {len(ok)} with a trend "
        f"({sum(t.suppressed_years for t in trends if t.status == 'ok')} suppressed cells), "
        f"{len(fitted)} with a trend on published cells alone"
    )
    print(
        f"  hub trends (checks, fits, LR tests, profile intervals), censored: {hub * 1000:8.1f} ms"
    )
    print(f"  the same, published cells only:                  {hub_plain * 1000:8.1f} ms")
    print(f"  hub fitter alone (model.fit), censored:          {fit_censored * 1000:8.1f} ms")
    print(f"  hub fitter alone, published cells only:          {fit_plain * 1000:8.1f} ms")
    print(f"  statsmodels GLM loop, published cells only:      {sm_time * 1000:8.1f} ms")
    print(
        f"  ratios to statsmodels: fitter censored {fit_censored / sm_time:.3f}, fitter same "
        f"model {fit_plain / sm_time:.3f} (target <= 0.5); whole trends censored "
        f"{hub / sm_time:.3f}, same model {hub_plain / sm_time:.3f}"
    )
    print(
        "  largest slope difference on the same "
        f"model {diff:.2e} over the {len(common)} series not taking the negative binomial"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--glotip", type=Path, default=GLOTIP)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        sample = f"sqlite:///{tmp}/sample.db"
        thbhub(sample, "init", "--sample")
        measure("bundled data (thbhub init --sample)", sample, args.repeats)
        if args.glotip.exists():
            full = f"sqlite:///{tmp}/full.db"
            thbhub(full, "init")
            thbhub(full, "import", "glotip", str(args.glotip))
            measure(f"full GLOTIP file ({args.glotip.name})", full, args.repeats)
        else:
            print(f"full GLOTIP file not found at {args.glotip}: skipped")


if __name__ == "__main__":
    main()
