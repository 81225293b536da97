"""Insights across data versions: a visitor saves every insight number, another organisation
publishes a few records, and the visitor reads everything again and puts both versions'
numbers into the versions attacker's linear program (benchmarks/versions_attack.py through
benchmarks/insights_attack.py): how many of the added records can be pinned to a cell."""

from __future__ import annotations

from pathlib import Path

from benchmarks.insights_attack import attack_versions

from case_support import publish
from insights_joint_support import ADDED, every_lattice, few_rows
from insights_support import ctdc_world
from thbhub.cases import service
from thbhub.cases.service import import_cases
from thbhub.insights.lattices import Lattices
from thbhub.privacy.public import ProtectedTables, set_published
from thbhub.settings import Settings
from thbhub.storage import Database


def test_saved_insights_do_not_pin_records_added_by_a_publication(
    settings: Settings, db: Database, tmp_path: Path
) -> None:
    w = ctdc_world(settings, db, published=True)
    before = every_lattice(Lattices.open(db, settings, None, "public", ProtectedTables()))
    beta = w.principal("foreign")
    import_cases(
        db,
        settings,
        beta,
        few_rows(tmp_path / "few.csv"),
        w.orgs["beta"],
        fmt="ctdc",
        quarantine=True,
    )
    (imported,) = service.imports(db, beta, w.orgs["beta"])
    publish(db, beta, imported["id"])
    set_published(db, beta, w.orgs["beta"], True)
    after = every_lattice(Lattices.open(db, settings, None, "public", ProtectedTables()))
    assert after[1]["base"].height == before[1]["base"].height + ADDED
    print("refused before", before[2], "after", after[2])
    found = attack_versions([after[:2], before[:2]])
    print({name: (r["targets"], r["asked"], r["pinned"]) for name, r in found.items()})
    assert sum(r["targets"] for r in found.values()), "the added records are small cells"
    for name, r in found.items():
        assert r["pinned"] == 0, (name, r["exposed"][:5])
