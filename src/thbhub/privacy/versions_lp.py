"""The joint audit of a new version of the public tables against every kept earlier one.

The attacker modelled (docs/privacy.md, *Protecting each version against every earlier
one*) saved every kept version.  Unknowns: for every combination of the published
dimensions that the published zeros of every version of a class allow, one count per
membership class of its organisation (:func:`thbhub.privacy.versions.classes`; the
attacker is granted which classes an organisation's records fall into, not where).
Constraints: every version's published cells, the new one's included, as ranges over the
classes present in it, as a visitor reads them (:func:`thbhub.privacy.cellkey.possible_counts`;
a suppressed cell at least 1).  Targets:

* every primary suppression of the new version: never pinned to 1..k-1 (its greatest value
  at least k; its interval against the new version alone, taken exact, is at least the
  protection width by the single-version audit).  Across versions width k cannot always be
  had: after a withdrawal, the records left beneath a cell are among those the earlier
  version counted there, so its published number caps them whatever the new version
  suppresses, and asking for it spun the rounds until the version was refused;
* every *difference cell*: for every cell of every table and every two versions a, b, the
  records beneath it in a and not in b, when that is 1..k-1: never pinned to 1..k-1.

A failing target gets more suppression in the new version (the earlier ones are out),
cheapest repair first:

* a difference between the new version and a kept one with a *witness*
  (:mod:`thbhub.privacy.versions_witness`: the withdrawn records kept, the added ones not
  added, within what the new version's published numbers allow): exactly the cells whose
  numbers exclude the witness are suppressed.  A target whose witness holds already is
  not solved at all;
* a *raising* exchange (:meth:`~thbhub.privacy.versions_witness.Witnesses.raising`: kept
  records beneath the cell withdrawn instead and as many withdrawn ones elsewhere kept, or
  the reverse for a primary), so that the greatest value reaches k: the cells whose
  numbers exclude it are suppressed (the cheaper of this and the witness is taken);
* otherwise the published cells of the new version that the LP's failing bound rests on
  (non-zero row duals) are suppressed, and the target solved again, up to
  :data:`MAX_RELAXATIONS` times;
* otherwise, as before: records only the new version holds are exchanged with a partner
  combination (:class:`thbhub.privacy.audit._Partners`, counting only those records, so no
  earlier version sees the exchange), n_v + n_z - 2 wide; else every combination beneath
  the target holding its records is *isolated* in the new version (every cell containing
  it suppressed).

Every cell these repairs suppress holds k or more records (the new version's cells below
k are suppressed already), and secondary suppressions are not protected (docs/privacy.md),
so the relation rules (:meth:`Lattice.secondary`) are not applied again after them: they
only suppressed more, which isolation had turned into a cascade (a third of the CTDC
file's cells).  Suppression only grows, so an interval only widens; the rounds are
bounded, and a version that cannot be protected is refused (:class:`ProtectionFailed`),
never published.

Speed: each round's LP leaves out rows that cannot bind (a suppressed cell's "at least 1"
when a finer table's cell beneath it says as much; a row over the same unknowns as another,
as an unchanged organisation's cells are in every version), and solves one side of a
target first (:func:`_pinned`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from itertools import permutations

import numpy as np
import polars as pl

from thbhub.privacy.audit import AuditTooLarge, Interval, _Partners, joint_support
from thbhub.privacy.lattice import Dims, Lattice, ProtectionFailed
from thbhub.privacy.versions import ORGANISATION, Earlier, PublishedVersion, classes, earlier
from thbhub.privacy.versions_solve import (
    _bit,
    _earlier_tables,
    _joint,
    _pinned,
    _relax,
    _Rows,
    _rows,
    _Target,
)
from thbhub.privacy.versions_witness import Witnesses

log = logging.getLogger(__name__)

#: An earlier version's combinations may number this many times the single-version bound.
EARLIER_SUPPORT_FACTOR = 5
#: The joint audit's unknowns (combinations x membership classes) beyond which a new
#: version is refused rather than published unaudited against the earlier ones.
MAX_CLASS_UNKNOWNS = 200_000


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
    primary_width: bool = False,
) -> dict[str, int]:
    """Suppress further cells of ``lattice`` until neither a primary suppression nor a
    difference cell can be narrowed by everything the new version and the kept earlier
    ones (``history``, newest first) publish.  Returns counts (versions, unknowns, targets
    audited, cells added, rounds); refuses with :class:`ProtectionFailed`.

    ``primary_width``: hold primaries to the full protection width, not only to "not pinned
    below k" (the insight lattices' audit, whose model of the visitor is coarser than the
    visitor: privacy/extension_versions.py)."""
    stats = {"versions": 0, "unknowns": 0, "differences": 0, "primaries": 0, "added": 0}
    stats["rounds"] = 0
    if ORGANISATION not in lattice.dims or not history or lattice.joint.height == 0:
        return stats
    kept = earlier(lattice, history)
    if not kept:
        return stats
    found = classes(lattice, kept)
    variables = _variables(lattice, kept, found, max_unknowns)
    fixed_rows: list[np.ndarray] = []
    fixed_cols: list[np.ndarray] = []
    fixed_lows: list[np.ndarray] = []
    fixed_highs: list[np.ndarray] = []
    fixed_sizes: list[np.ndarray] = []
    first = 0
    for bit, version in enumerate(kept, start=1):
        rows, cols, lows, highs, first, sizes = _rows(
            variables, bit, _earlier_tables(version, lattice), first
        )
        if version.unknown:  # some cells over no unknown: keep every row (see _Rows)
            sizes = np.full(sizes.size, lattice.order, dtype=np.int64)
        fixed_rows += rows
        fixed_cols += cols
        fixed_lows.append(lows)
        fixed_highs.append(highs)
        fixed_sizes.append(sizes)
    fixed = _Rows.build(
        fixed_rows,
        fixed_cols,
        fixed_lows,
        fixed_highs,
        fixed_sizes,
        first,
        variables.height,
        lattice.order,
    )
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
    # A difference target between the new version and a kept one whose witness holds is
    # not pinned, whatever the LP would say (privacy/versions_witness.py): only the others
    # are solved, and a failing one with a witness gets exactly the cells it needs.
    witnesses = Witnesses(lattice, found, variables)
    changes = {
        i: witnesses.change(t.key, t.cell, t.pair) for i, t in enumerate(targets) if not t.primary
    }
    again = list(range(len(targets)))
    raised: set[int] = set()  # targets proven by a raising exchange (Witnesses.raising)
    k, width = lattice.policy.threshold, lattice.policy.width
    log.debug("audit across: %s", stats)
    for _ in range(max_rounds):
        stats["rounds"] += 1
        started = time.perf_counter()
        witnesses.read()
        pending: list[int] = []
        blocked: dict[int, np.ndarray] = {}
        for i in again:
            if i in raised:  # its exchange's cells are suppressed: it is proven
                stats["witnessed"] = stats.get("witnessed", 0) + 1
                continue
            change = changes.get(i)
            cells = None if change is None else witnesses.blocking(change)
            if cells is not None and cells.size == 0:
                stats["witnessed"] = stats.get("witnessed", 0) + 1
                continue
            if cells is not None:
                blocked[i] = cells
            pending.append(i)
        joint = _joint(lattice, variables, first, fixed) if pending else None
        failing: dict[int, list[float]] = {}
        for i in pending:
            assert joint is not None
            sides = _pinned(joint, targets[i], k, width, primary_width)
            if sides:
                failing[i] = sides
        log.debug(
            "round %d: %d of %d targets solved in %.1f s, %d failing (%d primary, %d with "
            "a witness); by pair %s; by table %s",
            stats["rounds"],
            len(pending),
            len(again),
            time.perf_counter() - started,
            len(failing),
            sum(targets[i].primary for i in failing),
            sum(i in blocked for i in failing),
            _tally(targets[i].pair for i in failing if not targets[i].primary),
            _tally(targets[i].key for i in failing),
        )
        if not failing:
            return stats
        # Suppression only grows, so an interval only widens: only failing targets again.
        again = list(failing)
        # Repairs, cheapest first: the cells a witness needs; the published cells the LP's
        # bounds rest on; the older exchanges and isolation.
        new = 0
        rest: list[_Target] = []
        published = ~witnesses.sup
        witnessed = relaxed = 0
        for i in failing:
            t = targets[i]
            amount = k - t.value
            up = witnesses.raising(t.key, t.cell, t.pair, t.primary, amount)
            if up is not None and (i not in blocked or up.size < blocked[i].size):
                blocked[i] = up
                raised.add(i)
                stats["raised"] = stats.get("raised", 0) + 1
            if i in blocked:
                cells = blocked[i]
                witnessed += witnesses.suppress(cells)
                published[cells] = False
                assert joint is not None
                joint.relax(cells)
                continue
            assert joint is not None
            if log.isEnabledFor(logging.DEBUG):  # the interval, for the per-target log
                low = joint.least(t.variables, 1.0)
                high = -joint.least(t.variables, -1.0)
                log.debug(
                    "failing %s %s n=%d pair=%s primary=%s witness=%s: [%.2f, %.2f]",
                    t.key,
                    t.cell,
                    t.value,
                    t.pair,
                    t.primary,
                    changes.get(i) is not None,
                    low,
                    high,
                )
            cells, done = _relax(joint, targets[i], published, k, width, primary_width)
            relaxed += witnesses.suppress(cells)
            if not done:
                rest.append(targets[i])
        stats["witness_cells"] = stats.get("witness_cells", 0) + witnessed
        stats["relaxed_cells"] = stats.get("relaxed_cells", 0) + relaxed
        new = witnessed + relaxed
        witnesses.write()
        if rest:
            isolated = _repair(lattice, rest, found, variables, fresh)
            stats["isolated"] = stats.get("isolated", 0) + isolated
            new += isolated
        log.debug(
            "round %d: %d cells suppressed by the repair (%d targets to the older ones)",
            stats["rounds"],
            new,
            len(rest),
        )
        if new == 0:
            break
        stats["added"] += new
        # No lattice.secondary() here: see the module docstring.
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


def _tally(items: Iterable[object]) -> dict[str, int]:
    out: dict[str, int] = {}
    for item in items:
        out[str(item)] = out.get(str(item), 0) + 1
    return dict(sorted(out.items(), key=lambda kv: -kv[1])[:8])
