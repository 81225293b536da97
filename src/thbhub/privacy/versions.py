"""Protecting a new data version of the public tables against every earlier published one.

The cell key method (:mod:`thbhub.privacy.cellkey`) makes one cell's two published numbers
useless for subtraction, but a visitor who saved every cell of every version can combine
*all* of them by linear programming (benchmarks/privacy_versions.py).  This module and
:mod:`thbhub.privacy.versions_lp` close that for every kind of change between versions:
an organisation starting to publish, importing more, withdrawing records, stopping.

* What each version published is kept (:class:`PublishedVersion`, stored by
  :mod:`thbhub.storage.privacy`): every non-zero cell's published number (or "suppressed"),
  and the *class structure*: the true count of every combination of the published
  dimensions (the lattice's joint table; no identifiers, no record ids).
* Records are identified across versions by their values and rank, as the cell key method
  identifies them (a record key is a keyed hash of the values and the rank among records
  with those values): the i-th record of a combination is in every version whose count of
  that combination exceeds i.  So each combination splits into *membership classes*, one
  per set of versions (a bit mask, bit 0 the new version): shared, added, withdrawn, and
  their patterns across all kept versions (:func:`classes`).
* The audit (:func:`thbhub.privacy.versions_lp.protect_across`) has one unknown per
  combination and membership class of its organisation, constrains it by every kept
  version's published cells, and targets every new primary suppression and every
  *difference cell*: for every cell and every two versions, the records beneath it that
  are in one and not in the other, when that is 1..k-1.

Versions stored before migration privacy_0004 have no class structure; they are used as
before (only organisations whose records are unchanged, by their fingerprint).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from thbhub.privacy.cellkey import UNKEYED
from thbhub.privacy.lattice import Dims, Lattice

ORGANISATION = "organisation"


@dataclass(frozen=True)
class PublishedVersion:
    """What one data version of the public tables published: ``cells`` maps every non-zero
    cell (:func:`cell_id`) to its published number, ``None`` if suppressed;
    ``organisations`` maps each organisation in it to its records' fingerprint; ``joint``
    is its class structure, ``{"dims": [...], "rows": [[value, ..., count], ...]}`` (None for
    a version stored before privacy_0004)."""

    label: str
    cells: dict[str, int | None]
    organisations: dict[str, str]
    joint: dict[str, Any] | None = field(default=None, repr=False)


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
    """What ``lattice`` publishes (its non-zero cells; zeros are the cells not listed), with
    its class structure."""
    from thbhub.privacy.gate import shown_count  # the gate imports this module

    cells: dict[str, int | None] = {}
    for key, table in lattice.tables.items():
        for row in table.iter_rows(named=True):
            values = tuple(str(row[d]) for d in key)
            cells[cell_id(key, values)] = (
                None if row["sup"] else shown_count(int(row["n"]), int(row["ck"]), lattice.policy)
            )
    joint = {
        "dims": list(lattice.dims),
        "rows": [list(r) for r in lattice.joint.select([*lattice.dims, "n"]).iter_rows()],
    }
    return PublishedVersion(label, cells, fingerprints(lattice), joint)


@dataclass(frozen=True)
class Earlier:
    """One kept version as the audit uses it: its published cells by table, its true counts
    per combination, and the organisations whose records in it are not known (a version
    stored before privacy_0004: those whose records changed since); cells touching them
    are left out."""

    label: str
    tables: dict[Dims, list[tuple[tuple[str, ...], int | None]]]
    counts: pl.DataFrame
    unknown: frozenset[str]


def earlier(lattice: Lattice, history: Sequence[PublishedVersion]) -> list[Earlier]:
    """The kept versions the new ``lattice`` is audited against (newest first); a version
    over other dimensions than the lattice's is skipped (docs/privacy.md)."""
    dims = lattice.dims
    schema = {d: pl.Utf8 for d in dims} | {"n": pl.Int64}
    current = lattice.joint.select([*dims, "n"])
    now = fingerprints(lattice)
    out: list[Earlier] = []
    for version in history:
        unknown: frozenset[str] = frozenset()
        if version.joint is not None:
            if tuple(version.joint["dims"]) != dims:
                continue
            counts = pl.DataFrame(version.joint["rows"], schema=schema, orient="row")
        else:  # stored before privacy_0004: only unchanged organisations are known
            same = sorted(o for o, fp in version.organisations.items() if now.get(o) == fp)
            unknown = frozenset(version.organisations) - set(same)
            counts = current.filter(pl.col(ORGANISATION).is_in(same))
        tables: dict[Dims, list[tuple[tuple[str, ...], int | None]]] = {}
        for ident, shown in version.cells.items():
            key, values = parse_cell(ident)
            if any(d not in dims for d in key):
                continue
            if unknown and (ORGANISATION not in key or values[key.index(ORGANISATION)] in unknown):
                continue
            tables.setdefault(key, []).append((values, shown))
        out.append(Earlier(version.label, tables, counts, unknown))
    return out


def classes(lattice: Lattice, history: Sequence[Earlier]) -> pl.DataFrame:
    """Per combination of the lattice's dimensions, the records of each membership class:
    columns the dimensions, ``pattern`` (bit 0: in the new version, bit i: in
    ``history[i - 1]``) and ``n``.  The i-th record of a combination is in every version
    that holds more than i of them."""
    dims = list(lattice.dims)
    wide = lattice.joint.select([*dims, pl.col("n").alias("n0")])
    for i, version in enumerate(history, start=1):
        wide = wide.join(version.counts.rename({"n": f"n{i}"}), on=dims, how="full", coalesce=True)
    names = [f"n{i}" for i in range(len(history) + 1)]
    wide = wide.with_columns([pl.col(c).fill_null(0) for c in names])
    index, patterns, sizes = [], [], []
    for row, counts in enumerate(wide.select(names).iter_rows()):
        below = 0
        for level in sorted({c for c in counts if c > 0}):
            index.append(row)
            patterns.append(sum(1 << v for v, c in enumerate(counts) if c >= level))
            sizes.append(level - below)
            below = level
    picked = wide.select(dims)[index] if index else wide.select(dims).clear()
    return picked.with_columns(
        pattern=pl.Series(patterns, dtype=pl.Int64), n=pl.Series(sizes, dtype=pl.Int64)
    )
