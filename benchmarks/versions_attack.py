"""The visitor who saved every version of the public case tables, as an attacker: linear
programming over every saved cell of every version at once (issue 13, section 1).

Used by benchmarks/privacy_versions.py (on the CTDC file, a sample of the questions) and by
tests/privacy/test_versions_general.py (through tests/support_versions.py, every question).
The attacker knows the published policy (k, the noise bound D, the perturbation table),
every cell of every version they saved, that a published p comes from a true count
max(k, p - D) .. p + D, a published 0 from 0, a suppressed cell from 1 up, and (stronger
than what the hub shows) for every organisation *which kinds of change* its records went
through: the membership classes (which saved versions a record is in) that occur among its
records, but not where they fall.

Their unknowns: for every combination of the six dimensions that no published zero of a
version rules out, one count per membership class of its organisation, present only in the
versions of that class.  Their question, for every cell of every table and every two
versions a, b: how many records beneath the cell are in a and not in b (added, or
withdrawn).  A count 1..k-1 is *recovered* when the least and greatest value the LP allows
both lie in 1..k-1.  Independent of privacy/versions*.py: built from the saved cells alone.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from itertools import combinations, permutations
from typing import Any

import numpy as np
import polars as pl
from scipy import sparse

from thbhub.privacy.audit import joint_support
from thbhub.privacy.lattice import Lattice
from thbhub.privacy.policy import DisclosurePolicy
from thbhub.privacy.polytope import Polytope
from thbhub.privacy.public import PUBLIC_DIMENSIONS

Cell = tuple[tuple[str, str], ...]  # ((dimension, value), ...) sorted
INFINITY = 10**9
ORG = "organisation"
DIMS = PUBLIC_DIMENSIONS


def possible(published: int | None, k: int, bound: int) -> tuple[int, int]:
    """The true counts a published value allows (from the published k and D only)."""
    if published is None:
        return 1, INFINITY
    if published == 0:
        return 0, 0
    return max(k, published - bound), published + bound


def true_classes(
    versions: list[dict[tuple[str, ...], int]],
) -> dict[tuple[str, ...], dict[int, int]]:
    """Per combination, the records of each membership class (bit v: in version v).
    Records with the same values are interchangeable, so the i-th of them is in every
    version that holds more than i."""
    out: dict[tuple[str, ...], dict[int, int]] = {}
    for combo in set().union(*versions):
        counts = [v.get(combo, 0) for v in versions]
        classes: dict[int, int] = {}
        below = 0
        for level in sorted({c for c in counts if c > 0}):
            pattern = sum(1 << i for i, c in enumerate(counts) if c >= level)
            classes[pattern] = classes.get(pattern, 0) + level - below
            below = level
        out[combo] = classes
    return out


def saved_support(saved: dict[Cell, int | None]) -> pl.DataFrame:
    """The combinations that no published zero of one saved version rules out."""
    tables: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
    for cell, shown in saved.items():
        if shown == 0:
            continue
        given = dict(cell)
        key = tuple(d for d in DIMS if d in given)
        tables.setdefault(key, []).append(tuple(given[d] for d in key))
    frames = {
        key: pl.DataFrame([list(v) for v in rows], schema=list(key), orient="row")
        if key
        else pl.DataFrame()
        for key, rows in tables.items()
    }
    if any((d,) not in frames for d in DIMS):
        return pl.DataFrame(schema={d: pl.Utf8 for d in DIMS})
    fake = Lattice(dims=DIMS, order=3, policy=DisclosurePolicy(), categories={}, tables=frames)
    return joint_support(fake, 10**6).drop("_var")


def attacker_lp(
    saved: list[dict[Cell, int | None]],
    truth: list[dict[tuple[str, ...], int]],
    k: int,
    bound: int,
    sample: int | None = None,
) -> dict[str, Any]:
    """Linear programming over every cell of every saved version at once.  Returns the
    number of (cell, version a, version b) questions with a true answer in 1..k-1
    (``targets``), how many the LP pins to 1..k-1 (``pinned``), examples (``exposed``),
    and the same for one cell's two numbers subtracted (``subtracted``); with ``sample``,
    only that many questions (drawn with seed 13) are put to the LP (``asked``)."""
    classes = true_classes(truth)
    patterns: dict[str, set[int]] = defaultdict(set)
    for combo, found in classes.items():
        patterns[combo[DIMS.index(ORG)]].update(found)
    supports = [saved_support(s) for s in saved]
    parts = []
    for org, found in patterns.items():
        for pattern in sorted(found):
            cells: pl.DataFrame | None = None
            for v in range(len(saved)):
                if pattern >> v & 1:
                    mine = supports[v].filter(pl.col(ORG) == org)
                    cells = mine if cells is None else cells.join(mine, on=list(DIMS), how="semi")
            assert cells is not None
            parts.append(cells.with_columns(_pattern=pl.lit(pattern, dtype=pl.Int64)))
    variables = pl.concat(parts).with_row_index("_var")
    columns = {d: variables[d].to_numpy() for d in DIMS}
    pattern_of = variables["_pattern"].to_numpy()

    def beneath(cell: Cell) -> np.ndarray:
        mask = np.ones(variables.height, dtype=bool)
        for d, value in cell:
            mask &= columns[d] == value
        return mask

    rows, cols, lows, highs = [], [], [], []
    for v, version in enumerate(saved):
        inside = (pattern_of >> v & 1).astype(bool)
        for cell, shown in version.items():
            found = np.flatnonzero(beneath(cell) & inside)
            low, high = possible(shown, k, bound)
            if not found.size:
                assert low == 0, (v, cell, shown)  # the truth is always feasible
                continue
            rows.append(np.full(found.size, len(lows)))
            cols.append(found)
            lows.append(float(low))
            highs.append(math.inf if high >= INFINITY else float(high))
    matrix = sparse.csr_matrix(
        (np.ones(sum(c.size for c in cols)), (np.concatenate(rows), np.concatenate(cols))),
        shape=(len(lows), variables.height),
    )
    polytope = Polytope(matrix, np.array(lows), np.array(highs))
    frame = pl.DataFrame(
        [[*combo, pattern, n] for combo, found in classes.items() for pattern, n in found.items()],
        schema=[*DIMS, "_pattern", "n"],
        orient="row",
    )
    out: dict[str, Any] = {"targets": 0, "pinned": 0, "exposed": [], "subtracted": 0}
    questions: list[tuple[Cell, int, int, int]] = []
    for a, b in permutations(range(len(saved)), 2):
        mine = frame.filter(
            ((pl.col("_pattern") & (1 << a)) != 0) & ((pl.col("_pattern") & (1 << b)) == 0)
        )
        for size in range(4):
            for key in combinations(DIMS, size):
                grouped = (
                    mine.group_by(list(key)).agg(pl.col("n").sum())
                    if key
                    else mine.select(pl.col("n").sum())
                )
                for row in grouped.iter_rows():
                    true = int(row[-1] or 0)
                    if 0 < true < k:
                        cell: Cell = tuple(sorted(zip(key, row[:-1], strict=True)))
                        questions.append((cell, a, b, true))
                        # one cell's two numbers subtracted (the attack)
                        low_a, high_a = possible(saved[a].get(cell, 0), k, bound)
                        low_b, high_b = possible(saved[b].get(cell, 0), k, bound)
                        if low_a - high_b >= 1 and high_a - low_b <= k - 1:
                            out["subtracted"] += 1
    out["targets"] = len(questions)
    if sample is not None and sample < len(questions):
        questions = random.Random(13).sample(questions, sample)
    out["asked"] = len(questions)
    for cell, a, b, true in questions:
        moved = (pattern_of >> a & 1).astype(bool) & ~(pattern_of >> b & 1).astype(bool)
        low, high = polytope.interval(np.flatnonzero(beneath(cell) & moved))
        assert low - 1e-6 <= true <= high + 1e-6, (cell, a, b, true, low, high)  # feasible
        if low > 1e-6 and high + 1e-6 < k:  # pinned to 1..k-1
            out["pinned"] += 1
            out["exposed"].append((cell, a, b, true, low, high))
    return out
