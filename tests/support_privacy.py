"""An attacker's view, independent of the gate's internals: what published numbers imply.

Given published tables (rows with dimension values, a count or a suppressed status), the
unknowns are the cells of the full cross-classification over every dimension involved; each
published count is an equality on the sum of the unknowns it covers.  ``feasible_range``
minimises and maximises one target cell's value with scipy's linprog.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from itertools import product

import numpy as np
from scipy.optimize import linprog

Published = tuple[Mapping[str, str], int | None]  # (cell coordinates incl. filters, count)


def published_cells(tables: Iterable[object]) -> list[Published]:
    out: list[Published] = []
    for table in tables:
        where = dict(table.where)  # type: ignore[attr-defined]
        for row in table.rows() + table.margin_rows():  # type: ignore[attr-defined]
            coords = {k: v for k, v in row.items() if k not in ("count", "status", "margin")}
            out.append(({**where, **coords}, row["count"]))
    return out


def feasible_range(
    categories: Mapping[str, list[str]],
    published: list[Published],
    target: Mapping[str, str],
) -> tuple[float, float]:
    dims = list(categories)
    joint = list(product(*(categories[d] for d in dims)))

    def covers(coords: Mapping[str, str]) -> np.ndarray:
        return np.array(
            [all(cell[dims.index(d)] == v for d, v in coords.items()) for cell in joint],
            dtype=float,
        )

    a_rows, b = [], []
    for coords, count in published:
        if count is not None:
            a_rows.append(covers(coords))
            b.append(float(count))
    a_eq = np.array(a_rows) if a_rows else None
    b_eq = np.array(b) if b else None
    c = covers(target)
    lo = linprog(c, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
    hi = linprog(-c, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
    assert lo.status == 0, lo.message
    high = np.inf if hi.status == 3 else -hi.fun
    return float(lo.fun), float(high)
