"""THB Hub's DP release vs Microsoft's Synthetic Data Showcase (`pac-synth`), side by side.

    .venv/bin/python -m benchmarks.privacy_release [--quick]

The same CTDC extract (year, gender, age band, citizenship, country of exploitation, the
three exploitation flags, data source; "Unknown"/"Missing"/empty all missing; the flags'
0 counted as a value in both tools) is released by both tools at epsilon in {1, 4} and
reporting length R in {3, 4}, on the full file and on a 6,000-row sample.  Both releases
are scored by the same evaluator (thbhub.privacy.utility.compare, the showcase's metric
definitions): % of original combinations suppressed, % fabricated, mean absolute error of
combination counts (all, and counts >= 10), for the DP aggregates and the synthetic data.
Ratios are THB Hub / showcase: below 1 is better for THB Hub.  Sample rows are means of
``--repeats`` independent releases (default 3); full-file rows are single releases.  The
showcase's own published anchor (6,000-row test set, epsilon 4, R 4) is printed too.

First, the gated public tables (docs/privacy.md, "Convergence"): the lattice over
(organisation, year, sex, age, citizenship, country) of the whole file, with and without
one more ordinary record (Female, 18-20, UA, exploited in PL, 2015), which the old audit
loop could not protect (it stopped after 50 rounds, ~60 s, with a RuntimeError), and with
a second organisation of 20, 200 or 2,000 records.  Times are printed as ratios to
building the lattice (counts, hypercubes and relation rules) of the same frame, measured
in the same run, and the audit's warm-started solver as a ratio to a cold linprog per
objective on the same lattice; ``--tables-only`` stops there.

After the tables, before the grid: the user's path (benchmarks/release_parity.py,
docs/privacy.md "Releases from stored records"), the file imported with the CLI and released
with `thbhub release cases --as ctdc`, beside the DP functions on the file and pac-synth, all
scored by a plain-CSV evaluator; ``--parity-only`` runs only that.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import polars as pl

from benchmarks.release_parity import COLUMNS, FLAGS, parity
from thbhub.privacy.combinations import MISSING, Aggregates, categorical, count_combinations
from thbhub.privacy.dp import DpConfig, dp_aggregates
from thbhub.privacy.gate import GateContext
from thbhub.privacy.lattice import Lattice
from thbhub.privacy.policy import DisclosurePolicy
from thbhub.privacy.public import PUBLIC_DIMENSIONS, ProtectedTables
from thbhub.privacy.synth import synthesise
from thbhub.privacy.utility import compare

CTDC = (
    Path(__file__).resolve().parents[2]
    / "shared/data/ctdc-global-2018/ctdc_global_individual_database_2018.csv"
)
ANCHOR = {
    "aggregates": {"mae": 15.3, "mean_count": 111.7, "suppressed_pct": 5.1, "fabricated_pct": 4.0},
    "synthetic": {"mae": 27.8, "suppressed_pct": 5.2, "fabricated_pct": 3.4},
}


def load(path: Path = CTDC) -> pl.DataFrame:
    raw = pl.read_csv(path, infer_schema_length=0)
    # The last rows are junk (e.g. yearOfRegistration 1667367): keep plausible years only.
    year = pl.col("yearOfRegistration").cast(pl.Int64, strict=False)
    raw = raw.filter(year.is_between(1990, 2030))
    return categorical(raw.select(COLUMNS), COLUMNS)


#: The file's columns as the public tables' dimensions (organisation added).
TABLE_COLUMNS = {
    "yearOfRegistration": "year",
    "gender": "sex",
    "ageBroad": "age",
    "citizenship": "citizenship",
    "CountryOfExploitation": "country",
}
ONE_MORE = {"year": "2015", "sex": "Female", "age": "18--20", "citizenship": "UA", "country": "PL"}


def table_frame(path: Path = CTDC) -> pl.DataFrame:
    raw = pl.read_csv(path, infer_schema_length=0)
    year = pl.col("yearOfRegistration").cast(pl.Int64, strict=False)
    raw = raw.filter(year.is_between(1990, 2030))
    frame = categorical(raw.select(list(TABLE_COLUMNS)), list(TABLE_COLUMNS))
    frame = frame.rename(TABLE_COLUMNS).with_columns(organisation=pl.lit("CTDC"))
    return frame.select(list(PUBLIC_DIMENSIONS))


def gated_tables() -> None:
    """Time the public tables' lattice: build, protect (audit rounds), a cached read; and the
    audit's warm-started solver against a cold solve per objective, on the same lattice."""
    policy = DisclosurePolicy()
    full = table_frame()
    one = pl.DataFrame([{"organisation": "CTDC", **ONE_MORE}]).select(full.columns)
    frames = [("CTDC file", full), ("CTDC file + 1 record", pl.concat([full, one]))]
    for n in (20, 200, 2000):  # a second contributor: a sample of the file under its name
        other = full.sample(n, seed=n).with_columns(organisation=pl.lit("NGO"))
        frames.append((f"+ {n} records of an NGO", pl.concat([full, other])))
    print(
        f"{'frame':24} {'records':>8} {'build s':>8} {'protect s':>9} {'ratio':>6} "
        f"{'cached s':>9} {'ratio':>8} {'primary':>7} {'added':>6} {'of cells':>8}"
    )
    for name, frame in frames:
        start = time.perf_counter()
        before = Lattice.build(frame, PUBLIC_DIMENSIONS, policy).stats()
        build = time.perf_counter() - start
        start = time.perf_counter()
        protected = GateContext("bench", dimensions=PUBLIC_DIMENSIONS).protected(frame, policy)
        protect = time.perf_counter() - start - build  # the audit rounds beyond the build
        after = protected.lattice.stats()
        cache = ProtectedTables()
        cache.get(name, (1,), lambda p=protected: p)  # type: ignore[misc]
        start = time.perf_counter()
        cache.get(name, (1,), lambda p=protected: p).table(["sex"])  # type: ignore[misc]
        cached = time.perf_counter() - start
        print(
            f"{name:24} {frame.height:>8} {build:>8.2f} {protect:>9.2f} {protect / build:>6.2f} "
            f"{cached:>9.4f} {cached / build:>8.4f} {before['primary_suppressed']:>7} "
            f"{after['secondary_suppressed']:>6} {after['nonzero_cells']:>8}"
        )
    print("(protect: the audit rounds, beyond building the lattice; ratios to the build;")
    print(" cached: one query on the app's ProtectedTables for an unchanged data version;")
    print(" added: cells suppressed besides the primary ones, by the relation rules and audit)")
    _solver(frames[2][1], policy)
    print()


def _solver(frame: pl.DataFrame, policy: DisclosurePolicy) -> None:
    """One audit of a lattice with a second organisation, through the warm-started solver
    and through a cold scipy linprog per objective (the solver it replaced)."""
    import numpy as np
    from scipy import sparse
    from scipy.optimize import linprog

    from thbhub.privacy import audit as audit_module

    class Cold(audit_module.Polytope):
        def _least(self, variables: np.ndarray, sign: float) -> float:
            c = np.zeros(self.cols)
            c[variables] = sign
            # rows are ranges b_eq <= A x <= b_upper: equalities where both are equal
            low, high = self.b_eq, self.b_upper
            eq = low == high
            a_ub = sparse.vstack([self.a_eq[~eq & np.isfinite(high)], -self.a_eq[~eq]])
            b_ub = np.concatenate([high[~eq & np.isfinite(high)], -low[~eq]])
            res = linprog(
                c,
                A_eq=self.a_eq[eq],
                b_eq=low[eq],
                A_ub=a_ub,
                b_ub=b_ub,
                bounds=(0, None),
                method="highs",
            )
            return -np.inf if res.status == 3 else float(res.fun)

    lattice = Lattice.build(frame, PUBLIC_DIMENSIONS, policy)
    start = time.perf_counter()
    warm = audit_module.audit(lattice)
    warm_s = time.perf_counter() - start
    real = audit_module.Polytope
    audit_module.Polytope = Cold  # type: ignore[misc]
    try:
        start = time.perf_counter()
        cold = audit_module.audit(lattice)
        cold_s = time.perf_counter() - start
    finally:
        audit_module.Polytope = real  # type: ignore[misc]
    same = all(
        abs(a.low - b.low) < 1e-6 and (a.high == b.high or abs(a.high - b.high) < 1e-6)
        for a, b in zip(warm, cold, strict=True)
    )
    print(
        f"audit of {len(warm)} cells (CTDC file + 20 records of an NGO): warm-started HiGHS "
        f"{warm_s:.2f} s, a cold linprog per objective {cold_s:.2f} s = "
        f"{cold_s / warm_s:.1f}x; the same intervals: {same}"
    )


def _parse_pac(aggs: dict[str, int]) -> Aggregates:
    by_cols: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for combo, count in aggs.items():
        pairs = [p.split(":", 1) for p in combo.split(";")]
        cols = tuple(sorted((c for c, _ in pairs), key=COLUMNS.index))
        row = {c: v for c, v in pairs} | {"n": int(count)}
        by_cols.setdefault(cols, []).append(row)
    return {
        cols: pl.DataFrame(rows, schema={**{c: pl.Utf8 for c in cols}, "n": pl.Int64})
        for cols, rows in by_cols.items()
    }


def run_pac(data: pl.DataFrame, epsilon: float, r: int) -> tuple[Aggregates, pl.DataFrame, float]:
    from pacsynth import Dataset, DpAggregateSeededParametersBuilder, DpAggregateSeededSynthesizer

    start = time.perf_counter()
    raw = [list(data.columns)] + [
        ["" if v == MISSING else v for v in row] for row in data.iter_rows()
    ]
    dataset = Dataset(raw, sensitive_zeros=FLAGS)
    params = DpAggregateSeededParametersBuilder().epsilon(epsilon).reporting_length(r).build()
    synth = DpAggregateSeededSynthesizer(params)
    synth.fit(dataset)
    aggs = _parse_pac(synth.get_dp_aggregates(";"))
    sample = synth.sample()
    syn = pl.DataFrame(sample[1:], schema=sample[0], orient="row")
    syn = syn.with_columns([pl.col(c).replace("", MISSING) for c in syn.columns])
    return aggs, syn.select(COLUMNS), time.perf_counter() - start


def run_hub(data: pl.DataFrame, epsilon: float, r: int) -> tuple[Aggregates, pl.DataFrame, float]:
    start = time.perf_counter()
    release = dp_aggregates(data, DpConfig(epsilon=epsilon, reporting_length=r))
    syn = synthesise(release, seed=0)
    return release.aggregates, syn, time.perf_counter() - start


def evaluate(data: pl.DataFrame, aggs: Aggregates, syn: pl.DataFrame, r: int) -> dict[str, Any]:
    truth = count_combinations(data, r)
    return {
        "aggregates": compare(truth, aggs, r)["overall"],
        "synthetic": compare(truth, count_combinations(syn, r), r)["overall"],
    }


METRICS = ("suppressed_pct", "fabricated_pct", "mae", "mae_ge10")


def _averaged(
    run: Any, data: pl.DataFrame, epsilon: float, r: int, repeats: int
) -> tuple[dict[str, Any], float]:
    """Mean metrics (and seconds per run) over ``repeats`` independent releases."""
    runs, seconds = [], 0.0
    for _ in range(repeats):
        aggs, syn, secs = run(data, epsilon, r)
        runs.append(evaluate(data, aggs, syn, r))
        seconds += secs
    mean = {
        output: {m: sum(x[output][m] for x in runs) / repeats for m in METRICS}
        for output in ("aggregates", "synthetic")
    }
    return mean, seconds / repeats


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}" if b else ("1.00" if a == b else "inf")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="6,000-row sample, epsilon 4, R 4")
    parser.add_argument(
        "--repeats", type=int, default=3, help="runs averaged on the sample (full file: 1)"
    )
    parser.add_argument("--tables-only", action="store_true", help="the gated tables only")
    parser.add_argument(
        "--parity-only",
        action="store_true",
        help="the user's path (import, release cases --as ctdc) vs direct vs pac-synth only",
    )
    args = parser.parse_args(argv)
    if not CTDC.exists():
        print(f"skipped: {CTDC} is not here")
        return 0
    if not args.parity_only:
        gated_tables()
    if args.tables_only:
        return 0
    parity(CTDC, epsilon=4.0, r=3, repeats=1 if args.quick else args.repeats)
    print()
    if args.parity_only:
        return 0
    try:
        import pacsynth  # noqa: F401
    except ImportError:
        print("pac-synth is not installed: comparing with the showcase's published anchor only")
        pacsynth_ok = False
    else:
        pacsynth_ok = True
    full = load()
    sample = full.sample(6000, seed=2017)
    datasets = [("6000-row sample", sample, args.repeats)] + (
        [] if args.quick else [("full file", full, 1)]
    )
    settings = [(4.0, 4)] if args.quick else [(1.0, 3), (1.0, 4), (4.0, 3), (4.0, 4)]
    header = (
        f"{'data':16} {'eps':>3} {'R':>2} {'output':10} {'tool':8} "
        + " ".join(f"{m:>15}" for m in METRICS)
        + f" {'seconds':>8}"
    )
    print(header)
    print("-" * len(header))
    for name, data, repeats in datasets:
        for epsilon, r in settings:
            hub, hub_t = _averaged(run_hub, data, epsilon, r, repeats)
            pac: dict[str, Any] | None = None
            pac_t = 0.0
            if pacsynth_ok:
                pac, pac_t = _averaged(run_pac, data, epsilon, r, repeats)
            for output in ("aggregates", "synthetic"):
                rows = [("THB Hub", hub[output], hub_t)]
                if pac is not None:
                    rows.append(("showcase", pac[output], pac_t))
                for tool, m, secs in rows:
                    print(
                        f"{name:16} {epsilon:>3.0f} {r:>2} {output:10} {tool:8} "
                        + " ".join(f"{m[k]:>15.2f}" for k in METRICS)
                        + f" {secs:>8.1f}"
                    )
                if pac is not None:
                    h, p = hub[output], pac[output]
                    ratios = " ".join(f"{_ratio(h[k], p[k]):>15}" for k in METRICS)
                    both = _ratio(
                        h["suppressed_pct"] + h["fabricated_pct"],
                        p["suppressed_pct"] + p["fabricated_pct"],
                    )
                    print(
                        f"{name:16} {epsilon:>3.0f} {r:>2} {output:10} {'ratio':8} {ratios}"
                        f"   (suppressed+fabricated ratio {both})"
                    )
    print()
    print("Showcase's published anchor (its own 6,000-row test set, epsilon 4, R 4):")
    for output, m in ANCHOR.items():
        print(f"  {output}: " + ", ".join(f"{k} {v}" for k, v in m.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
