"""Complementary suppressions chosen as hypercubes, before the relation-by-relation repair.

A suppressed cell of an m-dimensional table is safe inside its table when it is a corner of
a hypercube: 2^m non-zero cells (its own values and one alternative value per dimension,
all combinations) that are all suppressed.  Every line through a corner then holds two
suppressed cells, so every relation between the table and its margins has a partner, and
each suppressed count can move along the cube's alternating cycle without changing a
published total.  The margins stay published.

The repair in :meth:`thbhub.privacy.lattice.Lattice.secondary` protects one relation at a
time with the smallest published cell of the line; its partners rarely meet, each starts new
lines that need partners of their own, and the pattern ran up into the margins: one added
record (two primary cells) suppressed 2,438 of the 5,340 cells of the CTDC file's public
tables.  Choosing whole cubes first closes each pattern where it starts; the repair then
only mends what no cube could cover (a cell with no complete cube of non-zero cells, or a
cube whose partners are too small), and :mod:`thbhub.privacy.audit` still checks the result.

The cube chosen adds the fewest new suppressions, then hides the fewest records (the
information lost), then is the first in category order, so the same data gives the same
pattern.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import product
from typing import Any

import polars as pl

Cell = tuple[str, ...]

#: Candidate cubes tried per primary cell at the most, shared out as alternative values per
#: dimension (cheapest first): 512 in a one-way table, 22 per dimension in a two-way one,
#: 8 in a three-way one.  Bounds the search on dense tables with many small cells.
MAX_CUBES = 512


def cube_pass(table: pl.DataFrame, dims: Sequence[str]) -> pl.DataFrame:
    """``table`` (columns ``dims``, ``n``, ``primary``, ``sup``) with every primary cell that
    lies in a complete cube of non-zero cells suppressed together with that cube."""
    dims = list(dims)
    if not dims or not bool(table["primary"].any()):
        return table
    counts: dict[Cell, int] = {}
    suppressed: set[Cell] = set()
    for row in table.select([*dims, "n", "sup"]).iter_rows():
        cell = tuple(row[: len(dims)])
        counts[cell] = row[len(dims)]
        if row[len(dims) + 1]:
            suppressed.add(cell)
    # Non-zero values along each line: the candidates for a corner's alternative value.
    lines: dict[tuple[int, Cell], list[str]] = {}
    for cell in counts:
        for i in range(len(dims)):
            lines.setdefault((i, cell[:i] + cell[i + 1 :]), []).append(cell[i])
    primaries = [
        tuple(row[: len(dims)])
        for row in table.filter(pl.col("primary")).select(dims).sort(dims).iter_rows()
    ]
    for cell in primaries:
        cube = _best_cube(cell, counts, suppressed, lines)
        if cube is not None:
            suppressed.update(cube)
    if not suppressed:
        return table
    marker = pl.DataFrame(
        [list(c) for c in sorted(suppressed)], schema=dims, orient="row"
    ).with_columns(_cube=pl.lit(True))
    return (
        table.join(marker, on=dims, how="left")
        .with_columns(sup=pl.col("sup") | pl.col("_cube").fill_null(False))
        .drop("_cube")
    )


def _best_cube(
    cell: Cell,
    counts: dict[Cell, int],
    suppressed: set[Cell],
    lines: dict[tuple[int, Cell], list[str]],
) -> list[Cell] | None:
    m = len(cell)
    per_dim = max(2, int(MAX_CUBES ** (1 / m) + 1e-9))
    options: list[list[str]] = []
    for i in range(m):
        along = [v for v in lines.get((i, cell[:i] + cell[i + 1 :]), []) if v != cell[i]]
        if not along:
            return None  # alone on a line: no cube; the repair suppresses the margin
        # Alternatives already suppressed first (they cost nothing), then by count.
        along.sort(
            key=lambda v: (_with(cell, i, v) not in suppressed, counts[_with(cell, i, v)], v)
        )
        options.append(along[:per_dim])
    best: tuple[Any, ...] | None = None
    best_cube: list[Cell] | None = None
    for alternative in product(*options):
        corners = [
            tuple(alternative[i] if flip[i] else cell[i] for i in range(m))
            for flip in product((False, True), repeat=m)
        ]
        if any(c not in counts for c in corners):
            continue  # a zero corner is published as zero and hides nothing
        new = [c for c in corners if c not in suppressed]
        score = (len(new), sum(counts[c] for c in new), alternative)
        if best is None or score < best:
            best, best_cube = score, corners
    return best_cube


def _with(cell: Cell, i: int, value: str) -> Cell:
    return cell[:i] + (value,) + cell[i + 1 :]
