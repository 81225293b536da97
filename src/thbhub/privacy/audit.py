"""Audit a suppression pattern by linear programming: can a suppressed cell be recovered?

The attacker knows every published cell of every table in the lattice (and that counts are
non-negative).  The unknowns are the cells of the full cross-classification over all the
lattice's dimensions that no published zero rules out.  For each suppressed cell we minimise
and maximise its value subject to "every published cell equals the sum of the unknowns
beneath it" with :func:`scipy.optimize.linprog` (HiGHS).  The interval [min, max] is what
anyone can learn by adding and subtracting published numbers, in any combination: totals
minus cells, one table minus another, one filtered query minus another.

Limits: the LP relaxation ignores integrality, so on some non-2D structures the true integer
interval can be slightly narrower than reported; the joint table can be large, so the audit
refuses beyond ``max_unknowns`` (the lattice's relation rules still apply then).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy import sparse
from scipy.optimize import linprog

from thbhub.domain.errors import UserError
from thbhub.privacy.lattice import Dims, Lattice


class AuditTooLarge(UserError):
    """The joint table is too large to audit exactly."""


@dataclass(frozen=True)
class Interval:
    table: Dims
    cell: tuple[str, ...]
    value: int
    primary: bool
    low: float
    high: float

    @property
    def width(self) -> float:
        return self.high - self.low


def joint_support(lattice: Lattice, max_unknowns: int = 50_000) -> pl.DataFrame:
    """Cells of the full cross-classification that every published table allows."""
    support: pl.DataFrame | None = None
    for i, d in enumerate(lattice.dims):
        values = lattice.tables[(d,)].select(d)
        support = values if support is None else support.join(values, how="cross")
        current = set(lattice.dims[: i + 1])
        for key, table in lattice.tables.items():
            if d in key and set(key) <= current:
                support = support.join(table.select(list(key)), on=list(key), how="semi")
        if support.height > max_unknowns:
            raise AuditTooLarge(
                f"the joint table has more than {max_unknowns} possible cells; audit a "
                "smaller set of dimensions"
            )
    assert support is not None
    return support.with_row_index("_var")


def _membership(support: pl.DataFrame, lattice: Lattice, key: Dims) -> pl.DataFrame:
    """For each variable, the row of ``key``'s table it adds up to."""
    table = lattice.tables[key].with_row_index("_cell")
    if not key:
        return support.select("_var").with_columns(_cell=pl.lit(0, dtype=pl.UInt32))
    return support.join(table.select([*key, "_cell"]), on=list(key)).select("_var", "_cell")


def audit(
    lattice: Lattice, *, only_primary: bool = True, max_unknowns: int = 50_000
) -> list[Interval]:
    """The feasible interval of every (primary) suppressed cell of every lattice table."""
    if not lattice.dims:
        return []
    support = joint_support(lattice, max_unknowns)
    nvar = support.height
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    rhs: list[float] = []
    targets: list[tuple[Dims, int, tuple[str, ...], int, bool, np.ndarray]] = []
    row = 0
    for key, table in lattice.tables.items():
        member = _membership(support, lattice, key)
        by_cell: dict[int, np.ndarray] = {
            int(c): g["_var"].to_numpy() for (c,), g in member.group_by("_cell")
        }
        for idx, cell in enumerate(table.iter_rows(named=True)):
            variables = by_cell.get(idx, np.array([], dtype=np.int64))
            if not cell["sup"]:
                rows.append(np.full(len(variables), row))
                cols.append(variables)
                rhs.append(float(cell["n"]))
                row += 1
            elif cell["primary"] or not only_primary:
                label = tuple(str(cell[d]) for d in key)
                targets.append((key, idx, label, int(cell["n"]), bool(cell["primary"]), variables))
    a_eq = sparse.csr_matrix(
        (
            np.ones(sum(len(c) for c in cols)),
            (
                np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64),
                np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64),
            ),
        ),
        shape=(row, nvar),
    )
    b_eq = np.array(rhs)
    out = []
    for key, _idx, label, value, primary, variables in targets:
        c = np.zeros(nvar)
        c[variables] = 1.0
        low = _solve(c, a_eq, b_eq)
        high = -_solve(-c, a_eq, b_eq)
        out.append(Interval(key, label, value, primary, low, high))
    return out


def _solve(c: np.ndarray, a_eq: sparse.csr_matrix, b_eq: np.ndarray) -> float:
    if a_eq.shape[0] == 0:
        return 0.0 if c.min() >= 0 else -np.inf
    res = linprog(c, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
    if res.status == 3:  # unbounded: the attacker learns nothing on that side
        return -np.inf
    if res.status != 0:  # pragma: no cover - published cells always admit the true table
        raise RuntimeError(f"audit LP failed: {res.message}")
    return float(res.fun)


def protect(lattice: Lattice, *, max_rounds: int = 50, max_unknowns: int = 50_000) -> int:
    """Audit and add complementary suppressions until every primary cell is protected.

    Returns the number of cells added.  A failing cell gets its smallest published sibling
    (same table, one dimension different) suppressed, or else its parent.
    """
    added = 0
    for _ in range(max_rounds):
        failing = [
            i for i in audit(lattice, max_unknowns=max_unknowns) if i.width < lattice.policy.width
        ]
        if not failing:
            return added
        for interval in failing:
            added += _complement(lattice, interval)
        lattice.secondary()
    raise RuntimeError("audit-driven suppression did not converge")  # pragma: no cover


def _complement(lattice: Lattice, interval: Interval) -> int:
    key, cell = interval.table, dict(zip(interval.table, interval.cell, strict=True))
    table = lattice.tables[key]
    best: tuple[int, Dims, dict[str, str]] | None = None
    for d in key:
        same = pl.lit(True)
        for other in key:
            if other != d:
                same = same & (pl.col(other) == cell[other])
        siblings = table.filter(same & (pl.col(d) != cell[d]) & ~pl.col("sup")).sort("n")
        if siblings.height:
            first = siblings.row(0, named=True)
            if best is None or first["n"] < best[0]:
                best = (int(first["n"]), key, {x: str(first[x]) for x in key})
    if best is None:
        # No published sibling: suppress the smallest published cell that contains this one
        # (a parent, a grand-parent, ..., the grand total), which always widens the interval.
        for parent_key in lattice.tables:
            if len(parent_key) >= len(key) or not set(parent_key) <= set(key):
                continue
            cond = pl.lit(True)
            for x in parent_key:
                cond = cond & (pl.col(x) == cell[x])
            hit = lattice.tables[parent_key].filter(cond & ~pl.col("sup"))
            if hit.height and (best is None or int(hit["n"][0]) < best[0]):
                best = (int(hit["n"][0]), parent_key, {x: cell[x] for x in parent_key})
    if best is None:
        return 0
    lattice.suppress(best[1], best[2])
    return 1
