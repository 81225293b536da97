"""Portfolio import and export through `thbhub plan`, on SQLite and PostgreSQL: the round
trip, every validation rule (one line naming file, row and field; nothing changed), and the
coverage numbers against the input file counted here independently."""

from __future__ import annotations

import csv
import json
import shutil
from datetime import date
from pathlib import Path

import yaml

from plan_support import SAMPLE, run, sheets


def _export_csv(db_url: str, out: Path) -> dict[str, list[list[str]]]:
    code, _, err = run(db_url, "plan", "export", "--format", "csv", "-o", str(out))
    assert code == 0, err
    return sheets(out)


def _norm(value: object) -> object:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, list):
        return [_norm(v) for v in value]
    return value


def test_round_trip_yaml_and_csv(db_url: str, tmp_path: Path, cli_env: Path) -> None:
    code, out, err = run(db_url, "plan", "import", str(SAMPLE), "--format", "json")
    assert code == 0, err
    assert json.loads(out)["projects"] == 5

    # The YAML export holds the input file's every cell.
    code, _, err = run(db_url, "plan", "export", "--format", "yaml", "-o", str(tmp_path / "a.yaml"))
    assert code == 0, err
    source = yaml.safe_load(SAMPLE.read_text(encoding="utf-8"))
    exported = yaml.safe_load((tmp_path / "a.yaml").read_text(encoding="utf-8"))
    assert exported["notice"] == source["notice"]
    for sheet in ("presidencies", "priorities", "projects", "activities", "participants"):
        assert len(exported[sheet]) == len(source[sheet]), sheet
    for sheet, rows in source.items():
        if sheet == "notice":
            continue
        key = "id" if "id" in rows[0] else None
        by_key = {r[key]: r for r in exported[sheet]} if key else None
        for i, row in enumerate(rows):
            other = by_key[row[key]] if by_key is not None else exported[sheet][i]
            for field, value in row.items():
                assert _norm(other[field]) == _norm(value), (sheet, i, field)

    # CSV export -> import -> export: the same sheets, cell by cell; YAML likewise.
    first = _export_csv(db_url, tmp_path / "one")
    assert set(first) >= {"projects.csv", "activities.csv", "portfolio.csv"}
    code, _, err = run(db_url, "plan", "import", str(tmp_path / "one"))
    assert code == 0, err
    assert _export_csv(db_url, tmp_path / "two") == first
    code, _, err = run(db_url, "plan", "import", str(tmp_path / "a.yaml"))
    assert code == 0, err
    assert _export_csv(db_url, tmp_path / "three") == first


# (file, row, column, new cell, the rule the message must state)
BAD_CELLS = [
    (
        "projects.csv",
        2,
        "objectives",
        "objective:1;objective:9",
        "unknown objective (value 'objective:9')",
    ),
    ("projects.csv", 3, "ends", "2020-01-01", "project ends before it starts"),
    ("projects.csv", 4, "builds_on", "EX-P99", "unknown builds-on project (value 'EX-P99')"),
    # EX-P2 builds on EX-P1: the circle closes at EX-P2's row.
    ("projects.csv", 2, "builds_on", "EX-P2", "circle: EX-P1 -> EX-P2 -> EX-P1"),
    ("projects.csv", 2, "countries", "LT;ZZ", "unknown country code (value 'ZZ')"),
    ("projects.csv", 2, "principles", "principle:nonsense", "unknown principle"),
    ("projects.csv", 2, "status", "dormant", "must be one of planned, ongoing"),
    ("projects.csv", 2, "owner", "Nobody Org", "unknown organisation"),
    ("projects.csv", 2, "budget", "lots", "must be a number"),
    ("activities.csv", 2, "starts", "2020-01-01", "activity outside its project's period"),
    ("activities.csv", 3, "id", "EX-A1", "duplicate identifier, first in row 2"),
    ("activities.csv", 2, "project", "EX-P0", "unknown project (value 'EX-P0')"),
    ("activities.csv", 2, "ends", "2025-13-01", "must be a date YYYY-MM-DD"),
    ("participants.csv", 2, "count", "-3", "must be a whole number"),
    ("participants.csv", 2, "activity", "EX-A9", "unknown activity"),
    ("outputs.csv", 2, "type", "poster", "must be one of handbook"),
    ("indicators.csv", 2, "objectives", "objective:0", "unknown objective"),
    ("indicators.csv", 2, "statistics", "drop table", "a statistics query is key=value"),
    ("indicator_values.csv", 2, "indicator", "EX-I9", "unknown indicator"),
    ("priorities.csv", 2, "presidency", "PRES-Z", "unknown presidency"),
    ("presidencies.csv", 2, "ends", "2024-01-01", "presidency ends before it starts"),
    ("presidencies.csv", 3, "starts", "2026-06-30", "overlaps presidency PRES-A"),
    ("reviews.csv", 2, "findings", "", "is required"),
]


def _set_cell(path: Path, row: int, column: str, value: str) -> None:
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    rows[row - 1][rows[0].index(column)] = value
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)


def test_each_bad_cell_is_one_line_and_changes_nothing(
    db_url: str, tmp_path: Path, cli_env: Path
) -> None:
    assert run(db_url, "plan", "import", str(SAMPLE))[0] == 0
    before = _export_csv(db_url, tmp_path / "before")
    # An edited copy that imports (another notice) proves the database would change.
    good = tmp_path / "good"
    shutil.copytree(tmp_path / "before", good)
    (good / "portfolio.csv").write_text("notice\nchanged\n", encoding="utf-8")
    for n, (file, row, column, value, rule) in enumerate(BAD_CELLS):
        bad = tmp_path / f"bad{n}"
        shutil.copytree(good, bad)
        _set_cell(bad / file, row, column, value)
        if "circle" in rule:
            row = 3
        code, out, err = run(db_url, "plan", "import", str(bad))
        assert code == 1, (file, column, out)
        lines = err.strip().splitlines()
        assert len(lines) == 1, err
        assert lines[0].startswith(f"error: {file}, row {row}, column '{column}': "), lines[0]
        assert rule in lines[0], lines[0]
        assert "Traceback" not in err
        assert _export_csv(db_url, tmp_path / f"after{n}") == before, file
    assert run(db_url, "plan", "import", str(good))[0] == 0
    assert _export_csv(db_url, tmp_path / "changed")["portfolio.csv"][1] == ["changed"]


def test_bad_yaml_names_sheet_row_and_field(db_url: str, tmp_path: Path, cli_env: Path) -> None:
    assert run(db_url, "plan", "import", str(SAMPLE))[0] == 0
    before = _export_csv(db_url, tmp_path / "before")
    doc = yaml.safe_load(SAMPLE.read_text(encoding="utf-8"))
    doc["projects"][1]["objectives"] = ["objective:12"]
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(doc), encoding="utf-8")
    code, _, err = run(db_url, "plan", "import", str(bad))
    assert code == 1
    assert err.strip() == (
        "error: bad.yaml, sheet 'projects', row 2, column 'objectives': unknown objective "
        "(value 'objective:12')"
    )
    # Unquoted NO is Norway in the spreadsheet and false in YAML: said so, not "unknown".
    text = SAMPLE.read_text(encoding="utf-8").replace("'NO'", "NO")
    bad.write_text(text, encoding="utf-8")
    code, _, err = run(db_url, "plan", "import", str(bad))
    assert code == 1 and "quote the text, e.g. 'NO'" in err and err.count("\n") == 1, err
    (tmp_path / "junk.yaml").write_text("projects: [unclosed\n", encoding="utf-8")
    code, _, err = run(db_url, "plan", "import", str(tmp_path / "junk.yaml"))
    assert code == 1 and err.startswith("error: junk.yaml, line ") and err.count("\n") == 1, err
    # Aliases are refused: a few lines of them can stand for billions of cells.
    laughs = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\n"
    (tmp_path / "laughs.yaml").write_text(laughs, encoding="utf-8")
    code, _, err = run(db_url, "plan", "import", str(tmp_path / "laughs.yaml"))
    assert code == 1 and err.strip() == (
        "error: laughs.yaml, line 2: aliases (*name) are not allowed in a portfolio file"
    ), err
    (tmp_path / "deep.yaml").write_text("[" * 100_000, encoding="utf-8")
    code, _, err = run(db_url, "plan", "import", str(tmp_path / "deep.yaml"))
    assert code == 1 and err == "error: deep.yaml: nested too deeply to be a portfolio\n", err
    assert _export_csv(db_url, tmp_path / "after") == before


def test_unknown_column_and_stray_sheet(db_url: str, tmp_path: Path, cli_env: Path) -> None:
    assert run(db_url, "plan", "import", str(SAMPLE))[0] == 0
    _export_csv(db_url, tmp_path / "d")
    text = (tmp_path / "d" / "outputs.csv").read_text(encoding="utf-8")
    (tmp_path / "d" / "outputs.csv").write_text(text.replace(",url,", ",link,", 1), "utf-8")
    code, _, err = run(db_url, "plan", "import", str(tmp_path / "d"))
    assert code == 1
    assert err.startswith("error: outputs.csv, row 1, column 'link': unknown column"), err
    (tmp_path / "d" / "outputs.csv").write_text(text, "utf-8")
    (tmp_path / "d" / "notes.csv").write_text("a\n1\n", "utf-8")
    code, _, err = run(db_url, "plan", "import", str(tmp_path / "d"))
    assert code == 1 and err.startswith("error: notes.csv: not a portfolio sheet"), err


def _independent_coverage(doc: dict) -> dict[tuple[str, int], tuple[int, int, int]]:
    """Counted straight from the YAML: a project counts in a year its period touches
    (unless cancelled); activities by start date; outputs by date."""
    out = {}
    for n in range(1, 9):
        objective = f"objective:{n}"
        serving = [p for p in doc["projects"] if objective in p["objectives"]]
        keys = {p["id"] for p in serving}
        for year in range(2025, 2031):
            projects = sum(
                1
                for p in serving
                if p["status"] != "cancelled" and p["starts"].year <= year <= p["ends"].year
            )
            activities = sum(
                1 for a in doc["activities"] if a["project"] in keys and a["starts"].year == year
            )
            outputs = sum(
                1 for o in doc["outputs"] if o["project"] in keys and o["date"].year == year
            )
            out[(objective, year)] = (projects, activities, outputs)
    return out


def test_coverage_matches_the_file(db_url: str, cli_env: Path) -> None:
    assert run(db_url, "plan", "import", str(SAMPLE))[0] == 0
    code, out, err = run(db_url, "plan", "coverage", "--format", "json")
    assert code == 0, err
    rows = json.loads(out)
    assert all(
        list(r) == ["objective", "year", "projects", "activities", "outputs", "gap"] for r in rows
    )
    expected = _independent_coverage(yaml.safe_load(SAMPLE.read_text(encoding="utf-8")))
    got = {
        (r["objective"], r["year"]): (r["projects"], r["activities"], r["outputs"]) for r in rows
    }
    assert got == expected
    assert {(r["objective"], r["year"]) for r in rows if r["gap"]} == {
        k for k, v in expected.items() if v == (0, 0, 0)
    }
    assert any(r["gap"] for r in rows) and not all(r["gap"] for r in rows)
    code, out, _ = run(db_url, "plan", "coverage", "--year", "2026", "--format", "csv")
    assert code == 0
    lines = out.strip().splitlines()
    assert lines[0] == "objective,year,projects,activities,outputs,gap" and len(lines) == 9


def test_review_report_flags_what_the_sample_holds(db_url: str, cli_env: Path) -> None:
    assert run(db_url, "plan", "import", str(SAMPLE))[0] == 0
    code, out, err = run(db_url, "plan", "review", "--as-of", "2026-12-03", "--format", "json")
    assert code == 0, err
    report = json.loads(out)
    prospects = {p["project"]: " ".join(p["reasons"]) for p in report["small_prospects"]}
    assert "no activity" in prospects["EX-P4"]  # planned since March 2026, no activity
    assert "overdue" in prospects["EX-P3"] and "no funding" in prospects["EX-P3"]
    assert "EX-P2" not in prospects  # completed
    assert [i["indicator"] for i in report["off_track"]] == ["EX-I1"]  # 60 of 600 by mid-2026
    assert report["previous_review"]["id"] == "EX-R1"
    assert {o["id"] for o in report["outputs"]} == {"EX-O1", "EX-O2", "EX-O3"}
    by_obj = {o["objective"]: o for o in report["objectives"]}
    assert by_obj["objective:4"]["participants"] == {"total": 34, "female": 20, "male": 14}
    code, _, err = run(db_url, "plan", "review", "--presidency", "PRES-Z")
    assert code == 1 and err.startswith("error: no presidency 'PRES-Z'")
