"""Spreadsheets are bounded before and while they are read: a compressed "zip bomb" is
refused from its zip directory, without being inflated, on the API and the CLI alike; a
workbook over the expanded-size limit, and a sheet with too many rows or columns (counted, or
declared by the sheet), are refused with one line naming the file and the limit; nothing is
stored."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from access_support import bearer, build_world
from case_support import HTCDS_HEADER, htcds_rows, make_org, member, write_csv
from thbhub.cases import service
from thbhub.cli import main
from thbhub.ingest.workbook import SpreadsheetTooLarge
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.storage.schema_cases import case_imports, case_records
from thbhub.web.app import create_app

SHEET = "xl/worksheets/sheet1.xml"
_ROW = (
    b'<row><c t="inlineStr"><is><t>Feminine</t></is></c>'
    b'<c t="inlineStr"><is><t>UA</t></is></c></row>'
)


def zip_bomb(path: Path, expanded_mb: int = 110) -> Path:
    """A real workbook (openpyxl's, with an HTCDS header) whose sheet is then replaced by one
    that repeats a data row until it is ``expanded_mb`` of XML: about 0.4 MB on disk, 290
    times smaller than its sheet, as the bomb of the issue (3.6 MB that expand to 1 GB)."""
    plain = path.with_suffix(".plain.xlsx")
    wb = openpyxl.Workbook()
    wb.active.append(["prs_Gender", "prs_Citizenship"])
    wb.save(plain)
    chunk = _ROW * ((1 << 20) // len(_ROW))
    with (
        zipfile.ZipFile(plain) as src,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out,
    ):
        for item in src.infolist():
            if item.filename != SHEET:
                out.writestr(item, src.read(item.filename))
                continue
            with out.open(SHEET, "w", force_zip64=True) as fh:
                fh.write(
                    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/'
                    b'main"><sheetData><row><c t="inlineStr"><is><t>prs_Gender</t></is></c>'
                    b'<c t="inlineStr"><is><t>prs_Citizenship</t></is></c></row>'
                )
                for _ in range(expanded_mb):
                    fh.write(chunk)
                fh.write(b"</sheetData></worksheet>")
    plain.unlink()
    return path


def htcds_xlsx(path: Path, rows: int, extra_columns: int = 0) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HTCDS_HEADER + [f"note{i}" for i in range(extra_columns)])
    template = htcds_rows()[2]
    for _ in range(rows):
        ws.append([template.get(h) for h in HTCDS_HEADER])
    wb.save(path)
    return path


def _stored(db: Database) -> tuple[int, int]:
    with db.connect() as conn:
        return (
            conn.execute(select(func.count()).select_from(case_imports)).scalar_one(),
            conn.execute(select(func.count()).select_from(case_records)).scalar_one(),
        )


def test_zip_bomb_is_refused_on_the_api_without_inflating_it(
    settings: Settings, db: Database, tmp_path: Path
) -> None:
    bomb = zip_bomb(tmp_path / "bomb.xlsx")
    assert bomb.stat().st_size < 1_000_000  # small on disk, 110 MB of XML inside
    world = build_world(settings, db)
    client = TestClient(create_app(settings, db))
    before = _stored(db)
    response = client.post(
        "/api/v1/cases/import",
        headers=bearer(world, "contributor"),
        files={"file": ("bomb.xlsx", bomb.read_bytes())},
    )
    assert response.status_code == 413, response.text
    message = response.json()["error"]["message"]
    assert message.startswith("bomb.xlsx: part 'xl/worksheets/sheet1.xml' expands ")
    assert "(to 115 MB)" in message and "nothing was stored" in message
    assert "\n" not in message
    assert _stored(db) == before


def test_zip_bomb_is_refused_by_the_cli(
    db: Database,
    db_url: str,
    tmp_path: Path,
    cli_env: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    make_org(db, "NGO Bomb")
    bomb = zip_bomb(tmp_path / "bomb.xlsx")
    before = _stored(db)
    code = main(["--db", db_url, "import", "cases", str(bomb), "--org", "NGO Bomb"])
    assert code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("error: bomb.xlsx: part 'xl/worksheets/sheet1.xml' expands ")
    assert _stored(db) == before


def test_expanded_size_rows_and_columns_are_limited(
    settings: Settings, db: Database, tmp_path: Path
) -> None:
    org = make_org(db, "Limited")
    who = member(org)
    path = htcds_xlsx(tmp_path / "cases.xlsx", rows=30)
    before = _stored(db)
    # The whole workbook, uncompressed, over the limit (an ordinary compression ratio).
    small = settings.model_copy(update={"sheet_max_mb": 0.01})
    with pytest.raises(SpreadsheetTooLarge, match=r"^cases\.xlsx: the workbook expands to "):
        service.import_cases(db, small, who, path, org)
    # Rows: counted as they are read (the header is a row too).
    few = settings.model_copy(update={"sheet_max_rows": 20})
    with pytest.raises(
        SpreadsheetTooLarge, match=r"^cases\.xlsx, sheet 'Sheet': more than 20 rows"
    ):
        service.import_cases(db, few, who, path, org)
    # Columns: the sheet declares them (openpyxl pads every row to the declared width).
    narrow = settings.model_copy(update={"sheet_max_columns": len(HTCDS_HEADER) + 2})
    wide = htcds_xlsx(tmp_path / "wide.xlsx", rows=2, extra_columns=5)
    with pytest.raises(SpreadsheetTooLarge, match=r"more than \d+ columns"):
        service.import_cases(db, narrow, who, wide, org)
    # An HTCDS CSV is counted the same way.
    csv_path = write_csv(tmp_path / "cases.csv", HTCDS_HEADER, htcds_rows() * 10)
    with pytest.raises(SpreadsheetTooLarge, match=r"^cases\.csv: more than 20 rows"):
        service.import_cases(db, few, who, csv_path, org, fmt="htcds")
    assert _stored(db) == before
    # Within the limits the same workbook imports.
    result = service.import_cases(db, settings, who, path, org, quarantine=True)
    assert result["rows_read"] == 30


def test_a_sheet_declaring_a_huge_dimension_is_refused_before_its_rows_are_read(
    settings: Settings, db: Database, tmp_path: Path
) -> None:
    """A few bytes can declare a sheet of 16,384 columns: openpyxl would pad every row to it."""
    org = make_org(db, "Declared")
    path = htcds_xlsx(tmp_path / "declared.xlsx", rows=2)
    rewritten = tmp_path / "declared2.xlsx"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(rewritten, "w") as out:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == SHEET:
                start = data.index(b"<dimension ref=")
                end = data.index(b"/>", start)
                data = data[:start] + b'<dimension ref="A1:XFD1048576"' + data[end:]
            out.writestr(item, data)
    with pytest.raises(SpreadsheetTooLarge, match=r"more than 250,000 rows"):
        service.import_cases(db, settings, member(org), rewritten, org)
