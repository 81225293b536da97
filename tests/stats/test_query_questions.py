"""A wrong question gets an error, never silence; the CLI and the API answer the same question
the same way (issue 12, section 3).  On both backends, through the CLI and the API, on the
bundled BSR extract of GLOTIP (and the shared Eurostat file where it is here)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from stats_support import glotip_row, write_glotip_csv, write_tsv
from support import shared_file
from thbhub.cli import app as cli_app
from thbhub.ingest.sample import sample_dir
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.web.app import create_app

BSR = sample_dir() / "unodc_glotip_bsr.csv"
ISO2 = {"DNK": "DK", "EST": "EE", "FIN": "FI", "DEU": "DE", "ISL": "IS"}
ISO2 |= {"LVA": "LV", "LTU": "LT", "NOR": "NO", "POL": "PL", "SWE": "SE"}


def _cli(db_url: str, *args: str) -> Any:
    return CliRunner().invoke(cli_app, ["--db", db_url, *args])


def _query(db_url: str, *args: str) -> list[dict[str, Any]]:
    result = _cli(db_url, "query", "observations", *args, "-f", "json")
    assert result.exit_code == 0, result.stderr
    return list(json.loads(result.stdout))


def _raw() -> list[dict[str, str]]:
    with BSR.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture
def bsr(db_url: str, cli_env: Path) -> str:
    """The bundled BSR extract imported as a user would."""
    result = _cli(db_url, "import", "glotip", str(BSR))
    assert result.exit_code == 0, result.stderr
    return db_url


def test_bare_codes_answer_the_same_in_the_cli_and_the_api(
    bsr: str, db: Database, settings: Settings
) -> None:
    cli = _query(bsr, "-i", "victims", "--citizenship", "RO", "--by", "citizenship")
    expected = sum(
        1
        for r in _raw()
        if r["Indicator"] == "Detected trafficking victims"
        and (r["Dimension"], r["Category"], r["Sex"], r["Age"])
        == ("by citizenship", "Romania", "Total", "Total")
    )
    assert len(cli) == expected > 0
    client = TestClient(create_app(settings, db))
    for value in ("RO", "ro", "country:RO"):
        api = client.get(
            f"/api/v1/observations?indicator=victims&citizenship={value}&by=citizenship"
        )
        assert api.status_code == 200 and api.json() == cli, value
    # A country group by its code alone, as `female` is `sex:female`.
    nationals = _query(bsr, "-i", "victims", "-c", "dk", "--citizenship", "nationals")
    assert nationals and {r["country"] for r in nationals} == {"DK"}
    assert all("Nationals" in r["source_label"] for r in nationals)


@pytest.mark.parametrize(
    ("option", "value", "choice"),
    [
        ("--citizenship", "nationalz", "nationals"),
        ("--form", "nonsense", "sexual-exploitation"),
        ("-c", "ZZ", "ISO 3166"),
        ("--sex", "females", "female"),
        ("--age", "kids", "child"),
        ("--repatriation", "Narnia", "abroad"),
        ("-i", "victimz", "victims"),
        ("--by", "colour", "repatriation"),
        ("--source", "unodc-glotipp", "unodc-glotip"),
        ("--dataset", "999", "datasets: 1"),
        ("--extra", "colour=red", "part"),
    ],
)
def test_an_unknown_value_is_an_error_naming_it_and_the_choices(
    bsr: str, db: Database, settings: Settings, option: str, value: str, choice: str
) -> None:
    result = _cli(bsr, "query", "observations", option, value)
    assert result.exit_code == 1 and result.stdout == ""
    message = result.stderr.strip()
    assert "\n" not in message and "Traceback" not in message
    assert value in message and choice in message
    param = {"-c": "country", "-i": "indicator"}.get(option, option.lstrip("-"))
    client = TestClient(create_app(settings, db))
    api = client.get(f"/api/v1/observations?{param}={value}")
    assert api.status_code == 422 and value in api.json()["error"]["message"]
    if option == "-c":
        # The explore page asks through the same resolver and says so on the page.
        page = client.get(f"/explore?indicator=victims&country={value}")
        assert f"unknown country &#39;{value}&#39;" in page.text


def test_the_rest_of_a_group_is_not_the_group(bsr: str) -> None:
    """`EU-28 others` is what Germany did not list separately, not the EU-28."""
    raw = [
        r
        for r in _raw()
        if r["Category"] == "EU-28 others" and (r["Sex"], r["Age"]) == ("Total", "Total")
    ]
    others = _query(bsr, "-c", "DE", "--citizenship", "eu28-others", "--by", "citizenship")
    assert len(others) == len(raw) > 0
    assert {r["citizenship"] for r in others} == {"country-group:eu28-others"}
    assert all("EU-28 others" in r["source_label"] for r in others)
    whole = _query(bsr, "-c", "DE", "--citizenship", "country-group:eu28")
    assert all("others" not in r["source_label"] for r in whole)
    for code, concept in [
        ("Africa others", "africa-others"),
        ("Asia others", "asia-others"),
        ("Europe others", "europe-others"),
    ]:
        rows = _query(bsr, "-c", "DE", "--citizenship", concept)
        assert rows and all(code in r["source_label"] for r in rows), code
    shown = _cli(bsr, "taxonomy", "show", "country-group:eu28-others", "-f", "json")
    concept = json.loads(shown.stdout)
    assert len(concept["labels"]) == 11 and "country-group:eu28" in json.dumps(concept)


def test_repatriation_cells_are_reachable(bsr: str, db: Database, settings: Settings) -> None:
    raw = [r for r in _raw() if r["Dimension"] == "by country of repatriation"]
    assert len(raw) == 150
    rows = _query(bsr, "--by", "repatriation")
    rows += _query(bsr, "--by", "repatriation,sex")
    rows += _query(bsr, "--by", "repatriation,age")
    rows += _query(bsr, "--by", "repatriation,sex,age")
    rows += _query(bsr, "--repatriation", "reported-total", "--by", "sex,age")
    rows += _query(bsr, "--repatriation", "reported-total", "--by", "sex")
    rows += _query(bsr, "--repatriation", "reported-total", "--by", "age")
    rows += _query(bsr, "--repatriation", "reported-total")
    # Every published cell, once, with the source's own row and value.
    assert sorted(r["row"] for r in rows) == sorted(i + 2 for i, r in enumerate(_raw()) if r in raw)
    for r in rows:
        text = _raw()[r["row"] - 2]["txtVALUE"]
        assert r["status"] == ("suppressed" if text == "<5" else "number")
        if text != "<5":
            assert r["value"] == float(text.replace(",", ""))
    romania = _query(bsr, "-c", "DE", "--repatriation", "RO", "--by", "repatriation")
    assert romania and {r["repatriation"] for r in romania} == {"country:RO"}
    client = TestClient(create_app(settings, db))
    api = client.get("/api/v1/observations?country=DE&repatriation=RO&by=repatriation").json()
    assert api == romania
    # Asked for nothing about repatriation, nothing about it is mixed in.
    assert all(r["extra"] == "" for r in _query(bsr, "-c", "DE"))


def test_eurostat_aggregates_are_reachable(db_url: str, cli_env: Path) -> None:
    path = shared_file("eurostat-population/tps00001_2004-2015_bkrsh.tsv")
    result = _cli(db_url, "import", "eurostat", str(path))
    assert result.exit_code == 0, result.stderr
    lines = path.read_text(encoding="utf-8").splitlines()
    years = [h.strip() for h in lines[0].split("\t")[1:]]
    published: dict[tuple[str, int], str] = {}
    for line in lines[1:]:
        cells = line.split("\t")
        geo = cells[0].split(",")[-1]
        for year, cell in zip(years, cells[1:], strict=True):
            published[(geo, int(year))] = cell.strip()
    for geo in ("EU27", "EA18", "EA19", "EU28"):
        rows = _query(db_url, "-i", "population", "-c", geo)
        expected = {y: v for (g, y), v in published.items() if g == geo and v != ":"}
        assert len(rows) == len(expected) > 0, geo
        for r in rows:
            number = expected[r["year"]].split(" ")[0]
            assert r["value"] == float(number), (geo, r["year"])
    # The two compositions of the euro area stay two series, never one.
    both = _query(db_url, "-i", "population", "-c", "EA18", "-c", "EA19", "--year", "2014")
    assert sorted(r["extra"] for r in both) == ["area=EA18", "area=EA19"]


def test_an_empty_csv_answer_has_its_header_in_the_cli_as_in_the_api(
    bsr: str, db: Database, settings: Settings
) -> None:
    args = ["-i", "victims", "-c", "IS", "--year", "1990", "--by", "sex", "--per-100k"]
    result = _cli(bsr, "query", "observations", *args, "-f", "csv")
    assert result.exit_code == 0
    query = "indicator=victims&country=IS&year=1990&by=sex&per_100k=true&format=csv"
    api = TestClient(create_app(settings, db)).get(f"/api/v1/observations?{query}").text
    assert result.stdout == api
    header = api.splitlines()
    assert len(header) == 1 and header[0].startswith("indicator,country,year,sex,value,status")
    assert "rate_per_100k" in header[0] and "rate_flags" in header[0]


def test_a_rate_carries_the_flags_of_its_population(
    db: Database, settings: Settings, tmp_path: Path, db_url: str, cli_env: Path
) -> None:
    counts = write_glotip_csv(
        tmp_path / "g.csv",
        [glotip_row("LVA", "Latvia", 2019, "30"), glotip_row("LVA", "Latvia", 2020, "44")],
    )
    population = write_tsv(
        tmp_path / "tps00001.tsv",
        "indic_de,geo\\time\t2019 \t2020 ",
        ["JAN,LV\t1919968 \t1907675 be"],
    )
    for kind, path in (("glotip", counts), ("eurostat", population)):
        assert _cli(db_url, "import", kind, str(path)).exit_code == 0
    rows = _query(db_url, "-i", "victims", "-c", "LV", "--per-100k")
    flags = {r["year"]: (r["flags"], r["rate_flags"], r["population_flags"]) for r in rows}
    assert flags == {2019: ([], [], []), 2020: ([], ["break", "estimated"], ["break", "estimated"])}
    text = _cli(
        db_url, "query", "observations", "-i", "victims", "-c", "LV", "--per-100k", "-f", "csv"
    ).stdout
    assert list(csv.DictReader(io.StringIO(text)))[1]["rate_flags"] == "break,estimated"
