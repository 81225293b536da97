"""Protecting an extension lattice (the insights) against its own earlier published versions.

The public case tables protect each data version against every kept earlier one
(:mod:`thbhub.privacy.versions`, :func:`thbhub.privacy.versions_lp.protect_across`).  An
extension adds cells of its own (by a form flag, a means of control, ...); a visitor who
saved them before a publication and reads them after can combine both versions' cells by
linear programming and pin the few records a new organisation added
(tests/insights/test_insight_versions.py).  Here the same machinery, used as a library,
protects the extension's new version against its kept earlier versions:

* the versions audit needs an ``organisation`` dimension (its unknowns are membership
  classes per organisation); an extension has none, so it runs on a *shadow*: the
  extension with one more dimension ``organisation`` of a single value (every record in one
  class structure: the attacker is told which kinds of change occur among all records,
  never fewer unknowns than the truth).  Its tables with the organisation are copies of
  those without;
* the suppressions :func:`protect_across` adds to the shadow are copied back to the
  extension (a cell is suppressed if either copy is); a cell of a pinned table (the
  anchor's, which the public tables publish) may not be among them: the extension is then
  refused, never published beside a cell the public tables show;
* what each version published is kept (:func:`snapshot` of the shadow) under the dataset
  name of the extension, like the public tables' versions.

Relation rules are re-applied afterwards (more suppression only widens every interval, so
the single-version audit done before still holds).
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from thbhub.privacy.extension import Extension, RecordRows, check_pinned, pattern
from thbhub.privacy.lattice import Dims, Lattice, ProtectionFailed
from thbhub.privacy.versions import ORGANISATION, PublishedVersion, snapshot
from thbhub.privacy.versions_lp import protect_across

#: The single organisation value of the shadow.
EVERYONE = "(all)"
#: A row-level shadow's dimension: a record's record row, or one of its value rows.
KIND, RECORD, VALUE = "kind", "record", "value"


def shadow(
    lattice: Lattice, rows: RecordRows = None, records: Sequence[tuple[Lattice, Dims]] = ()
) -> Extension:
    """``lattice`` with an ``organisation`` dimension of one value (see the module).  For a
    row-level extension (``rows``) with ``records`` (the anchor and the extensions published
    before it, each with the dimensions it shares), also a dimension ``kind``: ``record``
    for the one record row of each record, ``value`` for the others, and those lattices'
    cells over the shared dimensions as its ``record`` cells (pinned; the ``value`` cells
    beside them are not published: suppressed)."""
    front: tuple[str, ...] = (ORGANISATION,) if rows is None else (ORGANISATION, KIND)
    dims = (*front, *lattice.dims)
    joint = lattice.joint.with_columns(pl.lit(EVERYONE).alias(ORGANISATION))
    if rows is not None:
        joint = joint.with_columns(_kind(rows))
    joint = joint.select([*front, *lattice.joint.columns])
    tables: dict[Dims, pl.DataFrame] = {}
    pinned: set[Dims] = set(getattr(lattice, "pinned", set()))
    for key, table in lattice.tables.items():
        tables[key] = table
    if rows is not None:
        for source, shared in records:
            for key, table in source.tables.items():
                if not set(key) <= set(shared) or len(key) + 1 > lattice.order:
                    continue
                mine = (KIND, *(d for d in lattice.dims if d in key))
                if mine in tables:
                    continue
                cols = list(mine[1:])
                values = (
                    joint.filter(pl.col(KIND) == VALUE).group_by(cols).agg(pl.col("n").sum())
                    if cols
                    else joint.filter(pl.col(KIND) == VALUE).select(pl.col("n").sum())
                ).filter(pl.col("n") > 0)
                record = table.select([*cols, "n", "ck", "primary", "sup"]).with_columns(
                    pl.lit(RECORD).alias(KIND)
                )
                hidden = values.with_columns(
                    pl.lit(VALUE).alias(KIND),
                    pl.col("n").cast(pl.Int64),
                    ck=pl.lit(0, pl.Int64),
                    primary=pl.lit(False),
                    sup=pl.lit(True),
                )
                columns = [*mine, "n", "ck", "primary", "sup"]
                tables[mine] = pl.concat(
                    [record.select(columns), hidden.select(columns)], how="vertical_relaxed"
                ).sort(list(mine))
                pinned.add(mine)
    for key, table in list(tables.items()):
        if len(key) < lattice.order:
            tables[(ORGANISATION, *key)] = table.with_columns(
                pl.lit(EVERYONE).alias(ORGANISATION)
            ).select([ORGANISATION, *table.columns])
            if key in pinned:
                pinned.add((ORGANISATION, *key))
    categories = {ORGANISATION: [EVERYONE], **lattice.categories}
    if rows is not None:
        categories[KIND] = sorted(joint[KIND].unique().to_list())
    return Extension(
        dims=dims,
        order=lattice.order,
        policy=lattice.policy,
        categories=categories,
        tables=tables,
        joint=joint,
        pinned=pinned,
    )


def _kind(rows: tuple[str, frozenset[str]]) -> pl.Expr:
    column, values = rows
    return (
        pl.when(pl.col(column).is_in(list(values)))
        .then(pl.lit(RECORD))
        .otherwise(pl.lit(VALUE))
        .alias(KIND)
    )


def protect_extension_across(
    lattice: Lattice,
    history: Sequence[PublishedVersion],
    *,
    rows: RecordRows = None,
    records: Sequence[tuple[Lattice, Dims]] = (),
    max_rounds: int = 10,
    max_unknowns: int = 20_000,
) -> None:
    """Suppress further cells of ``lattice`` (already protected for its own version)
    until its cells and those of its kept earlier versions (``history``, snapshots of
    :func:`shadow`, newest first) pin no primary suppression and no records added or
    withdrawn between two versions to 1..k-1.  Raises :class:`ProtectionFailed` when that
    would suppress a cell of a pinned table (the public tables publish it)."""
    if not history or lattice.joint.height == 0:
        return
    before = pattern(lattice, getattr(lattice, "pinned", set()))
    copy = shadow(lattice, rows, records)
    published_before = pattern(copy, copy.pinned)
    # Primaries keep the full width here: the shadow does not hold the equalities between
    # lattices a visitor also reads, and with only "not pinned below k" the attack of
    # tests/insights/test_insight_versions.py pinned 38 added records (it pins 0 so).
    protect_across(
        copy, history, max_rounds=max_rounds, max_unknowns=max_unknowns, primary_width=True
    )
    check_pinned(copy, published_before)
    for key, table in lattice.tables.items():
        sup = copy.tables[key]["sup"]  # the lattice's own tables are the shadow's, in order
        twin = copy.tables.get((ORGANISATION, *key))
        if twin is not None:
            sup = sup | twin["sup"]
        lattice.tables[key] = table.with_columns(sup=sup)
    check_pinned(lattice, before)
    lattice.secondary()
    check_pinned(lattice, before)


def published(
    lattice: Lattice,
    label: str,
    rows: RecordRows = None,
    records: Sequence[tuple[Lattice, Dims]] = (),
) -> PublishedVersion:
    """What ``lattice`` publishes in version ``label``, kept for the next version's audit
    (with the same ``rows`` and ``records`` as its protection)."""
    return snapshot(shadow(lattice, rows, records), label)


__all__ = ["EVERYONE", "ProtectionFailed", "protect_extension_across", "published", "shadow"]
