"""The four form lattices protected together across data versions (docs/insights.md).

Each form lattice (the base dimensions and one form flag) is protected with the anchor's
cells (:func:`thbhub.privacy.extension.protect_extension`).  Across versions that is not
enough: every form lattice gives its own noisy reading of the records a publication adds
(``sex = male`` is the sum of ``(male, flag = v)`` over v in every one of them, each cell
with its own noise), and a visitor who saved all four before and after intersects them
(tests/insights/test_insight_versions.py: 46 of 176 small differences pinned on the bundled
records).  So the versions audit (:func:`thbhub.privacy.versions_lp.protect_across`, through
:mod:`thbhub.privacy.extension_versions`) runs on the four lattices *together*: one lattice
over the base dimensions and the four flags holding exactly the tables the four publish,
with the kept earlier versions of that union.  Its suppressions go back to the lattice that
publishes each table; one of a base table (the public tables publish it) refuses the four.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl

from thbhub.privacy.extension import Extension, check_pinned, pattern
from thbhub.privacy.extension_versions import protect_extension_across, published
from thbhub.privacy.lattice import Dims, Lattice, encode
from thbhub.privacy.versions import PublishedVersion


def union(lattices: Mapping[str, Lattice], base: pl.DataFrame, dims: Sequence[str]) -> Extension:
    """One lattice over ``dims`` (the base dimensions and the flags of ``lattices``) with
    every table the form lattices publish (a base table once: it is the anchor's in each)."""
    first = next(iter(lattices.values()))
    tables: dict[Dims, pl.DataFrame] = {}
    pinned: set[Dims] = set()
    categories: dict[str, list[str]] = {}
    for lattice in lattices.values():
        categories |= lattice.categories
        for key, table in lattice.tables.items():
            ordered = tuple(d for d in dims if d in key)
            tables.setdefault(ordered, table.select([*ordered, *_VALUES]))
            if key in getattr(lattice, "pinned", set()):
                pinned.add(ordered)
    data = encode(base, dims)
    for d in dims:
        if (d,) not in tables:
            # a refused form lattice publishes nothing: its flag is one dimension of the
            # union still (every version's union has the same), all of it suppressed
            tables[(d,)] = (
                data.group_by(d)
                .len(name="n")
                .sort(d)
                .with_columns(
                    pl.col("n").cast(pl.Int64),
                    ck=pl.lit(0, pl.Int64),
                    primary=pl.lit(False),
                    sup=pl.lit(True),
                )
            )
            categories[d] = sorted(data[d].unique().to_list())
    joint = data.group_by(list(dims)).len(name="n")
    # The union's joint keys are never published (its cells are the form lattices' own,
    # with their keys): a placeholder column keeps the joint's shape.
    joint = joint.with_columns(pl.col("n").cast(pl.Int64), ck=pl.lit(0, pl.Int64))
    return Extension(
        dims=tuple(dims),
        order=first.order,
        policy=first.policy,
        categories=categories,
        tables=tables,
        joint=joint,
        pinned=pinned,
    )


_VALUES = ("n", "ck", "primary", "sup")


def protect_forms_across(
    lattices: Mapping[str, Lattice],
    base: pl.DataFrame,
    dims: Sequence[str],
    history: Sequence[PublishedVersion],
    *,
    max_rounds: int = 10,
    max_unknowns: int = 20_000,
) -> Extension:
    """Protect the form lattices (each already protected for its version) together against
    the kept earlier versions of their union (``history``); returns the union as published
    (what :func:`thbhub.privacy.extension_versions.published` keeps for the next version).
    Raises :class:`thbhub.privacy.lattice.ProtectionFailed` as
    :func:`thbhub.privacy.extension_versions.protect_extension_across` does."""
    together = union(lattices, base, dims)
    protect_extension_across(together, history, max_rounds=max_rounds, max_unknowns=max_unknowns)
    for lattice in lattices.values():
        before = pattern(lattice, getattr(lattice, "pinned", set()))
        for key, table in lattice.tables.items():
            ordered = tuple(d for d in dims if d in key)
            theirs = together.tables[ordered].select([*ordered, pl.col("sup").alias("_sup")])
            joined = (
                table.join(theirs, on=list(ordered), how="left", maintain_order="left")
                if ordered
                else pl.concat([table, theirs], how="horizontal")
            )
            lattice.tables[key] = joined.with_columns(
                sup=pl.col("sup") | pl.col("_sup").fill_null(False)
            ).drop("_sup")
        lattice.secondary()
        check_pinned(lattice, before)
    return together


__all__ = ["protect_forms_across", "published", "union"]
