"""The Estimates page and /api/v1/estimates on both backends: the same numbers as the CLI,
the sensitivity table, the ratio, clean 4xx answers."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from access_support import bearer, build_world
from thbhub.estimation.samples import sample_table, table_path
from thbhub.estimation.service import estimate
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.web.app import create_app


@pytest.fixture
def client(settings: Settings, db: Database) -> Iterator[TestClient]:
    with TestClient(create_app(settings, db)) as c:
        yield c


def test_page_shows_the_estimate_interval_ratio_sensitivity_and_assumptions(
    client: TestClient,
) -> None:
    response = client.get("/estimates", params={"bootstrap": 300})
    assert response.status_code == 200
    html = response.text
    expected = estimate(sample_table("NewOrl.csv"), n_boot=300)  # the first table
    assert f">{expected.estimate:,.0f}<" in html  # 1,184
    assert f"{expected.ci_low:,.0f} to {expected.ci_high:,.0f}" in html
    hidden = (expected.estimate - expected.observed) / expected.observed
    assert re.search(rf"About {round(hidden)} hidden\s+victims for every one detected", html)
    assert "D:E" in html and "Published" in html and "1,184" in html
    assert html.count("<tr><td>0.") >= 6  # the sensitivity table, one row per threshold
    assert "population is closed" in html and "minus infinity" in html
    assert 'href="/estimates"' in html  # in the navigation
    other = client.get("/estimates", params={"table": "Korea.csv", "bootstrap": 0})
    assert other.status_code == 200 and ">269<" in other.text and "not computed" in other.text


def test_api_gives_the_page_numbers(client: TestClient) -> None:
    tables = client.get("/api/v1/estimates/tables").json()
    assert [t["name"] for t in tables][:2] == ["NewOrl.csv", "NewOrl_5.csv"]
    body = client.get(
        "/api/v1/estimates/tables/Korea.csv", params={"bootstrap": 200, "seed": 3}
    ).json()
    found = estimate(sample_table("Korea.csv"), n_boot=200, seed=3).as_dict()
    assert body["estimate"] == found
    assert body["hidden_per_detected"] == round((268.78 - 123) / 123, 1)
    assert body["main_effects"]["estimate"] == pytest.approx(141.99)
    assert [s["threshold"] for s in body["sensitivity"]][0] == 0.0
    assert sum(r["count"] for r in body["table"]) == 123


def test_api_refuses_bad_requests_cleanly(client: TestClient) -> None:
    response = client.get("/api/v1/estimates/tables/Nowhere.csv")
    assert response.status_code == 404 and "Nowhere.csv" in response.json()["error"]["message"]
    response = client.get("/api/v1/estimates/tables/Korea.csv", params={"threshold": 2})
    assert response.status_code == 422
    response = client.get("/api/v1/estimates/tables/Korea.csv", params={"bootstrap": 10**6})
    assert response.status_code == 422
    response = client.get("/estimates", params={"table": "../../etc/passwd"})
    assert response.status_code == 422


def test_post_estimates_an_uploaded_table_for_a_signed_in_caller(
    client: TestClient, settings: Settings, db: Database
) -> None:
    world = build_world(settings, db)
    data = table_path("Korea.csv").read_bytes()
    files = {"file": ("korea.csv", data, "text/csv")}
    anonymous = client.post("/api/v1/estimates/mse", files=files)
    assert anonymous.status_code == 401
    answer = client.post(
        "/api/v1/estimates/mse",
        files=files,
        params={"bootstrap": 0},
        headers=bearer(world, "analyst"),
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["estimate"]["estimate"] == pytest.approx(268.78)
    bad = client.post(
        "/api/v1/estimates/mse",
        files={"file": ("bad.csv", b"A,B,count\n1,0,3\n0,0,2\n", "text/csv")},
        headers=bearer(world, "analyst"),
    )
    assert bad.status_code == 422
    message = bad.json()["error"]["message"]
    assert "bad.csv, row 3, column 'A'" in message
