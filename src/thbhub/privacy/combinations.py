"""Attribute combinations: counts of every combination of up to R attribute values.

A release's aggregates, the records it is computed from and any synthetic data are all
compared in this one representation: for every set of columns of size 1..R, a frame with
those columns and ``n``, the number of records having that combination of values.
Missing values are the category :data:`MISSING`; the utility report leaves combinations
that contain it out, as the showcase's evaluator does.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from itertools import combinations

import polars as pl

MISSING = "(missing)"

Columns = tuple[str, ...]
Aggregates = dict[Columns, pl.DataFrame]

#: Literal values that mean "not known" in the source formats (CTDC -99, Unknown, Missing).
UNKNOWN_VALUES: frozenset[str] = frozenset({"", "unknown", "missing", "-99", "(missing)"})


def categorical(
    frame: pl.DataFrame, columns: Sequence[str], *, unknown: Collection[str] = UNKNOWN_VALUES
) -> pl.DataFrame:
    """The columns as text, with every "not known" spelling (``unknown``, compared in lower
    case after stripping blanks) turned into :data:`MISSING`."""
    unknown = [u.lower() for u in unknown]
    exprs = []
    for c in columns:
        text = pl.col(c).cast(pl.Utf8).str.strip_chars()
        exprs.append(
            pl.when(text.is_null() | text.str.to_lowercase().is_in(unknown))
            .then(pl.lit(MISSING))
            .otherwise(text)
            .alias(c)
        )
    return frame.select(exprs)


def column_sets(columns: Sequence[str], length: int) -> list[Columns]:
    return [tuple(s) for s in combinations(columns, length)]


def count_combinations(
    data: pl.DataFrame, reporting_length: int, *, include_missing: bool = False
) -> Aggregates:
    """True counts of every combination of 1..R values (``data`` already categorical)."""
    out: Aggregates = {}
    for length in range(1, reporting_length + 1):
        for cols in column_sets(data.columns, length):
            table = data.group_by(list(cols)).len(name="n")
            if not include_missing:
                table = table.filter(pl.all_horizontal([pl.col(c) != MISSING for c in cols]))
            out[cols] = table.with_columns(pl.col("n").cast(pl.Int64))
    return out


def without_missing(aggregates: Aggregates) -> Aggregates:
    return {
        cols: t.filter(pl.all_horizontal([pl.col(c) != MISSING for c in cols]))
        for cols, t in aggregates.items()
    }
