"""Protecting the public tables across data versions on the CTDC file: what it costs, what
it stops, for every kind of change.

    .venv/bin/python -m benchmarks.privacy_versions [--kinds new,more,withdraw,stop,three]
        [--lp-sample 100] [--no-lp] [--noise 2] [--log-level DEBUG]

The public tables' lattice (organisation, year, sex, age, citizenship, country; every table
of up to three of them) of the CTDC 2018 file (47,102 records) under one organisation, and
two samples of 200 of its records under a second one (an NGO), as in
benchmarks/privacy_release.py.  The change kinds, as successive published versions:

* ``new``: the file; then the NGO's first 200 (an organisation starts publishing);
* ``more``: the file and the NGO's first 200; then its second 200 too (imports more);
* ``withdraw``: the file and both of the NGO's samples; then it withdraws the second;
* ``stop``: the file and the NGO's first 200; then the file alone (the NGO stops);
* ``three``: the file; the NGO's first 200; its second 200 (three versions).

Each version is protected against every earlier one of its kind (privacy/versions_lp.py,
the gate now; the first alone), and the last version also alone in the same run (the
baseline: the gate's single-version protection).  For the last version, both ways:

* utility: non-zero cells published and suppressed, mean absolute and relative error;
* time: building and protecting it, in CPU seconds of this process (the machine may be
  shared) and as a ratio to the baseline;
* the attack (benchmarks/versions_attack.py): linear programming over every cell of every
  version of the kind at once; of the questions "how many records beneath this cell are in
  version a and not in b" whose true answer is 1..k-1 (``targets``), a sample of
  ``--lp-sample`` (seed 13) is put to the LP; ``pinned``: answers pinned to 1..k-1.
"""

from __future__ import annotations

import argparse
import logging
import time
from typing import Any

import numpy as np
import polars as pl

from benchmarks.privacy_release import CTDC, table_frame
from benchmarks.versions_attack import Cell as SavedCell
from benchmarks.versions_attack import attacker_lp
from thbhub.privacy.cellkey import derive_secret, joint_keys
from thbhub.privacy.gate import GateContext, ProtectedLattice, shown_count
from thbhub.privacy.lattice import Dims, ProtectionFailed
from thbhub.privacy.policy import DisclosurePolicy
from thbhub.privacy.public import PUBLIC_DIMENSIONS
from thbhub.privacy.versions import PublishedVersion, snapshot

SECRET = derive_secret("benchmark deployment secret")
SECOND = "NGO"
Cell = tuple[Dims, tuple[str, ...]]
KINDS = ("new", "more", "withdraw", "stop", "three")


def protect(
    frame: pl.DataFrame, policy: DisclosurePolicy, history: list[PublishedVersion] | None = None
) -> tuple[ProtectedLattice, float]:
    start = time.process_time()
    context = GateContext("bench", dimensions=PUBLIC_DIMENSIONS)
    protected = context.protected(frame, policy, history or [])
    return protected, time.process_time() - start


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


def saved(protected: ProtectedLattice) -> dict[SavedCell, int | None]:
    """What a visitor saves of a version: every non-zero cell's published number."""
    out: dict[SavedCell, int | None] = {}
    for (key, values), (_, shown) in published(protected).items():
        out[tuple(sorted(zip(key, values, strict=True)))] = shown
    return out


def truth(protected: ProtectedLattice) -> dict[tuple[str, ...], int]:
    joint = protected.lattice.joint.select([*PUBLIC_DIMENSIONS, "n"])
    return {tuple(r[:-1]): int(r[-1]) for r in joint.iter_rows()}


def scenarios(full: pl.DataFrame) -> dict[str, list[pl.DataFrame]]:
    first = full.sample(200, seed=200).with_columns(organisation=pl.lit(SECOND))
    second = full.sample(200, seed=201).with_columns(organisation=pl.lit(SECOND))
    one, both = pl.concat([full, first]), pl.concat([full, first, second])
    return {
        "new": [full, one],
        "more": [one, both],
        "withdraw": [both, one],
        "stop": [one, full],
        "three": [full, one, both],
    }


def run_kind(
    frames: list[pl.DataFrame], policy: DisclosurePolicy, sample: int | None
) -> dict[str, Any]:
    history: list[PublishedVersion] = []
    versions: list[ProtectedLattice] = []
    seconds = 0.0
    for i, frame in enumerate(frames):
        protected, seconds = protect(frame, policy, history)
        versions.append(protected)
        history.insert(0, snapshot(protected.lattice, f"v{i + 1}"))
    alone, alone_seconds = protect(frames[-1], policy)
    out: dict[str, Any] = {"versions": len(frames)}
    k, bound = policy.threshold, policy.noise_bound
    for mode, last, took in (("alone", alone, alone_seconds), ("across", versions[-1], seconds)):
        row = {"seconds": took, **utility(published(last))}
        if sample is not None:
            attack = attacker_lp(
                [saved(v) for v in [*versions[:-1], last]],
                [truth(v) for v in [*versions[:-1], last]],
                k,
                bound,
                sample,
            )
            row |= {f"lp_{x}": attack[x] for x in ("targets", "asked", "pinned", "subtracted")}
        out[mode] = row
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
    parser.add_argument("--kinds", default=",".join(KINDS), help="change kinds to run")
    parser.add_argument("--noise", type=int, default=2, help="the noise bound D")
    parser.add_argument("--no-lp", action="store_true", help="skip the linear-programming attack")
    parser.add_argument("--lp-sample", type=int, default=100, help="questions the LP answers")
    parser.add_argument(
        "--log-level",
        default="WARNING",
        choices=("DEBUG", "INFO", "WARNING"),
        help="level of the audit's log (thbhub.privacy.versions_lp; DEBUG: every round)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("thbhub.privacy.versions_lp").setLevel(args.log_level)
    if not CTDC.exists():
        print(f"skipped: {CTDC} is not here")
        return 0
    full = table_frame()
    policy = DisclosurePolicy(noise=args.noise, cell_key_secret=SECRET)
    print(f"k = {policy.threshold}, D = {policy.noise_bound}; the file: {full.height:,} records")
    print(f"record keys for {full.height + 400:,} records: {key_time(full):.3f} s")
    print(
        f"{'kind':>8} {'mode':>6} {'cells':>6} {'suppr':>6} {'MAE':>5} {'MRE %':>6} "
        f"{'last s':>7} {'time x':>6} {'targets':>7} {'pinned':>9} {'subtr.':>6}"
    )
    sample = None if args.no_lp else args.lp_sample
    every = scenarios(full)
    for kind in args.kinds.split(","):
        try:
            result = run_kind(every[kind], policy, sample)
        except ProtectionFailed as exc:  # refused, never published: say so and go on
            print(f"{kind:>8} across REFUSED: {exc}", flush=True)
            continue
        base = result["alone"]["seconds"]
        for mode in ("alone", "across"):
            r = result[mode]
            line = (
                f"{kind:>8} {mode:>6} {r['published']:>6} {r['suppressed']:>6} {r['mae']:>5.2f} "
                f"{100 * r['mre']:>6.2f} {r['seconds']:>7.1f} {r['seconds'] / base:>6.2f}"
            )
            if sample is not None:
                line += (
                    f" {r['lp_targets']:>7} {r['lp_pinned']:>4}/{r['lp_asked']:<4}"
                    f" {r['lp_subtracted']:>6}"
                )
            print(line, flush=True)
    print("(cells: non-zero cells of the last version published; suppr: suppressed; MAE/MRE:")
    print(" mean absolute/relative error of the published counts; last s: CPU seconds to build and")
    print(" protect the last version, alone or against every earlier one of its kind; time x:")
    print(" ratio to alone; targets: questions 'records beneath a cell in version a, not in b'")
    print(" with a true answer 1..k-1, over every two versions; pinned: of a sample of them")
    print(" (--lp-sample, seed 13), answers the LP over every version pins to 1..k-1; subtr.:")
    print(" of all targets, those one cell's two published numbers pin to 1..k-1)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
