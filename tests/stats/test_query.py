"""The query service, CLI and API over the same observations, on both backends."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from stats_support import glotip_row, write_glotip_csv, write_tsv
from thbhub.cli import app as cli_app
from thbhub.domain.errors import UserError
from thbhub.ingest.registry import get_importer
from thbhub.settings import Settings
from thbhub.stats.query import build_query, query_observations
from thbhub.storage import Database
from thbhub.web.app import create_app

FORM = {"dimension": "by form of exploitation"}


@pytest.fixture
def loaded(db: Database, settings: Settings, tmp_path: Path) -> Database:
    rows = [
        glotip_row("LVA", "Latvia", 2019, "30"),
        glotip_row("LVA", "Latvia", 2019, "20", sex="Female"),
        glotip_row("LVA", "Latvia", 2019, "<5", sex="Male"),
        glotip_row("LVA", "Latvia", 2019, "18", category="Sexual exploitation", **FORM),
        glotip_row("LVA", "Latvia", 2019, "<5", category="Forced labour", **FORM),
        glotip_row("LVA", "Latvia", 2020, "44"),
        glotip_row("LVA", "Latvia", 2020, "7", indicator="Persons convicted"),
    ]
    get_importer("glotip").run(db, settings, write_glotip_csv(tmp_path / "g.csv", rows))
    population = write_tsv(
        tmp_path / "tps00001.tsv",
        "indic_de,geo\\time\t2019 \t2020 ",
        ["JAN,LV\t1919968 \t1907675 b"],
    )
    get_importer("eurostat").run(db, settings, population)
    return db


def test_dimensions_not_named_are_totals(loaded: Database) -> None:
    totals = query_observations(loaded, build_query(indicator="victims", country="LV"))
    assert [(r["year"], r["value"]) for r in totals] == [(2019, 30), (2020, 44)]
    assert "sex" not in totals[0] and "form" not in totals[0]
    by_sex = query_observations(loaded, build_query(indicator="victims", by="sex"))
    assert [(r["sex"], r["status"], r["value"], r["lower"], r["upper"]) for r in by_sex] == [
        ("sex:female", "number", 20, 20, 20),
        ("sex:male", "suppressed", None, 0, 4),
    ]
    by_form = query_observations(loaded, build_query(indicator="victims", by="form", year=2019))
    assert {r["form"]: r["status"] for r in by_form} == {
        "form:sexual-exploitation": "number",
        "form:labour-exploitation": "suppressed",
    }
    # Never summed into a total: by sex for 2020 has no cells, so none is made up.
    assert query_observations(loaded, build_query(indicator="victims", by="sex", year=2020)) == []


def test_rates_say_which_population_they_used(loaded: Database) -> None:
    rows = query_observations(loaded, build_query(indicator="victims", country="LV", per_100k=True))
    first, second = rows
    assert first["population_year"] == 2019 and first["population_source"] == "eurostat-tps00001"
    assert first["rate_per_100k"] == pytest.approx(30 / 1919968 * 100_000, rel=1e-3)
    assert second["population"] == 1907675
    suppressed = query_observations(
        loaded, build_query(indicator="victims", by="sex", sex="male", per_100k=True)
    )[0]
    assert suppressed["rate_per_100k"] is None
    assert suppressed["rate_upper"] == pytest.approx(4 / 1919968 * 100_000, rel=1e-3)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"indicator": "nonsense"},
        {"by": "colour"},
        {"country": "L*"},
        {"year": 2019, "year_from": 2018},
        {"year_from": 2020, "year_to": 2019},
        {"age": "\x00"},
        {"sex": "female; drop table"},
        {"source": "a b"},
    ],
)
def test_bad_queries_are_user_errors(kwargs: dict[str, object]) -> None:
    with pytest.raises(UserError):
        build_query(**kwargs)  # type: ignore[arg-type]


def test_cli_import_and_query(db_url: str, tmp_path: Path) -> None:
    runner = CliRunner()
    path = write_glotip_csv(
        tmp_path / "g.csv",
        [glotip_row("NOR", "Norway", 2019, "1,234"), glotip_row("NOR", "Norway", 2020, "<5")],
    )
    result = runner.invoke(cli_app, ["--db", db_url, "import", "glotip", str(path)])
    assert result.exit_code == 0, result.stderr
    assert "2 rows read" in result.stderr and "suppressed 1" in result.stderr
    result = runner.invoke(
        cli_app,
        [
            "--db",
            db_url,
            "query",
            "observations",
            "--indicator",
            "victims",
            "-c",
            "NO",
            "-f",
            "json",
        ],
    )
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [(r["year"], r["value"], r["status"], r["lower"], r["upper"]) for r in rows] == [
        (2019, 1234, "number", 1234, 1234),
        (2020, None, "suppressed", 0, 4),
    ]
    assert {"indicator", "country", "year", "value", "status", "flags"} <= set(rows[0])
    result = runner.invoke(
        cli_app, ["--db", db_url, "query", "observations", "-c", "NO", "-f", "csv"]
    )
    assert list(csv.DictReader(io.StringIO(result.stdout)))[1]["status"] == "suppressed"
    bad = write_glotip_csv(tmp_path / "bad.csv", [glotip_row("NOR", "Norway", 2019, "lots")])
    result = runner.invoke(cli_app, ["--db", db_url, "import", "glotip", str(bad)])
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "error: bad.csv, row 2, column 'txtVALUE': non-numeric value "
        "(expected a count or <5) (value 'lots')"
    )
    result = runner.invoke(cli_app, ["--db", db_url, "query", "observations", "--by", "mood"])
    assert result.exit_code == 1 and "cannot break down by 'mood'" in result.stderr


def test_api_downloads_and_pages(loaded: Database, settings: Settings) -> None:
    client = TestClient(create_app(settings, loaded))
    url = "/api/v1/observations?indicator=victims&country=LV&by=sex"
    rows = client.get(url).json()
    assert [r["status"] for r in rows] == ["number", "suppressed"]
    text = client.get(url + "&format=csv").text
    assert list(csv.DictReader(io.StringIO(text)))[1]["upper"] == "4.0"
    table = pq.read_table(io.BytesIO(client.get(url + "&format=parquet").content))
    assert table.column("status").to_pylist() == ["number", "suppressed"]
    assert table.column("value").to_pylist() == [20.0, None]
    error = client.get("/api/v1/observations?by=mood")
    assert error.status_code == 422 and "mood" in error.json()["error"]["message"]
    # An id beyond the 32-bit keys is a bad request, not a database overflow (found by fuzzing).
    assert client.get("/api/v1/observations?dataset=99999999999999999999").status_code == 422
    page = client.get("/explore?indicator=victims&country=LV&by=sex")
    assert page.status_code == 200 and "suppressed 0–4" in page.text
    # The page breaks down by one dimension; a list (as the API takes) is a clear 422, not a 500.
    page = client.get("/explore?indicator=victims&country=LV&by=year,form")
    assert page.status_code == 422 and "by" in page.text and "Traceback" not in page.text
    country = client.get("/countries/LV")
    assert country.status_code == 200 and "Prosecutions and convictions" in country.text
    assert client.get("/countries/US").status_code == 404
    profile = client.get("/api/v1/countries/lv/statistics").json()
    sections = {sec["id"]: sec for sec in profile["sections"]}
    assert profile["country"] == "LV" and sections["victims-sex"]["statuses"] == {
        "number": 1,
        "suppressed": 1,
    }
    assert sections["justice"]["rows"][0]["indicator"] == "indicator:convicted"
    assert sections["victims"]["chart"]["layer"]
