"""The visitor who saved every version of the public case tables, as an attacker (issue 13,
section 1): what they save through the API, and what they can work out from all of it.

Shared by tests/privacy/test_versions*.py.  The attacker knows the published policy (k,
the noise bound D, the perturbation table), every cell of every version they saved, that a
published p comes from a true count max(k, p - D) .. p + D, a published 0 from 0, a
suppressed cell from 1 up, and (stronger than what the hub shows) for every organisation
*which kinds of change* its records went through: the membership classes (which saved
versions a record is in) that occur among its records, but not where they fall.

Their unknowns: for every combination of the six dimensions that no published zero of a
version rules out, one count per membership class of its organisation, present only in the
versions of that class (:func:`attacker_lp`).  Their question, for every cell of every
table and every two versions a, b: how many records beneath the cell are in a and not in b
(records added, or withdrawn).  A count 1..k-1 is *recovered* when the least and greatest
value linear programming allows both lie in 1..k-1.
"""

from __future__ import annotations

import csv
from itertools import combinations
from pathlib import Path
from typing import Any

import polars as pl
from benchmarks.versions_attack import attacker_lp, possible  # noqa: F401 - the tests' attacker
from fastapi.testclient import TestClient

from access_support import World
from case_support import publish
from thbhub.cases.service import import_cases
from thbhub.ingest.sample import sample_dir
from thbhub.privacy.lattice import MISSING
from thbhub.privacy.public import PUBLIC_DIMENSIONS, public_frame, set_published
from thbhub.storage import Database

Cell = tuple[tuple[str, str], ...]  # ((dimension, value), ...) sorted
INFINITY = 10**9
ORG = "organisation"
DIMS = PUBLIC_DIMENSIONS


def import_and_publish(world: World, who: str, org: str, path: Path) -> int:
    """Import a CTDC file as ``who`` of ``org``, opt the organisation in, publish it."""
    owner = world.principal(who)
    done = import_cases(
        world.db, world.settings, owner, path, world.orgs[org], fmt="ctdc", quarantine=True
    )
    set_published(world.db, owner, world.orgs[org], True)
    publish(world.db, owner, done["import_id"])
    return int(done["import_id"])


def subset_file(tmp: Path, name: str, start: int, every: int = 8) -> Path:
    """Every ``every``-th row of the bundled CTDC extract from row ``start`` (about 73
    records): a small contributor whose records fall where the first one's tables publish."""
    source = sample_dir() / "ctdc_global_bsr.csv"
    with source.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    path = tmp / f"{name}.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([rows[0], *rows[start::every]])
    return path


def save_tables(client: TestClient) -> tuple[dict[Cell, int | None], dict[str, Any]]:
    """Every cell of every public table (the three-way tables and, as their margins, all
    smaller ones), as an anonymous visitor saves them; and the published policy."""
    saved: dict[Cell, int | None] = {}
    policy: dict[str, Any] = {}
    for by in combinations(DIMS, 3):
        response = client.get("/api/v1/privacy/case-tables", params={"by": ",".join(by)})
        assert response.status_code == 200, response.text[:300]
        body = response.json()
        policy = body["policy"]
        for row in [*body["rows"], *body["margins"]]:
            cell = tuple(sorted((d, str(row[d])) for d in DIMS if d in row))
            assert saved.get(cell, row["count"]) == row["count"]  # one value per cell
            saved[cell] = row["count"]
    return saved, policy


def joint_counts(db: Database) -> dict[tuple[str, ...], int]:
    """The true count of every combination of the six dimensions, from the records the
    gate reads (the truth the attack is compared with)."""
    frame = public_frame(db).with_columns(
        [pl.col(d).cast(pl.Utf8).fill_null(MISSING) for d in DIMS]
    )
    if frame.height == 0:
        return {}
    grouped = frame.group_by(list(DIMS)).len()
    return {tuple(r[:-1]): int(r[-1]) for r in grouped.rows()}
