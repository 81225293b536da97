"""An attacker's view, independent of the gate's internals: what published numbers imply.

Given published tables (rows with dimension values, a count or a suppressed status), the
unknowns are the cells of the full cross-classification over every dimension involved; each
published count bounds the sum of the unknowns it covers (within the policy's noise bound,
or exactly).  ``feasible_range`` minimises and maximises one target cell's value with
scipy's linprog.
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
from thbhub.privacy.policy import DisclosurePolicy
from thbhub.settings import Settings
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


def feasible_ranges(
    categories: Mapping[str, list[str]],
    published: list[Published],
    targets: list[Mapping[str, str]],
    policy: DisclosurePolicy | None = None,
) -> list[tuple[float, float]]:
    """:func:`feasible_range` of each of ``targets``, with the published constraints built
    once (the same program; the constraint matrix is built with numpy, not per cell)."""
    dims = list(categories)
    joint = np.array(list(product(*(categories[d] for d in dims))), dtype=object)
    k = policy.threshold if policy else 0
    bound = policy.noise_bound if policy else 0

    def covers(coords: Mapping[str, str]) -> np.ndarray:
        mask = np.ones(len(joint), dtype=bool)
        for d, v in coords.items():
            mask &= joint[:, dims.index(d)] == v
        return mask.astype(float)

    a_rows, b, ub_rows, ub = [], [], [], []
    for coords, count in published:
        if count is None:
            ub_rows.append(-covers(coords))
            ub.append(-1.0)
        elif count == 0 or bound == 0:
            a_rows.append(covers(coords))
            b.append(float(count))
        else:
            row = covers(coords)
            ub_rows += [row, -row]
            ub += [float(count + bound), -float(max(k, count - bound))]
    a_eq = np.array(a_rows) if a_rows else None
    b_eq = np.array(b) if b else None
    a_ub = np.array(ub_rows) if ub_rows else None
    b_ub = np.array(ub) if ub else None
    out = []
    for target in targets:
        c = covers(target)
        lo = linprog(
            c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs"
        )
        hi = linprog(
            -c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs"
        )
        assert lo.status == 0, lo.message
        out.append((float(lo.fun), float(np.inf if hi.status == 3 else -hi.fun)))
    return out


def feasible_range(
    categories: Mapping[str, list[str]],
    published: list[Published],
    target: Mapping[str, str],
    policy: DisclosurePolicy | None = None,
) -> tuple[float, float]:
    """The least and greatest value of ``target`` consistent with every published count.

    With ``policy`` (its threshold and noise bound, as published), a published p > 0 says
    only that the true count lies in max(k, p - D) .. p + D (the cell key method's
    perturbation table); without, every published count is taken as exact.  A suppressed
    cell is at least 1: zeros are published, so a visitor knows it is not one."""
    dims = list(categories)
    joint = list(product(*(categories[d] for d in dims)))
    k = policy.threshold if policy else 0
    bound = policy.noise_bound if policy else 0

    def covers(coords: Mapping[str, str]) -> np.ndarray:
        return np.array(
            [all(cell[dims.index(d)] == v for d, v in coords.items()) for cell in joint],
            dtype=float,
        )

    a_rows, b, ub_rows, ub = [], [], [], []
    for coords, count in published:
        if count is None:  # suppressed: never a zero (zeros are published as zeros)
            ub_rows.append(-covers(coords))
            ub.append(-1.0)
        elif count == 0 or bound == 0:
            a_rows.append(covers(coords))
            b.append(float(count))
        else:
            ub_rows += [covers(coords), -covers(coords)]
            ub += [float(count + bound), -float(max(k, count - bound))]
    a_eq = np.array(a_rows) if a_rows else None
    b_eq = np.array(b) if b else None
    a_ub = np.array(ub_rows) if ub_rows else None
    b_ub = np.array(ub) if ub else None
    c = covers(target)
    lo = linprog(c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
    hi = linprog(-c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
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


def within_noise(published: object, true: int, settings: Settings) -> bool:
    """Whether a published count from case records can be ``true`` under the deployment's
    policy: never below the threshold, at most the noise bound away (the cell key method,
    docs/privacy.md).  Tests of *which* records count use it; the noise is tested in
    tests/privacy/test_versions.py."""
    policy = DisclosurePolicy.from_settings(settings)
    if not isinstance(published, int) or true < policy.threshold:
        return published == true
    return published >= policy.threshold and abs(published - true) <= policy.noise_bound
