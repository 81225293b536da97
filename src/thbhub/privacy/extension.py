"""Protecting tables that extend an already published lattice (the insights, issue 17).

The public case tables publish one protected lattice over the base dimensions (year, sex,
age, citizenship, country).  Insights publish further tables that *add* a dimension to
those (a form of exploitation, a means of control, ...).  Protected on their own, the same
cell could come out with another noise or another suppression than in the public tables,
and subtracting one release from the other would not be audited.  Here an *extension*
lattice is protected **with the anchor's published cells as fixed knowledge**:

* *record-level* extensions (one row per record, e.g. base dimensions + a form flag): every
  table of the extension over dimensions the anchor has (``shared``) is *pinned*: its
  counts, cell keys and suppression are the anchor's, so it is the same published table.
  Nothing this module does may suppress a pinned cell the anchor publishes (it would not be
  hidden: the anchor shows it); if that were the only way, the tables are refused;
* *row-level* extensions (one row per record and value of a multi-valued field, with one
  ``(recorded)`` or ``(not recorded)`` row per record): their tables without the field
  count rows, not records, so nothing is pinned; instead each anchor cell over ``shared``
  is one more equation of the audit: the rows of the record values beneath it add up to
  its count (or to at least 1 when the anchor suppresses it).

The audit (the linear program of :mod:`thbhub.privacy.audit`) then covers the extension's
published cells and the anchor's together.  Every primary suppressed cell of the extension,
every one of its pinned cells and every suppressed anchor cell over ``shared`` must keep an
interval at least the protection width.  Before solving, a cell is checked by *exchange*
(:class:`_Partners`): a joint combination beneath it and one outside it whose exchange only
suppressed cells (and no anchor equation) see proves the interval wide enough without a
linear program; only the others are solved.  A failing cell is repaired by such an exchange
chosen to suppress the fewest new extension cells, never a pinned published one.

Extensions already protected can be given as ``known`` too (a field lattice is audited with
the anchor *and* the form lattices' cells over its form flags, sex and age).

What this does not cover: the anchor's cells over dimensions the extension does not have
(its organisation slices, or citizenship and country for an extension without them) are not
in the program; nor two extensions whose joint table neither lattice holds (two form
lattices, the field lattices with each other): see docs/insights.md, "What is promised".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from thbhub.privacy.audit import TOLERANCE, AuditTooLarge, _Partners, joint_support, system
from thbhub.privacy.lattice import Dims, Lattice, ProtectionFailed
from thbhub.privacy.policy import DisclosurePolicy
from thbhub.privacy.polytope import Polytope

#: ``(column, values)``: in a row-level extension, the rows with these values of ``column``
#: are the records (one each); None for a record-level extension.
RecordRows = tuple[str, frozenset[str]] | None
Target = tuple[Dims, tuple[str, ...]]


@dataclass
class Extension(Lattice):
    """A lattice whose ``pinned`` tables are the anchor's: the relation rules suppress
    children of a pinned cell, never the pinned cell itself (the anchor publishes it; a
    child that is its only non-zero one is then known anyway, and the audit decides)."""

    pinned: set[Dims] = field(default_factory=set)

    def _repair(self, child_key: Dims, parent_key: Dims) -> bool:
        if parent_key in self.pinned and child_key in self.pinned:
            # Both are the anchor's tables: their pattern is the anchor's, decided and
            # audited with its other tables (its organisation slices, its earlier versions),
            # which may leave a relation looking open here; re-deciding it would suppress
            # a cell the public tables publish, and refuse every insight.
            return False
        if parent_key not in self.pinned:
            return super()._repair(child_key, parent_key)
        saved = self.tables[parent_key]
        before = int(self.tables[child_key]["sup"].sum())
        changed = super()._repair(child_key, parent_key)
        if self.tables[parent_key] is not saved:
            self.tables[parent_key] = saved
            changed = int(self.tables[child_key]["sup"].sum()) != before
        return changed


def build(frame: pl.DataFrame, dims: Sequence[str], policy: DisclosurePolicy) -> Extension:
    lattice = Extension.build(frame, dims, policy)
    assert isinstance(lattice, Extension)
    return lattice


def _subsets(lattice: Lattice, shared: Dims) -> Iterable[Dims]:
    """The anchor's tables over the shared dimensions (in the anchor's order)."""
    dims = tuple(d for d in lattice.dims if d in shared)
    for key in lattice.tables:
        if set(key) <= set(dims):
            yield key


def _pin(lattice: Lattice, anchor: Lattice, shared: Dims) -> set[Dims]:
    pinned: set[Dims] = set()
    for key in list(lattice.tables):
        if not set(key) <= set(shared):
            continue
        source = anchor.tables[anchor.table_for(key)]
        mine = lattice.tables[key]
        cols = list(key)
        if cols:
            joined = mine.select([*cols, "n"]).join(
                source.select([*cols, pl.col("n").alias("n_a"), "ck", "sup", "primary"]),
                on=cols,
                how="full",
                coalesce=True,
            )
        else:
            joined = pl.concat(
                [mine.select("n"), source.select(pl.col("n").alias("n_a"), "ck", "sup", "primary")],
                how="horizontal",
            )
        if joined.filter(pl.col("n").ne_missing(pl.col("n_a"))).height:
            raise ValueError(f"the extension's records differ from the anchor's on {key}")
        lattice.tables[key] = (
            joined.select([*cols, "n", "ck", "primary", "sup"]).sort(cols)
            if cols
            else joined.select(["n", "ck", "primary", "sup"])
        )
        pinned.add(key)
    return pinned


def pattern(lattice: Lattice, keys: Iterable[Dims]) -> dict[Dims, set[tuple[str, ...]]]:
    """The suppressed cells of the tables ``keys``."""
    out: dict[Dims, set[tuple[str, ...]]] = {}
    for k in keys:
        t = lattice.tables[k].filter(pl.col("sup"))
        out[k] = (
            {tuple(str(v) for v in r) for r in t.select(list(k)).iter_rows()}
            if k
            else ({()} if t.height else set())
        )
    return out


class _Exchange(_Partners):
    """Partner exchanges restricted so that no anchor cell outside the lattice sees them,
    and never suppressing a pinned published cell."""

    def __init__(
        self,
        lattice: Lattice,
        pinned: set[Dims],
        shared: Dims,
        rows: RecordRows,
        restrict: bool = False,
    ) -> None:
        super().__init__(lattice)
        self.frozen = np.zeros(self.sup.size, dtype=bool)
        for t, key in enumerate(self.keys):
            if key in pinned:
                self.frozen[self.offsets[t] : self.offsets[t + 1]] = True
        # Row-level: an exchange must keep every anchor equation, so both sides share the
        # shared dimensions' values and are both record rows or both value rows.
        # A record-level extension with anchor cells outside it (``restrict``): both sides
        # share the shared dimensions' values.
        self.cls: np.ndarray | None = None
        if rows is not None or restrict:
            idx = [self.lattice.dims.index(d) for d in shared]
            self.cls = self.codes[:, idx]
            if rows is not None:
                column, values = rows
                record = self.joint[column].is_in(list(values)).to_numpy().astype(np.int64)
                self.cls = np.column_stack([self.cls, record])

    def beneath(self, key: Dims, cell: tuple[str, ...]) -> np.ndarray:
        mask = np.ones(self.joint.height, dtype=bool)
        for d, value in zip(key, cell, strict=True):
            mask &= (self.joint[d] == value).to_numpy()
        return mask

    def best(self, beneath: np.ndarray, width: int) -> tuple[int, np.ndarray] | None:
        """The exchange that suppresses the fewest new cells (never a frozen published
        one): (new cells, their indices), or None."""
        found: tuple[int, int, np.ndarray] | None = None
        for v in np.flatnonzero(beneath):
            need = width + 2 - self.counts[v]
            ok = ~beneath & (self.counts >= need)
            if self.cls is not None:
                ok &= (self.cls == self.cls[v]).all(axis=1)
            candidates = np.flatnonzero(ok)
            if not candidates.size:
                continue
            differ = (self.codes[candidates] != self.codes[v]).astype(np.int64)
            touched = (differ @ self.includes) > 0
            cells_v = self.cell_of[v]
            cells_z = self.cell_of[candidates]
            open_v = touched & ~self.sup[cells_v][None, :]
            open_z = touched & ~self.sup[cells_z]
            bad = (open_v & self.frozen[cells_v][None, :]).any(axis=1) | (
                open_z & self.frozen[cells_z]
            ).any(axis=1)
            cost = np.where(bad, np.iinfo(np.int64).max, open_v.sum(axis=1) + open_z.sum(axis=1))
            i = int(np.argmin(cost))
            if bad[i]:
                continue
            new = np.concatenate([cells_v[open_v[i]], cells_z[i][open_z[i]]])
            if found is None or int(cost[i]) < found[0]:
                found = (int(cost[i]), int(v), new)
                if found[0] == 0:
                    break
        return None if found is None else (found[0], found[2])

    def isolate(self, beneath: np.ndarray) -> int:
        """No exchange: suppress every unfrozen cell containing the largest combination."""
        largest = int(np.flatnonzero(beneath)[np.argmax(self.counts[beneath])])
        cells = self.cell_of[largest]
        cells = cells[~self.frozen[cells]]
        before = int(self.sup.sum())
        self.sup[cells] = True
        return int(self.sup.sum()) - before


def _anchor_rows(
    sources: Sequence[tuple[Lattice, Dims]],
    support: pl.DataFrame,
    rows: RecordRows,
    skip: set[Dims],
) -> tuple[
    list[tuple[np.ndarray, float, float]],
    list[tuple[Dims, tuple[str, ...], np.ndarray]],
    list[tuple[Dims, tuple[str, ...], np.ndarray]],
]:
    """The published lattices' cells over their shared dimensions (``sources``: the anchor
    first, then the extensions already protected) as audit equations over ``support``'s
    variables, and their suppressed ones as targets (the anchor's, the known extensions'):
    each must keep the protection width, or what the cells published before gave it.  A
    table key met twice is the same record-level table (an extension's tables over the
    anchor's dimensions are the anchor's, pinned), read once."""
    extra: list[tuple[np.ndarray, float, float]] = []
    targets: list[tuple[Dims, tuple[str, ...], np.ndarray]] = []
    known_only: list[tuple[Dims, tuple[str, ...], np.ndarray]] = []
    base = support if rows is None else support.filter(pl.col(rows[0]).is_in(list(rows[1])))
    seen = set(skip)
    for i, (source, shared) in enumerate(sources):
        for key in _subsets(source, shared):
            if key in seen:
                continue
            seen.add(key)
            _table_rows(source.tables[key], key, base, extra, targets if i == 0 else known_only)
    return extra, targets, known_only


def _table_rows(
    table: pl.DataFrame,
    key: Dims,
    base: pl.DataFrame,
    extra: list[tuple[np.ndarray, float, float]],
    targets: list[tuple[Dims, tuple[str, ...], np.ndarray]],
) -> None:
    if key:
        member = base.select([*key, "_var"]).join(
            table.with_row_index("_cell").select([*key, "_cell"]), on=list(key)
        )
        groups = member.group_by("_cell").agg(pl.col("_var"))
        beneath = {int(c): np.asarray(v, dtype=np.int64) for c, v in groups.iter_rows()}
    else:
        beneath = {0: base["_var"].to_numpy().astype(np.int64)} if table.height else {}
    for i, r in enumerate(table.iter_rows(named=True)):
        variables = beneath.get(i, np.zeros(0, dtype=np.int64))
        if r["sup"]:
            extra.append((variables, 1.0, np.inf))
            targets.append((key, tuple(str(r[d]) for d in key), variables))
        else:
            extra.append((variables, float(r["n"]), float(r["n"])))


def protect_extension(
    lattice: Extension,
    anchor: Lattice,
    shared: Dims,
    *,
    rows: RecordRows = None,
    known: Sequence[tuple[Lattice, Dims]] = (),
    max_rounds: int = 10,
    max_unknowns: int = 20_000,
) -> bool:
    """Suppress in ``lattice`` (built over ``shared`` plus its own dimensions) until its
    published cells and ``anchor``'s over ``shared`` together leave every suppressed cell
    an interval at least the protection width.  ``known``: record-level extensions of the
    same anchor already protected, each with the dimensions of ``lattice`` it shares (a
    form lattice's flag, sex and age for a field lattice): their cells over those are
    equations of the audit too, and their suppressed ones targets (the joint audit,
    docs/insights.md).  Returns whether the exact audit ran (False:
    the joint table is larger than ``max_unknowns``, the relation rules only).  Raises
    :class:`ProtectionFailed` when that takes more than ``max_rounds`` or would suppress a
    cell the anchor publishes."""
    pinned = _pin(lattice, anchor, shared) if rows is None else set()
    lattice.pinned = pinned
    _share_keys(lattice, [(anchor, shared), *known], rows, pinned)
    before = pattern(lattice, pinned)
    lattice.secondary()
    width = lattice.policy.width
    again: set[Target] | None = None
    for _ in range(max_rounds):
        check_pinned(lattice, before)
        try:
            support = joint_support(lattice, max_unknowns)
        except AuditTooLarge:
            return False
        # In a record-level extension the anchor's tables over ``shared`` are pinned tables
        # already; the anchor's tables the lattice lacks (a lower order) become equations.
        sources = [(anchor, shared), *known]
        extra, anchor_targets, known_targets = _anchor_rows(
            sources, support, rows, skip=set(pinned)
        )
        # An exchange must keep every known equation: both sides share the values of every
        # dimension a known lattice's cells are over.
        kept = tuple(dict.fromkeys([*shared, *(d for _, dims in known for d in dims)]))
        exchange = _Exchange(lattice, pinned, kept, rows, restrict=bool(extra))
        # Targets: the extension's primary suppressed cells, and every suppressed cell of a
        # pinned table: the anchor hides it (small, or suppressed by the anchor's audit
        # against its organisation slices and earlier versions), so the extension must not
        # reveal it, e.g. by publishing (year, flag = no) where the flag's other values
        # are zeros.
        polytope, targets = system(
            lattice, support, extra=extra, only_primary=False, cells=_wanted(lattice, pinned)
        )
        before_it = _Before(lattice, pinned, support, extra)
        failing: list[tuple[Target, np.ndarray]] = []
        for key, label, _value, primary, variables in targets:
            if again is not None and (key, label) not in again:
                continue
            cell = exchange.beneath(key, label)
            found = exchange.best(cell, width)
            if found is not None and found[0] == 0:
                continue  # an exchange only suppressed cells see: wide enough
            low, high = polytope.interval(variables)
            if high - low < width - TOLERANCE and (
                (primary and key not in pinned) or high - low < before_it.need(variables, width)
            ):
                failing.append(((key, label), cell))
        narrowed = []
        for key, label, variables in anchor_targets:
            low, high = polytope.interval(variables)
            if high - low < width - TOLERANCE and high - low < before_it.need(variables, width):
                narrowed.append((key, label))
        for key, label, variables in known_targets:
            low, high = polytope.interval(variables)
            if high - low < width - TOLERANCE and high - low < before_it.need(variables, width):
                narrowed.append((key, label))
        if narrowed:
            if rows is None:  # pragma: no cover - pinned tables carry them as targets
                raise ProtectionFailed("these insights would narrow a suppressed public cell")
            if not _hide_records(lattice, rows, narrowed):
                raise ProtectionFailed(
                    "these insights would narrow a suppressed public cell and cannot be "
                    "protected beside the public tables; nothing is published"
                )
            lattice.secondary()
            again = None
            continue
        if not failing:
            check_pinned(lattice, before)
            return True
        again = {t for t, _ in failing}
        for _target, cell in failing:
            found = exchange.best(cell, width)
            if found is not None:
                exchange.sup[found[1]] = True
            else:
                exchange.isolate(cell)
        exchange.write()
        lattice.secondary()
    raise ProtectionFailed(
        f"these insights cannot be protected within {max_rounds} audit rounds beside the "
        "public tables; nothing is published"
    )


def _share_keys(
    lattice: Lattice,
    sources: Sequence[tuple[Lattice, Dims]],
    rows: RecordRows,
    pinned: set[Dims],
) -> None:
    """Give a cell that counts exactly the records of a cell published before it (by the
    anchor or a known extension) that cell's key, so that both show one number with one
    noise.  Such a cell is one of the extension's dimension (a form flag; for a row-level
    extension, a record row value) beside a published-before cell whose count it has all
    of: ``(year 2006, other = no)`` when no record of 2006 is ``yes`` or missing.  With a
    key of its own it would be a second noisy reading of the same count, which narrows it
    (and across data versions, its difference: the attack of issue 13 through insights)."""
    for key, table in list(lattice.tables.items()):
        if key in pinned:
            continue
        for d in key:
            if rows is None and d in _pinned_dims(pinned):
                continue
            if rows is not None and d != rows[0]:
                continue
            rest = tuple(x for x in key if x != d)
            source = _published_before(lattice, sources, pinned, rest)
            if source is None:
                continue
            cols = list(rest)
            mine = table.with_row_index("_i")
            if rows is not None:
                mine = mine.filter(pl.col(rows[0]).is_in(list(rows[1])))
            src = source.select([*cols, pl.col("n").alias("_n"), pl.col("ck").alias("_ck")])
            same = (mine.join(src, on=cols) if cols else mine.join(src, how="cross")).filter(
                pl.col("n") == pl.col("_n")
            )
            if not same.height:
                continue
            ck = table["ck"].to_numpy().copy()
            ck[same["_i"].to_numpy()] = same["_ck"].to_numpy()
            table = table.with_columns(ck=pl.Series(ck, dtype=table.schema["ck"]))
        lattice.tables[key] = table


def _pinned_dims(pinned: set[Dims]) -> set[str]:
    return {d for key in pinned for d in key}


def _published_before(
    lattice: Lattice, sources: Sequence[tuple[Lattice, Dims]], pinned: set[Dims], dims: Dims
) -> pl.DataFrame | None:
    """The table over ``dims`` published before the extension, if any (a pinned table is
    the anchor's, with its keys)."""
    if dims in pinned:
        return lattice.tables[dims]
    for source, shared in sources:
        if set(dims) <= set(shared) and len(dims) <= source.order:
            key = tuple(d for d in source.dims if d in dims)
            if key in source.tables:
                return source.tables[key]
    return None


def _wanted(lattice: Lattice, pinned: set[Dims]) -> set[tuple[Dims, tuple[str, ...]]]:
    """The audit's targets: primary suppressed cells, and every suppressed pinned cell."""
    out: set[tuple[Dims, tuple[str, ...]]] = set()
    for key, table in lattice.tables.items():
        hit = table.filter(pl.col("sup") & (pl.col("primary") | pl.lit(key in pinned)))
        for r in hit.select(list(key)).iter_rows() if key else ([()] if hit.height else []):
            out.add((key, tuple(str(v) for v in r)))
    return out


class _Before:
    """What was published before the extension (the anchor's cells: pinned tables and
    equations, and those of the extensions given as known), alone: a suppressed cell of
    it must keep the protection width, or, if it had less already (the anchor's own audit
    decides its cells, not this one), no less than it had."""

    def __init__(
        self,
        lattice: Lattice,
        pinned: set[Dims],
        support: pl.DataFrame,
        extra: list[tuple[np.ndarray, float, float]],
    ) -> None:
        self.args = (lattice, pinned, support, extra)
        self.polytope: Polytope | None = None

    def need(self, variables: np.ndarray, width: int) -> float:
        if self.polytope is None:
            lattice, pinned, support, extra = self.args
            view = Lattice(
                dims=lattice.dims,
                order=lattice.order,
                policy=lattice.policy,
                categories=lattice.categories,
                tables={k: t for k, t in lattice.tables.items() if k in pinned},
                joint=lattice.joint,
            )
            self.polytope, _ = system(view, support, extra=extra)
        low, high = self.polytope.interval(variables)
        return min(float(width), high - low) - TOLERANCE


def _hide_records(lattice: Lattice, rows: tuple[str, frozenset[str]], cells: list[Target]) -> bool:
    """Suppress, in every table with the field, the record rows (``(recorded)``, ``(not
    recorded)``) inside each anchor cell that the extension narrowed; returns whether
    anything new was suppressed."""
    column, values = rows
    changed = False
    for key, table in lattice.tables.items():
        if column not in key:
            continue
        for anchor_key, label in cells:
            cond = pl.col(column).is_in(list(values))
            for d, v in zip(anchor_key, label, strict=True):
                if d in key:
                    cond = cond & (pl.col(d) == v)
            hit = table.filter(cond & ~pl.col("sup")).height
            if hit:
                table = table.with_columns(sup=pl.col("sup") | cond)
                changed = True
        lattice.tables[key] = table
    return changed


def check_pinned(lattice: Lattice, before: dict[Dims, set[tuple[str, ...]]]) -> None:
    now = pattern(lattice, before)
    for key, sup in before.items():
        if now[key] != sup:
            raise ProtectionFailed(
                f"protecting these insights would suppress a cell the public tables publish "
                f"({', '.join(key) or 'total'}); nothing is published"
            )
