"""The `thbhub` command through Click's runner, on both backends."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from thbhub.cli import app, main

runner = CliRunner()


def run(db_url: str, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["--db", db_url, *args])
    return result.exit_code, result.stdout, result.stderr


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.startswith("thbhub ")


def test_init_on_empty_database_then_again(empty_db_url: str) -> None:
    code, out, err = run(empty_db_url, "init", "--format", "json")
    assert code == 0, err
    first = json.loads(out)
    assert first["schema_before"] is None and first["taxonomy"]["concepts_added"] > 100
    code, out, err = run(empty_db_url, "init", "--format", "json")
    assert code == 0, err
    assert json.loads(out)["taxonomy"]["concepts_added"] == 0


def test_taxonomy_list_formats(db_url: str) -> None:
    code, out, _ = run(db_url, "taxonomy", "list", "--scheme", "form", "--format", "json")
    assert code == 0
    rows = json.loads(out)
    assert {"id", "scheme", "label", "broader"} <= set(rows[0])
    assert all(r["scheme"] == "form" for r in rows)
    code, out, _ = run(db_url, "taxonomy", "list", "--scheme", "form", "--format", "csv")
    assert code == 0
    parsed = list(csv.DictReader(io.StringIO(out)))
    assert [r["id"] for r in parsed] == [r["id"] for r in rows]
    code, out, _ = run(db_url, "taxonomy", "list", "--scheme", "form")
    assert code == 0 and "form:forced-begging" in out


def test_taxonomy_show(db_url: str) -> None:
    code, out, _ = run(db_url, "taxonomy", "show", "form:domestic-servitude", "--format", "json")
    assert code == 0
    concept = json.loads(out)
    assert concept["broader"][0]["id"] == "form:labour-exploitation"
    assert len(concept["labels"]) == 11


def test_unknown_concept_is_one_line_exit_1(db_url: str) -> None:
    code, out, err = run(db_url, "taxonomy", "show", "form:unicorn")
    assert code == 1
    assert out == ""
    assert err.strip() == "error: no concept 'form:unicorn'; see `thbhub taxonomy list`"
    assert "Traceback" not in err


def test_usage_error_exits_2(db_url: str) -> None:
    code, _, err = run(db_url, "taxonomy", "list", "--format", "xml")
    assert code == 2
    assert "xml" in err


def test_bad_database_url_exit_1() -> None:
    result = runner.invoke(app, ["--db", "mysql://nowhere/x", "status"])
    assert result.exit_code == 1
    assert result.stderr.strip().startswith("error: database 'mysql' is not supported")


def test_uninitialised_database_says_what_to_do(tmp_path: Path) -> None:
    code, _, err = run(f"sqlite:///{tmp_path / 'new.db'}", "taxonomy", "list")
    assert code == 1
    assert "run `thbhub init`" in err
    assert len(err.strip().splitlines()) == 1


def test_status_and_sources(db_url: str) -> None:
    code, out, _ = run(db_url, "status", "--format", "json")
    assert code == 0
    status = json.loads(out)
    assert status["status"] == "ok" and status["count_concepts"] > 100
    code, out, _ = run(db_url, "sources", "--format", "json")
    assert code == 0 and json.loads(out) == []


@pytest.mark.parametrize("argv", [["--version"], ["taxonomy", "--help"]])
def test_main_returns_exit_code(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 0
    assert capsys.readouterr().out


def test_main_user_error_exit_code(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--db", f"sqlite:///{tmp_path / 'n.db'}", "taxonomy", "schemes"]) == 1
    assert "Traceback" not in capsys.readouterr().err


def test_serve_refuses_a_database_whose_schema_is_not_current(
    empty_db_url: str, db_url: str
) -> None:
    # Serving an old schema would fail page by page ("no such column"): serve says what to do.
    if empty_db_url.startswith("sqlite:///"):  # an empty file: serve never creates one
        Path(empty_db_url.removeprefix("sqlite:///")).touch()
    code, _, err = run(empty_db_url, "serve", "--port", "9")
    assert code == 1 and "has no THB Hub schema: run `thbhub init`" in err
    from sqlalchemy import text

    from thbhub.storage import Database

    db = Database(db_url)
    with db.begin() as conn:  # as a database last upgraded by an older THB Hub would be
        heads = [r[0] for r in conn.execute(text("SELECT version_num FROM alembic_version"))]
        newest = max(h for h in heads if h.startswith("cases_"))
        older = f"cases_{int(newest.split('_')[1]) - 1:04d}"
        conn.execute(
            text("UPDATE alembic_version SET version_num = :old WHERE version_num = :new"),
            {"old": older, "new": newest},
        )
    db.dispose()
    code, _, err = run(db_url, "serve", "--port", "9")
    assert code == 1 and older in err and newest in err and "run `thbhub init`" in err
    assert "Traceback" not in err
