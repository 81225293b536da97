"""What an insight lattice publishes, kept in the database per data version and audience.

A protected lattice (:class:`thbhub.privacy.gate.ProtectedLattice`) holds true counts, cell
keys and the suppression pattern; insights only ever show its *published* cells (the
gate's :class:`~thbhub.privacy.gate.GatedCell`: the noisy count, or suppressed).  So what is
kept, in memory and in the table ``insights_lattices``, is exactly that: per table of the
lattice, every non-zero cell's published number or ``None`` (suppressed), the categories of
each dimension and whether it was audited; never a true count, a cell key or a record.
Reading a table from it (:meth:`Published.table`) answers the same cells, margins and zeros
as :meth:`ProtectedLattice.table` (tests/insights/test_store.py checks this).

A lattice the gate refused is stored as its refusal (the reason), so a restart does not
try again for the same data version.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations, product
from typing import Any

from thbhub.domain.errors import UserError
from thbhub.privacy.gate import SUPPRESSED, VALUE, ZERO, GatedCell, ProtectedLattice, shown_count
from thbhub.privacy.lattice import Dims, ProtectionFailed, table_key
from thbhub.privacy.policy import DisclosurePolicy
from thbhub.storage import Database
from thbhub.storage import insights as q

#: Bumped when what a stored lattice means changes (its protection or its format): stored
#: lattices of another format are computed again.
FORMAT = 2  # 2: lattices audited together and across versions (insights-audit)


def label(version: tuple[Any, ...], policy: DisclosurePolicy) -> str:
    """The data version as stored: keyed by the deployment's secret (a new key changes
    every published count, so it is a new version), never revealing the version itself."""
    key = policy.cell_key_secret or b"unkeyed"
    message = repr((FORMAT, version)).encode("utf-8")
    return hmac.new(key, message, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class PublishedTable:
    """A table of published cells (the shape of :class:`thbhub.privacy.gate.GatedTable`,
    read from a stored lattice): ``cells`` by ``by`` within ``where``, with its margins."""

    by: tuple[str, ...]
    where: tuple[tuple[str, str], ...]
    cells: tuple[GatedCell, ...]
    margins: dict[tuple[str, ...], tuple[GatedCell, ...]]
    policy: DisclosurePolicy
    audited: bool
    _index: dict[tuple[tuple[str, ...], tuple[str, ...]], GatedCell] = field(
        default_factory=dict, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        for dims, cells in ((self.by, self.cells), *self.margins.items()):
            for c in cells:
                self._index[(dims, c.key)] = c

    @property
    def total(self) -> GatedCell:
        return self.margins[()][0] if self.by else self.cells[0]

    def cell(self, dims: tuple[str, ...], key: tuple[str, ...]) -> GatedCell | None:
        """The cell at ``key`` of the table over ``dims`` (``by`` or a margin's)."""
        return self._index.get((dims, key))

    def rows(self) -> list[dict[str, Any]]:
        return [
            {**dict(zip(self.by, c.key, strict=True)), "count": c.count, "status": c.status}
            for c in self.cells
        ]


@dataclass(frozen=True)
class Published:
    """What one protected lattice publishes (see the module's docstring)."""

    dims: Dims
    order: int
    categories: dict[str, list[str]]
    #: table dimensions -> {values: published count, None when suppressed}; absent: zero.
    tables: dict[Dims, dict[tuple[str, ...], int | None]]
    policy: DisclosurePolicy
    audited: bool

    @classmethod
    def of(cls, protected: ProtectedLattice) -> Published:
        """The published cells of ``protected`` (the gate's own :func:`shown_count`)."""
        lattice, policy = protected.lattice, protected.policy
        tables: dict[Dims, dict[tuple[str, ...], int | None]] = {}
        for key, table in lattice.tables.items():
            cells: dict[tuple[str, ...], int | None] = {}
            for row in table.select([*key, "n", "ck", "sup"]).iter_rows():
                values = tuple(str(v) for v in row[: len(key)])
                n, ck, sup = row[len(key) :]
                cells[values] = None if sup else shown_count(int(n), int(ck), policy)
            tables[key] = cells
        categories = {d: list(v) for d, v in lattice.categories.items()}
        return cls(lattice.dims, lattice.order, categories, tables, policy, protected.audited)

    def payload(self) -> dict[str, Any]:
        """As stored (JSON): published numbers and suppressions only."""
        return {
            "dims": list(self.dims),
            "order": self.order,
            "audited": self.audited,
            "categories": self.categories,
            "tables": [
                {"dims": list(key), "cells": [[*values, n] for values, n in cells.items()]}
                for key, cells in self.tables.items()
            ],
        }

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any], policy: DisclosurePolicy) -> Published:
        tables: dict[Dims, dict[tuple[str, ...], int | None]] = {}
        for t in payload["tables"]:
            key = tuple(t["dims"])
            size = len(key)
            tables[key] = {tuple(c[:size]): c[size] for c in t["cells"]}
        return cls(
            tuple(payload["dims"]),
            int(payload["order"]),
            {d: list(v) for d, v in payload["categories"].items()},
            tables,
            policy,
            bool(payload["audited"]),
        )

    def _key(self, dims: Sequence[str]) -> Dims:
        return table_key(self.dims, self.order, dims)

    def _cells(self, by: Dims, where: tuple[tuple[str, str], ...]) -> tuple[GatedCell, ...]:
        fixed = dict(where)
        key = self._key([*by, *fixed])
        for d, v in fixed.items():
            if v not in self.categories[d]:
                raise UserError(f"{d} has no category {v!r}")
        cells = self.tables[key]
        position = {d: i for i, d in enumerate(key)}
        out = []
        for combo in product(*(self.categories[d] for d in by)):
            values = [""] * len(key)
            for d, v in zip(by, combo, strict=True):
                values[position[d]] = v
            for d, v in fixed.items():
                values[position[d]] = v
            found = cells.get(tuple(values), 0)
            if found is None:
                out.append(GatedCell(combo, None, SUPPRESSED))
            elif found == 0 and tuple(values) not in cells:
                out.append(GatedCell(combo, 0, ZERO))
            else:
                out.append(GatedCell(combo, found, VALUE))
        return tuple(out)

    def table(self, by: Sequence[str], where: Mapping[str, str] | None = None) -> PublishedTable:
        """Counts by ``by`` within the ``where`` slice, with their margins (as
        :meth:`thbhub.privacy.gate.ProtectedLattice.table`)."""
        where_items = tuple(sorted((str(k), str(v)) for k, v in (where or {}).items()))
        by_ = tuple(dict.fromkeys(by))
        overlap = set(by_) & {k for k, _ in where_items}
        if overlap:
            raise UserError(f"dimension(s) {sorted(overlap)} are both grouped by and filtered on")
        self._key([*by_, *(k for k, _ in where_items)])
        margins = {
            sub: self._cells(sub, where_items)
            for size in range(len(by_))
            for sub in combinations(by_, size)
        }
        return PublishedTable(
            by_, where_items, self._cells(by_, where_items), margins, self.policy, self.audited
        )


def audience_key(audience: str | int) -> str:
    return "public" if audience == "public" else f"org:{int(audience)}"


@dataclass
class StoredLattices:
    """The app's memory of stored lattices (one per app, on its state; never a module
    global): per audience and lattice name, the label it was read for and what it
    publishes, so that a request does not parse the stored cells again."""

    _entries: dict[tuple[str, str], tuple[str, Published | str]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    #: audience -> (the hub's data version, the lattices' version read at it).
    _versions: dict[str, tuple[int, tuple[Any, ...]]] = field(default_factory=dict)

    def version(
        self, db: Database, audience: str | int, read: Callable[[], tuple[Any, ...]]
    ) -> tuple[Any, ...]:
        """The lattices' data version (``read()``: a scan of the records' states, about
        0.1 s on 47,000 records), read again only when the hub's data version
        (:meth:`thbhub.storage.Database.data_version`, one row) moved on since: every
        committed change to data moves it, as the page cache relies on."""
        key = audience_key(audience)
        moved = db.data_version()
        with self._lock:
            known = self._versions.get(key)
        if moved is not None and known is not None and known[0] == moved:
            return known[1]
        found = read()
        if moved is not None:
            with self._lock:
                self._versions[key] = (moved, found)
        return found

    def read(
        self, db: Database, audience: str | int, name: str, label_: str, policy: DisclosurePolicy
    ) -> Published | None:
        """The lattice ``name`` of ``audience`` for the data version ``label_``, from memory
        or the database; None if it is not stored for that version.  Raises
        :class:`ProtectionFailed` if it was refused for that version."""
        key = (audience_key(audience), name)
        with self._lock:
            entry = self._entries.get(key)
        if entry is None or entry[0] != label_:
            with db.connect() as conn:
                row = q.stored_lattice(conn, key[0], name)
            if row is None or row["label"] != label_:
                return None
            found: Published | str = (
                str(row["refused"])
                if row["cells"] is None
                else Published.from_payload(row["cells"], policy)
            )
            entry = (label_, found)
            with self._lock:
                self._entries[key] = entry
        if isinstance(entry[1], str):
            raise ProtectionFailed(entry[1])
        return entry[1]

    def write(
        self,
        db: Database,
        audience: str | int,
        name: str,
        label_: str,
        found: Published | str,
    ) -> None:
        """Keep ``found`` (what the lattice publishes, or why it was refused) for the data
        version ``label_``, replacing the audience's stored one of any other version."""
        key = (audience_key(audience), name)
        organisation_id = None if audience == "public" else int(audience)
        with db.begin() as conn:
            q.store_lattice(
                conn,
                key[0],
                organisation_id,
                name,
                label_,
                None if isinstance(found, str) else found.payload(),
                found if isinstance(found, str) else None,
            )
        with self._lock:
            self._entries[key] = (label_, found)
