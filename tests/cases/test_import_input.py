"""What a case file must be before it is read, and what a contributor is protected from:
files that are not UTF-8 are refused where they fail, semicolon files are read, a file
with no rows is refused, and the same file is not imported twice by accident."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from access_support import bearer, build_world
from case_support import ctdc_row, make_org, member, write_ctdc
from thbhub.cases import service
from thbhub.cases.export import CTDC_COLUMNS
from thbhub.domain.errors import UserError
from thbhub.ingest import textfile
from thbhub.ingest.textfile import require_utf8, sniff_delimiter
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.storage.schema_cases import case_imports, case_records
from thbhub.web.app import create_app


def _counts(db: Database) -> tuple[int, int]:
    with db.connect() as conn:
        imports = conn.execute(select(func.count()).select_from(case_imports)).scalar_one()
        records = conn.execute(select(func.count()).select_from(case_records)).scalar_one()
    return imports, records


def test_require_utf8_names_the_line_and_byte(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = tmp_path / "good.csv"
    good.write_bytes("\ufeffa,b\nGrösse,Łódź\n".encode())
    require_utf8(good)  # a BOM and multi-byte letters are fine
    latin = tmp_path / "latin.csv"
    latin.write_bytes("a,b\n1,2\nGr\u00f6sse,3\n".encode("latin-1"))
    with pytest.raises(UserError, match=r"^latin\.csv: line 3, byte 3 \(0xf6\) is not UTF-8"):
        require_utf8(latin)
    # The line is counted across the blocks the file is read in, and a character split
    # by a block boundary is not mistaken for an error.
    monkeypatch.setattr(textfile, "_BLOCK", 7)
    require_utf8(good)
    with pytest.raises(UserError, match=r"line 3, byte 3 "):
        require_utf8(latin)


def test_sniff_delimiter() -> None:
    assert sniff_delimiter("a,b,c\n1,2,3") == ","
    assert sniff_delimiter("\ufeffa;b;c\n1;2;3") == ";"
    assert sniff_delimiter("a\tb\tc\n") == "\t"
    assert sniff_delimiter("a;b,c,d\n") == ","  # the header decides, most wins
    assert sniff_delimiter("") == ","


def test_latin1_case_file_is_refused_and_nothing_stored(
    settings: Settings, db: Database, tmp_path: Path
) -> None:
    org = make_org(db, "Alpha")
    path = write_ctdc(tmp_path / "cases.csv", [ctdc_row(X="1"), ctdc_row(X="2")])
    text = path.read_text(encoding="utf-8").replace("Case Management", "Caso Menedžment")
    path.write_bytes(text.encode("cp1257"))  # a Baltic Windows code page
    before = _counts(db)
    with pytest.raises(UserError, match=r"^cases\.csv: line 2, byte \d+ \(0x\w\w\) is not UTF-8"):
        service.import_cases(db, settings, member(org), path, org)
    assert _counts(db) == before


def test_semicolon_file_reads_as_the_comma_file(
    settings: Settings, db: Database, tmp_path: Path
) -> None:
    a, b = make_org(db, "Alpha"), make_org(db, "Beta")
    rows = [ctdc_row(X="1"), ctdc_row(X="2", citizenship="LT", gender="Male")]
    comma = write_ctdc(tmp_path / "comma.csv", rows)
    semi = tmp_path / "semi.csv"
    semi.write_text(
        ";".join(CTDC_COLUMNS)
        + "\n"
        + "\n".join(";".join(str(r[c]) for c in CTDC_COLUMNS) for r in rows)
        + "\n",
        encoding="utf-8-sig",
    )
    service.import_cases(db, settings, member(a), comma, a)
    service.import_cases(db, settings, member(b), semi, b)
    drop = ("id", "import_id", "organisation_id")

    def records(org: int) -> list[dict[str, object]]:
        rows = service.list_cases(db, member(org), org, full=True)
        return [{k: v for k, v in r.items() if k not in drop} for r in rows]

    assert records(b) == records(a) and len(records(a)) == 2


def test_header_only_file_is_refused(settings: Settings, db: Database, tmp_path: Path) -> None:
    org = make_org(db, "Alpha")
    path = write_ctdc(tmp_path / "empty.csv", [])
    before = _counts(db)
    with pytest.raises(UserError, match=r"^empty\.csv: no rows under the header"):
        service.import_cases(db, settings, member(org), path, org)
    assert _counts(db) == before


def test_the_same_file_is_not_imported_twice_by_accident(
    settings: Settings, db: Database, tmp_path: Path
) -> None:
    org, other = make_org(db, "Alpha"), make_org(db, "Beta")
    path = write_ctdc(tmp_path / "c.csv", [ctdc_row(X="1"), ctdc_row(X="2")])
    first = service.import_cases(db, settings, member(org), path, org)
    before = _counts(db)
    with pytest.raises(UserError) as refused:
        service.import_cases(db, settings, member(org), path, org, quarantine=True)
    message = str(refused.value)
    assert message.startswith("c.csv: this file was already imported on ")
    assert f"as import {first['import_id']} (2 records stored); nothing was stored" in message
    assert "--again" in message
    assert _counts(db) == before
    # Another organisation holding the same file is not a duplicate of this one's.
    service.import_cases(db, settings, member(other), path, other)
    # Asked for, it is imported again.
    again = service.import_cases(db, settings, member(org), path, org, again=True)
    assert again["rows_stored"] == 2
    assert len(service.list_cases(db, member(org), org)) == 4


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_upload_errors_name_the_users_file(
    settings: Settings, db: Database, tmp_path: Path
) -> None:
    from fastapi.testclient import TestClient

    world = build_world(settings, db)
    client = TestClient(create_app(settings, db))
    h = bearer(world, "contributor")
    body = write_ctdc(tmp_path / "x.csv", [ctdc_row(X="1")]).read_bytes()
    latin = body.replace(b"Case Management", "Caso Menedžment".encode("cp1257"))
    r = client.post(
        "/api/v1/cases/import",
        headers=h,
        files={"file": ("Lietuvos atvejai 2024.csv", latin, "text/csv")},
    )
    assert r.status_code == 400
    assert r.json()["error"]["message"].startswith("Lietuvos atvejai 2024.csv: line 2, byte ")
    files = {"file": ("Lietuvos atvejai 2024.csv", body, "text/csv")}
    assert client.post("/api/v1/cases/import", headers=h, files=files).status_code == 200
    again = client.post("/api/v1/cases/import", headers=h, files=files)
    assert again.status_code == 409
    assert "already imported" in again.json()["error"]["message"]
    r = client.post("/api/v1/cases/import", headers=h, files=files, data={"again": "true"})
    assert r.status_code == 200 and r.json()["rows_stored"] == 1


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_upload_page_keeps_the_form_and_says_why(
    settings: Settings, db: Database, tmp_path: Path
) -> None:
    from access_support import browser_client, page_csrf

    world = build_world(settings, db)
    client = browser_client(create_app(settings, db), world, "contributor")
    body = write_ctdc(tmp_path / "x.csv", [ctdc_row(X="1")]).read_bytes()

    def post(data: dict[str, str]) -> tuple[int, str]:
        r = client.post(
            "/cases/upload",
            data={"csrf_token": page_csrf(client), **data},
            files={"file": ("our cases.csv", body, "text/csv")},
        )
        return r.status_code, r.text

    assert post({})[0] == 200
    status, page = post({})  # a reload of the page re-sends the same file
    assert status == 409
    assert "Not imported: nothing was stored" in page
    assert "our cases.csv: this file was already imported on" in page
    assert 'name="again"' in page and '<form method="post" action="/cases/upload"' in page
    status, page = post({"again": "true"})
    assert status == 200 and "1 of 1 rows stored" in page
    assert "at most 25 MB" in client.get("/cases/upload").text


def test_records_read_back_do_not_share_their_lists(
    settings: Settings, db: Database, tmp_path: Path
) -> None:
    # Rows repeat their JSON values and decoding each once is what makes exports fast; a
    # caller changing one record's list must not change another's.
    org = make_org(db, "Alpha")
    path = write_ctdc(tmp_path / "c.csv", [ctdc_row(X="1"), ctdc_row(X="2")])
    service.import_cases(db, settings, member(org), path, org)
    from thbhub.storage.cases import record_rows

    with db.connect() as conn:
        first, second = record_rows(conn, org)
    assert first["forms"] == second["forms"] == ["form:sexual-exploitation"]
    assert first["extra"] == second["extra"] and first["extra"]
    first["forms"].append("form:other")
    first["extra"]["x"] = "y"
    assert second["forms"] == ["form:sexual-exploitation"] and "x" not in second["extra"]


def test_ctdc_header_without_a_required_column_is_not_taken_for_htcds(
    settings: Settings, db: Database, tmp_path: Path
) -> None:
    org = make_org(db, "Alpha")
    header = [c for c in CTDC_COLUMNS if c != "gender"]
    from case_support import write_csv

    path = write_csv(tmp_path / "nogender.csv", header, [ctdc_row(X="1")])
    before = _counts(db)
    with pytest.raises(
        UserError,
        match=r"^nogender\.csv: row 1: a CTDC header without the required column\(s\) gender",
    ):
        service.import_cases(db, settings, member(org), path, org)
    assert _counts(db) == before


def test_rows_with_too_few_or_too_many_cells_are_problems(
    settings: Settings, db: Database, tmp_path: Path
) -> None:
    org = make_org(db, "Alpha")
    path = write_ctdc(tmp_path / "ragged.csv", [ctdc_row(X="1"), ctdc_row(X="2"), ctdc_row(X="3")])
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[2] = ",".join(lines[2].split(",")[:10])  # row 3: 10 of 58 cells
    lines[3] = lines[3] + ",extra"  # row 4: one too many
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(service.CaseFileRejected) as rejected:
        service.import_cases(db, settings, member(org), path, org)
    found = {(p.row, p.column, p.rule) for p in rejected.value.problems}
    assert (3, "(row)", f"has 10 cells, the header {len(CTDC_COLUMNS)}") in found
    assert (
        4,
        "(row)",
        f"has {len(CTDC_COLUMNS) + 1} cells, the header {len(CTDC_COLUMNS)}",
    ) in found
    stored = service.import_cases(db, settings, member(org), path, org, quarantine=True)
    assert stored["rows_stored"] == 1 and stored["rows_quarantined"] == 2


def test_repeated_column_names_are_refused(
    settings: Settings, db: Database, tmp_path: Path
) -> None:
    from case_support import HTCDS_HEADER, htcds_rows, write_csv

    org = make_org(db, "Alpha")
    ctdc = write_ctdc(tmp_path / "twice.csv", [ctdc_row(X="1")])
    lines = ctdc.read_text(encoding="utf-8").splitlines()
    ctdc.write_text(lines[0] + ",gender\n" + lines[1] + ",Male\n", encoding="utf-8")
    with pytest.raises(
        UserError,
        match=r"^twice\.csv, row 1, column 'gender': column name repeated in the header "
        r"\(columns 4 and 60\)",
    ):
        service.import_cases(db, settings, member(org), ctdc, org)
    htcds = tmp_path / "twice-htcds.csv"
    write_csv(htcds, HTCDS_HEADER, htcds_rows())
    lines = htcds.read_text(encoding="utf-8").splitlines()
    htcds.write_text(
        "\n".join([lines[0] + ",prs_Gender", *(line + ",Masculine" for line in lines[1:])]) + "\n",
        encoding="utf-8",
    )
    with pytest.raises(UserError, match=r"column 'prs_Gender': column name repeated in the header"):
        service.import_cases(db, settings, member(org), htcds, org, fmt="htcds")
    assert _counts(db) == (0, 0)


def test_htcds_csv_row_with_missing_cells_is_a_problem(
    settings: Settings, db: Database, tmp_path: Path
) -> None:
    from case_support import HTCDS_HEADER, htcds_rows, write_csv

    org = make_org(db, "Alpha")
    path = write_csv(tmp_path / "short.csv", HTCDS_HEADER, htcds_rows())
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[2] = ",".join(lines[2].split(",")[:20])
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(service.CaseFileRejected) as rejected:
        service.import_cases(db, settings, member(org), path, org)
    assert any(p.row == 3 and p.column == "(row)" for p in rejected.value.problems)
