"""The cell key method on the CTDC file: what its noise costs, and what it stops.

    .venv/bin/python -m benchmarks.privacy_versions [--bounds 0,2,3] [--no-lp]

The public tables' lattice (organisation, year, sex, age, citizenship, country; every table
of up to three of them) is protected for two data versions: version 1 is the CTDC 2018 file
(47,102 records) under one organisation, version 2 adds 200 records of a second one (a
sample of the file, as in benchmarks/privacy_release.py).  For each noise bound D (0 is the
gate before the cell key method) version 2 is protected twice in the same run: alone (the
gate before privacy/versions.py, the baseline) and also against what version 1 published
(the gate now).  For each it prints:

* utility of version 2: non-zero cells published and suppressed, mean absolute and mean
  relative error of the published counts against the true ones, the largest error, the
  share published exactly, and the same for counts below 20;
* time: building and protecting version 2's lattice, in seconds and as a ratio to the first
  row (the record keys' own time is printed once);
* the attack of issue 13, pairwise: for every cell published in both versions, the true
  differences consistent with the two published numbers (docs/privacy.md); cells whose
  count of the second organisation is 1..k-1, and how many of them are pinned to 1..k-1;
* the attack by linear programming over *everything* published in both versions (every
  cell of both lattices, a published count p as the range max(k, p - D) .. p + D, a
  suppressed one as >= 1, zeros exact): the least and greatest count of the second
  organisation in each of those cells; how many are pinned to 1..k-1 and how many exactly;
* one version alone: how many secondary suppressions (true counts >= k) the same linear
  programming recovers exactly (the README's old "no suppressed cell can be recovered").
"""

from __future__ import annotations

import argparse
import math
import random
import time
from typing import Any

import numpy as np
import polars as pl
from scipy import sparse

from benchmarks.privacy_release import CTDC, table_frame
from thbhub.privacy.audit import joint_support
from thbhub.privacy.cellkey import derive_secret, joint_keys
from thbhub.privacy.gate import GateContext, ProtectedLattice, shown_count
from thbhub.privacy.lattice import Dims, Lattice
from thbhub.privacy.policy import DisclosurePolicy
from thbhub.privacy.polytope import Polytope
from thbhub.privacy.public import PUBLIC_DIMENSIONS
from thbhub.privacy.versions import PublishedVersion, snapshot

SECRET = derive_secret("benchmark deployment secret")
SECOND = "NGO"
Cell = tuple[Dims, tuple[str, ...]]
TOL = 1e-6


def protect(
    frame: pl.DataFrame, policy: DisclosurePolicy, previous: PublishedVersion | None = None
) -> tuple[ProtectedLattice, float]:
    start = time.perf_counter()
    context = GateContext("bench", dimensions=PUBLIC_DIMENSIONS)
    protected = context.protected(frame, policy, previous)
    return protected, time.perf_counter() - start


def published(protected: ProtectedLattice) -> dict[Cell, tuple[int, int | None]]:
    """(true count, published count or None if suppressed) of every non-zero cell."""
    out: dict[Cell, tuple[int, int | None]] = {}
    for key, table in protected.lattice.tables.items():
        for row in table.iter_rows(named=True):
            n = int(row["n"])
            shown = None if row["sup"] else shown_count(n, int(row["ck"]), protected.policy)
            out[(key, tuple(str(row[d]) for d in key))] = (n, shown)
    return out


def utility(cells: dict[Cell, tuple[int, int | None]]) -> dict[str, float]:
    shown = [(n, p) for n, p in cells.values() if p is not None]
    small = [(n, p) for n, p in shown if n < 20]

    def stats(pairs: list[tuple[int, int]]) -> tuple[float, float, int, float]:
        err = np.array([abs(p - n) for n, p in pairs], dtype=float)
        rel = np.array([abs(p - n) / n for n, p in pairs], dtype=float)
        return float(err.mean()), float(rel.mean()), int(err.max()), float((err == 0).mean())

    mae, mre, worst, exact = stats(shown)
    small_mae, small_mre, _, small_exact = stats(small)
    return {
        "cells": len(cells),
        "published": len(shown),
        "suppressed": len(cells) - len(shown),
        "mae": mae,
        "mre": mre,
        "max": worst,
        "exact": exact,
        "small": len(small),
        "small_mae": small_mae,
        "small_mre": small_mre,
        "small_exact": small_exact,
    }


def possible(p: int | None, k: int, bound: int) -> tuple[float, float]:
    if p is None:
        return 1, math.inf
    if p == 0:
        return 0, 0
    return max(k, p - bound), p + bound


def pairwise(
    v1: dict[Cell, tuple[int, int | None]], v2: dict[Cell, tuple[int, int | None]], k: int, d: int
) -> tuple[int, int]:
    small = pinned = 0
    for cell, (n2, p2) in v2.items():
        n1, p1 = v1.get(cell, (0, 0))
        if not 0 < n2 - n1 < k:
            continue
        small += 1
        low1, high1 = possible(p1, k, d)
        low2, high2 = possible(p2, k, d)
        if low2 - high1 >= 1 and high2 - low1 <= k - 1:
            pinned += 1
    return small, pinned


def _rows(
    lattice: Lattice,
    cells: dict[Cell, tuple[int, int | None]],
    variables: pl.DataFrame,
    k: int,
    d: int,
) -> tuple[list[np.ndarray], list[float], list[float]]:
    """One range per non-zero cell of ``lattice``: the variables beneath it and its bounds."""
    members, lows, highs = [], [], []
    for key, table in lattice.tables.items():
        labelled = table.with_row_index("_cell")
        if key:
            hit = variables.join(labelled.select([*key, "_cell"]), on=list(key))
        else:
            hit = variables.with_columns(_cell=pl.lit(0, dtype=pl.UInt32))
        grouped = hit.group_by("_cell").agg(pl.col("_var"))
        beneath = dict(zip(grouped["_cell"].to_list(), grouped["_var"].to_list(), strict=True))
        for i, row in enumerate(table.iter_rows(named=True)):
            _, p = cells[(key, tuple(str(row[x]) for x in key))]
            low, high = possible(p, k, d)
            members.append(np.array(beneath.get(i, []), dtype=np.int64))
            lows.append(float(low))
            highs.append(high if high != math.inf else np.inf)
    return members, lows, highs


def _polytope(
    parts: list[tuple[list[np.ndarray], list[float], list[float]]], nvar: int
) -> Polytope:
    rows, cols, lows, highs = [], [], [], []
    r = 0
    for members, low, high in parts:
        for m, lo, hi in zip(members, low, high, strict=True):
            rows.append(np.full(m.size, r))
            cols.append(m)
            lows.append(lo)
            highs.append(hi)
            r += 1
    a = sparse.csr_matrix(
        (np.ones(sum(c.size for c in cols)), (np.concatenate(rows), np.concatenate(cols))),
        shape=(r, nvar),
    )
    return Polytope(a, np.array(lows), np.array(highs))


def lp_attack(
    p1: ProtectedLattice,
    p2: ProtectedLattice,
    v1: dict[Cell, tuple[int, int | None]],
    v2: dict[Cell, tuple[int, int | None]],
    k: int,
    d: int,
    sample: int,
) -> dict[str, int]:
    """Everything published in both versions at once; bounds of the second organisation's
    count in ``sample`` cells (drawn with a fixed seed) of those where it holds 1..k-1
    records; then ``sample`` secondary suppressions of version 2 alone."""
    support2 = joint_support(p2.lattice, 10**6).drop("_var")
    support1 = joint_support(p1.lattice, 10**6).drop("_var")
    first = support2.filter(pl.col("organisation") != SECOND).join(
        support1, on=list(PUBLIC_DIMENSIONS), how="semi"
    )
    second = support2.filter(pl.col("organisation") == SECOND)
    variables = pl.concat([first, second]).with_row_index("_var")
    nvar = variables.height
    m1, lo1, hi1 = _rows(p1.lattice, v1, variables.filter(pl.col("organisation") != SECOND), k, d)
    m2, lo2, hi2 = _rows(p2.lattice, v2, variables, k, d)
    both = _polytope([(m1, lo1, hi1), (m2, lo2, hi2)], nvar)
    theirs = variables.filter(pl.col("organisation") == SECOND)
    out = {"targets": 0, "pinned": 0, "exact": 0}
    targets: list[np.ndarray] = []
    for key, table in p2.lattice.tables.items():
        if "organisation" in key:
            continue  # the second organisation's own cells: the cells without it cover them
        grouped = (
            theirs.join(table.select(list(key)), on=list(key)).group_by(list(key)).agg("_var")
            if key
            else theirs.select(pl.col("_var").implode())
        )
        for row in grouped.iter_rows(named=True):
            label = tuple(str(row[x]) for x in key)
            added = v2[(key, label)][0] - v1.get((key, label), (0, 0))[0]
            if 0 < added < k:
                targets.append(np.array(row["_var"], dtype=np.int64))
    rng = random.Random(13)
    for beneath in rng.sample(targets, min(sample, len(targets))):
        low, high = both.interval(beneath)
        least, most = math.ceil(low - TOL), math.floor(high + TOL)
        out["targets"] += 1
        out["pinned"] += int(least >= 1 and most <= k - 1)
        out["exact"] += int(least == most)
    alone = _polytope([(m2, lo2, hi2)], nvar)
    for kind, primary in (("secondary", False), ("primary", True)):
        hidden: list[np.ndarray] = []
        for key, table in p2.lattice.tables.items():
            cells = table.filter(pl.col("sup") & (pl.col("primary") == primary))
            if cells.height == 0:
                continue
            grouped = (
                variables.join(cells.select(list(key)), on=list(key))
                .group_by(list(key))
                .agg("_var")
                if key
                else variables.select(pl.col("_var").implode())
            )
            hidden += [np.array(r["_var"], dtype=np.int64) for r in grouped.iter_rows(named=True)]
        out[f"{kind}_all"] = len(hidden)
        out[kind] = out[f"{kind}_exact"] = out[f"{kind}_pinned"] = 0
        for beneath in rng.sample(hidden, min(sample, len(hidden))):
            low, high = alone.interval(beneath)
            least, most = math.ceil(low - TOL), math.floor(high + TOL)
            out[kind] += 1
            out[f"{kind}_exact"] += int(least == most)
            out[f"{kind}_pinned"] += int(least >= 1 and most <= k - 1)
    return out


def key_time(frame: pl.DataFrame) -> float:
    joint = frame.select(
        [pl.col(c).cast(pl.Utf8).fill_null("(missing)") for c in PUBLIC_DIMENSIONS]
    )
    joint = joint.group_by(list(PUBLIC_DIMENSIONS)).len(name="n")
    start = time.perf_counter()
    joint_keys(joint, PUBLIC_DIMENSIONS, SECRET)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bounds", default="0,2,3", help="noise bounds D to compare (0 first)")
    parser.add_argument("--no-lp", action="store_true", help="skip the linear-programming attack")
    parser.add_argument(
        "--lp-sample", type=int, default=100, help="cells the LP attack bounds, per question"
    )
    args = parser.parse_args(argv)
    if not CTDC.exists():
        print(f"skipped: {CTDC} is not here")
        return 0
    bounds = [int(b) for b in args.bounds.split(",")]
    full = table_frame()
    other = full.sample(200, seed=200).with_columns(organisation=pl.lit(SECOND))
    versions = [full, pl.concat([full, other])]
    k = DisclosurePolicy().threshold
    results: list[dict[str, Any]] = []
    for d in bounds:
        policy = DisclosurePolicy(noise=d, cell_key_secret=SECRET)
        l1, t1 = protect(versions[0], policy)
        v1 = published(l1)
        # Version 2 protected alone (the gate before privacy/versions.py), then against
        # what version 1 published (the gate now): the same records, in the same run.
        for mode in ("alone", "across"):
            previous = snapshot(l1.lattice, "v1") if mode == "across" else None
            l2, t2 = protect(versions[1], policy, previous)
            v2 = published(l2)
            row: dict[str, Any] = {"D": d, "mode": mode, "seconds": t2, **utility(v2)}
            row["small_added"], row["pairwise_pinned"] = pairwise(v1, v2, k, d)
            if not args.no_lp:
                attack = lp_attack(l1, l2, v1, v2, k, d, args.lp_sample)
                row |= {f"lp_{x}": n for x, n in attack.items()}
            results.append(row)
    base = results[0]
    print(f"k = {k}; version 1: {full.height:,} records; version 2: + 200 of a second organisation")
    print(f"record keys for {versions[1].height:,} records: {key_time(versions[1]):.3f} s")
    header = (
        f"{'D':>2} {'mode':>6} {'cells':>6} {'suppr':>6} {'MAE':>6} {'MRE %':>6} {'max':>4} "
        f"{'exact %':>7} "
        f"{'<20 MAE':>7} {'<20 MRE %':>9} {'v2 s':>6} {'time x':>6} {'small':>6} {'pinned':>6}"
    )
    if not args.no_lp:
        header += (
            f" {'LP pinned':>9} {'LP exact':>8} {'sec exact':>16} {'prim pinned':>11}"
            f" {'prim exact':>10}"
        )
    print(header)
    for r in results:
        line = (
            f"{r['D']:>2} {r['mode']:>6} {r['published']:>6} {r['suppressed']:>6} {r['mae']:>6.2f} "
            f"{100 * r['mre']:>6.2f} {r['max']:>4} {100 * r['exact']:>7.1f} "
            f"{r['small_mae']:>7.2f} {100 * r['small_mre']:>9.2f} "
            f"{r['seconds']:>6.1f} {r['seconds'] / base['seconds']:>6.2f} {r['small_added']:>6} "
            f"{r['pairwise_pinned']:>6}"
        )
        if not args.no_lp:
            line += (
                f" {r['lp_pinned']:>5}/{r['lp_targets']:<3} {r['lp_exact']:>8} "
                f"{r['lp_secondary_exact']:>5}/{r['lp_secondary']:<3}"
                f" of {r['lp_secondary_all']:<4} {r['lp_primary_pinned']:>5}/{r['lp_primary']:<5}"
                f" {r['lp_primary_exact']:>6}/{r['lp_primary']:<3}"
            )
        print(line)
    print("(cells: non-zero cells of version 2 published; MAE/MRE: mean absolute/relative")
    print(" error of those against the true counts; <20: cells with a true count below 20;")
    print(" mode: version 2 protected alone, or also against what version 1 published")
    print(" (privacy/versions.py); v2 s: seconds to build and protect version 2; time x: the")
    print(" same as a ratio to the first row (D = 0, alone); small: cells where the")
    print(" second organisation added 1..k-1 records; pinned: of those, the ones whose")
    print(" consistent differences lie within 1..k-1 (pairwise, or by LP over everything")
    print(" published in both versions); LP exact: the count pinned to one value;")
    print(" sec exact, prim pinned/exact: suppressions of version 2 (secondary, primary)")
    print(" recovered exactly or pinned to 1..k-1 by LP over version 2 alone, knowing that a")
    print(" suppressed cell is never 0; LP columns: a sample of --lp-sample cells, seed 13)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
