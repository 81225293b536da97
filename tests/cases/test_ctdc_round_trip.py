"""The real CTDC global file through the user's path: `thbhub import cases --quarantine`,
then `thbhub export cases --format ctdc`, compared with the original read as plain CSV
(Python's csv module, none of the hub's normalisation), matched on ``X``, every cell.

The only differences allowed (docs/cases.md, "Export and the round trip"): the 4 junk rows
are quarantined, not exported; inside ``RecruiterRelationship`` the order of the values.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from case_support import make_org
from support import shared_file
from thbhub.cli import main
from thbhub.storage import Database

CTDC_FILE = "ctdc-global-2018/ctdc_global_individual_database_2018.csv"


def _read(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


def _same(column: str, a: str, b: str) -> bool:
    if column == "RecruiterRelationship":  # the one documented difference: the order inside
        return sorted(a.split("; ")) == sorted(b.split("; "))
    return a == b


@pytest.mark.slow
def test_the_real_file_round_trips_cell_by_cell(
    db: Database, db_url: str, tmp_path: Path, cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = shared_file(CTDC_FILE)
    make_org(db, "Round trip")
    args = ["--db", db_url]
    imported = ["import", "cases", str(source), "--org", "Round trip", "--quarantine"]
    assert main([*args, *imported]) == 0
    out = tmp_path / "out.csv"
    exported = ["export", "cases", "--org", "Round trip", "--format", "ctdc", "-o", str(out)]
    assert main([*args, *exported]) == 0
    capsys.readouterr()

    header, original = _read(source)
    out_header, written = _read(out)
    assert out_header == header  # every column, in the file's order
    assert len(header) == 59  # X and the 58 columns of the dataset
    by_x = {row[0]: row for row in original}
    junk = [row for row in original if not row[0]]
    # the junk rows at the end (two empty, years 1667367 and 139912) have no X
    assert len(junk) == 4 and len(by_x) == 47_102 + 1
    assert [row[0] for row in written] == [row[0] for row in original if row[0]]

    differing: dict[str, int] = {}
    compared = 0
    for row in written:
        source_row = by_x[row[0]]
        assert len(row) == len(source_row) == 59
        for column, mine, theirs in zip(header, row, source_row, strict=True):
            compared += 1
            if not _same(column, mine, theirs):
                differing[column] = differing.get(column, 0) + 1
    assert compared == 47_102 * 59
    assert differing == {}
