"""An attacker's view, independent of the gate's internals: what published numbers imply.

Given published tables (rows with dimension values, a count or a suppressed status), the
unknowns are the cells of the full cross-classification over every dimension involved; each
published count is an equality on the sum of the unknowns it covers.  ``feasible_range``
minimises and maximises one target cell's value with scipy's linprog.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from itertools import product

import numpy as np
import polars as pl
from scipy.optimize import linprog
from sqlalchemy import insert

from thbhub.domain.principals import Principal, Role
from thbhub.storage import Database
from thbhub.storage.schema import organisations

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


# -- organisations and records for release tests -------------------------------------


def make_org(db: Database, name: str = "Police PL") -> int:
    with db.begin() as conn:
        return int(
            conn.execute(
                insert(organisations).returning(organisations.c.id),
                {"name": name, "country": "PL", "kind": "agency", "created_at": datetime.now(UTC)},
            ).scalar_one()
        )


def member(org: int) -> Principal:
    return Principal(role=Role.contributor, email="cli:test", organisation_id=org, origin="cli")


def records(n: int = 300, seed: int = 3) -> pl.DataFrame:
    rnd = random.Random(seed)
    return pl.DataFrame(
        {
            "year": [str(rnd.choice([2015, 2016, 2017])) for _ in range(n)],
            "sex": [rnd.choice(["female", "male"]) for _ in range(n)],
            "age": [rnd.choice(["0--8", "9--17", "18--20", "30--38", None]) for _ in range(n)],
            "citizenship": [rnd.choice(["PL", "UA", "VN"]) for _ in range(n)],
            "country": [rnd.choice(["PL", "DE"]) for _ in range(n)],
        }
    )
