"""The gate: the one function through which every table derived from case records leaves.

    table = release_table(records, by=["sex", "age"], policy=policy, context=ctx)

``records`` is the *whole* records frame of a dataset (one row per record, categorical
columns); filters are given to the gate (``where={"country": "PL"}``), never applied before
it, so that every query is a slice of the same lattice of tables and one suppression pattern
protects them all (see :mod:`thbhub.privacy.lattice` and docs/privacy.md).  A
:class:`GatedTable` carries no count below the threshold: a suppressed cell has ``count`` None
and status ``suppressed``, together with the policy that suppressed it.  Every other
non-zero count is published with the cell key method's bounded, consistent noise
(:mod:`thbhub.privacy.cellkey`), so that tables of successive data versions cannot be
subtracted to recover the small counts added in between.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import combinations, product
from typing import Any, TypeVar

import polars as pl

from thbhub.domain.errors import UserError
from thbhub.privacy.audit import AuditTooLarge, protect
from thbhub.privacy.cellkey import noise
from thbhub.privacy.extension import RecordRows, protect_extension
from thbhub.privacy.extension import build as build_extension
from thbhub.privacy.extension_versions import protect_extension_across
from thbhub.privacy.lattice import Dims, Lattice, ProtectionFailed
from thbhub.privacy.policy import DisclosurePolicy
from thbhub.privacy.versions import ORGANISATION, PublishedVersion
from thbhub.privacy.versions_lp import protect_across

VALUE, ZERO, SUPPRESSED = "value", "zero", "suppressed"

# Only this module constructs GatedTable; the bypass test checks outputs are GatedTables.
_GATE_TOKEN = object()


@dataclass(frozen=True)
class GatedCell:
    key: tuple[str, ...]
    count: int | None
    status: str

    def __post_init__(self) -> None:
        if self.status == SUPPRESSED and self.count is not None:
            raise ValueError("a suppressed cell carries no count")


@dataclass(frozen=True)
class GatedTable:
    """A released table: cells by ``by`` within the ``where`` slice, its margins, the policy."""

    by: tuple[str, ...]
    where: tuple[tuple[str, str], ...]
    cells: tuple[GatedCell, ...]
    margins: dict[tuple[str, ...], tuple[GatedCell, ...]]
    policy: DisclosurePolicy
    audited: bool
    token: object = field(repr=False, compare=False, default=None)

    def __post_init__(self) -> None:
        if self.token is not _GATE_TOKEN:
            raise TypeError("GatedTable is made only by thbhub.privacy.gate.release_table")

    @property
    def total(self) -> GatedCell:
        return self.margins[()][0] if self.by else self.cells[0]

    def rows(self) -> list[dict[str, Any]]:
        return [self._row(self.by, c) for c in self.cells]

    def margin_rows(self) -> list[dict[str, Any]]:
        out = []
        for key, cells in self.margins.items():
            out += [self._row(key, c) | {"margin": ",".join(key) or "total"} for c in cells]
        return out

    def _row(self, dims: tuple[str, ...], cell: GatedCell) -> dict[str, Any]:
        return {
            **dict(zip(dims, cell.key, strict=True)),
            "count": cell.count,
            "status": cell.status,
        }

    def all_counts(self) -> list[int | None]:
        return [c.count for c in self.cells] + [
            c.count for cells in self.margins.values() for c in cells
        ]

    def as_dict(self) -> dict[str, Any]:
        return {
            "by": list(self.by),
            "where": dict(self.where),
            "rows": self.rows(),
            "margins": self.margin_rows(),
            "policy": self.policy.as_dict(),
            "note": self.policy.note(),
            "audited": self.audited,
        }

    def to_frame(self) -> pl.DataFrame:
        schema: dict[str, Any] = {d: pl.Utf8 for d in self.by}
        schema |= {"count": pl.Int64, "status": pl.Utf8}
        return pl.DataFrame(self.rows(), schema=schema)


@dataclass(frozen=True)
class ProtectedLattice:
    """A dataset's lattice with its suppression pattern decided and audited: every query on
    the dataset is a read of it (:meth:`table`).  Made by :meth:`GateContext.protected`
    only, so holding one (in a cache, say) is holding a gate's output."""

    lattice: Lattice
    policy: DisclosurePolicy
    audited: bool
    token: object = field(repr=False, compare=False, default=None)
    #: False when its primaries were held across versions only to "not pinned below k"
    #: (the full width could not be had: :func:`_across`); insights are not built on it.
    full_width: bool = True

    def __post_init__(self) -> None:
        if self.token is not _GATE_TOKEN:
            raise TypeError("ProtectedLattice is made only by thbhub.privacy.gate")

    def table(self, by: Sequence[str], where: Mapping[str, str] | None = None) -> GatedTable:
        """Counts by ``by`` within the ``where`` slice, with their margins."""
        lattice, policy = self.lattice, self.policy
        where_items = tuple(sorted((str(k), str(v)) for k, v in (where or {}).items()))
        by = tuple(dict.fromkeys(by))
        overlap = set(by) & {k for k, _ in where_items}
        if overlap:
            raise UserError(f"dimension(s) {sorted(overlap)} are both grouped by and filtered on")
        lattice.table_for([*by, *(k for k, _ in where_items)])  # validates dims and size
        cells = _cells(lattice, by, where_items, policy)
        margins = {
            sub: _cells(lattice, sub, where_items, policy)
            for size in range(len(by))
            for sub in combinations(by, size)
        }
        return GatedTable(by, where_items, cells, margins, policy, self.audited, token=_GATE_TOKEN)


def _across(
    lattice: Lattice, history: Sequence[PublishedVersion], rounds: int, unknowns: int
) -> bool:
    """Protect ``lattice`` against its earlier versions, its primaries kept at the full
    width if that can be had (returns True), else only never pinned below k (False).  The
    weaker rule is what lets a withdrawal at CTDC scale be published (docs/privacy.md), but
    the insights, whose lattices are audited beside these cells, need the full width:
    with the weaker rule their joint attack pinned added records
    (tests/insights/test_insight_versions.py).  More suppression only widens intervals, so
    the second pass continues from the first's suppressions."""
    try:
        protect_across(
            lattice, history, max_rounds=rounds, max_unknowns=unknowns, primary_width=True
        )
        return True
    except ProtectionFailed:
        protect_across(lattice, history, max_rounds=rounds, max_unknowns=unknowns)
        return False


@dataclass
class GateContext:
    """Which dataset a frame is, which dimensions it publishes, and the lattice cache.

    ``dimensions`` is fixed per dataset: every query on it is answered from one lattice,
    which is what keeps the suppression consistent between queries.  The cache holds the
    lattice of the latest frame seen (a new frame replaces it).  ``max_protect_rounds``
    bounds the audit rounds before the tables are refused (:class:`ProtectionFailed`).
    """

    dataset: str
    dimensions: tuple[str, ...] | None = None
    max_audit_unknowns: int = 20_000
    max_protect_rounds: int = 10
    _cache: dict[tuple[Any, ...], ProtectedLattice] = field(default_factory=dict)

    def protected(
        self,
        frame: pl.DataFrame,
        policy: DisclosurePolicy,
        history: Sequence[PublishedVersion] = (),
    ) -> ProtectedLattice:
        """The protected lattice of ``frame``; with ``history`` (what the kept earlier
        published versions of these tables showed, newest first), also protected against
        all of them together (:func:`thbhub.privacy.versions_lp.protect_across`)."""
        dims = self.dimensions or tuple(frame.columns)
        fingerprint = (
            frame.height,
            int(frame.select(dims).hash_rows().sum()) if frame.height else 0,
        )
        key = (self.dataset, dims, policy, fingerprint, tuple(v.label for v in history))
        if key not in self._cache:
            lattice = Lattice.build(frame, dims, policy)
            try:
                protect(
                    lattice,
                    max_rounds=self.max_protect_rounds,
                    max_unknowns=self.max_audit_unknowns,
                )
                full_width = True
                if history:
                    # Without an organisation dimension (the insights' pairs lattices):
                    # the same audit on a shadow with one (privacy/extension_versions.py).
                    rounds, unknowns = self.max_protect_rounds, self.max_audit_unknowns
                    if ORGANISATION in dims:
                        full_width = _across(lattice, history, rounds, unknowns)
                    else:
                        protect_extension_across(
                            lattice, history, max_rounds=rounds, max_unknowns=unknowns
                        )
                audited = True
            except AuditTooLarge:
                audited, full_width = False, True
            self._cache.clear()
            self._cache[key] = ProtectedLattice(
                lattice, policy, audited, token=_GATE_TOKEN, full_width=full_width
            )
        return self._cache[key]

    def extended(
        self,
        frame: pl.DataFrame,
        policy: DisclosurePolicy,
        anchor: ProtectedLattice,
        shared: Sequence[str],
        *,
        rows: RecordRows = None,
        order: int | None = None,
        known: Sequence[tuple[ProtectedLattice, Sequence[str]]] = (),
        history: Sequence[PublishedVersion] = (),
    ) -> ProtectedLattice:
        """The protected lattice of ``frame`` as an extension of ``anchor`` (already
        published): its cells over ``shared`` are the anchor's, and the audit covers both
        (:func:`thbhub.privacy.extension.protect_extension`).  ``order`` lowers the most
        dimensions a table of it combines.  ``known``: extensions of the same anchor
        already published, each with the dimensions of ``frame`` it shares; their cells
        over those are in the audit too.  ``history``: what the kept earlier versions of
        this extension published (:func:`thbhub.privacy.extension_versions.published`,
        newest first); the new version is protected against them too
        (:func:`thbhub.privacy.extension_versions.protect_extension_across`)."""
        dims = self.dimensions or tuple(frame.columns)
        lattice_policy = policy if order is None else replace(policy, max_table_dims=order)
        lattice = build_extension(frame, dims, lattice_policy)
        known_lattices = [(k.lattice, tuple(d)) for k, d in known]
        audited = protect_extension(
            lattice,
            anchor.lattice,
            tuple(shared),
            rows=rows,
            known=known_lattices,
            max_rounds=self.max_protect_rounds,
            max_unknowns=self.max_audit_unknowns,
        )
        if history:
            try:
                protect_extension_across(
                    lattice,
                    history,
                    rows=rows,
                    records=[(anchor.lattice, tuple(shared)), *known_lattices],
                    max_rounds=self.max_protect_rounds,
                    max_unknowns=self.max_audit_unknowns,
                )
            except AuditTooLarge:  # as the public tables: published, said not audited
                audited = False
        audited = audited and anchor.audited and all(k.audited for k, _ in known)
        return ProtectedLattice(lattice, policy, audited, token=_GATE_TOKEN)


def check_query(
    dimensions: Sequence[str],
    by: Sequence[str],
    where: Mapping[str, str] | None,
    policy: DisclosurePolicy,
) -> None:
    """Refuse, before any record is read, a query the lattice over ``dimensions`` cannot
    answer: an unknown dimension, one both grouped by and filtered on, or too many."""
    keys = [*by, *(where or {})]
    unknown = [d for d in dict.fromkeys(keys) if d not in dimensions]
    if unknown:
        raise UserError(
            f"unknown dimension(s) {', '.join(repr(d) for d in unknown)}; "
            f"choose from {', '.join(dimensions)}"
        )
    overlap = set(by) & set(where or {})
    if overlap:
        raise UserError(f"dimension(s) {sorted(overlap)} are both grouped by and filtered on")
    if len(set(keys)) > policy.max_table_dims:
        raise UserError(
            f"a table may combine at most {policy.max_table_dims} dimensions (grouping and "
            f"filters together) under the disclosure policy; got {len(set(keys))}"
        )


def release_table(
    records: pl.DataFrame,
    by: Sequence[str],
    policy: DisclosurePolicy,
    context: GateContext | None = None,
    *,
    where: Mapping[str, str] | None = None,
) -> GatedTable:
    """Counts of ``records`` by ``by`` (within ``where``), suppressed under ``policy``."""
    ctx = context or GateContext(dataset="adhoc")
    return ctx.protected(records, policy).table(by, where)


def _cells(
    lattice: Lattice, by: Dims, where: tuple[tuple[str, str], ...], policy: DisclosurePolicy
) -> tuple[GatedCell, ...]:
    fixed = dict(where)
    key = lattice.table_for([*by, *fixed])
    table = lattice.tables[key]
    for d, v in fixed.items():
        if v not in lattice.categories[d]:
            raise UserError(f"{d} has no category {v!r}")
        table = table.filter(pl.col(d) == v)
    found = {tuple(str(r[d]) for d in by): r for r in table.iter_rows(named=True)}
    out = []
    for combo in product(*(lattice.categories[d] for d in by)):
        r = found.get(combo)
        if r is None:
            out.append(GatedCell(combo, 0, ZERO))
        elif r["sup"]:
            out.append(GatedCell(combo, None, SUPPRESSED))
        else:
            out.append(GatedCell(combo, shown_count(int(r["n"]), int(r["ck"]), policy), VALUE))
    return tuple(out)


def shown_count(count: int, cell_key: int, policy: DisclosurePolicy) -> int:
    """The number published for a cell that is not suppressed: its count moved by the cell
    key method's noise (:mod:`thbhub.privacy.cellkey`), then rounded if the policy rounds."""
    return policy.round(count + noise(count, cell_key, policy.threshold, policy.noise_bound))


# -- marking outputs ------------------------------------------------------------------------

_GATED_ATTR = "__thbhub_gated__"
F = TypeVar("F", bound=Callable[..., Any])


def gated(func: F) -> F:
    """Mark a route (or service) whose output from case records comes from the gate.

    The bypass test (tests/privacy/test_gate_bypass.py) fails for any route that reads case
    records, is open to anyone but the owning organisation, and is not marked - and calls
    every marked public route to check that no count below the threshold comes out.
    """
    setattr(func, _GATED_ATTR, True)
    return func


def is_gated(func: Callable[..., Any]) -> bool:
    return bool(getattr(func, _GATED_ATTR, False))
