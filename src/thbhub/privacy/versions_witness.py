"""Witnesses: proving a difference cell unpinned without linear programming, and the
cheapest suppression that makes one (docs/privacy.md, *Protecting each version against
every earlier one*).

A difference target of :mod:`thbhub.privacy.versions_lp` between the new version and a kept
one counts the records beneath a cell that are in one and not in the other: withdrawn since
the kept version (pair ``(a, 0)``) or added since it (pair ``(0, b)``).  A *witness* is
another table of records, as the visitor's linear program sees them, that every version
allows and in which that count is 0:

* withdrawn records (class ``P``, without the new version's bit) were kept instead (class
  ``P | 1``): the new version holds that many more records at their combinations;
* added records (class ``P``, with bit 0) were not added (class ``P & ~1``, or no record at
  all): the new version holds that many fewer.

Only the new version's bit changes, so every earlier version publishes the same numbers
for the witness as for the truth; the new version does too wherever a cell containing those
combinations is suppressed (at least 1 either way) or its published number allows the
changed count as well (:func:`thbhub.privacy.cellkey.possible_counts`: the cell's *true
slack* within its noise).  Then the linear program's least value of the target is at most
0: it is not pinned to 1..k-1, whatever else is published.  A target with a witness needs
no LP; a failing one is repaired by suppressing exactly the cells of the new version whose
published numbers exclude its witness, usually a few of the 42 cells containing a
combination, where isolating it (versions_lp) suppressed all of them and their relations.

No witness exists when the changed combination falls under a published zero of the new
version (no record there now), when a suppressed cell would fall to 0, or when the
membership class the witness needs is not among the organisation's (the visitor is granted
the classes): those targets go to the LP and, failing, the older repairs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from thbhub.privacy.cellkey import noise, possible_counts
from thbhub.privacy.lattice import Dims, Lattice
from thbhub.privacy.versions import ORGANISATION

#: Places tried on each side of an exchange by :meth:`Witnesses.raising`.
CANDIDATES = 40


@dataclass(frozen=True)
class Change:
    """The records a witness moves: combination rows (indices into :class:`Witnesses`'
    ``combos``) and how many records each, +: kept in the new version, -: not added."""

    rows: np.ndarray
    delta: np.ndarray


class Witnesses:
    """The new version's cells as flat arrays (true count, suppressed, what its published
    number allows), and the combinations of every membership class with where each falls in
    every table of the new version."""

    def __init__(self, lattice: Lattice, found: pl.DataFrame, variables: pl.DataFrame) -> None:
        self.lattice = lattice
        self.keys: list[Dims] = list(lattice.tables)
        dims = list(lattice.dims)
        self.dims = dims
        offsets = np.cumsum([0, *(lattice.tables[k].height for k in self.keys)])
        self.offsets = offsets
        self.n = np.concatenate([lattice.tables[k]["n"].to_numpy() for k in self.keys])
        self.ck = np.concatenate([lattice.tables[k]["ck"].to_numpy() for k in self.keys])
        self.sup = np.concatenate([lattice.tables[k]["sup"].to_numpy() for k in self.keys])
        self.allowed: list[frozenset[int]] = []
        cache: dict[int, frozenset[int]] = {}
        policy = lattice.policy
        k, bound = policy.threshold, policy.noise_bound
        for n, ck in zip(self.n.tolist(), self.ck.tolist(), strict=True):
            if n < k:  # suppressed whatever happens (a primary)
                self.allowed.append(frozenset())
                continue
            published = policy.round(n + noise(n, ck, k, bound))
            if published not in cache:
                cache[published] = frozenset(possible_counts(published, policy))
            self.allowed.append(cache[published])
        # Every combination any class holds, with its cell (flat index, -1: a zero of the
        # new version) in every table.
        combos = found.select(dims).unique(maintain_order=True).with_row_index("_c")
        self.combos = combos
        self.cell_of = np.full((combos.height, len(self.keys)), -1, dtype=np.int64)
        for t, key in enumerate(self.keys):
            if not key:
                self.cell_of[:, t] = offsets[t]
                continue
            table = lattice.tables[key].with_row_index("_cell").select([*key, "_cell"])
            hit = combos.select(["_c", *key]).join(table, on=list(key))
            self.cell_of[hit["_c"].to_numpy(), t] = offsets[t] + hit["_cell"].to_numpy()
        rows = found.join(combos, on=dims, how="left")
        self.row_combo = rows["_c"].to_numpy().astype(np.int64)
        self.row_pattern = rows["pattern"].to_numpy().astype(np.int64)
        self.row_n = rows["n"].to_numpy().astype(np.int64)
        self.values = {d: rows[d].to_numpy() for d in dims}
        # The classes the visitor grants each organisation, and which (combination, class)
        # the LP has an unknown for.
        orgs = rows[ORGANISATION].to_numpy()
        self.row_org = orgs
        self.classes: dict[str, set[int]] = {}
        for org, pattern in zip(orgs.tolist(), self.row_pattern.tolist(), strict=True):
            self.classes.setdefault(str(org), set()).add(int(pattern))
        known = variables.select([*dims, "pattern"]).join(combos, on=dims, how="inner")
        self.unknowns = set(zip(known["_c"].to_list(), known["pattern"].to_list(), strict=True))
        self._flip: np.ndarray | None = None

    def change(self, key: Dims, cell: tuple[str, ...], pair: tuple[int, int]) -> Change | None:
        """The records a witness for the difference target (``key``, ``cell``, ``pair``)
        moves, or None if the pair does not involve the new version or a class it needs is
        not the visitor's."""
        a, b = pair
        if 0 not in pair:
            return None
        mask = ((self.row_pattern >> a) & 1).astype(bool) & ~(
            ((self.row_pattern >> b) & 1).astype(bool)
        )
        for d, value in zip(key, cell, strict=True):
            mask &= self.values[d] == value
        picked = np.flatnonzero(mask)
        if not picked.size:
            return None
        patterns = self.row_pattern[picked]
        moved = patterns | 1 if b == 0 else patterns & ~1
        for row, pattern in zip(picked.tolist(), moved.tolist(), strict=True):
            if pattern == 0:  # not added at all: no class needed
                continue
            if pattern not in self.classes[str(self.row_org[row])]:
                return None
            if (int(self.row_combo[row]), pattern) not in self.unknowns:
                return None
        sign = 1 if b == 0 else -1
        return Change(self.row_combo[picked], sign * self.row_n[picked])

    def raising(
        self, key: Dims, cell: tuple[str, ...], pair: tuple[int, int], primary: bool, amount: int
    ) -> np.ndarray | None:
        """A witness for the *greatest* value of a target: the published cells of the new
        version to suppress (the fewest found) so that ``amount`` more records beneath the
        cell may be in the target's class, or None if no such exchange exists.

        Only the new version's membership bit moves, in opposite directions at two places:
        at combinations beneath the cell, records leave the new version (a difference of
        withdrawn records, ``pair`` (a, 0): records in a and in the new version become
        withdrawn ones) or join it (a primary suppression: withdrawn records become kept
        ones); at combinations elsewhere as many records do the opposite, so that the new
        version's cells containing both places keep their counts.  Every earlier version
        publishes the same numbers (its records are the same), so after the cells whose
        numbers exclude the exchange are suppressed, the LP's greatest value of the target
        is at least its count plus ``amount`` (k minus the count: it reaches k).  This is
        the witness of :meth:`change` for the other side, needed where that one cannot
        exist (the withdrawn records fall under a zero of the new version,
        so at least one was certainly withdrawn).
        """
        if amount <= 0:
            return np.zeros(0, dtype=np.int64)
        if not primary and (pair[1] != 0 or pair[0] == 0):
            return None
        a = pair[0]
        beneath = np.ones(self.row_pattern.size, dtype=bool)
        for d, value in zip(key, cell, strict=True):
            beneath &= self.values[d] == value
        in_new = (self.row_pattern & 1).astype(bool)
        if primary:  # beneath: withdrawn records join; elsewhere: kept ones leave
            here = beneath & ~in_new
            there = ~beneath & in_new
        else:  # beneath: kept records of version a leave; elsewhere: others join
            here = beneath & in_new & ((self.row_pattern >> a) & 1).astype(bool)
            there = ~beneath & ~in_new
        here = np.flatnonzero(here & self._flippable())
        there = np.flatnonzero(there & self._flippable())
        if not here.size or not there.size:
            return None
        gain = 1 if primary else -1  # the new version's change beneath the cell
        best: np.ndarray | None = None
        for sources in self._pick(here, amount):
            for targets in self._pick(there, amount):
                rows = np.concatenate([sources, targets])
                delta = np.concatenate(
                    [self._take(sources, amount) * gain, self._take(targets, amount) * -gain]
                )
                cells = self.blocking(Change(self.row_combo[rows], delta))
                if cells is not None and (best is None or cells.size < best.size):
                    best = cells
                    if not best.size:
                        return best
        return best

    def _flippable(self) -> np.ndarray:
        """Rows whose records may change membership in the new version: the class they
        would move to is the organisation's and has an unknown there (or is no record)."""
        if self._flip is None:
            out = np.zeros(self.row_pattern.size, dtype=bool)
            for i, (org, combo, pattern) in enumerate(
                zip(
                    self.row_org.tolist(),
                    self.row_combo.tolist(),
                    self.row_pattern.tolist(),
                    strict=True,
                )
            ):
                moved = pattern ^ 1
                out[i] = moved == 0 or (
                    moved in self.classes[str(org)] and (int(combo), moved) in self.unknowns
                )
            self._flip = out
        return self._flip

    def _pick(self, rows: np.ndarray, amount: int) -> list[np.ndarray]:
        """Candidate sets of rows holding ``amount`` records: each single row that holds
        enough (at most :data:`CANDIDATES`, largest first), else the largest rows together."""
        order = rows[np.argsort(-self.row_n[rows], kind="stable")]
        single = [np.array([r]) for r in order[:CANDIDATES].tolist() if self.row_n[r] >= amount]
        if single:
            return single
        upto = np.searchsorted(np.cumsum(self.row_n[order]), amount) + 1
        return [order[:upto]] if upto <= order.size else []

    def _take(self, rows: np.ndarray, amount: int) -> np.ndarray:
        """How many records of each of ``rows`` move, ``amount`` in all, largest rows first."""
        before = np.concatenate([[0], np.cumsum(self.row_n[rows])[:-1]])
        return np.maximum(np.minimum(self.row_n[rows], amount - before), 0).astype(np.int64)

    def blocking(self, change: Change) -> np.ndarray | None:
        """The published cells of the new version whose numbers exclude the witness (to be
        suppressed), or None if no suppression makes it one (a zero cell would hold
        records, or a cell would fall to 0)."""
        cells = self.cell_of[change.rows]  # combinations x tables
        flat = cells.ravel()
        if (flat < 0).any():
            return None
        delta = np.repeat(change.delta, cells.shape[1])
        index, inverse = np.unique(flat, return_inverse=True)
        moved = np.bincount(inverse, weights=delta).astype(np.int64)
        after = self.n[index] + moved
        if (after < 1).any():
            return None
        out = [
            int(cell)
            for cell, value, shut in zip(
                index.tolist(), after.tolist(), self.sup[index].tolist(), strict=True
            )
            if not shut and value not in self.allowed[cell]
        ]
        return np.array(out, dtype=np.int64)

    def suppress(self, cells: np.ndarray) -> int:
        """Suppress ``cells`` in the lattice; returns how many were published before."""
        before = int(self.sup.sum())
        self.sup[cells] = True
        return int(self.sup.sum()) - before

    def write(self) -> None:
        for t, key in enumerate(self.keys):
            part = self.sup[self.offsets[t] : self.offsets[t + 1]]
            self.lattice.tables[key] = self.lattice.tables[key].with_columns(
                sup=pl.Series("sup", part, dtype=pl.Boolean)
            )

    def read(self) -> None:
        """Take the lattice's suppression back (after its relations added more)."""
        self.sup = np.concatenate([self.lattice.tables[k]["sup"].to_numpy() for k in self.keys])
