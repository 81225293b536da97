"""Insights across data versions: a visitor saves every insight number, another organisation
publishes a few records, and the visitor reads everything again and puts both versions'
numbers into the versions attacker's linear program (benchmarks/versions_attack.py through
benchmarks/insights_attack.py): how many of the added records can be pinned to a cell."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from benchmarks.insights_attack import attack_versions

from case_support import publish
from insights_joint_support import ADDED, every_lattice, few_rows
from insights_support import ctdc_world
from thbhub.cases import service
from thbhub.cases.service import import_cases
from thbhub.insights import protection
from thbhub.insights.lattices import Lattices
from thbhub.privacy import gate
from thbhub.privacy.public import ProtectedTables, set_published
from thbhub.settings import Settings
from thbhub.storage import Database

Versions = tuple[dict[str, Any], dict[str, Any]]


#: What Beta publishes in version 2: copies of Alpha's rows matching these CTDC columns.
FEW_MEN = ({"isForcedLabour": "1", "gender": "Male", "ageBroad": "30--38"}, ADDED)
MORE_LABOUR = ({"isForcedLabour": "1"}, 20)


def two_versions(
    settings: Settings, db: Database, tmp_path: Path, beta_rows: tuple[dict[str, str], int]
) -> Any:
    """Alpha publishes the bundled records (version 1, read as the public); then Beta
    publishes copies of some of them (version 2): both versions' lattices and rows, the
    newest first, and what each refused."""
    w = ctdc_world(settings, db, published=True)
    before = every_lattice(Lattices.open(db, settings, None, "public", ProtectedTables()))
    beta = w.principal("foreign")
    path = few_rows(tmp_path / "few.csv", *beta_rows)
    import_cases(db, settings, beta, path, w.orgs["beta"], fmt="ctdc", quarantine=True)
    (imported,) = service.imports(db, beta, w.orgs["beta"])
    publish(db, beta, imported["id"])
    set_published(db, beta, w.orgs["beta"], True)
    after = every_lattice(Lattices.open(db, settings, None, "public", ProtectedTables()))
    assert after[1]["base"].height == before[1]["base"].height + beta_rows[1]
    return after, before


@pytest.mark.parametrize(
    ("beta_rows", "published"),
    [
        # three men: the means of control stay published beside them (the form lattices'
        # audit would suppress a public cell: refused for this version)
        (FEW_MEN, {"means", "pairs", "pairs_sector"}),
        # twenty more in forced labour: the four form lattices, audited together against
        # version 1, are published
        (MORE_LABOUR, {"form_sexual_exploitation", "form_labour_exploitation", "pairs"}),
    ],
)
def test_saved_insights_do_not_pin_records_added_by_a_publication(
    settings: Settings,
    db: Database,
    tmp_path: Path,
    beta_rows: tuple[dict[str, str], int],
    published: set[str],
) -> None:
    after, before = two_versions(settings, db, tmp_path, beta_rows)
    assert not before[2]  # version 1: every lattice published
    assert {"anchor", *published} <= set(after[0]), after[2]
    found = attack_versions([after[:2], before[:2]])
    assert sum(r["targets"] for r in found.values()) > 100, "the added records are small cells"
    for name, r in found.items():
        assert r["pinned"] == 0, (name, r["exposed"][:5])


def test_without_the_versions_audit_the_attack_recovers_added_records(
    settings: Settings, db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The attack can fail: with the insights' versions audit off (each version protected
    alone, as before it), the same two versions pin records Beta added."""

    def alone(*_args: Any, **_kwargs: Any) -> Any:
        return None

    monkeypatch.setattr(gate, "protect_extension_across", alone)
    monkeypatch.setattr(protection, "protect_extension_across", alone)
    after, before = two_versions(settings, db, tmp_path, FEW_MEN)
    found = attack_versions([after[:2], before[:2]])
    assert sum(r["pinned"] for r in found.values()) > 0, found
