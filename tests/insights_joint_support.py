"""Every insight lattice of one audience, for the joint attack (benchmarks/insights_attack.py)."""

from __future__ import annotations

import contextlib
import csv
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

import polars as pl

from thbhub.insights.lattices import EXTENSIONS, Lattices
from thbhub.privacy.gate import ProtectedLattice
from thbhub.privacy.lattice import ProtectionFailed

ADDED = 3


def few_rows(target: Path, match: Mapping[str, str] | None = None, added: int = ADDED) -> Path:
    """``added`` of the bundled rows matching ``match`` (CTDC columns; by default men in
    forced labour aged 30-38, a small group)."""
    wanted = match or {"isForcedLabour": "1", "gender": "Male", "ageBroad": "30--38"}
    from thbhub.ingest.sample import sample_dir

    with (sample_dir() / "ctdc_global_bsr.csv").open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        header = list(reader.fieldnames or [])
        rows = [r for r in reader if all(r[c] == v for c, v in wanted.items())][:added]
    with target.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    return target


CTDC = (
    Path(__file__).resolve().parents[2]
    / "shared/data/ctdc-global-2018/ctdc_global_individual_database_2018.csv"
)


def every_lattice(
    lattices: Lattices,
) -> tuple[dict[str, ProtectedLattice], dict[str, pl.DataFrame], list[str]]:
    """The anchor and every extension that is not refused, the rows of each, and the
    refused ones' names."""
    found = {"anchor": lattices.protected("anchor")}
    refused = []
    for name in EXTENSIONS:
        try:
            found[name] = lattices.protected(name)
        except ProtectionFailed as e:
            refused.append(f"{name}: {e}")
    return found, lattices._cases(), refused


def every_nth(source: Path, target: Path, every: int) -> Path:
    """The header and every ``every``-th record of ``source``."""
    lines = source.read_text(encoding="utf-8").splitlines()
    target.write_text("\n".join([lines[0], *lines[1::every]]) + "\n", encoding="utf-8")
    return target


@contextlib.contextmanager
def published_world(
    *, ctdc: bool = False, every: int = 1
) -> Iterator[tuple[dict[str, ProtectedLattice], dict[str, pl.DataFrame]]]:
    """A fresh SQLite hub where one organisation published the bundled CTDC rows (or
    every ``every``-th record of the whole CTDC file): its public insight lattices."""
    from case_support import publish
    from thbhub.cases import service as cases
    from thbhub.domain.principals import Principal, Role
    from thbhub.hub import init_hub
    from thbhub.ingest.sample import sample_dir
    from thbhub.privacy.public import ProtectedTables, set_published
    from thbhub.settings import Settings
    from thbhub.storage import Database
    from thbhub.storage.cases import add_organisation

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/attack.db"
        settings = Settings(database_url=url, data_dir=Path(tmp), secret_key="attack-key-0123456")
        db = Database(url)
        init_hub(db, settings)
        with db.begin() as conn:
            org = add_organisation(conn, "ctdc")
        who = Principal(role=Role.contributor, organisation_id=org, origin="cli")
        source = CTDC if ctdc else sample_dir() / "ctdc_global_bsr.csv"
        if every > 1:
            source = every_nth(source, Path(tmp) / "every.csv", every)
        result = cases.import_cases(db, settings, who, source, org, fmt="ctdc", quarantine=True)
        publish(db, who, result["import_id"])
        set_published(db, who, org, True)
        lattices = Lattices.open(db, settings, None, "public", ProtectedTables())
        found, frames, refused = every_lattice(lattices)
        print(f"{result['rows_stored']:,} records; refused: {refused or 'none'}")
        try:
            yield found, frames
        finally:
            db.dispose()
