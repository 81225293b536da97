"""The joint LP of the audit across data versions (:mod:`thbhub.privacy.versions_lp`): its
rows, reduced to those that can bind; its targets' bounds, one side first; and the repair
that suppresses the published cells a failing bound rests on.

Reducing the rows halved the time of each solve on the CTDC file (benchmarks/
privacy_versions.py): a suppressed cell's "at least 1" is implied when the version has a
finer table (a non-zero cell beneath it is at least 1 over fewer unknowns), and an
organisation whose records did not change publishes the same row in every version.
tests/privacy/test_versions_withdraw.py checks that every target's bounds are the same
with and without the reduction.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import highspy
import numpy as np
import polars as pl
from scipy import sparse

from thbhub.privacy.audit import TOLERANCE
from thbhub.privacy.cellkey import noise, possible_counts
from thbhub.privacy.lattice import Dims, Lattice
from thbhub.privacy.polytope import Polytope
from thbhub.privacy.versions import Earlier

log = logging.getLogger("thbhub.privacy.versions_lp")


@dataclass(frozen=True)
class _Target:
    key: Dims
    cell: tuple[str, ...]
    value: int
    variables: np.ndarray
    primary: bool
    #: versions (a, b) of a difference cell: records in a and not in b
    pair: tuple[int, int] = (0, 0)


def _bit(column: str, bit: int) -> pl.Expr:
    return (pl.col(column) & (1 << bit)) != 0


def _rows(
    variables: pl.DataFrame, bit: int, tables: dict[Dims, pl.DataFrame], first: int
) -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray, np.ndarray, int, np.ndarray]:
    """Constraint rows from ``first``: one per cell of ``tables`` (key columns, ``lo``,
    ``hi``) over the unknowns of the classes holding version ``bit``; the last array is
    each row's number of dimensions."""
    mine = variables.filter(_bit("pattern", bit))
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    lows: list[np.ndarray] = []
    highs: list[np.ndarray] = []
    sizes: list[np.ndarray] = []
    row = first
    for key, table in tables.items():
        if table.height == 0:
            continue
        sizes.append(np.full(table.height, len(key), dtype=np.int64))
        labelled = table.with_row_index("_cell")
        if key:
            hit = mine.select(["_var", *key]).join(labelled.select([*key, "_cell"]), on=list(key))
        else:
            hit = mine.select("_var").with_columns(_cell=pl.lit(0, dtype=pl.UInt32))
        cell = hit["_cell"].to_numpy().astype(np.int64)
        low = table["lo"].to_numpy().astype(float)
        # A cell over no unknown (its records unknown, a version before privacy_0004) says
        # nothing the audit can use.
        low[np.bincount(cell, minlength=table.height) == 0] = 0.0
        rows.append(row + cell)
        cols.append(hit["_var"].to_numpy().astype(np.int64))
        lows.append(low)
        highs.append(table["hi"].to_numpy().astype(float))
        row += table.height
    return (
        rows,
        cols,
        np.concatenate(lows or [np.zeros(0)]),
        np.concatenate(highs or [np.zeros(0)]),
        row,
        np.concatenate(sizes or [np.zeros(0, dtype=np.int64)]),
    )


def _earlier_tables(version: Earlier, lattice: Lattice) -> dict[Dims, pl.DataFrame]:
    policy = lattice.policy
    out: dict[Dims, pl.DataFrame] = {}
    for key, cells in version.tables.items():
        lows, highs = [], []
        for _, shown in cells:
            if shown is None:
                lows.append(1.0)
                highs.append(math.inf)
            else:
                allowed = possible_counts(shown, policy)
                lows.append(float(min(allowed)))
                highs.append(float(max(allowed)))
        bounds = {"lo": pl.Series(lows, dtype=pl.Float64), "hi": pl.Series(highs, dtype=pl.Float64)}
        if key:
            frame = pl.DataFrame([list(v) for v, _ in cells], schema=list(key), orient="row")
            out[key] = frame.with_columns(**bounds)
        else:
            out[key] = pl.DataFrame(bounds)
    return out


def _new_tables(lattice: Lattice) -> dict[Dims, pl.DataFrame]:
    """The new version's cells as a visitor reads them: a published number as the true
    counts it allows (it is known here, from the count and the cell key), a suppressed
    cell as at least 1.  Taking them as exact (as the single-version audit does) pinned the
    difference of one record added beneath the grand total through the other cells, and
    suppressed the total; the visitor never has the exact numbers."""
    policy = lattice.policy
    k, bound = policy.threshold, policy.noise_bound
    allowed: dict[int, tuple[float, float]] = {}
    out: dict[Dims, pl.DataFrame] = {}
    for key, table in lattice.tables.items():
        lows, highs = [], []
        for n, ck, sup in table.select("n", "ck", "sup").iter_rows():
            if sup:
                lows.append(1.0)
                highs.append(math.inf)
                continue
            shown = policy.round(int(n) + noise(int(n), int(ck), k, bound))
            if shown not in allowed:
                counts = possible_counts(shown, policy)
                allowed[shown] = (float(min(counts)), float(max(counts)))
            low, high = allowed[shown]
            lows.append(low)
            highs.append(high)
        bounds = {"lo": pl.Series(lows, dtype=pl.Float64), "hi": pl.Series(highs, dtype=pl.Float64)}
        out[key] = table.select(list(key)).with_columns(**bounds) if key else pl.DataFrame(bounds)
    return out


@dataclass
class _Rows:
    """The earlier versions' rows of the joint LP, reduced once: a suppressed cell's "at
    least 1" is left out when the version has a finer table (a non-zero cell beneath it is
    at least 1 over fewer unknowns already), and rows over the same unknowns are merged
    (their ranges intersected: an organisation's unchanged cells are the same row in
    every version).  Halving the rows halved the time of each solve."""

    matrix: sparse.csr_matrix
    lows: np.ndarray
    highs: np.ndarray
    index: dict[bytes, int]

    @classmethod
    def build(
        cls,
        rows: list[np.ndarray],
        cols: list[np.ndarray],
        lows: list[np.ndarray],
        highs: list[np.ndarray],
        sizes: list[np.ndarray],
        total: int,
        unknowns: int,
        order: int,
    ) -> _Rows:
        matrix = sparse.csr_matrix(
            (
                np.ones(sum(c.size for c in cols)),
                (
                    np.concatenate(rows or [np.zeros(0, dtype=np.int64)]),
                    np.concatenate(cols or [np.zeros(0, dtype=np.int64)]),
                ),
            ),
            shape=(total, unknowns),
        )
        low = np.concatenate(lows or [np.zeros(0)])
        high = np.concatenate(highs or [np.zeros(0)])
        size = np.concatenate(sizes or [np.zeros(0, dtype=np.int64)])
        return cls.reduce(matrix, low, high, size, order)

    @classmethod
    def reduce(
        cls,
        matrix: sparse.csr_matrix,
        low: np.ndarray,
        high: np.ndarray,
        size: np.ndarray,
        order: int,
        index: dict[bytes, int] | None = None,
    ) -> _Rows:
        matrix.sort_indices()
        implied = np.isinf(high) & (low <= 1.0) & ((size < order) | (low <= 0.0))
        index = {} if index is None else index
        keep: list[int] = []
        lows: list[float] = []
        highs: list[float] = []
        for r in np.flatnonzero(~implied).tolist():
            key = matrix.indices[matrix.indptr[r] : matrix.indptr[r + 1]].tobytes()
            at = index.get(key)
            if at is None:
                index[key] = len(keep)
                keep.append(r)
                lows.append(float(low[r]))
                highs.append(float(high[r]))
            else:
                lows[at] = max(lows[at], float(low[r]))
                highs[at] = min(highs[at], float(high[r]))
        return cls(matrix[keep], np.array(lows), np.array(highs), index)


class _Joint(Polytope):
    """The LP of one audit round over every version, whose rows of the new version can be
    relaxed in place as their cells are suppressed: ``rows`` maps each cell of the new
    version (:class:`~thbhub.privacy.versions_witness.Witnesses` order) to its row
    (``row_of``), -1
    when it has none (implied by another, or the same as an earlier version's row, which
    suppressing it leaves in place)."""

    def __init__(
        self, matrix: sparse.csr_matrix, lows: np.ndarray, highs: np.ndarray, rows: np.ndarray
    ) -> None:
        super().__init__(matrix, lows, highs)
        self.row_of = rows
        self.cell_of = np.full(matrix.shape[0], -1, dtype=np.int64)
        mine = np.flatnonzero(rows >= 0)
        self.cell_of[rows[mine]] = mine

    def least(self, variables: np.ndarray, sign: float) -> float:
        return self._least(variables, sign)

    def binding(self) -> np.ndarray:
        """The new version's cells whose rows carry a non-zero dual in the last solve:
        the published numbers the optimum rests on."""
        duals = np.asarray(self._highs.getSolution().row_dual)
        cells = self.cell_of[np.abs(duals) > DUAL_TOLERANCE]
        return cells[cells >= 0]

    def relax(self, cells: np.ndarray) -> None:
        """Read ``cells`` of the new version as suppressed: at least 1."""
        for row in self.row_of[cells].tolist():
            if row >= 0:
                self._highs.changeRowBounds(int(row), 1.0, highspy.kHighsInf)


#: A row dual below this is zero (the solver's tolerance).
DUAL_TOLERANCE = 1e-7
#: Relaxations of binding cells tried for one failing target before the older repairs.
MAX_RELAXATIONS = 12


def _joint(lattice: Lattice, variables: pl.DataFrame, first: int, fixed: _Rows) -> _Joint:
    """The round's LP: the earlier versions' reduced rows, then the new version's that are
    neither implied nor the same as an earlier row with a range at least as narrow."""
    rows, cols, lows, highs, total, sizes = _rows(variables, 0, _new_tables(lattice), 0)
    matrix = sparse.csr_matrix(
        (
            np.ones(sum(c.size for c in cols)),
            (
                np.concatenate(rows or [np.zeros(0, dtype=np.int64)]),
                np.concatenate(cols or [np.zeros(0, dtype=np.int64)]),
            ),
        ),
        shape=(total, variables.height),
    )
    matrix.sort_indices()
    implied = np.isinf(highs) & (lows <= 1.0) & ((sizes < lattice.order) | (lows <= 0.0))
    where = np.full(total, -1, dtype=np.int64)
    keep: list[int] = []
    for r in np.flatnonzero(~implied).tolist():
        at = fixed.index.get(matrix.indices[matrix.indptr[r] : matrix.indptr[r + 1]].tobytes())
        if at is not None and fixed.lows[at] >= lows[r] and fixed.highs[at] <= highs[r]:
            continue  # an earlier version publishes as much: suppressing it changes nothing
        where[r] = fixed.matrix.shape[0] + len(keep)
        keep.append(r)
    return _Joint(
        sparse.vstack([fixed.matrix, matrix[keep]], format="csr"),
        np.concatenate([fixed.lows, lows[keep]]),
        np.concatenate([fixed.highs, highs[keep]]),
        where,
    )


def _pinned(
    joint: _Joint, target: _Target, k: int, width: int, primary_width: bool = False
) -> list[float]:
    """The sides (1.0: its least value, -1.0: its greatest) on which the LP pins
    ``target``; empty when it is protected.  One side settles most targets, so the other
    is solved only when needed: a difference whose least value allows 0 is not pinned; a
    primary (at least 1 always) is not pinned when its greatest value reaches k
    (versions_lp's docstring: why not the width across versions)."""
    if target.primary:
        high = -joint.least(target.variables, -1.0)
        if not primary_width:
            return [-1.0] if high + TOLERANCE < k else []
        # the full width, as the single-version audit asks (protect_across's primary_width)
        if high - target.value >= width - TOLERANCE:
            return []
        low = joint.least(target.variables, 1.0)
        return [1.0, -1.0] if high - low < width - TOLERANCE else []
    low = joint.least(target.variables, 1.0)
    if low <= TOLERANCE:
        return []
    high = -joint.least(target.variables, -1.0)
    return [1.0] if high + TOLERANCE < k else []


def _relax(
    joint: _Joint,
    target: _Target,
    published: np.ndarray,
    k: int,
    width: int,
    primary_width: bool = False,
) -> tuple[np.ndarray, bool]:
    """Suppress (in ``joint``, and marked in ``published``) the published cells of the new
    version that the LP's bounds on ``target`` rest on, until it is no longer pinned.
    Returns the cells suppressed (they must be suppressed in the lattice either way: the
    round's later targets were solved without them) and whether that protected it: not
    when the bounds rest on the earlier versions alone, or after :data:`MAX_RELAXATIONS`."""
    chosen: list[np.ndarray] = [np.zeros(0, dtype=np.int64)]
    # A difference is freed by letting it reach 0 or else k; a primary by raising its
    # greatest value (its least is mostly its own "at least 1").
    order = [-1.0, 1.0] if target.primary else [1.0, -1.0]
    used: list[float] = []
    for _ in range(MAX_RELAXATIONS):
        # the round's other repairs may have done it
        sides = _pinned(joint, target, k, width, primary_width)
        if not sides:
            log.debug(
                "relaxed %s %s: %s cells, sides %s",
                target.key,
                target.cell,
                sum(c.size for c in chosen),
                used,
            )
            return np.concatenate(chosen), True
        new = np.zeros(0, dtype=np.int64)
        for sign in order:
            joint.least(target.variables, sign)
            found = joint.binding()
            new = found[published[found]]
            if new.size:
                used.append(sign)
                break
        if not new.size:
            break
        published[new] = False
        joint.relax(new)
        chosen.append(new)
    if log.isEnabledFor(logging.DEBUG):
        low = joint.least(target.variables, 1.0)
        high = -joint.least(target.variables, -1.0)
        log.debug(
            "NOT relaxed %s %s n=%d pair=%s primary=%s: [%.2f, %.2f] after %s cells, sides %s",
            target.key,
            target.cell,
            target.value,
            target.pair,
            target.primary,
            low,
            high,
            sum(c.size for c in chosen),
            used,
        )
    return np.concatenate(chosen), False
