"""`thbhub release` and `thbhub privacy table` on bad or risky input, as a user runs them:
every refusal is one line, exit code 1, and leaves the database exactly as it was."""

from __future__ import annotations

import csv
import json
import stat
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import func, select

from support_privacy import within_noise
from thbhub.access import users
from thbhub.cases.service import import_cases
from thbhub.cli import main
from thbhub.domain.principals import Role
from thbhub.ingest.sample import sample_dir
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.storage.schema import audit_log
from thbhub.storage.schema_privacy import privacy_ledger, privacy_releases

CTDC_PERSON = [
    "yearOfRegistration",
    "gender",
    "ageBroad",
    "majorityStatus",
    "majorityStatusAtExploit",
    "majorityEntry",
    "citizenship",
    "CountryOfExploitation",
]


@pytest.fixture
def org(db: Database, settings: Settings) -> str:
    name = "Police LT"
    org_id = users.add_organisation(db, users.operator(), name, "LT", "agency")["id"]
    owner = users.operator(Role.contributor, org_id)
    csv_path = sample_dir() / "ctdc_global_bsr.csv"
    import_cases(db, settings, owner, csv_path, org_id, fmt="ctdc", quarantine=True)
    return name


@pytest.fixture
def ctdc_file(tmp_path: Path) -> Path:
    """The bundled CTDC extract (579 records, CTDC's own layout with its row id X)."""
    path = tmp_path / "ctdc.csv"
    path.write_bytes((sample_dir() / "ctdc_global_bsr.csv").read_bytes())
    return path


def run(db_url: str, *args: str) -> int:
    return main(["--db", db_url, *args])


def counts(db: Database) -> tuple[int, int, int]:
    with db.connect() as conn:
        return tuple(  # type: ignore[return-value]
            int(conn.execute(select(func.count()).select_from(t)).scalar_one())
            for t in (audit_log, privacy_releases, privacy_ledger)
        )


def one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    return err


# -- 1. quasi-identifiers --------------------------------------------------------------------


def test_unknown_quasi_identifiers_are_refused_and_nothing_released(
    db: Database, db_url: str, org: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = counts(db)
    out = tmp_path / "typo.csv"
    qi = "year,sex,agee,citizenship,contry"
    code = run(
        db_url, "release", "cases", "--org", org, "--method", "kanon", "--qi", qi, "-o", str(out)
    )
    assert code == 1
    err = one_line_error(capsys)
    assert "'agee'" in err and "'contry'" in err and "valid: 'year', 'sex', 'age'" in err
    assert not out.exists() and not (tmp_path / "typo.utility.json").exists()
    assert counts(db) == before


def test_a_person_column_left_out_of_qi_is_refused(
    db: Database, db_url: str, org: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = counts(db)
    args = ["release", "cases", "--org", org, "--method", "kanon", "--qi", "year,sex"]
    assert run(db_url, *args, "-o", str(tmp_path / "k.csv")) == 1
    err = one_line_error(capsys)
    assert "'age', 'citizenship', 'country'" in err and "ungeneralised" in err
    assert counts(db) == before


def test_ctdc_file_uses_every_person_column_and_drops_the_row_id(
    db_url: str, org: str, ctdc_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "rf.csv"
    args = ["release", "file", "--org", org, "-i", str(ctdc_file), "--method", "kanon"]
    assert run(db_url, *args, "--k", "11", "-o", str(out), "-f", "json") == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["quasi_identifiers"] == CTDC_PERSON
    assert summary["columns_left_out"] == ["X"]
    released = pl.read_csv(out, infer_schema_length=0)
    assert "X" not in released.columns
    assert released.height == summary["records_released"] > 0
    sizes = released.group_by(CTDC_PERSON).len()["len"]
    assert sizes.min() >= 11  # type: ignore[operator]


def test_unrecognised_file_needs_qi(
    db: Database, db_url: str, org: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "mine.csv"
    rows = [{"when": str(2000 + i % 3), "who": "F" if i % 2 else "M"} for i in range(40)]
    pl.DataFrame(rows).write_csv(path)
    before = counts(db)
    args = ["release", "file", "--org", org, "-i", str(path), "--method", "kanon"]
    assert run(db_url, *args, "-o", str(tmp_path / "r.csv")) == 1
    assert "--qi" in one_line_error(capsys)
    assert counts(db) == before
    assert run(db_url, *args, "--qi", "when,who", "--k", "5", "-o", str(tmp_path / "r.csv")) == 0
    released = pl.read_csv(tmp_path / "r.csv", infer_schema_length=0)
    assert released.group_by(["when", "who"]).len()["len"].min() >= 5  # type: ignore[operator]


# -- 2. privacy table: bounded dimensions ----------------------------------------------------


@pytest.fixture
def ctdc50(tmp_path: Path) -> Path:
    """The first 50 records of the bundled CTDC extract (58 columns)."""
    lines = (sample_dir() / "ctdc_global_bsr.csv").read_text(encoding="utf-8").splitlines()
    path = tmp_path / "ctdc50.csv"
    path.write_text("\n".join(lines[:51]) + "\n", encoding="utf-8")
    return path


def test_table_refuses_unknown_dimensions_at_once(
    db_url: str, ctdc50: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(db_url, "privacy", "table", "-i", str(ctdc50), "--by", "sex,age") == 1
    err = one_line_error(capsys)
    assert "unknown dimension(s) 'sex', 'age'" in err and "gender, ageBroad" in err
    assert run(db_url, "privacy", "table", "-i", str(ctdc50), "--where", "garbage") == 1
    assert "dimension=value" in one_line_error(capsys)


def test_table_of_a_ctdc_file_by_gender_and_age(
    db_url: str, ctdc50: Path, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["privacy", "table", "-i", str(ctdc50), "--by", "gender,ageBroad", "-f", "json"]
    assert run(db_url, *args) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows and all(r["count"] is None or r["count"] == 0 or r["count"] >= 5 for r in rows)
    total = next(r for r in rows if r.get("margin") == "total")["count"]
    assert within_noise(total, 50, settings)  # the cell key method's noise at most


def test_table_lattice_is_bounded(
    db_url: str, ctdc50: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    header = ctdc50.read_text(encoding="utf-8").splitlines()[0].split(",")
    dims = ",".join(header[1:30])
    args = ["privacy", "table", "-i", str(ctdc50), "--by", "gender"]
    assert run(db_url, *args, "--dimensions", dims) == 1
    assert "MAX_TABLES" in one_line_error(capsys)
    assert run(db_url, *args, "--dimensions", "X,gender") == 1
    assert "'X'" in one_line_error(capsys)
    other = tmp_path / "other.csv"
    pl.DataFrame({"a": ["x"] * 10, "b": ["y"] * 10}).write_csv(other)
    assert run(db_url, "privacy", "table", "-i", str(other), "--by", "a") == 1
    assert "--dimensions" in one_line_error(capsys)


# -- 3. failing commands leave the database as it was -----------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        ["--method", "kanon", "--k", "0"],
        ["--method", "foo"],
        ["--method", "kanon", "--qi", "bogus"],
        ["--method", "kanon", "--columns", "bogus"],
        ["--method", "kanon", "--as", "xml"],
        ["--method", "dp", "--epsilon", "0"],
    ],
)
def test_failing_release_writes_nothing(
    db: Database,
    db_url: str,
    org: str,
    tmp_path: Path,
    options: list[str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    before = counts(db)
    out = tmp_path / "r.csv"
    assert run(db_url, "release", "cases", "--org", org, *options, "-o", str(out)) == 1
    one_line_error(capsys)
    assert counts(db) == before
    assert list(tmp_path.glob("r*")) == []


def test_budget_exceeded_and_bad_public_query_write_nothing(
    db: Database, db_url: str, org: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["release", "cases", "--org", org, "--method", "dp", "-R", "1"]
    assert run(db_url, *args, "--epsilon", "9", "-o", str(tmp_path / "a.csv")) == 0
    capsys.readouterr()
    before = counts(db)
    assert run(db_url, *args, "--epsilon", "2", "-o", str(tmp_path / "b.csv")) == 1
    assert "privacy budget exceeded" in one_line_error(capsys)
    assert counts(db) == before
    assert run(db_url, "privacy", "publish", "--org", org) == 0
    capsys.readouterr()
    before = counts(db)
    assert run(db_url, "privacy", "public-table", "--by", "bogus") == 1
    assert "'bogus'" in one_line_error(capsys)
    assert run(db_url, "privacy", "public-table", "--where", "garbage") == 1
    one_line_error(capsys)
    assert counts(db) == before


# -- 4. impossible or contradictory settings -------------------------------------------------


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--method", "kanon", "--k", "100000"], "would drop 579 of 579 records"),
        (["--method", "kanon", "--epsilon", "1"], "--epsilon only apply to --method dp"),
        (["--method", "dp", "--k", "5"], "--k only apply to --method kanon"),
        (["--method", "dp", "--delta", "2"], "invalid --delta 2"),
        (["--method", "dp", "--seed", "-1"], "invalid --seed -1"),
    ],
)
def test_settings_that_cannot_be_honoured_are_refused(
    db: Database,
    db_url: str,
    org: str,
    tmp_path: Path,
    options: list[str],
    message: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    before = counts(db)
    out = tmp_path / "r.csv"
    assert run(db_url, "release", "cases", "--org", org, *options, "-o", str(out)) == 1
    assert message in one_line_error(capsys)
    assert counts(db) == before  # not in the ledger, no release recorded
    assert list(tmp_path.glob("r*")) == []


# -- 5. output files -------------------------------------------------------------------------


def test_outputs_that_must_not_be_written_are_refused(
    db: Database,
    db_url: str,
    org: str,
    ctdc_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    before = counts(db)
    cases = ["release", "cases", "--org", org, "--method", "kanon"]
    missing = tmp_path / "nonexistent"
    assert run(db_url, *cases, "-o", str(missing / "x.csv")) == 1
    assert f"{missing}: no such directory" in one_line_error(capsys)
    assert not missing.exists()
    assert run(db_url, *cases, "--as", "htcds", "-o", str(tmp_path / "rel.xlsx")) == 1
    assert "name the output file *.csv" in one_line_error(capsys)
    original = ctdc_file.read_bytes()
    file = ["release", "file", "--org", org, "-i", str(ctdc_file), "--method", "kanon"]
    assert run(db_url, *file, "-o", str(ctdc_file)) == 1
    assert "is the input file" in one_line_error(capsys)
    assert ctdc_file.read_bytes() == original
    assert counts(db) == before


def test_release_files_are_private_and_formula_safe(
    db_url: str, org: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "notes.csv"
    notes = ['=HYPERLINK("http://evil.example","x")', "@SUM(1+1)", "-2+3", "plain"]
    pl.DataFrame(
        {"when": ["2020"] * 40, "who": ["F"] * 40, "note": [notes[i % 4] for i in range(40)]}
    ).write_csv(path)
    out = tmp_path / "out" / "r.csv"
    out.parent.mkdir()
    out.write_text("old\n")
    out.chmod(0o644)  # an existing file is truncated and made private too
    args = ["release", "file", "--org", org, "-i", str(path), "--method", "kanon"]
    assert run(db_url, *args, "--qi", "when,who", "--k", "5", "-o", str(out)) == 0
    for written in (out, tmp_path / "out" / "r.utility.json"):
        assert stat.S_IMODE(written.stat().st_mode) == 0o600
    with out.open(newline="", encoding="utf-8") as fh:
        cells = {row["note"] for row in csv.DictReader(fh)}
    assert cells == {'\'=HYPERLINK("http://evil.example","x")', "'@SUM(1+1)", "'-2+3", "plain"}


# -- 6. records files that cannot be read ----------------------------------------------------


def _variant(ctdc50: Path, name: str, edit: str) -> Path:
    lines = ctdc50.read_text(encoding="utf-8").splitlines()
    if edit == "long":
        lines[4] += ",1,2"
    elif edit == "short":
        lines[4] = ",".join(lines[4].split(",")[:10])
    elif edit == "quote":
        cells = lines[2].split(",")
        cells[8] = '"' + cells[8]
        lines[2] = ",".join(cells)
    elif edit == "duplicate":
        lines[0] += ",gender"
        lines[1:] = [line + ",Female" for line in lines[1:]]
    path = ctdc50.with_name(name)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ("long", "bad.csv: row 5: 61 cells, the header has 59"),
        ("short", "bad.csv: row 5: 10 cells, the header has 59"),
        ("quote", "bad.csv: row 3: not valid CSV"),
        ("duplicate", "bad.csv, row 1, column 'gender': column name repeated in the header"),
    ],
)
def test_unreadable_rows_are_named(
    db_url: str,
    org: str,
    ctdc50: Path,
    tmp_path: Path,
    edit: str,
    message: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    bad = _variant(ctdc50, "bad.csv", edit)
    args = ["release", "file", "--org", org, "-i", str(bad), "--method", "kanon"]
    assert run(db_url, *args, "-o", str(tmp_path / "r.csv")) == 1
    err = one_line_error(capsys)
    assert message in err and "truncate_ragged_lines" not in err


@pytest.mark.parametrize("encoding", ["utf-16", "binary"])
def test_non_utf8_input_gives_the_encoding_error(
    db_url: str,
    org: str,
    ctdc50: Path,
    tmp_path: Path,
    encoding: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "in.csv"
    if encoding == "binary":
        path.write_bytes(b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 4)
    else:
        path.write_text(ctdc50.read_text(encoding="utf-8"), encoding="utf-16")
    release = ["release", "file", "--org", org, "-i", str(path), "--method", "kanon"]
    for args in (
        [*release, "-o", str(tmp_path / "r.csv")],
        ["privacy", "table", "-i", str(path), "--by", "gender"],
    ):
        assert run(db_url, *args) == 1
        err = one_line_error(capsys)
        assert "in.csv: line " in err and ", byte " in err and "is not UTF-8 text" in err
        assert "ELF" not in err
