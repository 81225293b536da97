"""`thbhub release cases` and `thbhub privacy ...` on both backends, as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from support_privacy import within_noise
from thbhub.access import users
from thbhub.cases.service import import_cases
from thbhub.cli import main
from thbhub.domain.principals import Role
from thbhub.ingest.sample import sample_dir
from thbhub.settings import Settings
from thbhub.storage import Database


@pytest.fixture
def org(db: Database, settings: Settings) -> str:
    name = "Police LT"
    org_id = users.add_organisation(db, users.operator(), name, "LT", "agency")["id"]
    owner = users.operator(Role.contributor, org_id)
    csv = sample_dir() / "ctdc_global_bsr.csv"
    import_cases(db, settings, owner, csv, org_id, fmt="ctdc", quarantine=True)
    return name


def run(db_url: str, *args: str) -> int:
    return main(["--db", db_url, *args])


def test_release_cases_dp_and_kanon(
    db_url: str, org: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "dp.csv"
    code = run(
        db_url,
        "release",
        "cases",
        "--org",
        org,
        "--method",
        "dp",
        "--epsilon",
        "1",
        "-R",
        "2",
        "--as",
        "ctdc",
        "-o",
        str(out),
        "-f",
        "json",
    )
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    assert result["epsilon"] == pytest.approx(1.0)
    assert pl.read_csv(out, infer_schema_length=0).columns[0] == "yearOfRegistration"
    utility = json.loads((tmp_path / "dp.utility.json").read_text())
    assert "by_length" in utility["synthetic"]

    code = run(
        db_url,
        "release",
        "cases",
        "--org",
        org,
        "--method",
        "kanon",
        "--k",
        "11",
        "-o",
        str(tmp_path / "k.csv"),
        "-f",
        "json",
    )
    assert code == 0
    kanon = json.loads(capsys.readouterr().out)
    released = pl.read_csv(tmp_path / "k.csv", infer_schema_length=0)
    assert kanon["records_lost"] == 579 - released.height


def test_budget_refused_with_a_clear_message(
    db_url: str, org: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["release", "cases", "--org", org, "--method", "dp", "-R", "1"]
    assert run(db_url, *args, "--epsilon", "9", "-o", str(tmp_path / "a.csv")) == 0
    capsys.readouterr()
    assert run(db_url, *args, "--epsilon", "2", "-o", str(tmp_path / "b.csv")) == 1
    err = capsys.readouterr().err
    assert "privacy budget exceeded" in err and "epsilon at most 1" in err
    assert not (tmp_path / "b.csv").exists()
    assert run(db_url, "privacy", "budget", "--org", org, "-f", "json") == 0
    assert json.loads(capsys.readouterr().out)["epsilon_spent"] == pytest.approx(9.0)


def test_publish_then_public_table(
    db_url: str, org: str, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(db_url, "privacy", "publish", "--org", org, "-f", "json") == 0
    capsys.readouterr()

    def total() -> object:
        assert run(db_url, "privacy", "public-table", "--by", "citizenship", "-f", "json") == 0
        rows = json.loads(capsys.readouterr().out)
        assert all(r["count"] is None or r["count"] == 0 or r["count"] >= 5 for r in rows)
        return next(r["count"] for r in rows if r.get("margin") == "total")

    assert total() in (0, None)  # opted in, but the import is still a draft
    assert run(db_url, "cases", "imports", "--org", org, "-f", "json") == 0
    (imported,) = json.loads(capsys.readouterr().out)
    assert run(db_url, "cases", "submit", "--org", org, "--import", str(imported["id"])) == 0
    assert (
        run(db_url, "publication", "set", "case_import", str(imported["id"]), "--to", "published")
        == 0
    )
    capsys.readouterr()
    assert within_noise(total(), 579, settings)  # the cell key method's noise at most
