"""The visitor who reads every insight lattice of one audience at once, as an attacker
(issue 17, "Gate"): the published cells of the anchor and of every extension lattice
together, fed to the versions attacker's linear program (benchmarks/versions_attack.py:
:func:`attacker_lp`, not a new LP), which asks for every cell of up to three dimensions
with a true count in 1..k-1 whether the program pins it there.

The lattices count different things (records, record and value rows, pairs of means), so
the attack runs in *spaces*, each a set of dimensions in which every cell it reads is a
count of the same units, and each joining the lattices that share those units:

* ``forms``: records over (year, sex, age, citizenship, country, the four form flags): the
  anchor's cells (those without the organisation) and every form lattice's cells, so
  two form lattices are read together;
* ``means``, ``sector``, ``recruiter``: that field's rows over (kind, the field, the four
  form flags, sex, age), where ``kind`` is ``record`` for the one ``(recorded)`` or
  ``(not recorded)`` row of each record and ``value`` for a listed value: the field
  lattice's cells, every form lattice's cells over (its flag, sex, age) and the anchor's
  over (sex, age) as cells of the record rows, and, for the means of control, the pairs
  lattice's diagonal (``a + a``: the records listing ``a``) as the cells of ``a``;
* ``pairs``: the pairs' rows over (pair, the four form flags): the pairs lattice's cells
  and the means lattice's cells of each means ``a`` as the diagonal ``a + a``.

Within a space everything is exact (every equation the attacker uses is true); the spaces
are not joined to each other (e.g. the means and the sector lattices' record rows are the
same records, partitioned differently), so pinning nothing here is evidence, not a proof,
that nothing can be pinned.  ``attacker_lp`` reads the module globals ``DIMS`` and ``ORG``
of benchmarks/versions_attack.py; :func:`in_space` sets them for one call.

    nice -n 19 .venv/bin/python -m benchmarks.insights_attack [--ctdc] [--sample N]
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import polars as pl

from benchmarks import versions_attack
from benchmarks.versions_attack import Cell, attacker_lp
from thbhub.privacy.gate import ProtectedLattice, shown_count
from thbhub.privacy.lattice import encode

AUDIENCE = "audience"
KIND = "kind"
FORMS = (
    "form_sexual_exploitation",
    "form_labour_exploitation",
    "form_forced_criminality",
    "form_other",
)
BASE = ("year", "sex", "age", "citizenship", "country")
TOPICS = ("means", "sector", "recruiter")
RECORD_ROWS = frozenset({"(recorded)", "(not recorded)"})
Saved = dict[Cell, int | None]


@contextlib.contextmanager
def in_space(dims: tuple[str, ...]) -> Iterator[None]:
    """``attacker_lp`` over ``dims`` (the first one plays the organisation: one value)."""
    saved = versions_attack.DIMS, versions_attack.ORG
    versions_attack.DIMS, versions_attack.ORG = dims, dims[0]
    try:
        yield
    finally:
        versions_attack.DIMS, versions_attack.ORG = saved


def cells_of(
    protected: ProtectedLattice,
    *,
    keep: Any = None,
    rename: Mapping[str, Any] | None = None,
    extra: Cell = (),
) -> Saved:
    """What ``protected`` publishes, as the attacker reads it: every non-zero cell's shown
    number (None: suppressed), over the tables ``keep(key)`` accepts, each cell with
    ``extra`` added and its values mapped by ``rename[dimension](value)`` (None: skip)."""
    lattice = protected.lattice
    out: Saved = {}
    for key, table in lattice.tables.items():
        if keep is not None and not keep(key):
            continue
        for row in table.iter_rows(named=True):
            cell = dict(extra)
            skip = False
            for d in key:
                mapped = (rename or {}).get(d)
                if mapped is None:
                    cell[d] = str(row[d])
                    continue
                name_value = mapped(str(row[d]))
                if name_value is None:
                    skip = True
                    break
                cell[name_value[0]] = name_value[1]
            if skip:
                continue
            shown = (
                None if row["sup"] else shown_count(int(row["n"]), int(row["ck"]), protected.policy)
            )
            out[tuple(sorted(cell.items()))] = shown
    return out


def _truth(frame: pl.DataFrame, dims: tuple[str, ...]) -> dict[tuple[str, ...], int]:
    data = encode(frame, dims)
    return {tuple(r[:-1]): int(r[-1]) for r in data.group_by(list(dims)).len().iter_rows()}


def spaces(
    lattices: Mapping[str, ProtectedLattice], frames: Mapping[str, pl.DataFrame]
) -> dict[str, tuple[tuple[str, ...], Saved, dict[tuple[str, ...], int]]]:
    """Per space: its dimensions, the cells the attacker reads there and the true counts.
    ``lattices``: ``anchor`` and the insight lattices by name (a refused one absent);
    ``frames``: the rows of each lattice (:func:`thbhub.insights.lattices.frames`)."""
    anchor = lattices["anchor"]
    out: dict[str, tuple[tuple[str, ...], Saved, dict[tuple[str, ...], int]]] = {}
    aud = ((AUDIENCE, "all"),)
    # forms: records
    dims = (AUDIENCE, *BASE, *(f for f in FORMS if f in lattices))
    saved: Saved = {aud: saved_total(anchor)}
    saved |= cells_of(anchor, keep=lambda key: "organisation" not in key)
    for f in FORMS:
        if f in lattices:
            saved |= cells_of(lattices[f])
    base = frames["base"].with_columns(pl.lit("all").alias(AUDIENCE))
    out["forms"] = (dims, saved, _truth(base, dims))
    # the fields: record and value rows
    for topic in TOPICS:
        if topic not in lattices:
            continue
        dims = (AUDIENCE, KIND, topic, *FORMS, "sex", "age")
        record = ((KIND, "record"),)
        saved = {aud: None, record: saved_total(anchor)}
        saved |= {
            tuple(sorted((*c, *record))): v
            for c, v in cells_of(
                anchor, keep=lambda key: set(key) <= {"sex", "age"} and key != ()
            ).items()
        }
        for f in FORMS:
            if f in lattices:
                saved |= cells_of(
                    lattices[f],
                    keep=lambda key, f=f: f in key and set(key) <= {f, "sex", "age"},
                    extra=record,
                )
        # a value of the field says its kind (a record row or a value row)
        saved |= cells_of(lattices[topic])
        if topic == "means" and "pairs" in lattices:
            # the diagonal a + a: the records listing a (value rows of a)
            saved |= cells_of(
                lattices["pairs"],
                keep=lambda key: "pair" in key,
                rename={"pair": _diagonal},
            )
        rows = frames[topic].with_columns(
            pl.lit("all").alias(AUDIENCE),
            pl.when(pl.col(topic).is_in(list(RECORD_ROWS)))
            .then(pl.lit("record"))
            .otherwise(pl.lit("value"))
            .alias(KIND),
        )
        truth = _truth(rows, dims)
        saved |= _value_twins(saved, truth, dims)
        out[topic] = (dims, saved, truth)
    if "pairs" in lattices:
        # The pairs lattice leaves out the diagonal (insights/lattices.py): its tables
        # without a pair count the off-diagonal rows (kind "pair"); the diagonal rows
        # (kind "diagonal") are the means lattice's records listing each means.
        dims = (AUDIENCE, KIND, "pair", *FORMS)
        saved = {aud: None}
        pairs = lattices["pairs"]
        whole = any(_diagonal(v) for v in pairs.lattice.categories.get("pair", []))
        for c, v in cells_of(pairs).items():
            # (a lattice with the diagonal, as before the joint audit: its margins count both)
            whole_rows = whole or "pair" in dict(c)
            saved[c if whole_rows else tuple(sorted((*c, (KIND, "pair"))))] = v
        if "means" in lattices:
            saved |= cells_of(
                lattices["means"],
                keep=lambda key: "means" in key and set(key) <= {"means", *FORMS},
                rename={"means": lambda v: None if v in RECORD_ROWS else ("pair", f"{v} + {v}")},
            )
        parts = pl.col("pair").str.split(" + ")
        rows = frames["pairs"].with_columns(
            pl.lit("all").alias(AUDIENCE),
            pl.when(parts.list.get(0) == parts.list.get(1))
            .then(pl.lit("diagonal"))
            .otherwise(pl.lit("pair"))
            .alias(KIND),
        )
        if not whole and "means" not in lattices:  # no published cell counts the diagonal
            rows = rows.filter(pl.col(KIND) == "pair")
        truth = _truth(rows, dims)
        saved |= _value_twins(saved, truth, dims, ("pair", "diagonal"))
        for kind in {combo[1] for combo in truth}:  # a pair's kind is read from the pair
            saved.setdefault(((KIND, kind),), None)
        out["pairs"] = (dims, saved, truth)
    return {name: (dims, _one_ways(saved), truth) for name, (dims, saved, truth) in out.items()}


def _one_ways(saved: Saved) -> Saved:
    """Every value met in a non-zero cell, as a one-way cell "at least one" where no
    one-way cell is read (implied by the cell it is met in; ``attacker_lp`` builds its
    unknowns from the one-way cells)."""
    out = dict(saved)
    for cell, shown in saved.items():
        if shown == 0:
            continue
        for pair in cell:
            out.setdefault((pair,), None)
    return out


def _value_twins(
    saved: Saved,
    truth: dict[tuple[str, ...], int],
    dims: tuple[str, ...],
    kinds: tuple[str, str] = ("record", "value"),
) -> Saved:
    """For every record-row cell read, the value rows beside it: "at least one" where
    there are any.  Without them the record-row tables would rule out every value row of
    the attacker's unknowns (a cell not listed is a zero to :func:`attacker_lp`).  This
    tells the attacker which (sex, age, form) combinations hold value rows: a little more
    than the field lattice (of order 2) shows, so this attacker is slightly stronger than
    a visitor."""
    out: Saved = {}
    for cell in saved:
        given = dict(cell)
        if given.get(KIND) != kinds[0]:
            continue
        given[KIND] = kinds[1]
        n = sum(
            count
            for combo, count in truth.items()
            if all(combo[dims.index(d)] == v for d, v in given.items())
        )
        if n:
            out[tuple(sorted(given.items()))] = None
    return out


def saved_total(anchor: ProtectedLattice) -> int | None:
    t = anchor.lattice.tables[()]
    if not t.height:
        return 0
    r = t.row(0, named=True)
    return None if r["sup"] else shown_count(int(r["n"]), int(r["ck"]), anchor.policy)


def _diagonal(value: str) -> tuple[str, str] | None:
    a, _, b = value.partition(" + ")
    return ("means", a) if a == b else None


def attack(
    lattices: Mapping[str, ProtectedLattice],
    frames: Mapping[str, pl.DataFrame],
    sample: int | None = None,
    only: tuple[str, ...] | None = None,
) -> dict[str, dict[str, Any]]:
    """Per space, :func:`attacker_lp`'s answer (``targets``, ``asked``, ``pinned``,
    ``exposed``) for one version."""
    k, bound = _policy(lattices)
    out: dict[str, dict[str, Any]] = {}
    for name, (dims, saved, truth) in spaces(lattices, frames).items():
        if only is not None and name not in only:
            continue
        with in_space(dims):
            # A version 1 with nothing in it: the questions "in version 0, not in 1" are
            # then every cell's own count (attacker_lp asks about differences).
            out[name] = attacker_lp([saved, {}], [truth, {}], k, bound, sample=sample)
    return out


def attack_versions(
    versions: list[tuple[Mapping[str, ProtectedLattice], Mapping[str, pl.DataFrame]]],
    sample: int | None = None,
    only: tuple[str, ...] | None = None,
) -> dict[str, dict[str, Any]]:
    """The visitor who saved every insight number of each version (``versions``: the
    lattices and rows of each, newest first), per space: :func:`attacker_lp` over all of
    them at once, asking for every cell and two versions how many records beneath it are
    in one and not the other (added or withdrawn), when that is 1..k-1."""
    k, bound = _policy(versions[0][0])
    common = set.intersection(*(set(lattices) for lattices, _ in versions))
    built = [
        spaces({n: p for n, p in lattices.items() if n in common}, frames)
        for lattices, frames in versions
    ]
    out: dict[str, dict[str, Any]] = {}
    for name, (dims, _saved, _truth) in built[0].items():
        if only is not None and name not in only:
            continue
        if any(name not in b or b[name][0] != dims for b in built):
            continue  # a lattice refused in one version: nothing of it to combine
        with in_space(dims):
            try:
                out[name] = attacker_lp(
                    [b[name][1] for b in built],
                    [b[name][2] for b in built],
                    k,
                    bound,
                    sample=sample,
                )
            except AssertionError as e:
                raise AssertionError(f"{name}: {e}") from e
    return out


def _policy(lattices: Mapping[str, ProtectedLattice]) -> tuple[int, int]:
    policy = lattices["anchor"].policy
    return policy.threshold, policy.noise_bound


def main() -> int:  # pragma: no cover - run by hand
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ctdc", action="store_true", help="the 47,102-record CTDC file")
    parser.add_argument("--every", type=int, default=1, help="every n-th record of the file")
    parser.add_argument("--sample", type=int, default=None, help="questions per space")
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from insights_joint_support import published_world

    with published_world(ctdc=args.ctdc, every=args.every) as (lattices, frames):
        for name, found in attack(lattices, frames, sample=args.sample).items():
            print(
                f"{name}: {found['targets']} cells with a true count in 1..k-1, "
                f"{found['asked']} asked, {found['pinned']} pinned"
            )
            for e in found["exposed"][:5]:
                print("   ", e)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
