"""`thbhub estimate mse|sensitivity` as a user calls it: the output keys and formats, and
bad tables refused with one line naming the file, row and column, exit code 1."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from thbhub.cli import app
from thbhub.estimation.samples import table_path

runner = CliRunner()
KEYS = [
    "observed",
    "estimate",
    "ci_low",
    "ci_high",
    "interactions",
    "method",
    "threshold",
    "bootstrap",
    "seed",
    "warnings",
]


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def write(tmp_path: Path, text: str, name: str = "t.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_json_has_exactly_the_issue_keys() -> None:
    code, out, err = run(
        "estimate", "mse", "--input", str(table_path("Korea.csv")), "--bootstrap", "100",
        "--seed", "9", "--format", "json",
    )  # fmt: skip
    assert code == 0, err
    record = json.loads(out)
    assert list(record) == KEYS
    assert record["observed"] == 123 and record["interactions"] == ["b:c"]
    assert record["bootstrap"] == 100 and record["seed"] == 9 and record["threshold"] == 0.02
    assert record["ci_low"] <= record["estimate"] <= record["ci_high"]


def test_warnings_name_lists_that_never_overlap() -> None:
    code, out, _ = run(
        "estimate", "mse", "--input", str(table_path("Artificial_3.csv")), "--bootstrap", "0",
        "-f", "json",
    )  # fmt: skip
    assert code == 0
    record = json.loads(out)
    assert record["ci_low"] is None and record["seed"] is None
    assert any("A:C, B:C" in w for w in record["warnings"])


def test_csv_and_table_formats() -> None:
    path = str(table_path("Korea.csv"))
    code, out, _ = run("estimate", "mse", "--input", path, "--bootstrap", "0", "-f", "csv")
    assert code == 0
    (row,) = list(csv.DictReader(io.StringIO(out)))
    assert list(row) == KEYS and row["interactions"] == "b:c"
    assert float(row["estimate"]) == pytest.approx(268.78)
    code, out, _ = run("estimate", "mse", "--input", path, "--bootstrap", "0")
    assert code == 0 and "268.78" in out
    code, out, _ = run("estimate", "sensitivity", "--input", path, "-f", "json")
    assert code == 0
    assert [r["threshold"] for r in json.loads(out)][:2] == [0.0, 0.001]


@pytest.mark.parametrize(
    ("text", "where", "rule"),
    [
        ("A,B,count\n1,0,3\n0,0,2\n", "row 3, column 'A'", "on no list"),
        ("A,B,count\n1,0,3\n2,1,2\n", "row 3, column 'A'", "0 or 1"),
        ("A,B,count\n1,0,3\n1,yes,2\n", "row 3, column 'B'", "0 or 1"),
        ("A,B,count\n1,0,-3\n", "row 2, column 'count'", "negative"),
        ("A,B,count\n1,0,2.5\n", "row 2, column 'count'", "whole number"),
        ("A,B,count\n1,0,\n", "row 2, column 'count'", "whole number"),
        ("A,count\n1,3\n", "row 1", "at least two list columns"),
        ("A,B,n\n1,0,3\n", "row 1", "missing column 'count'"),
        ("A,B,count\n1,0,3,4\n", "row 2", "cells"),
        ("A,B,count\n1,0,0\n", "", "no case"),
        ("A,A,count\n1,0,3\n", "row 1", "repeated"),
    ],
)
def test_bad_tables_are_refused_in_one_line(
    tmp_path: Path, text: str, where: str, rule: str
) -> None:
    path = write(tmp_path, text)
    code, out, err = run("estimate", "mse", "--input", str(path), "--bootstrap", "0")
    assert code == 1
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: t.csv")
    assert where in lines[0] and rule in lines[0], lines[0]


def test_bad_options_are_refused(tmp_path: Path) -> None:
    path = str(table_path("Korea.csv"))
    for args, text in [
        (("--threshold", "1.5"), "threshold"),
        (("--bootstrap", "-1"), "bootstrap"),
        (("--method", "bic"), "method"),
        (("--seed", "-3"), "seed"),
    ]:
        code, _, err = run("estimate", "mse", "--input", path, *args)
        assert code == 1 and text in err and len(err.strip().splitlines()) == 1
    code, _, err = run("estimate", "mse", "--input", str(tmp_path / "none.csv"))
    assert code == 1 and "no such file" in err
