"""The joint audit of a new version of the public tables against every kept earlier one.

The attacker modelled (docs/privacy.md, *Protecting each version against every earlier
one*) saved every kept version.  Unknowns: for every combination of the published
dimensions that the published zeros of every version of a class allow, one count per
membership class of its organisation (:func:`thbhub.privacy.versions.classes`; the
attacker is granted which classes an organisation's records fall into, not where).
Constraints: every version's published cells, the new one's included, as ranges over the
classes present in it, as a visitor reads them (:func:`thbhub.privacy.cellkey.possible_counts`;
a suppressed cell at least 1).  Targets:

* every primary suppression of the new version: interval at least the protection width;
* every *difference cell*: for every cell of every table and every two versions a, b, the
  records beneath it in a and not in b, when that is 1..k-1: never pinned to 1..k-1.

A failing target gets more suppression in the new version (the earlier ones are out):

* records only the new version holds (added since every earlier version) are exchanged
  with a partner combination (:class:`thbhub.privacy.audit._Partners`, counting only those
  records, so no earlier version sees the exchange), n_v + n_z - 2 wide;
* otherwise (withdrawn records, records shared with some earlier versions, or no partner)
  every combination beneath the target holding its records is *isolated* in the new
  version: every cell containing it is suppressed, so the new version says only "at least
  1" about it, and its classes can trade records unseen (a withdrawn record becomes a
  shared one, an added one grows without bound).

Suppression only grows, so an interval only widens; the rounds are bounded, and a version
that cannot be protected is refused (:class:`ProtectionFailed`), never published.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import permutations

import numpy as np
import polars as pl
from scipy import sparse

from thbhub.privacy.audit import TOLERANCE, AuditTooLarge, Interval, _Partners, joint_support
from thbhub.privacy.cellkey import noise, possible_counts
from thbhub.privacy.lattice import Dims, Lattice, ProtectionFailed
from thbhub.privacy.polytope import Polytope
from thbhub.privacy.versions import ORGANISATION, Earlier, PublishedVersion, classes, earlier

#: An earlier version's combinations may number this many times the single-version bound.
EARLIER_SUPPORT_FACTOR = 5
#: The joint audit's unknowns (combinations x membership classes) beyond which a new
#: version is refused rather than published unaudited against the earlier ones.
MAX_CLASS_UNKNOWNS = 200_000


@dataclass(frozen=True)
class _Target:
    key: Dims
    cell: tuple[str, ...]
    value: int
    variables: np.ndarray
    primary: bool
    #: versions (a, b) of a difference cell: records in a and not in b
    pair: tuple[int, int] = (0, 0)


def _bit(column: str, bit: int) -> pl.Expr:
    return (pl.col(column) & (1 << bit)) != 0


def _support(
    version: Earlier, lattice: Lattice, fallback: pl.DataFrame, bound: int
) -> pl.DataFrame:
    """The combinations the published zeros of an earlier version allow."""
    if version.unknown:  # stored before privacy_0004: its known records are the new ones
        return fallback
    frames: dict[Dims, pl.DataFrame] = {
        key: pl.DataFrame([list(v) for v, _ in cells], schema=list(key), orient="row")
        for key, cells in version.tables.items()
        if key
    }
    dims, policy = lattice.dims, lattice.policy
    if any((d,) not in frames for d in dims):
        return fallback.clear()
    fake = Lattice(dims=dims, order=0, policy=policy, categories={}, tables=frames)
    try:
        return joint_support(fake, EARLIER_SUPPORT_FACTOR * bound).drop("_var")
    except AuditTooLarge as exc:  # never publish unaudited against a kept version
        raise ProtectionFailed(
            f"a kept earlier version of the public tables ({version.label[:12]}) allows too "
            "many combinations to audit against; nothing new is published"
        ) from exc


def _variables(
    lattice: Lattice, kept: list[Earlier], found: pl.DataFrame, bound: int
) -> pl.DataFrame:
    """One unknown per combination and membership class of its organisation, where every
    version of the class allows the combination: columns the dimensions, ``pattern``,
    ``_var``."""
    dims = list(lattice.dims)
    now = joint_support(lattice, bound).drop("_var")
    supports = [now] + [_support(e, lattice, now, bound) for e in kept]
    parts = []
    per_org = found.group_by(ORGANISATION).agg(pl.col("pattern").unique().sort())
    for org, patterns in per_org.iter_rows():
        for pattern in patterns:
            cells: pl.DataFrame | None = None
            for v, support in enumerate(supports):
                if pattern >> v & 1:
                    mine = support.filter(pl.col(ORGANISATION) == org)
                    cells = mine if cells is None else cells.join(mine, on=dims, how="semi")
            assert cells is not None  # a class holds at least one version
            parts.append(cells.with_columns(pattern=pl.lit(pattern, dtype=pl.Int64)))
    variables = (
        pl.concat(parts) if parts else pl.DataFrame(schema={**now.schema, "pattern": pl.Int64})
    )
    if variables.height > MAX_CLASS_UNKNOWNS:
        raise ProtectionFailed(
            f"protecting the public tables against the {len(kept)} kept earlier version(s) "
            f"needs {variables.height:,} unknowns, more than {MAX_CLASS_UNKNOWNS:,}; nothing "
            "new is published (docs/privacy.md)"
        )
    return variables.with_row_index("_var")


def _rows(
    variables: pl.DataFrame, bit: int, tables: dict[Dims, pl.DataFrame], first: int
) -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray, np.ndarray, int]:
    """Constraint rows from ``first``: one per cell of ``tables`` (key columns, ``lo``,
    ``hi``) over the unknowns of the classes holding version ``bit``."""
    mine = variables.filter(_bit("pattern", bit))
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    lows: list[np.ndarray] = []
    highs: list[np.ndarray] = []
    row = first
    for key, table in tables.items():
        if table.height == 0:
            continue
        labelled = table.with_row_index("_cell")
        if key:
            hit = mine.select(["_var", *key]).join(labelled.select([*key, "_cell"]), on=list(key))
        else:
            hit = mine.select("_var").with_columns(_cell=pl.lit(0, dtype=pl.UInt32))
        cell = hit["_cell"].to_numpy().astype(np.int64)
        low = table["lo"].to_numpy().astype(float)
        # A cell over no unknown (its records unknown, a version before privacy_0004) says
        # nothing the audit can use.
        low[np.bincount(cell, minlength=table.height) == 0] = 0.0
        rows.append(row + cell)
        cols.append(hit["_var"].to_numpy().astype(np.int64))
        lows.append(low)
        highs.append(table["hi"].to_numpy().astype(float))
        row += table.height
    return (
        rows,
        cols,
        np.concatenate(lows or [np.zeros(0)]),
        np.concatenate(highs or [np.zeros(0)]),
        row,
    )


def _earlier_tables(version: Earlier, lattice: Lattice) -> dict[Dims, pl.DataFrame]:
    policy = lattice.policy
    out: dict[Dims, pl.DataFrame] = {}
    for key, cells in version.tables.items():
        lows, highs = [], []
        for _, shown in cells:
            if shown is None:
                lows.append(1.0)
                highs.append(math.inf)
            else:
                allowed = possible_counts(shown, policy)
                lows.append(float(min(allowed)))
                highs.append(float(max(allowed)))
        bounds = {"lo": pl.Series(lows, dtype=pl.Float64), "hi": pl.Series(highs, dtype=pl.Float64)}
        if key:
            frame = pl.DataFrame([list(v) for v, _ in cells], schema=list(key), orient="row")
            out[key] = frame.with_columns(**bounds)
        else:
            out[key] = pl.DataFrame(bounds)
    return out


def _new_tables(lattice: Lattice) -> dict[Dims, pl.DataFrame]:
    """The new version's cells as a visitor reads them: a published number as the true
    counts it allows (it is known here, from the count and the cell key), a suppressed
    cell as at least 1.  Taking them as exact (as the single-version audit does) pinned the
    difference of one record added beneath the grand total through the other cells, and
    suppressed the total; the visitor never has the exact numbers."""
    policy = lattice.policy
    k, bound = policy.threshold, policy.noise_bound
    allowed: dict[int, tuple[float, float]] = {}
    out: dict[Dims, pl.DataFrame] = {}
    for key, table in lattice.tables.items():
        lows, highs = [], []
        for n, ck, sup in table.select("n", "ck", "sup").iter_rows():
            if sup:
                lows.append(1.0)
                highs.append(math.inf)
                continue
            shown = policy.round(int(n) + noise(int(n), int(ck), k, bound))
            if shown not in allowed:
                counts = possible_counts(shown, policy)
                allowed[shown] = (float(min(counts)), float(max(counts)))
            low, high = allowed[shown]
            lows.append(low)
            highs.append(high)
        bounds = {"lo": pl.Series(lows, dtype=pl.Float64), "hi": pl.Series(highs, dtype=pl.Float64)}
        out[key] = table.select(list(key)).with_columns(**bounds) if key else pl.DataFrame(bounds)
    return out


def _differences(
    lattice: Lattice, kept: list[Earlier], found: pl.DataFrame, variables: pl.DataFrame
) -> list[_Target]:
    """Every cell of every table where 1..k-1 records are in one version and not in
    another, with the unknowns of those classes beneath it (one target per distinct set
    of unknowns)."""
    k = lattice.policy.threshold
    out: list[_Target] = []
    seen: set[bytes] = set()
    versions = len(kept) + 1
    for a, b in permutations(range(versions), 2):
        unknown = set().union(*(kept[v - 1].unknown for v in (a, b) if v > 0))
        moved = found.filter(_bit("pattern", a) & ~_bit("pattern", b))
        theirs = variables.filter(_bit("pattern", a) & ~_bit("pattern", b))
        if unknown:  # a version before privacy_0004 does not know these organisations
            moved = moved.filter(~pl.col(ORGANISATION).is_in(sorted(unknown)))
            theirs = theirs.filter(~pl.col(ORGANISATION).is_in(sorted(unknown)))
        if moved.height == 0:
            continue
        for key in lattice.tables:
            if key:
                counts = moved.group_by(list(key)).agg(pl.col("n").sum())
            else:
                counts = moved.select(pl.col("n").sum())
            small = counts.filter((pl.col("n") >= 1) & (pl.col("n") < k))
            if small.height == 0:
                continue
            if key:
                hit = theirs.select(["_var", *key]).join(small, on=list(key))
                grouped = hit.group_by(list(key)).agg(pl.col("_var"), pl.col("n").first())
            else:
                grouped = pl.DataFrame(
                    {"_var": [theirs["_var"].to_list()], "n": [int(small["n"][0])]}
                )
            for row in grouped.iter_rows(named=True):
                beneath = np.sort(np.array(row["_var"], dtype=np.int64))
                digest = beneath.tobytes()
                if digest in seen:
                    continue
                seen.add(digest)
                label = tuple(str(row[d]) for d in key)
                out.append(_Target(key, label, int(row["n"]), beneath, False, (a, b)))
    return out


def _primaries(lattice: Lattice, variables: pl.DataFrame) -> list[_Target]:
    """The new version's primary suppressions, over the unknowns of the classes in it."""
    mine = variables.filter(_bit("pattern", 0))
    out: list[_Target] = []
    for key, table in lattice.tables.items():
        cells = table.filter(pl.col("primary") & pl.col("sup"))
        if cells.height == 0:
            continue
        if key:
            grouped = (
                mine.select(["_var", *key])
                .join(cells.select([*key, "n"]), on=list(key))
                .group_by(list(key))
                .agg(pl.col("_var"), pl.col("n").first())
            )
        else:
            grouped = pl.DataFrame({"_var": [mine["_var"].to_list()], "n": [int(cells["n"][0])]})
        for row in grouped.iter_rows(named=True):
            label = tuple(str(row[d]) for d in key)
            out.append(
                _Target(key, label, int(row["n"]), np.array(row["_var"], dtype=np.int64), True)
            )
    return out


def _isolate(lattice: Lattice, combos: pl.DataFrame) -> int:
    """Suppress every cell of the new version containing one of ``combos``; returns the
    number of cells newly suppressed."""
    if combos.height == 0:
        return 0
    before = sum(int(t["sup"].sum()) for t in lattice.tables.values())
    for key, table in lattice.tables.items():
        if key:
            marker = combos.select(list(key)).unique().with_columns(_hit=pl.lit(True))
            table = (
                table.join(marker, on=list(key), how="left", maintain_order="left")
                .with_columns(sup=pl.col("sup") | pl.col("_hit").fill_null(False))
                .drop("_hit")
            )
        else:
            table = table.with_columns(sup=pl.lit(True))
        lattice.tables[key] = table
    return sum(int(t["sup"].sum()) for t in lattice.tables.values()) - before


def protect_across(
    lattice: Lattice,
    history: Sequence[PublishedVersion],
    *,
    max_rounds: int = 10,
    max_unknowns: int = 50_000,
) -> dict[str, int]:
    """Suppress further cells of ``lattice`` until neither a primary suppression nor a
    difference cell can be narrowed by everything the new version and the kept earlier
    ones (``history``, newest first) publish.  Returns counts (versions, unknowns, targets
    audited, cells added, rounds); refuses with :class:`ProtectionFailed`."""
    stats = {"versions": 0, "unknowns": 0, "differences": 0, "primaries": 0, "added": 0}
    stats["rounds"] = 0
    if ORGANISATION not in lattice.dims or not history or lattice.joint.height == 0:
        return stats
    kept = earlier(lattice, history)
    if not kept:
        return stats
    k = lattice.policy.threshold
    found = classes(lattice, kept)
    variables = _variables(lattice, kept, found, max_unknowns)
    fixed_rows: list[np.ndarray] = []
    fixed_cols: list[np.ndarray] = []
    fixed_lows: list[np.ndarray] = []
    fixed_highs: list[np.ndarray] = []
    first = 0
    for bit, version in enumerate(kept, start=1):
        rows, cols, lows, highs, first = _rows(
            variables, bit, _earlier_tables(version, lattice), first
        )
        fixed_rows += rows
        fixed_cols += cols
        fixed_lows.append(lows)
        fixed_highs.append(highs)
    differences = _differences(lattice, kept, found, variables)
    primaries = _primaries(lattice, variables)
    targets = primaries + differences
    stats |= {
        "versions": len(kept),
        "unknowns": variables.height,
        "differences": len(differences),
        "primaries": len(primaries),
    }
    # Records only the new version holds: the ones an exchange can move unseen by the
    # earlier versions, per combination of the lattice's joint table.
    only_new = found.filter(pl.col("pattern") == 1).select(
        [*lattice.dims, pl.col("n").alias("_only")]
    )
    fresh = (
        lattice.joint.select(list(lattice.dims))
        .join(only_new, on=list(lattice.dims), how="left", maintain_order="left")["_only"]
        .fill_null(0)
        .to_numpy()
    )
    again: list[_Target] = targets
    for _ in range(max_rounds):
        stats["rounds"] += 1
        rows, cols, lows, highs, total = _rows(variables, 0, _new_tables(lattice), first)
        matrix = sparse.csr_matrix(
            (
                np.ones(sum(c.size for c in fixed_cols + cols)),
                (np.concatenate(fixed_rows + rows), np.concatenate(fixed_cols + cols)),
            ),
            shape=(total, variables.height),
        )
        polytope = Polytope(
            matrix,
            np.concatenate([*fixed_lows, lows]),
            np.concatenate([*fixed_highs, highs]),
        )
        failing: list[_Target] = []
        for target in again:
            low, high = polytope.interval(target.variables)
            if target.primary:
                if high - low < lattice.policy.width - TOLERANCE:
                    failing.append(target)
            elif low > TOLERANCE and high + TOLERANCE < k:  # pinned to 1..k-1
                failing.append(target)
        if not failing:
            return stats
        # Suppression only grows, so an interval only widens: only failing targets again.
        again = failing
        new = _repair(lattice, failing, found, variables, fresh)
        if new == 0:
            break
        stats["added"] += new
        lattice.secondary()
    raise ProtectionFailed(
        "the public tables cannot be protected against the earlier published versions "
        f"within {max_rounds} audit rounds; nothing new is published"
    )


def _repair(
    lattice: Lattice,
    failing: list[_Target],
    found: pl.DataFrame,
    variables: pl.DataFrame,
    fresh: np.ndarray,
) -> int:
    """Suppress more of the new version for each failing target (module docstring)."""
    k = lattice.policy.threshold
    partners = _Partners(lattice)
    partners.counts = fresh  # exchange only records no earlier version holds
    movable = fresh > 0
    dims = list(lattice.dims)
    isolate: list[pl.DataFrame] = []
    new = 0
    for target in failing:
        a = target.pair[0]
        beneath = np.ones(lattice.joint.height, dtype=bool)
        for d, value in zip(target.key, target.cell, strict=True):
            beneath &= (lattice.joint[d] == value).to_numpy()
        if (target.primary or a == 0) and (beneath & movable).any():
            width = lattice.policy.width if target.primary else k - 1
            interval = Interval(target.key, target.cell, target.value, True, 0.0, 0.0)
            new += partners.free(interval, width=width, movable=movable)
            continue
        # The combinations holding the target's records, isolated in the new version.
        mine = variables[target.variables.tolist()].select(dims).unique()
        if target.primary:
            holding = lattice.joint.filter(pl.Series(beneath)).select(dims)
        else:
            a, b = target.pair
            holding = found.filter(_bit("pattern", a) & ~_bit("pattern", b)).select(dims)
        isolate.append(mine.join(holding, on=dims, how="semi"))
    partners.write()
    if isolate:
        new += _isolate(lattice, pl.concat(isolate).unique())
    return new
