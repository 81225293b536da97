"""Consistent cell suppression over a lattice of tables derived from the same records.

The gate never computes a count straight from records.  It builds, for a fixed list of
dimensions, every marginal table over at most ``policy.max_table_dims`` of them (the grand
total, every one-way table, every two-way table, ...), and decides one suppression pattern
for all of them together:

1. *Primary*: every cell with a count in 1..k-1 is suppressed.
2. *Hypercubes* (:mod:`thbhub.privacy.hypercube`): each primary cell is suppressed with a
   whole cube of non-zero cells of its own table, which leaves its margins published.
3. *Secondary*: every additive relation ``parent = sum of children`` (a cell of a table and
   the cells one dimension finer that add up to it: row/column/grand totals, and the link
   between e.g. the by-sex table and the sex x age table) must not leave a suppressed cell
   recoverable.  A relation with a published parent needs at least two suppressed children
   whose values add up to the protection width; a suppressed parent needs at least one
   suppressed child.  Violations are repaired by suppressing the smallest published child
   (or, when none is left, the parent), repeating until no relation is violated.

A filtered query (``where sex = F, by age``) is a slice of the sex x age table, so "filtered
minus filtered" differences are relations of the lattice too.  :mod:`thbhub.privacy.audit`
checks the resulting pattern with linear programming.  Zero cells are true zeros and are
published; they are never used to hide anything.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from math import comb

import polars as pl

from thbhub.domain.errors import UserError
from thbhub.privacy.cellkey import MODULUS, joint_keys
from thbhub.privacy.hypercube import cube_pass
from thbhub.privacy.policy import DisclosurePolicy


class ProtectionFailed(UserError):
    """The suppression pattern could not be completed within its bound of rounds: the tables
    are refused (nothing is published) rather than released unprotected."""

    status_code = 503


#: The most tables one lattice may hold (six dimensions up to three at a time are 42), and
#: the most non-empty cells (the public tables of the CTDC file have 5,340): beyond them
#: the suppression would run for minutes to hours, so the tables are refused at once.
MAX_TABLES = 200
MAX_CELLS = 200_000

#: How a missing value is shown as a category in tables.
MISSING = "(missing)"

Dims = tuple[str, ...]


def encode(frame: pl.DataFrame, dims: Sequence[str]) -> pl.DataFrame:
    """The dimensions as text categories, missing values as :data:`MISSING`."""
    missing = [d for d in dims if d not in frame.columns]
    if missing:
        raise UserError(f"unknown dimension(s) {missing}; available: {frame.columns}")
    return frame.select([pl.col(d).cast(pl.Utf8).fill_null(MISSING).alias(d) for d in dims])


@dataclass
class Lattice:
    """All marginal tables over subsets of ``dims`` up to ``order``, with one pattern.

    Each table holds its non-zero cells only: columns = its dimensions, ``n`` (the true
    count), ``ck`` (its cell key, :mod:`thbhub.privacy.cellkey`), ``primary`` and ``sup``
    (suppressed).  A cell absent from a table is a zero.
    ``joint`` holds the true counts of the full cross-classification (its non-zero cells):
    never published, it is what :func:`thbhub.privacy.audit.protect` chooses complementary
    suppressions from.
    """

    dims: Dims
    order: int
    policy: DisclosurePolicy
    categories: dict[str, list[str]]
    tables: dict[Dims, pl.DataFrame] = field(default_factory=dict)
    joint: pl.DataFrame = field(default_factory=pl.DataFrame)

    @classmethod
    def build(cls, frame: pl.DataFrame, dims: Sequence[str], policy: DisclosurePolicy) -> Lattice:
        dims = tuple(dict.fromkeys(dims))
        order = min(policy.max_table_dims, len(dims))
        tables = sum(comb(len(dims), size) for size in range(order + 1))
        if tables > MAX_TABLES:
            raise UserError(
                f"{len(dims)} dimensions make {tables:,} tables of up to {order} dimensions, "
                f"more than the limit of {MAX_TABLES:,} (thbhub.privacy.lattice.MAX_TABLES); "
                "publish fewer dimensions"
            )
        data = encode(frame, dims)
        k = policy.threshold
        if dims:
            joint = data.group_by(list(dims)).len(name="n").with_columns(pl.col("n").cast(pl.Int64))
        else:
            joint = pl.DataFrame({"n": [data.height]}, schema={"n": pl.Int64})
        # Each joint cell's share of the cell keys (privacy/cellkey.py): every lattice cell's
        # key is the sum of the shares of the joint cells beneath it.
        joint = joint.with_columns(joint_keys(joint, dims, policy.cell_key_secret))
        lattice = cls(
            dims=dims,
            order=order,
            policy=policy,
            categories={d: sorted(data[d].unique().to_list()) for d in dims},
            joint=joint,
        )
        for size in range(order + 1):
            for subset in combinations(dims, size):
                summed = [pl.col("n").sum().cast(pl.Int64), pl.col("ck").sum() % MODULUS]
                if subset:
                    t = joint.group_by(list(subset)).agg(summed)
                else:
                    t = joint.select(summed).filter(pl.col("n") > 0)
                t = t.with_columns(primary=(pl.col("n") < k), sup=(pl.col("n") < k))
                lattice.tables[subset] = t.sort(list(subset)) if subset else t
        cells = sum(t.height for t in lattice.tables.values())
        if cells > MAX_CELLS:
            raise UserError(
                f"the tables over {list(dims)} have {cells:,} non-empty cells, more than the "
                f"limit of {MAX_CELLS:,} (thbhub.privacy.lattice.MAX_CELLS); publish fewer "
                "dimensions or dimensions with fewer categories"
            )
        for key, table in lattice.tables.items():
            lattice.tables[key] = cube_pass(table, key)
        lattice.secondary()
        return lattice

    def table_for(self, dims: Iterable[str]) -> Dims:
        """The lattice key (dimension order of the lattice) for a set of dimensions."""
        return table_key(self.dims, self.order, dims)

    # -- secondary suppression ---------------------------------------------------------

    def relations(self) -> Iterable[tuple[Dims, str, Dims]]:
        """(table, dimension summed over, parent table) for every additive relation."""
        for key in self.tables:
            for d in key:
                yield key, d, tuple(x for x in key if x != d)

    def secondary(self) -> int:
        """Suppress until no relation is violated; returns the number of rounds used.

        Every repair suppresses at least one published cell and nothing is ever unsuppressed,
        so a round that changes nothing comes after at most one round per cell: the bound
        below cannot be reached, and if it were the tables are refused, not looped on.
        """
        bound = sum(t.height for t in self.tables.values()) + 1
        for rounds in range(1, bound + 1):
            changed = False
            for child_key, _d, parent_key in list(self.relations()):
                changed |= self._repair(child_key, parent_key)
            if not changed:
                return rounds
        raise ProtectionFailed(  # pragma: no cover - see the docstring
            "these tables cannot be protected: secondary suppression did not reach a "
            "fixed point; nothing is published"
        )

    def _repair(self, child_key: Dims, parent_key: Dims) -> bool:
        k = self.policy.width
        child = self.tables[child_key]
        parent = self.tables[parent_key]
        if parent.height == 0:  # no records at all: nothing to protect
            return False
        keys = list(parent_key)
        agg = [
            pl.col("sup").sum().alias("n_sup"),
            pl.col("n").filter(pl.col("sup")).sum().alias("sup_mass"),
            (~pl.col("sup")).sum().alias("n_open"),
        ]
        grouped = child.group_by(keys).agg(agg) if keys else child.select(agg)
        joined = (
            grouped.join(parent.select([*keys, pl.col("sup").alias("p_sup")]), on=keys)
            if keys
            else grouped.with_columns(p_sup=pl.lit(bool(parent["sup"][0])))
        )
        bad = joined.filter(
            (pl.col("p_sup") & (pl.col("n_sup") == 0))
            | (
                ~pl.col("p_sup")
                & (pl.col("n_sup") >= 1)
                & ((pl.col("n_sup") < 2) | (pl.col("sup_mass") < k))
            )
        )
        if bad.height == 0:
            return False
        # Groups with a published child left: suppress their smallest published child.
        with_open = bad.filter(pl.col("n_open") > 0).select(keys) if keys else None
        changed = False
        if keys:
            assert with_open is not None
            candidates = child.join(with_open, on=keys).filter(~pl.col("sup"))
            pick = (
                candidates.sort([*keys, "n", *[c for c in child_key if c not in keys]])
                .group_by(keys, maintain_order=True)
                .first()
            )
            if pick.height:
                marker = pick.select(list(child_key)).with_columns(_pick=pl.lit(True))
                self.tables[child_key] = (
                    child.join(marker, on=list(child_key), how="left")
                    .with_columns(sup=pl.col("sup") | pl.col("_pick").fill_null(False))
                    .drop("_pick")
                )
                changed = True
            exhausted = bad.filter(pl.col("n_open") == 0).select(keys)
            if exhausted.height:
                marker = exhausted.with_columns(_pick=pl.lit(True))
                before = int(parent["sup"].sum())
                updated = (
                    parent.join(marker, on=keys, how="left")
                    .with_columns(sup=pl.col("sup") | pl.col("_pick").fill_null(False))
                    .drop("_pick")
                )
                self.tables[parent_key] = updated
                changed |= int(updated["sup"].sum()) > before
            return changed
        # The parent is the grand total.
        if int(bad["n_open"][0]) > 0:
            idx = child.with_row_index("_i").filter(~pl.col("sup")).sort("n")["_i"][0]
            self.tables[child_key] = child.with_columns(
                sup=pl.col("sup") | (pl.int_range(pl.len()) == idx)
            )
            return True
        if not bool(parent["sup"][0]):
            self.tables[parent_key] = parent.with_columns(sup=pl.lit(True))
            return True
        return False

    def suppress(self, key: Dims, cell: dict[str, str]) -> None:
        """Mark one cell suppressed (used by the audit to add a complementary suppression)."""
        t = self.tables[key]
        cond = pl.lit(True)
        for d in key:
            cond = cond & (pl.col(d) == cell[d])
        self.tables[key] = t.with_columns(sup=pl.col("sup") | cond)

    # -- reading -----------------------------------------------------------------------

    def cells(self, key: Dims) -> pl.DataFrame:
        return self.tables[key]

    def stats(self) -> dict[str, int]:
        cells = sum(t.height for t in self.tables.values())
        primary = sum(int(t["primary"].sum()) for t in self.tables.values())
        sup = sum(int(t["sup"].sum()) for t in self.tables.values())
        return {
            "tables": len(self.tables),
            "nonzero_cells": cells,
            "primary_suppressed": primary,
            "secondary_suppressed": sup - primary,
        }


def table_key(all_dims: Sequence[str], order: int, dims: Iterable[str]) -> Dims:
    """The key (in the order of ``all_dims``) of the table over ``dims`` in a lattice of
    ``all_dims`` with tables of at most ``order`` dimensions; a clear error otherwise."""
    wanted = set(dims)
    unknown = wanted - set(all_dims)
    if unknown:
        raise UserError(
            f"dimension(s) {sorted(unknown)} are not published; choose from {list(all_dims)}"
        )
    if len(wanted) > order:
        raise UserError(
            f"a table may combine at most {order} dimensions (grouping and filters "
            f"together) under the disclosure policy; got {len(wanted)}"
        )
    return tuple(d for d in all_dims if d in wanted)
