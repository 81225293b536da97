"""The user's path against the file: `thbhub release cases --method dp --as ctdc` on stored
records, beside the same DP functions run on the file itself and beside pac-synth.

    .venv/bin/python -m benchmarks.privacy_release --parity-only [--repeats N] [--epsilon E]

The user's path is run as a user runs it, with the CLI in a child process: ``thbhub init``
into a fresh SQLite database, ``orgs add``, ``import cases FILE --quarantine``, then
``release cases --method dp --epsilon E --reporting-length R --as ctdc -o FILE``.  The direct
path gives the package's DP functions (``dp_aggregates`` then ``synthesise``) the file's
nine columns as written (an empty cell is the missing category, every other cell a value);
pac-synth gets the same cells (empty = missing, the three flags' 0 as sensitive zeros).

Every output is scored by :func:`score`, which reads both files with the ``csv`` module and
nothing of the package: for every set of 1..R of the nine columns, the number of rows with
each combination of cells as written ("Unknown", "Missing" and "0" are values like any
other; a combination with an empty cell is left out, as the showcase's evaluator leaves out
missing values).  The original's rows whose ``yearOfRegistration`` is not a year from 1990
to 2030 (the file's 4 junk rows, which the import quarantines) are left out.

- suppressed %: original combinations absent from the output, per 100 original ones;
- fabricated %: output combinations absent from the original, per 100 original ones;
- MAE: mean |output count - original count| over combinations in both;
- relative MAE: the sum of those errors over the sum of the original counts of the same
  combinations (MAE divided by their mean count).
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from itertools import combinations
from pathlib import Path
from typing import Any

COLUMNS = [
    "yearOfRegistration",
    "gender",
    "ageBroad",
    "citizenship",
    "CountryOfExploitation",
    "isSexualExploit",
    "isForcedLabour",
    "isOtherExploit",
    "Datasource",
]
FLAGS = ["isSexualExploit", "isForcedLabour", "isOtherExploit"]

Rows = list[tuple[str, ...]]
Counts = Counter[tuple[tuple[int, ...], tuple[str, ...]]]


# -- the evaluator: plain CSV, nothing of the package ------------------------------------


def read_rows(path: Path, columns: Sequence[str] = COLUMNS, *, original: bool = False) -> Rows:
    """The cells of ``columns`` as written (a column the file lacks reads as empty)."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = [tuple(row.get(c) or "" for c in columns) for row in csv.DictReader(fh)]
    if original:
        year = list(columns).index("yearOfRegistration")
        rows = [r for r in rows if r[year].isdigit() and 1990 <= int(r[year]) <= 2030]
    return rows


def combination_counts(rows: Rows, length: int) -> Counts:
    """Rows per combination of cells, for every set of 1..``length`` columns; a combination
    with an empty cell is not counted."""
    counts: Counts = Counter()
    width = len(rows[0]) if rows else 0
    for k in range(1, length + 1):
        for idx in combinations(range(width), k):
            for row in rows:
                values = tuple(row[i] for i in idx)
                if "" not in values:
                    counts[(idx, values)] += 1
    return counts


def score(original: Counts, output: Counts) -> dict[str, float]:
    both = [key for key in original if key in output]
    errors = sum(abs(original[key] - output[key]) for key in both)
    total = sum(original[key] for key in both)
    n = len(original) or 1
    return {
        "suppressed_pct": 100 * (len(original) - len(both)) / n,
        "fabricated_pct": 100 * sum(1 for key in output if key not in original) / n,
        "mae": errors / len(both) if both else 0.0,
        "rel_mae": errors / total if total else 0.0,
    }


# -- the three paths ---------------------------------------------------------------------


def _thbhub(env: dict[str, str], *args: str) -> None:
    cmd = [sys.executable, "-m", "thbhub", *args]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:2])} failed: {done.stderr.strip()[-2000:]}")


class UserPath:
    """A fresh hub with the file imported through the CLI; each :meth:`release` is one
    ``thbhub release cases`` run (the budget is raised so that repeated releases fit)."""

    def __init__(self, source: Path, workdir: Path) -> None:
        self.workdir = workdir
        self.env = {
            **os.environ,
            "THBHUB_DATA_DIR": str(workdir),
            "THBHUB_DATABASE_URL": f"sqlite:///{workdir / 'hub.db'}",
            "THBHUB_PRIVACY_EPSILON_BUDGET": "1000",
        }
        start = time.perf_counter()
        _thbhub(self.env, "init")
        _thbhub(self.env, "orgs", "add", "CTDC", "--country", "US")
        _thbhub(self.env, "import", "cases", str(source), "--org", "CTDC", "--quarantine")
        self.import_seconds = time.perf_counter() - start
        self.runs = 0

    def release(self, epsilon: float, r: int, seed: int) -> tuple[Path, float]:
        self.runs += 1
        out = self.workdir / f"release-{self.runs}.csv"
        start = time.perf_counter()
        _thbhub(
            self.env,
            "release",
            "cases",
            "--org",
            "CTDC",
            "--method",
            "dp",
            "--epsilon",
            f"{epsilon:g}",
            "--reporting-length",
            str(r),
            "--seed",
            str(seed),
            "--as",
            "ctdc",
            "-o",
            str(out),
        )
        return out, time.perf_counter() - start


def _frame(rows: Rows) -> Any:
    import polars as pl

    from thbhub.privacy.combinations import MISSING

    data = {c: [r[i] or MISSING for r in rows] for i, c in enumerate(COLUMNS)}
    return pl.DataFrame(data, schema={c: pl.Utf8 for c in COLUMNS})


def _write(frame: Any, path: Path) -> Path:
    import polars as pl

    from thbhub.privacy.combinations import MISSING

    frame.with_columns([pl.col(c).replace(MISSING, None) for c in frame.columns]).write_csv(path)
    return path


def direct_path(rows: Rows, epsilon: float, r: int, seed: int, out: Path) -> tuple[Path, float]:
    from thbhub.privacy.dp import DpConfig, dp_aggregates
    from thbhub.privacy.synth import synthesise

    start = time.perf_counter()
    release = dp_aggregates(_frame(rows), DpConfig(epsilon=epsilon, reporting_length=r))
    synthetic = synthesise(release, seed=seed)
    return _write(synthetic, out), time.perf_counter() - start


def pac_path(rows: Rows, epsilon: float, r: int, out: Path) -> tuple[Path, float]:
    import polars as pl
    from pacsynth import Dataset, DpAggregateSeededParametersBuilder, DpAggregateSeededSynthesizer

    start = time.perf_counter()
    dataset = Dataset([list(COLUMNS)] + [list(row) for row in rows], sensitive_zeros=FLAGS)
    params = DpAggregateSeededParametersBuilder().epsilon(epsilon).reporting_length(r).build()
    synth = DpAggregateSeededSynthesizer(params)
    synth.fit(dataset)
    sample = synth.sample()
    pl.DataFrame(sample[1:], schema=sample[0], orient="row").write_csv(out)
    return out, time.perf_counter() - start


# -- the table ---------------------------------------------------------------------------

METRICS = ("rel_mae", "mae", "suppressed_pct", "fabricated_pct")


def parity(source: Path, epsilon: float = 4.0, r: int = 3, repeats: int = 3) -> dict[str, Any]:
    """Score the three paths on ``source`` (means over ``repeats`` releases) and print them,
    with the user's path's ratios to the direct path and to pac-synth."""
    rows = read_rows(source, original=True)
    truth = combination_counts(rows, r)
    try:
        import pacsynth  # noqa: F401
    except ImportError:
        pacsynth_ok = False
    else:
        pacsynth_ok = True
    results: dict[str, list[dict[str, float]]] = {"user's path": [], "direct": []}
    if pacsynth_ok:
        results["pac-synth"] = []
    with tempfile.TemporaryDirectory(prefix="thbhub-parity-") as tmp:
        work = Path(tmp)
        user = UserPath(source, work)
        for i in range(repeats):
            seed = 1000 + i
            runs = [("user's path", *user.release(epsilon, r, seed))]
            runs.append(("direct", *direct_path(rows, epsilon, r, seed, work / f"d{i}.csv")))
            if pacsynth_ok:
                runs.append(("pac-synth", *pac_path(rows, epsilon, r, work / f"p{i}.csv")))
            for name, path, seconds in runs:
                got = combination_counts(read_rows(path), r)
                results[name].append({**score(truth, got), "seconds": seconds})
    means = {
        name: {k: sum(x[k] for x in runs) / len(runs) for k in (*METRICS, "seconds")}
        for name, runs in results.items()
    }
    print(
        f"CTDC file, {len(rows)} records, epsilon {epsilon:g}, R {r}, the nine columns; "
        f"means of {repeats} releases; import {user.import_seconds:.1f} s (once)"
    )
    header = f"{'path':14} " + " ".join(f"{m:>14}" for m in METRICS) + f" {'supp+fabr':>10}"
    print(header + f" {'seconds':>8}")
    print("-" * (len(header) + 9))
    for name, m in means.items():
        both = m["suppressed_pct"] + m["fabricated_pct"]
        print(
            f"{name:14} "
            + " ".join(f"{m[k]:>14.3f}" for k in METRICS)
            + f" {both:>10.2f} {m['seconds']:>8.1f}"
        )
    mine = means["user's path"]
    for other in [n for n in means if n != "user's path"]:
        theirs = means[other]
        ratios = [mine[k] / theirs[k] if theirs[k] else float("inf") for k in METRICS]
        sf = (mine["suppressed_pct"] + mine["fabricated_pct"]) / max(
            theirs["suppressed_pct"] + theirs["fabricated_pct"], 1e-9
        )
        print(f"{'÷ ' + other:14} " + " ".join(f"{x:>14.2f}" for x in ratios) + f" {sf:>10.2f}")
    print(
        "(user's path: import + `release cases --as ctdc` through the CLI; direct: the DP "
        "functions on the file's cells; scored by benchmarks/release_parity.score)"
    )
    return means
