"""Column-wise building blocks of the CTDC reader (:mod:`thbhub.cases.ctdc`).

The CTDC files repeat a small number of value combinations over tens of thousands of rows:
what can be computed once per distinct combination is, and every flag is compared with "1"
once rather than by each list and status that uses it.  Helper columns are prefixed ``__``
and never reach the database (the reader selects the record columns by name).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import polars as pl

ONE_PREFIX = "__one:"
ZERO_PREFIX = "__zero:"
SEEN_PREFIX = "__seen:"
MASK = "__mask:"
EXTRA = "__extra"


def one(column: str) -> pl.Expr:
    """The precomputed "flag is 1" column of a CTDC flag (see :func:`with_flag_booleans`)."""
    return pl.col(ONE_PREFIX + column)


def zero(column: str) -> pl.Expr:
    """The precomputed "flag is 0" column (the source said no)."""
    return pl.col(ZERO_PREFIX + column)


def seen(column: str) -> pl.Expr:
    """The precomputed "flag is 0 or 1" column (recorded either way)."""
    return pl.col(SEEN_PREFIX + column)


def with_flag_booleans(df: pl.DataFrame, flag_columns: list[str]) -> pl.DataFrame:
    # Each flag is compared with "1" by several lists and statuses: once here, not per use.
    return df.with_columns(
        *[(pl.col(c) == "1").fill_null(False).alias(ONE_PREFIX + c) for c in flag_columns],
        *[(pl.col(c) == "0").fill_null(False).alias(ZERO_PREFIX + c) for c in flag_columns],
        *[
            pl.col(c).is_in(["0", "1"]).fill_null(False).alias(SEEN_PREFIX + c)
            for c in flag_columns
        ],
    )


def with_concept_masks(
    df: pl.DataFrame,
    lists: dict[str, list[tuple[str, pl.Expr]]],
    minus: dict[str, str] | None = None,
) -> tuple[pl.DataFrame, dict[str, pl.Expr]]:
    """For each list name, a column ``__mask:<name>`` with one bit per concept whose condition
    holds, and the expression turning that mask into the JSON array of concept ids.

    ``minus`` maps a list to another one whose concepts it must not repeat (``forms_no`` ->
    ``forms``: a concept answered yes by one source column and no by another is yes); both
    must name their concepts in the same order.

    Rows repeat few combinations (the 47,102 rows of the CTDC global file hold at most a few
    hundred per list), so each distinct mask is written as JSON once in Python and mapped onto
    the rows, instead of assembling a string per row.  Concept ids hold no quotes or
    backslashes, so joining them is valid JSON.
    """
    order: dict[str, list[str]] = {}
    masks: list[pl.Expr] = []
    for name, pairs in lists.items():
        by_concept: dict[str, list[pl.Expr]] = {}
        for cid, cond in pairs:
            by_concept.setdefault(cid, []).append(cond)
        if len(by_concept) > 63:
            raise ValueError(f"{name}: more than 63 concepts do not fit a 64-bit mask")
        order[name] = list(by_concept)
        bits = [
            pl.any_horizontal(conds).fill_null(False).cast(pl.UInt64) * (1 << i)
            for i, conds in enumerate(by_concept.values())
        ]
        mask = pl.sum_horizontal(bits) if bits else pl.lit(0, dtype=pl.UInt64)
        masks.append(mask.cast(pl.UInt64).alias(MASK + name))
    df = df.with_columns(masks)
    for name, other in (minus or {}).items():
        if order[name] != order[other]:
            raise ValueError(f"{name} and {other} must list the same concepts in order")
        df = df.with_columns(
            (pl.col(MASK + name) & ~pl.col(MASK + other)).cast(pl.UInt64).alias(MASK + name)
        )
    texts: dict[str, pl.Expr] = {}
    for name, ids in order.items():
        json_of = {
            int(m): "[" + ",".join(f'"{cid}"' for i, cid in enumerate(ids) if m >> i & 1) + "]"
            for m in df[MASK + name].unique().to_list()
        }
        texts[name] = pl.col(MASK + name).replace_strict(json_of, return_dtype=pl.String)
    return df, texts


def with_extra_json(df: pl.DataFrame, fields: Sequence[str]) -> pl.DataFrame:
    """Adds ``__extra``: the CTDC fields the case model has no column for, as a JSON object
    without the empty ones (they are read back as absent either way).

    Written once per distinct combination (the global file has 71) and joined onto the rows.
    """
    if not fields:
        return df.with_columns(pl.lit("{}").alias(EXTRA))
    combos = df.select(fields).unique()
    texts = [
        json.dumps(
            {k: v for k, v in zip(fields, row, strict=True) if v is not None},
            ensure_ascii=False,
            sort_keys=True,
        )
        for row in combos.iter_rows()
    ]
    combos = combos.with_columns(pl.Series(EXTRA, texts, dtype=pl.String))
    return df.join(combos, on=fields, how="left", nulls_equal=True, maintain_order="left")


def answers_json(columns: Sequence[str]) -> pl.Expr:
    """The source's own answers as a JSON object, column -> its flag (1, 0 or -99), empty
    cells left out: built column-wise (the flags are validated numbers, so the text is
    valid JSON without quoting)."""
    if not columns:
        return pl.lit("{}")
    pieces = [pl.when(pl.col(c).is_not_null()).then(pl.lit(f'"{c}":') + pl.col(c)) for c in columns]
    body = pl.concat_str(pieces, separator=",", ignore_nulls=True)
    return pl.lit("{") + body.fill_null("") + pl.lit("}")
