"""The app in-process on both backends: health, OpenAPI, taxonomy API, error shapes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.web.access import Access, access, route_table, verify_routes_declared
from thbhub.web.app import create_app


@pytest.fixture
def client(settings: Settings, db: Database) -> Iterator[TestClient]:
    with TestClient(create_app(settings, db)) as c:
        yield c


def test_health(client: TestClient, db: Database) -> None:
    body = client.get("/api/v1/health").json()
    assert body["status"] == "ok"
    assert body["dialect"] == db.dialect
    assert body["schema_version"]


def test_openapi_lists_api_routes(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "/api/v1/health" in spec["paths"]
    assert "/api/v1/concepts/{concept_id}" in spec["paths"]
    assert "/" not in spec["paths"]  # pages are not API


def test_concepts_api(client: TestClient) -> None:
    forms = client.get("/api/v1/concepts", params={"scheme": "form"}).json()
    assert "form:child-soldiering" in {c["id"] for c in forms}
    concept = client.get("/api/v1/concepts/form:forced-begging").json()
    assert concept["labels"]["pl"]


def test_api_errors_are_json(client: TestClient) -> None:
    response = client.get("/api/v1/concepts/form:unicorn")
    assert response.status_code == 404
    assert response.json() == {
        "error": {"status": 404, "message": "no concept 'form:unicorn'; see `thbhub taxonomy list`"}
    }
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404 and response.json()["error"]["status"] == 404
    response = client.get("/api/v1/concepts", params={"scheme": "x' OR 1=1 --"})
    assert response.status_code == 422 and "scheme" in response.json()["error"]["message"]


def test_pages_errors_are_friendly_html(client: TestClient) -> None:
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "text/html" in response.headers["content-type"]
    assert "Page not found" in response.text and "Traceback" not in response.text
    response = client.get("/topics/form:unicorn")
    assert response.status_code == 404 and "form:unicorn" in response.text


def test_home_and_topic_pages(client: TestClient) -> None:
    home = client.get("/")
    assert home.status_code == 200
    assert "What the hub holds" in home.text and "Forms of exploitation" in home.text
    page = client.get("/topics/form:labour-exploitation")
    assert page.status_code == 200
    assert 'lang="lv"' in page.text and "form:domestic-servitude" in page.text
    listing = client.get("/topics", params={"scheme": "group"})
    assert listing.status_code == 200 and "group:" in listing.text


def test_no_request_leaves_localhost(client: TestClient) -> None:
    html = client.get("/").text + client.get("/topics/form:other").text
    assert "https://cdn" not in html and "//unpkg" not in html
    for path in ("/static/js/htmx.min.js", "/static/css/hub.css"):
        assert client.get(path).status_code == 200


def test_every_route_declares_access(client: TestClient) -> None:
    table = route_table(client.app)  # type: ignore[arg-type]
    assert ("GET", "/api/v1/health", Access.public) in table


def test_undeclared_route_refuses_to_start() -> None:
    app = FastAPI()

    @app.get("/declared")
    @access(Access.public)
    def declared() -> dict[str, str]:
        return {}

    verify_routes_declared(app)

    @app.get("/forgotten")
    def forgotten() -> dict[str, str]:
        return {}

    with pytest.raises(RuntimeError, match="GET /forgotten"):
        verify_routes_declared(app)


def test_a_database_without_the_schema_is_503_not_400(
    empty_db_url: str, settings: Settings
) -> None:
    # The operator's problem, not the request's: the page and the API say what to run.
    db = Database(empty_db_url)
    with TestClient(create_app(settings, db)) as client:
        api = client.get("/api/v1/sources")
        page = client.get("/explore")
    db.dispose()
    assert api.status_code == 503 and "run `thbhub init`" in api.json()["error"]["message"]
    assert page.status_code == 503 and "Service unavailable" in page.text
