"""`thbhub trends` on a series file and on stored observations, as a user calls it."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stats_support import glotip_row, write_glotip_csv
from thbhub.cli import app

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def growing(series: str, rate: float, years: int = 8, start: float = 40.0) -> str:
    return "".join(f"{series},{2010 + i},{round(start * (1 + rate) ** i)}\n" for i in range(years))


def test_file_interface_prints_every_field(tmp_path: Path) -> None:
    text = "series,year,count,status,lower,upper,flags\n"
    text += "".join(f"up,{2010 + i},{round(40 * 1.3**i)},value,,,\n" for i in range(8))
    text += "small,2010,,suppressed,0,4,\nsmall,2011,3,,,,\nsmall,2012,<5,,,,\n"
    text += "small,2013,0,zero,,,\nsmall,2014,,missing,,,\nsmall,2015,2,,,,break\n"
    path = write(tmp_path / "s.csv", text)
    code, out, err = run("trends", "--input", str(path), "--format", "json")
    assert code == 0, err
    up, small = json.loads(out)
    assert list(up)[:8] == [
        "series", "annual_change", "ci_low", "ci_high", "p_value", "change_points", "alert",
        "reason",
    ]  # fmt: skip
    assert up["series"] == "up" and up["status"] == "ok"
    assert up["annual_change"] == pytest.approx(30.0, abs=1.0)
    assert up["ci_low"] < 30 < up["ci_high"] and up["p_value"] < 1e-6
    assert up["reason"].startswith("up rose from 40 in 2010 to 251 in 2017: about 30% a year")
    assert small["status"] == "not enough data" and small["annual_change"] is None
    assert small["break_year"] == 2015
    assert up["change_points"] == [] and up["shifts"] == []
    code, out, _ = run("trends", "--input", str(path), "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["series"] for r in rows] == ["up", "small"]
    assert float(rows[0]["annual_change"]) == up["annual_change"]
    code, out, _ = run("trends", "--input", str(path))
    assert code == 0 and "│ up " in out and "│ small " in out


def test_a_change_point_in_every_format(tmp_path: Path) -> None:
    counts = [20, 22, 19, 21, 20, 45, 41, 44, 40, 43]
    text = "series,year,count\n" + "".join(f"s,{2008 + i},{c}\n" for i, c in enumerate(counts))
    path = write(tmp_path / "s.csv", text)
    code, out, _ = run("trends", "--input", str(path), "-f", "json")
    (s,) = json.loads(out)
    assert code == 0 and s["change_points"] == [2013] and s["shifts"][0]["year"] == 2013
    code, out, _ = run("trends", "--input", str(path), "-f", "csv")
    (row,) = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and row["change_points"] == "2013"
    assert json.loads(row["shifts"])[0]["ratio"] == s["shifts"][0]["ratio"]


def test_a_table_shows_brackets_as_text(tmp_path: Path) -> None:
    """A series name that reads as Rich markup (`[/b]`) is shown, not a crash."""
    path = write(tmp_path / "s.csv", "series,year,count\n" + growing("x[/b]", 0.1))
    code, out, err = run("trends", "--input", str(path))
    assert code == 0, err
    assert "x[/b]" in out


def test_a_semicolon_file_without_optional_columns(tmp_path: Path) -> None:
    path = write(tmp_path / "s.csv", "series;year;count\n" + growing("a", -0.2).replace(",", ";"))
    code, out, err = run("trends", "--input", str(path), "-f", "json")
    assert code == 0, err
    (a,) = json.loads(out)
    assert a["annual_change"] == pytest.approx(-20.0, abs=1.5)


HEAD = "series,year,count,status,lower,upper\n"
GOOD = "a,2010,5,,,\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("series,year\na,2010\n", "s.csv, row 1, column 'count': missing column"),
        ("series,year,count,colour\n", "s.csv, row 1, column 'colour': unknown column"),
        (HEAD + GOOD + "a,20x1,5,,,\n", "s.csv, row 3, column 'year': year is not a number"),
        (HEAD + GOOD + "a,1850,5,,,\n", "s.csv, row 3, column 'year': year out of range"),
        (HEAD + GOOD + "a,2011,-3,,,\n", "s.csv, row 3, column 'count': negative value"),
        (HEAD + GOOD + "a,2011,many,,,\n", "s.csv, row 3, column 'count': count is not a number"),
        (HEAD + GOOD + "a,2011,,suppressed,0,\n", "s.csv, row 3, column 'upper': a suppressed"),
        (HEAD + GOOD + "a,2011,,suppressed,5,4\n", "s.csv, row 3, column 'lower': lower bound"),
        (HEAD + GOOD + "a,2011,,suppressed,0,4.5\n", "row 3, column 'upper': a bound is a whole"),
        (HEAD + GOOD + "a,2011,4,hidden,,\n", "s.csv, row 3, column 'status': status is one of"),
        (HEAD + GOOD + "a,2011,4,value,0,4\n", "s.csv, row 3, column 'lower': bounds are for"),
        (HEAD + GOOD + "a,2011,3,zero,,\n", "s.csv, row 3, column 'count': a zero cell has"),
        (HEAD + GOOD + "a,2010,6,,,\n", "s.csv, row 3, column 'year': year given twice"),
        (HEAD + GOOD + ",2011,6,,,\n", "s.csv, row 3, column 'series': series is empty"),
        (HEAD + GOOD + "a,2011,6\n", "s.csv, row 3: this row has a different number of cells"),
        ("series,year,count,flags\na,2010,4,brake\n", "row 2, column 'flags': unknown flag"),
    ],
)
def test_a_malformed_file_is_refused_in_one_line(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path / "s.csv", text)
    code, out, err = run("trends", "--input", str(path), "-f", "json")
    assert code == 1 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith("error: ") and message in lines[0], lines[0]


def test_a_missing_file_and_input_with_filters(tmp_path: Path) -> None:
    code, _, err = run("trends", "--input", str(tmp_path / "none.csv"))
    assert code == 1 and err.strip() == f"error: {tmp_path / 'none.csv'}: no such file"
    path = write(tmp_path / "s.csv", "series,year,count\n" + growing("a", 0.1))
    code, _, err = run("trends", "--input", str(path), "--country", "LT")
    assert code == 1 and "not both" in err


def test_stored_observations(db_url: str, tmp_path: Path) -> None:
    """One series per country and breakdown value, from what was imported; a `<5` cell
    stays a suppressed cell; filters are the query service's (an unknown one is refused)."""
    rows = []
    for i in range(10):
        rows.append(glotip_row("LTU", "Lithuania", 2010 + i, str(round(20 * 1.25**i))))
        rows.append(glotip_row("LVA", "Latvia", 2010 + i, "<5" if i % 2 else "12"))
        rows.append(glotip_row("LTU", "Lithuania", 2010 + i, str(10 + i), sex="Female"))
    path = write_glotip_csv(tmp_path / "g.csv", rows)
    code, _, err = run("--db", db_url, "import", "glotip", str(path))
    assert code == 0, err
    code, out, err = run("--db", db_url, "trends", "-i", "victims", "-f", "json")
    assert code == 0, err
    found = {r["series"]: r for r in json.loads(out)}
    assert set(found) == {"victims/LT/unodc-glotip", "victims/LV/unodc-glotip"}
    lt = found["victims/LT/unodc-glotip"]
    assert lt["annual_change"] == pytest.approx(25.0, abs=1.0)
    assert lt["reason"].startswith("Victims of trafficking in Lithuania rose from 20 in 2010")
    lv = found["victims/LV/unodc-glotip"]
    assert lv["suppressed_years"] == 5 and lv["status"] == "ok"
    # 12 and `<5` in turn: no trend (read as zeros, the `<5` years would not change that,
    # but the interval is that of the censored fit, finite and around 0).
    assert lv["p_value"] > 0.05 and lv["ci_low"] < 0 < lv["ci_high"]
    code, out, err = run(
        "--db", db_url, "trends", "-i", "victims", "-c", "LT", "--by", "sex", "-f", "json"
    )
    assert code == 0, err
    (female,) = json.loads(out)
    assert female["series"] == "victims/LT/sex=female/unodc-glotip"
    assert "(Female) in Lithuania" in female["reason"]
    code, _, err = run("--db", db_url, "trends", "-c", "XX")
    assert code == 1 and err.startswith("error: unknown country 'XX'")
