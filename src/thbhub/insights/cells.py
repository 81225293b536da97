"""Reading published cells of a gated table, and the arithmetic allowed on them.

Every number an insight shows is either a cell the gate published or computed from such
cells.  A difference of two published counts (the records outside a group) is shown only
when it is at least the threshold: below it, it would look like (and could be) a small
count, so it is withheld like a suppressed one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from thbhub.insights.store import PublishedTable
from thbhub.privacy.gate import SUPPRESSED, GatedCell

#: Why a comparison shows no ratio.
SUPPRESSED_NOTE = "suppressed"
TOO_FEW = "too few to compare"


def cell(table: PublishedTable, coords: Mapping[str, str]) -> GatedCell:
    """The cell of ``table`` (or of one of its margins) at ``coords`` (over its ``by``)."""
    dims = tuple(d for d in table.by if d in coords)
    key = tuple(coords[d] for d in dims)
    if dims != table.by and dims not in table.margins:
        raise KeyError(dims)
    found = table.cell(dims, key)
    # A category absent from the lattice is a true zero (zeros are published).
    return found if found is not None else GatedCell(key, 0, "zero")


def count(table: PublishedTable, coords: Mapping[str, str]) -> int | None:
    """The published count at ``coords``; None when suppressed."""
    c = cell(table, coords)
    return None if c.status == SUPPRESSED else c.count


def minus(a: int | None, b: int | None, threshold: int) -> int | None:
    """``a - b`` of two published counts, None when either is suppressed or the difference
    is below ``threshold`` (never shown as a small count)."""
    if a is None or b is None:
        return None
    d = a - b
    return d if d >= threshold or d == 0 else None


def share(part: int | None, whole: int | None) -> float | None:
    if part is None or whole is None or whole <= 0:
        return None
    return min(1.0, max(0.0, part / whole))


def ratio_interval(
    a: int, n1: int, c: int, n2: int, z: float = 1.959964
) -> tuple[float, float, float, float] | None:
    """Ratio of the proportions a/n1 and c/n2, its 95% interval (Katz's log method, with
    0.5 added to every count when one is zero) and the two-sided p-value of the
    log-ratio's z statistic.  None when a proportion cannot be formed."""
    if n1 <= 0 or n2 <= 0 or a > n1 or c > n2:
        return None
    if a == 0 or c == 0:
        a, n1, c, n2 = a + 0.5, n1 + 0.5, c + 0.5, n2 + 0.5  # type: ignore[assignment]
    r = (a / n1) / (c / n2)
    se = math.sqrt(max(0.0, 1 / a - 1 / n1 + 1 / c - 1 / n2))
    log_r = math.log(r)
    p = math.erfc(abs(log_r / se) / math.sqrt(2)) if se > 0 else (0.0 if log_r else 1.0)
    return r, math.exp(log_r - z * se), math.exp(log_r + z * se), p


def benjamini_hochberg(pvalues: list[float]) -> list[float]:
    """Benjamini-Hochberg adjusted p-values (q-values), in the order given."""
    m = len(pvalues)
    order = sorted(range(m), key=lambda i: pvalues[i])
    out = [1.0] * m
    running = 1.0
    for rank in range(m, 0, -1):
        i = order[rank - 1]
        running = min(running, pvalues[i] * m / rank)
        out[i] = running
    return out
