"""GET /api/v1/shares, /flows, /comparability and the /flows and /shares pages on both
backends, over the bundled GLOTIP extract stored through `thbhub import glotip`."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from shares_support import load_bundled
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.web.app import create_app


@pytest.fixture
def client(settings: Settings, db: Database, db_url: str) -> Iterator[TestClient]:
    load_bundled(db_url)
    with TestClient(create_app(settings, db)) as c:
        yield c


def test_api_answers_with_the_source_cells(client: TestClient) -> None:
    body = client.get("/api/v1/shares", params={"country": "LV", "year": 2019, "by": "sex"}).json()
    (table,) = body["tables"]
    female = next(s for s in table["shares"] if s["label"] == "Female")
    # data_glotip: Latvia 2019 victims female 16 of a total 39.
    assert (female["count"], table["reported_total"], female["share"]) == (16, 39, 41.03)
    assert body["comparability"] == []  # one country: nothing compared
    two = client.get(
        "/api/v1/shares", params=[("country", "LV"), ("country", "LT"), ("year", "2019")]
    )
    assert two.status_code == 200 and two.json()["comparability"]
    text = client.get("/api/v1/shares", params={"country": "LV", "year": 2019, "format": "csv"})
    rows = list(csv.DictReader(io.StringIO(text.text)))
    india = next(r for r in rows if r["label"] == "India")
    assert (india["status"], india["count"], india["share"]) == ("suppressed", "", "")
    flows = client.get("/api/v1/flows", params={"country": "LV", "year": 2019}).json()
    assert [f["shown"] for f in flows["flows"]] == ["15", "15", "8", "fewer than 5 (suppressed)"]
    assert flows["sankey"]["links"][3]["value"] is None
    flows_csv = client.get("/api/v1/flows", params={"country": "LV", "year": 2019, "format": "csv"})
    assert flows_csv.headers["content-type"].startswith("text/csv")
    notes = client.get("/api/v1/comparability", params={"countries": "LV,IS", "by": "citizenship"})
    assert notes.status_code == 200
    assert any("IS" in n["countries"] and n["kind"] == "coverage" for n in notes.json())


def test_openapi_describes_the_routes(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for route in ("/api/v1/shares", "/api/v1/flows", "/api/v1/comparability"):
        params = {p["name"] for p in paths[route]["get"]["parameters"]}
        assert "format" in params, route
    assert "/flows" not in paths and "/shares" not in paths


@pytest.mark.parametrize(
    ("url", "status", "message"),
    [
        ("/api/v1/shares?by=colour", 400, "--by 'colour'"),
        ("/api/v1/comparability?countries=LV,LT&by=colour", 400, "--by 'colour'"),
        ("/api/v1/shares?year=1700", 422, "year"),
        ("/api/v1/shares?method=bayes", 422, "method"),
        ("/api/v1/shares?country=XX", 422, "unknown country 'XX'"),
        ("/api/v1/shares?year=2019&from=2010", 400, "not both"),
        ("/api/v1/shares?country=L%00V", 422, "country"),
        ("/api/v1/flows?year=2019&format=xml", 422, "format"),
        ("/api/v1/flows?country=" + "A" * 300, 422, "country"),
        ("/api/v1/comparability?countries=LV", 400, "at least two countries"),
        ("/api/v1/comparability", 422, "countries"),
    ],
)
def test_bad_parameters_are_clean_4xx(
    client: TestClient, url: str, status: int, message: str
) -> None:
    response = client.get(url)
    assert response.status_code == status, response.text
    assert message in response.json()["error"]["message"]


def test_pages_show_suppressed_cells_and_notes(client: TestClient) -> None:
    page = client.get("/flows", params={"country": "LV", "year": 2019})
    assert page.status_code == 200
    assert "fewer than 5 (suppressed)" in page.text and ">0<" not in page.text
    spec_text = re.search(
        r'<script type="application/json" id="flows-chart">(.*?)</script>', page.text, re.S
    )
    assert spec_text is not None
    spec = json.loads(spec_text.group(1))
    widths = {v["from"]: v for v in spec["layer"][0]["data"]["values"]}
    assert widths["India"]["kind"].startswith("with suppressed cells")
    assert (
        widths["India"]["width"] > 0 and widths["India"]["victims"] == "fewer than 5 (suppressed)"
    )
    assert widths["Tajikistan"]["width"] == 15
    shares = client.get("/shares", params=[("country", "LV"), ("country", "LT"), ("year", "2019")])
    assert shares.status_code == 200
    assert "suppressed 0–4" in shares.text and "What is not comparable" in shares.text
    assert "41.03%" in shares.text  # Latvia 2019: 16 female of 39
    charts = re.findall(
        r'<script type="application/json" id="share-chart-\d+">(.*?)</script>', shares.text, re.S
    )
    points = [v for c in charts for v in json.loads(c)["data"]["values"]]
    # The first charts are Latvia's (2019: children `<5` of 39).
    child = next(v for v in points if v["category"].startswith("Children"))
    # A suppressed share is drawn as its range, never as a point at 0.
    assert child["kind"] == "range (suppressed cells)" and child["high"] > child["low"] == 0
    bad = client.get("/shares", params={"country": "XX"})
    assert bad.status_code == 200 and "unknown country" in bad.text
