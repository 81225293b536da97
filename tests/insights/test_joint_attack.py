"""Every insight lattice of the public audience read together (issue 17, "Gate"): the
published cells of the anchor and of all extension lattices, fed at once to the versions
attacker's linear program (benchmarks/insights_attack.py over
benchmarks/versions_attack.attacker_lp), pin no count into 1..k-1; and no count is published
by two lattices with two different numbers."""

from __future__ import annotations

import polars as pl
import pytest
from benchmarks.insights_attack import attack, cells_of

from insights_joint_support import every_lattice
from insights_support import ctdc_world
from thbhub.insights import modus
from thbhub.insights.lattices import FORMS, SHARED, Lattices
from thbhub.privacy.gate import ProtectedLattice
from thbhub.privacy.public import ProtectedTables
from thbhub.settings import Settings
from thbhub.storage import Database


@pytest.fixture
def public(settings: Settings, db: Database) -> tuple[Lattices, dict[str, ProtectedLattice]]:
    ctdc_world(settings, db, published=True)
    lattices = Lattices.open(db, settings, None, "public", ProtectedTables())
    found, _frames, refused = every_lattice(lattices)
    assert not refused, refused  # the bundled records: every lattice is published
    return lattices, found


def test_all_lattices_together_pin_no_small_count(
    public: tuple[Lattices, dict[str, ProtectedLattice]],
) -> None:
    lattices, found = public
    results = attack(found, lattices._cases())
    assert set(results) == {"forms", "means", "sector", "recruiter", "pairs"}
    # the attack has questions to answer: cells with a true count in 1..k-1
    assert sum(r["targets"] for r in results.values()) > 100
    for name, r in results.items():
        assert r["asked"] == r["targets"]
        assert r["pinned"] == 0, (name, r["exposed"][:5])


def test_a_count_two_lattices_hold_is_one_number(
    public: tuple[Lattices, dict[str, ProtectedLattice]],
) -> None:
    """A form lattice's cell holding all the records of a public cell (the flag's other
    values are zeros there) shows the public cell's number: one count, one noise; and the
    diagonal of the means matrix (the records listing a means) is only the means lattice's."""
    lattices, found = public
    anchor = cells_of(found["anchor"], keep=lambda key: "organisation" not in key)
    same = 0
    for f in FORMS:
        lattice = found[f].lattice
        for key, table in lattice.tables.items():
            if f not in key or len(key) == 1:
                continue
            rest = tuple(d for d in key if d != f)
            parent = lattice.tables[rest]
            joined = table.join(
                parent.select([*rest, pl.col("n").alias("_n")]), on=list(rest)
            ).filter(pl.col("n") == pl.col("_n"))
            for row in joined.iter_rows(named=True):
                cell = tuple(sorted((d, str(row[d])) for d in rest))
                mine = cells_of(found[f], keep=lambda k, key=key: k == key)
                shown = mine[tuple(sorted((d, str(row[d])) for d in key))]
                assert shown == anchor[cell], (key, row)
                same += 1
    assert same > 50, "the bundled records have such cells (one year, one country, ...)"
    assert set(SHARED) <= set(found[FORMS[0]].lattice.dims)
    # the pairs lattice by form holds no a + a: the matrix reads it from the means lattice
    pairs = found["pairs"].lattice.categories["pair"]
    assert pairs and all(a != b for a, _, b in (p.partition(" + ") for p in pairs))
    matrix = modus.cooccurrence(lattices)
    means = lattices.table(["means"])
    diagonal = {c["means"]: c["count"] for c in matrix["cells"] if c["means"] == c["with"]}
    assert diagonal
    for c in means.cells:
        if c.key[0] in diagonal:
            assert diagonal[c.key[0]] == c.count
