"""Multiple systems estimation with a 1,000-replicate BCa interval, against statsmodels.

    .venv/bin/python -m benchmarks.mse_speed [neworl|generated]

Two tables: the 8-list New Orleans table bundled with the hub (185 cases), and a generated
10-list table of about 100,000 cases (seeded; capture probabilities 2%-30%, three pairs of
lists that refer cases to each other).  Each is written to a CSV file and estimated the way a
user does it, `thbhub estimate mse --input FILE --bootstrap 1000 --format json`, timed end to
end (reading, selection on the data, 1,000 resampled selections, the jackknife).

Baseline, measured in the same run: the time of one statsmodels GLM Poisson fit of the same
table's main-effects model, times the number of model fits the estimate did (every table x
every step of every selection).  The ratio is baseline / ours: how much faster the batched
fits are than fitting the same models one at a time with the library PRODUCT.md names.
Target (issue 15): the 1,000-replicate interval in under 30 s on 2 cores for up to 8 lists.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import statsmodels.api as sm
from typer.testing import CliRunner

from thbhub.cli import app
from thbhub.estimation import bootstrap
from thbhub.estimation.model import cell_bits, design
from thbhub.estimation.samples import table_path
from thbhub.estimation.selection import full_counts, select
from thbhub.estimation.table import CaptureTable, read_table

N_BOOT = 1000
SEED = 1234


def generated_table(path: Path, n_lists: int = 10, seen: int = 100_000, seed: int = 11) -> None:
    """A log-linear population with three positive pair dependencies, Poisson counts."""
    rng = np.random.default_rng(seed)
    probs = np.linspace(0.02, 0.30, n_lists)
    bits = cell_bits(n_lists)
    log_mu = bits @ np.log(probs / (1 - probs))
    for i, j in [(0, 1), (2, 5), (4, 9)]:
        log_mu += 0.7 * bits[:, i] * bits[:, j]
    weights = np.exp(log_mu)
    total = seen / (weights.sum() / (1 + weights.sum()))
    counts = rng.poisson(total * weights / (1 + weights.sum()))
    lines = [",".join([f"L{i + 1}" for i in range(n_lists)] + ["count"])]
    for k, c in enumerate(counts, start=1):
        if c > 0:
            lines.append(",".join([str((k >> i) & 1) for i in range(n_lists)] + [str(c)]))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def count_fits(table: CaptureTable) -> int:
    """The model fits the estimate does: on the data, each replicate, each jackknife table
    (the same seeded draws as the command)."""
    n = table.n_lists

    def fits(counts: np.ndarray) -> int:
        return select(n, full_counts(n, table.patterns, counts), 0.02).n_fits

    return (
        fits(table.counts[None, :])
        + fits(bootstrap.resample(table.counts, N_BOOT, SEED))
        + fits(bootstrap.jackknife(table.counts))
    )


def statsmodels_fit_seconds(table: CaptureTable, repeats: int = 20) -> float:
    """Seconds for one statsmodels GLM Poisson fit of the table's main-effects model."""
    cells = full_counts(table.n_lists, table.patterns, table.counts[None, :])[0]
    d = design(table.n_lists, (), ())
    y, x = cells[d.rows], d.matrix
    sm.GLM(y, x, family=sm.families.Poisson()).fit()  # warm-up
    start = time.perf_counter()
    for _ in range(repeats):
        sm.GLM(y, x, family=sm.families.Poisson()).fit()
    return (time.perf_counter() - start) / repeats


def run(name: str, path: Path) -> None:
    table = read_table(path)
    runner = CliRunner()
    start = time.perf_counter()
    result = runner.invoke(
        app,
        ["estimate", "mse", "--input", str(path), "--bootstrap", str(N_BOOT),
         "--seed", str(SEED), "--format", "json"],
    )  # fmt: skip
    ours = time.perf_counter() - start
    assert result.exit_code == 0, result.stderr
    answer = json.loads(result.stdout)
    n_fits = count_fits(table)
    per_fit = statsmodels_fit_seconds(table)
    baseline = per_fit * n_fits
    print(
        f"{name}: {table.n_lists} lists, {table.observed:,} cases seen; estimate "
        f"{answer['estimate']:,.0f} ({answer['ci_low']:,.0f}-{answer['ci_high']:,.0f}), "
        f"terms {','.join(answer['interactions']) or '-'}\n"
        f"  ours: {ours:.1f} s for {N_BOOT} replicates ({n_fits:,} model fits)\n"
        f"  statsmodels GLM: {per_fit * 1000:.2f} ms per fit x {n_fits:,} fits = {baseline:.1f} s"
        f"\n  ratio baseline/ours: {baseline / ours:.1f}x"
        f"  (target: under 30 s for up to 8 lists: {'met' if ours < 30 else 'NOT met'})",
        flush=True,
    )


def main(which: str = "all") -> None:
    if which in ("all", "neworl"):
        run("New Orleans", table_path("NewOrl.csv"))
    if which in ("all", "generated"):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "generated_10_lists.csv"
            generated_table(path)
            run("generated", path)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "all")
