"""Audit a suppression pattern by linear programming: can a suppressed cell be recovered?

The attacker knows every published cell of every table in the lattice, that counts are
non-negative, and that a suppressed cell is at least 1 (zeros are published as zeros).
The unknowns are the cells of the full cross-classification over all the lattice's
dimensions that no published zero rules out.  For each suppressed cell we minimise and
maximise its value subject to "every published cell equals the sum of the unknowns beneath
it, every suppressed one at least 1" with HiGHS (:class:`Polytope`).  The interval
[min, max] is what anyone can learn by adding and subtracting published numbers, in any
combination: totals minus cells, one table minus another, one filtered query minus another.

:func:`protect` adds complementary suppressions until every primary cell's interval is at
least the protection width, by partner exchange (docs/privacy.md, steps 6-7), or refuses.

Limits: the LP relaxation ignores integrality, so on some non-2D structures the true integer
interval can be slightly narrower than reported; the joint table can be large, so the audit
refuses beyond ``max_unknowns`` (the lattice's relation rules still apply then).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy import sparse

from thbhub.domain.errors import UserError
from thbhub.privacy.lattice import Dims, Lattice, ProtectionFailed
from thbhub.privacy.polytope import Polytope


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
    lattice: Lattice,
    *,
    only_primary: bool = True,
    max_unknowns: int = 50_000,
    cells: set[tuple[Dims, tuple[str, ...]]] | None = None,
) -> list[Interval]:
    """The feasible interval of every (primary) suppressed cell of every lattice table, or
    of those of them named in ``cells`` as (table, cell)."""
    if not lattice.dims:
        return []
    support = joint_support(lattice, max_unknowns)
    polytope, targets = system(lattice, support, only_primary=only_primary, cells=cells)
    return [
        Interval(key, label, value, primary, *polytope.interval(variables))
        for key, label, value, primary, variables in targets
    ]


Target = tuple[Dims, tuple[str, ...], int, bool, np.ndarray]


def system(
    lattice: Lattice,
    support: pl.DataFrame,
    *,
    only_primary: bool = True,
    cells: set[tuple[Dims, tuple[str, ...]]] | None = None,
    extra: Sequence[tuple[np.ndarray, float, float]] = (),
) -> tuple[Polytope, list[Target]]:
    """The audit's polytope over ``support``'s variables (the lattice's published cells,
    plus the ``extra`` rows: variables beneath, least, greatest) and its targets: the
    (primary) suppressed cells, with the variables beneath each."""
    nvar = support.height
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    lows: list[np.ndarray] = []
    highs: list[np.ndarray] = []
    targets: list[tuple[Dims, tuple[str, ...], int, bool, np.ndarray]] = []
    row = 0
    for key, table in lattice.tables.items():
        member = _membership(support, lattice, key)
        var = member["_var"].to_numpy().astype(np.int64)
        cell = member["_cell"].to_numpy().astype(np.int64)
        sup = table["sup"].to_numpy()
        n = table["n"].to_numpy().astype(float)
        # One row per non-zero cell, in table order: a published cell is an equation, a
        # suppressed one is at least 1 (zeros are published, so a visitor knows it is not 0).
        rows.append(row + cell)
        cols.append(var)
        lows.append(np.where(sup, 1.0, n))
        highs.append(np.where(sup, np.inf, n))
        row += table.height
        wanted = sup & (table["primary"].to_numpy() | (not only_primary))
        if wanted.any():
            beneath = sparse.csr_matrix(
                (np.ones(len(var)), (cell, var)), shape=(table.height, nvar)
            )
            for idx in np.flatnonzero(wanted):
                r = table.row(int(idx), named=True)
                label = tuple(str(r[d]) for d in key)
                if cells is not None and (key, label) not in cells:
                    continue
                variables = beneath[int(idx)].indices.astype(np.int64)
                targets.append((key, label, int(r["n"]), bool(r["primary"]), variables))
    for variables, least, greatest in extra:
        rows.append(np.full(variables.size, row, dtype=np.int64))
        cols.append(variables.astype(np.int64))
        lows.append(np.array([least]))
        highs.append(np.array([greatest]))
        row += 1
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
    polytope = Polytope(
        a_eq,
        np.concatenate(lows) if lows else np.zeros(0),
        np.concatenate(highs) if highs else np.zeros(0),
    )
    return polytope, targets


#: Slack for the LP solver's tolerance when comparing a width with the policy's.
TOLERANCE = 1e-6


def protect(lattice: Lattice, *, max_rounds: int = 10, max_unknowns: int = 50_000) -> int:
    """Audit and add complementary suppressions until every primary cell is protected.

    Returns the number of cells added.  A failing cell gets a *partner* (see
    :class:`_Partners`): a record combination elsewhere whose exchange with one of the
    cell's own combinations no published cell can see; every published cell that would see
    it is suppressed.  That makes the cell's interval at least the protection width by
    construction, and since suppression only ever grows, a protected cell stays protected:
    the next audit passes.  Each round suppresses at least one more cell or the tables are
    refused (:class:`ProtectionFailed`), and so are they after ``max_rounds`` audits -
    never an endless loop, never an unprotected table.
    """
    added = 0
    width = lattice.policy.width
    # Suppressing more only removes equations, so an interval only ever widens: after the
    # first audit, only the cells that failed it need solving again.
    again: set[tuple[Dims, tuple[str, ...]]] | None = None
    for _ in range(max_rounds):
        failing = [
            i
            for i in audit(lattice, max_unknowns=max_unknowns, cells=again)
            if i.width < width - TOLERANCE
        ]
        if not failing:
            return added
        again = {(i.table, i.cell) for i in failing}
        partners = _Partners(lattice)
        new = sum(partners.free(interval) for interval in failing)
        if new == 0:  # pragma: no cover - a partner or isolation always suppresses a cell
            raise ProtectionFailed(
                f"these tables cannot be protected: {len(failing)} suppressed cell(s) stay "
                "recoverable and no further suppression is possible; nothing is published"
            )
        partners.write()
        added += new
        lattice.secondary()
    raise ProtectionFailed(
        f"these tables cannot be protected within {max_rounds} audit rounds (suppressed cells "
        "stay recoverable from the published ones); nothing is published"
    )


class _Partners:
    """Complementary suppression by exchange with a partner combination.

    Let ``v`` be a combination of all dimensions (a cell of the joint table, count ``n_v``)
    beneath the failing cell and ``z`` one that is not beneath it (count ``n_z``).  Moving
    ``t`` records from ``z`` to ``v`` changes every table cell that contains exactly one of
    them and no other; if all those cells are suppressed, every published number stays the
    same, and every suppressed cell at least 1, for ``t`` in ``[1 - n_v, n_z - 1]``, so the
    failing cell's feasible interval is at least ``n_v + n_z - 2`` wide.  The cells
    containing exactly one of them are those of the tables that include a dimension on
    which ``v`` and ``z`` differ.  Among the pairs with ``n_v + n_z - 2`` at least the
    protection width, the one that suppresses the fewest
    published cells (then the smallest total count, then the first in the lattice's order)
    is chosen.  Without such a pair (a handful of records), every cell containing ``v`` is
    suppressed - the grand total included - and ``v`` is unbounded above.

    The grouping cell of every (joint cell, table) pair is indexed once, so choosing a
    partner is array arithmetic over the joint table.
    """

    def __init__(self, lattice: Lattice) -> None:
        self.lattice = lattice
        self.keys = list(lattice.tables)
        joint = lattice.joint.with_row_index("_j")
        dims = lattice.dims
        offsets = np.cumsum([0, *(lattice.tables[k].height for k in self.keys)])
        self.sup = np.concatenate([lattice.tables[k]["sup"].to_numpy() for k in self.keys])
        self.n = np.concatenate([lattice.tables[k]["n"].to_numpy() for k in self.keys])
        self.cell_of = np.zeros((joint.height, len(self.keys)), dtype=np.int64)
        for t, key in enumerate(self.keys):
            table = lattice.tables[key].with_row_index("_cell").select([*key, "_cell"])
            if key:
                hit = joint.select(["_j", *key]).join(table, on=list(key)).sort("_j")
                cells = hit["_cell"].to_numpy()
            else:
                cells = np.zeros(joint.height, dtype=np.int64)
            self.cell_of[:, t] = offsets[t] + cells
        self.offsets = offsets
        self.counts = joint["n"].to_numpy()
        # protect() audits nothing without dimensions, so there is at least one here
        self.codes = np.column_stack([joint[d].rank("dense").to_numpy() for d in dims])
        # which table includes which dimension
        self.includes = np.array(
            [[d in key for key in self.keys] for d in dims], dtype=np.int64
        ).reshape(len(dims), len(self.keys))
        self.joint = joint

    def free(
        self, interval: Interval, width: int | None = None, movable: np.ndarray | None = None
    ) -> int:
        """Suppress what lets the failing cell's records be exchanged with a partner's;
        returns the number of cells newly suppressed.  ``movable`` (a mask over the joint
        cells) limits both sides of the exchange to those cells (across data versions: the
        records that another version's published cells do not see); ``width`` replaces
        the policy's protection width."""
        width = self.lattice.policy.width if width is None else width
        key = interval.table
        beneath = np.ones(self.joint.height, dtype=bool)
        for d, value in zip(key, interval.cell, strict=True):
            beneath &= (self.joint[d] == value).to_numpy()
        allowed = np.ones(self.joint.height, dtype=bool)
        if movable is not None and (beneath & movable).any():
            allowed = movable
            beneath = beneath & movable
        best: tuple[int, int, int, int] | None = None  # (cells, mass, z, v): least first
        best_cells: np.ndarray | None = None
        for v in np.flatnonzero(beneath):
            # Every suppressed cell stays >= 1 (a visitor knows it is not 0), so the exchange
            # runs over t in [1 - n_v, n_z - 1]: n_v + n_z - 2 wide.
            need = width + 2 - self.counts[v]
            candidates = np.flatnonzero(~beneath & allowed & (self.counts >= need))
            if not candidates.size:
                continue
            differ = (self.codes[candidates] != self.codes[v]).astype(np.int64)
            touched = (differ @ self.includes) > 0  # tables that see the exchange
            open_v = ~self.sup[self.cell_of[v]]
            open_z = ~self.sup[self.cell_of[candidates]]
            new_v = touched & open_v[None, :]
            new_z = touched & open_z
            cells = new_v.sum(axis=1) + new_z.sum(axis=1)
            mass = (new_v * self.n[self.cell_of[v]][None, :]).sum(axis=1) + (
                new_z * self.n[self.cell_of[candidates]]
            ).sum(axis=1)
            order = np.lexsort((candidates, mass, cells))
            i = int(order[0])
            choice = (int(cells[i]), int(mass[i]), int(candidates[i]), int(v))
            if best is None or choice < best:
                best = choice
                best_cells = np.concatenate(
                    [self.cell_of[v][touched[i]], self.cell_of[candidates[i]][touched[i]]]
                )
        if best_cells is None:
            # No partner is large enough: isolate the cell's largest combination.
            largest = int(np.flatnonzero(beneath)[np.argmax(self.counts[beneath])])
            best_cells = self.cell_of[largest]
        before = int(self.sup.sum())
        self.sup[best_cells] = True
        return int(self.sup.sum()) - before

    def write(self) -> None:
        for t, key in enumerate(self.keys):
            part = self.sup[self.offsets[t] : self.offsets[t + 1]]
            self.lattice.tables[key] = self.lattice.tables[key].with_columns(
                sup=pl.Series("sup", part, dtype=pl.Boolean)
            )
