"""Protecting a new data version of the public tables against the last published one.

The cell key method (:mod:`thbhub.privacy.cellkey`) makes the two published numbers of one
cell useless for subtraction, but a visitor who saved every cell of the previous version can
combine *all* of them with all of the new version's by linear programming: on the CTDC file
with 200 records of a new organisation, that pinned 74 of 100 sampled cells of the newcomer
to 1..k-1 (benchmarks/privacy_versions.py).  This module closes that for the change the
public tables see most (an organisation starting or stopping to publish):

* what each version published is kept (:class:`PublishedVersion`, stored by
  :mod:`thbhub.storage.privacy`): every non-zero cell's published number (or "suppressed"),
  and a keyed fingerprint of each organisation's records;
* the new version's audit gets, besides its own published cells, the previous version's
  cells whose records all belong to organisations whose records did not change (the
  fingerprint says so), as ranges: the true counts a published number allows
  (:func:`thbhub.privacy.cellkey.possible_counts`), a suppressed cell at least 1.  Those
  records are the same unknowns in both versions;
* the targets are the new version's primary suppressions (interval at least the protection
  width, as within a version) and every *difference cell*: for each cell without the
  organisation dimension, the records of the organisations new since the previous version
  beneath it, when that is 1..k-1.  No difference cell may be pinned to 1..k-1;
* a failing target gets a partner exchange among the newcomers' records only (which the
  previous version cannot see; :class:`thbhub.privacy.audit._Partners`), so suppression
  grows until the audit passes, within the round bound, or the tables are refused.

What is not covered (docs/privacy.md): an organisation whose records changed between the
two versions (its previous cells are left out of the audit), and versions older than the
last published one.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from thbhub.privacy.audit import TOLERANCE, Interval, _Partners, joint_support, system
from thbhub.privacy.cellkey import UNKEYED, possible_counts
from thbhub.privacy.lattice import Dims, Lattice, ProtectionFailed

ORGANISATION = "organisation"


@dataclass(frozen=True)
class PublishedVersion:
    """What one data version of the public tables published: ``cells`` maps every non-zero
    cell (:func:`cell_id`) to its published number, ``None`` if suppressed; ``organisations``
    maps each organisation in it to its records' fingerprint."""

    label: str
    cells: dict[str, int | None]
    organisations: dict[str, str]

    def as_json(self) -> dict[str, Any]:
        return {"cells": self.cells, "organisations": self.organisations}


def cell_id(key: Dims, values: tuple[str, ...]) -> str:
    return json.dumps([[d, v] for d, v in zip(key, values, strict=True)], ensure_ascii=False)


def parse_cell(ident: str) -> tuple[Dims, tuple[str, ...]]:
    pairs = json.loads(ident)
    return tuple(p[0] for p in pairs), tuple(p[1] for p in pairs)


def fingerprints(lattice: Lattice) -> dict[str, str]:
    """Per organisation, a keyed hash of its joint cells and counts: equal in two versions
    exactly when its records (over the published dimensions) are the same."""
    if ORGANISATION not in lattice.dims or lattice.joint.height == 0:
        return {}
    key = (lattice.policy.cell_key_secret or UNKEYED)[:64]
    out: dict[str, str] = {}
    joint = lattice.joint.select([*lattice.dims, "n"]).sort(list(lattice.dims))
    for (org,), part in joint.group_by([ORGANISATION], maintain_order=True):
        digest = hashlib.blake2b(key=key, person=b"thbhub-orgprint", digest_size=16)
        for row in part.iter_rows():
            digest.update(json.dumps(row, ensure_ascii=False).encode("utf-8"))
        out[str(org)] = digest.hexdigest()
    return out


def snapshot(lattice: Lattice, label: str) -> PublishedVersion:
    """What ``lattice`` publishes (its non-zero cells; zeros are the cells not listed)."""
    from thbhub.privacy.gate import shown_count  # the gate imports this module

    cells: dict[str, int | None] = {}
    for key, table in lattice.tables.items():
        for row in table.iter_rows(named=True):
            values = tuple(str(row[d]) for d in key)
            cells[cell_id(key, values)] = (
                None if row["sup"] else shown_count(int(row["n"]), int(row["ck"]), lattice.policy)
            )
    return PublishedVersion(label, cells, fingerprints(lattice))


def _previous_rows(
    lattice: Lattice,
    support: pl.DataFrame,
    previous: PublishedVersion,
    unchanged: set[str],
) -> list[tuple[np.ndarray, float, float]]:
    """The previous version's cells over records that are still the same, as ranges."""
    policy = lattice.policy
    everyone = set(previous.organisations)
    kept = support.filter(pl.col(ORGANISATION).is_in(sorted(unchanged)))
    by_key: dict[Dims, list[tuple[tuple[str, ...], int | None]]] = {}
    for ident, shown in previous.cells.items():
        key, values = parse_cell(ident)
        if any(d not in lattice.dims for d in key):
            continue
        orgs = {values[key.index(ORGANISATION)]} if ORGANISATION in key else everyone
        if not orgs <= unchanged:
            continue
        by_key.setdefault(key, []).append((values, shown))
    rows: list[tuple[np.ndarray, float, float]] = []
    for key, cells in by_key.items():
        if key:
            frame = pl.DataFrame(
                [list(v) for v, _ in cells], schema=list(key), orient="row"
            ).with_row_index("_cell")
            hit = kept.select(["_var", *key]).join(frame, on=list(key))
            grouped = hit.group_by("_cell").agg(pl.col("_var"))
            beneath = dict(zip(grouped["_cell"], grouped["_var"].to_list(), strict=True))
        else:
            beneath = {0: kept["_var"].to_list()}
        for i, (_, shown) in enumerate(cells):
            variables = np.array(beneath.get(i, []), dtype=np.int64)
            if not variables.size:
                continue
            if shown is None:
                rows.append((variables, 1.0, math.inf))
            else:
                allowed = possible_counts(shown, policy)
                rows.append((variables, float(min(allowed)), float(max(allowed))))
    return rows


@dataclass(frozen=True)
class _Difference:
    key: Dims
    cell: tuple[str, ...]
    value: int
    support_vars: np.ndarray


def protect_across(
    lattice: Lattice,
    previous: PublishedVersion,
    *,
    max_rounds: int = 10,
    max_unknowns: int = 50_000,
) -> dict[str, int]:
    """Suppress further cells of ``lattice`` until neither a primary suppression nor a
    difference cell (records of organisations new since ``previous`` beneath a cell,
    1..k-1 of them) can be narrowed by everything both versions publish.  Returns counts
    (targets audited, cells added, rounds); refuses with :class:`ProtectionFailed`."""
    stats = {"differences": 0, "primaries": 0, "added": 0, "rounds": 0}
    if ORGANISATION not in lattice.dims:
        return stats
    now = fingerprints(lattice)
    unchanged = {o for o, fp in now.items() if previous.organisations.get(o) == fp}
    newcomers = {o for o in now if o not in previous.organisations}
    if not (set(previous.organisations) & unchanged):
        return stats  # nothing the two versions share: each is protected on its own
    k = lattice.policy.threshold
    support = joint_support(lattice, max_unknowns)
    extra = _previous_rows(lattice, support, previous, unchanged)
    movable = lattice.joint[ORGANISATION].is_in(sorted(newcomers)).to_numpy()
    differences = _differences(lattice, support, newcomers)
    stats["differences"] = len(differences)
    again: set[tuple[Dims, tuple[str, ...]]] | None = None
    for _ in range(max_rounds):
        stats["rounds"] += 1
        polytope, targets = system(lattice, support, cells=again, extra=extra)
        stats["primaries"] = max(stats["primaries"], len(targets))
        failing: list[tuple[Interval, int]] = []
        for key, label, value, primary, variables in targets:
            low, high = polytope.interval(variables)
            if high - low < lattice.policy.width - TOLERANCE:
                failing.append((Interval(key, label, value, primary, low, high), 0))
        for d in differences:
            if again is not None and (d.key, d.cell) not in again:
                continue
            low, high = polytope.interval(d.support_vars)
            if math.ceil(low - TOLERANCE) >= 1 and math.floor(high + TOLERANCE) <= k - 1:
                # An exchange n_v + n_z - 2 >= k - 1 wide cannot fit inside 1..k-1.
                failing.append((Interval(d.key, d.cell, d.value, True, low, high), k - 1))
        if not failing:
            return stats
        again = {(i.table, i.cell) for i, _ in failing}
        partners = _Partners(lattice)
        new = sum(partners.free(i, width=w or None, movable=movable) for i, w in failing)
        if new == 0:
            break
        partners.write()
        stats["added"] += new
        lattice.secondary()
    raise ProtectionFailed(
        "the public tables cannot be protected against the previous published version "
        f"within {max_rounds} audit rounds; nothing is published"
    )


def _differences(lattice: Lattice, support: pl.DataFrame, newcomers: set[str]) -> list[_Difference]:
    """Cells without the organisation dimension where the newcomers hold 1..k-1 records,
    with the newcomers' variables beneath each."""
    if not newcomers:
        return []
    k = lattice.policy.threshold
    theirs = lattice.joint.filter(pl.col(ORGANISATION).is_in(sorted(newcomers)))
    their_vars = support.filter(pl.col(ORGANISATION).is_in(sorted(newcomers)))
    out: list[_Difference] = []
    for key in lattice.tables:
        if ORGANISATION in key:
            continue  # a newcomer's own cells are cells of the new version: its primaries
        if key:
            counts = theirs.group_by(list(key)).agg(pl.col("n").sum())
            small = counts.filter((pl.col("n") >= 1) & (pl.col("n") < k))
            if small.height == 0:
                continue
            hit = their_vars.select(["_var", *key]).join(small, on=list(key))
            grouped = hit.group_by(list(key)).agg(pl.col("_var"), pl.col("n").first())
            for row in grouped.iter_rows(named=True):
                out.append(
                    _Difference(
                        key,
                        tuple(str(row[d]) for d in key),
                        int(row["n"]),
                        np.array(row["_var"], dtype=np.int64),
                    )
                )
        else:
            total = int(theirs["n"].sum())
            if 1 <= total < k:
                out.append(_Difference((), (), total, their_vars["_var"].to_numpy()))
    return out
