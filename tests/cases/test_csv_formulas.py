"""CSV files of case records (exports and the quarantine's fix file) are opened in
spreadsheet programs: contributed text that would run as a formula is written as text, and
reads back as it was, so exports still import as the same records."""

from __future__ import annotations

import csv
from pathlib import Path

from case_support import HTCDS_HEADER, ctdc_row, htcds_rows, make_org, member, write_csv, write_ctdc
from thbhub.cases import exports, service
from thbhub.domain.spreadsheet import csv_text, from_csv_text
from thbhub.settings import Settings
from thbhub.storage import Database

FORMULAS = [
    '=HYPERLINK("http://evil.example","x")',
    "=cmd|' /C calc'!A0",
    "@SUM(1+1)",
    "+1+2",
    "-2+3+cmd|' /C calc'!A0",
]


def test_csv_text_round_trips_and_leaves_numbers() -> None:
    for value in [*FORMULAS, "\tx", "plain", "'quoted", "-99", "-1.5", "+7", ""]:
        assert from_csv_text(str(csv_text(value))) == value
    assert all(str(csv_text(v)).startswith("'") for v in FORMULAS)
    assert csv_text("-99") == "-99" and csv_text(-99) == -99


def _cells(path: Path) -> list[str]:
    with path.open(encoding="utf-8", newline="") as fh:
        return [cell for row in csv.reader(fh) for cell in row]


def test_htcds_csv_export_keeps_formulas_text_and_imports_back(
    settings: Settings, db: Database, tmp_path: Path
) -> None:
    a, b = make_org(db, "Alpha"), make_org(db, "Beta")
    rows = htcds_rows()[:2]
    rows[0]["cas_IncomingReferralDetails"] = FORMULAS[0]
    rows[1]["cas_IncomingReferralDetails"] = FORMULAS[1]
    keep = ["cas_IncomingReferralDetails"]
    path = write_csv(tmp_path / "in.csv", HTCDS_HEADER, rows)
    service.import_cases(db, settings, member(a), path, a, keep_text=keep)
    out = tmp_path / "out.csv"
    exports.export_cases(db, member(a), a, "htcds", out)
    cells = _cells(out)
    assert not any(c.startswith(("=", "@", "+")) for c in cells)
    assert "'" + FORMULAS[0] in cells
    service.import_cases(db, settings, member(b), out, b, keep_text=keep)
    texts = [r["free_text"] for r in service.list_cases(db, member(b), b, full=True)]
    assert texts == [{keep[0]: FORMULAS[0]}, {keep[0]: FORMULAS[1]}]


def test_fix_file_keeps_formulas_text_and_reads_them_back(
    settings: Settings, db: Database, tmp_path: Path
) -> None:
    # CTDC's columns are all validated codes; what a contributor typed reaches a CSV through
    # the quarantine's fix file, which users are told to open and correct.
    org = make_org(db, "Alpha")
    rows = [ctdc_row(X="1"), ctdc_row(X="2", Datasource=FORMULAS[1], yearOfRegistration="-99")]
    path = write_ctdc(tmp_path / "in.csv", rows)
    service.import_cases(db, settings, member(org), path, org, quarantine=True)
    fix = tmp_path / "fix.csv"
    exports.export_quarantine(db, member(org), org, fix)
    cells = _cells(fix)
    assert "'" + FORMULAS[1] in cells and "-99" in cells
    assert not any(c.startswith(("=", "@")) for c in cells)
    # Re-imported as it is, the cell is read as the formula text it was (and is still not a
    # CTDC data source): the apostrophe is the file's, not the value's.
    service.import_cases(db, settings, member(org), fix, org, quarantine=True)
    problems = [p for q in service.quarantine(db, member(org), org) for p in q["problems"]]
    assert {p["value"] for p in problems if p["column"] == "Datasource"} == {FORMULAS[1]}
