"""Invalid parameters are answered in a user's words: the parameter, the value and what is
wrong with it, not the library's regular expression or type names."""

from __future__ import annotations

import html

import pytest
from fastapi.testclient import TestClient

from access_support import bearer, browser_client, build_world
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.web.app import create_app


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_invalid_parameters_are_explained_plainly(settings: Settings, db: Database) -> None:
    world = build_world(settings, db)
    client = browser_client(create_app(settings, db), world, "contributor")
    page = client.get("/cases", params={"sex": "junk value", "year": "2x"})
    assert page.status_code == 422
    text = html.unescape(page.text)
    assert "sex 'junk value' is not a valid value here" in text
    assert "year '2x' is not a whole number" in text
    assert "should match pattern" not in text and "^[a-z" not in text
    too_early = html.unescape(client.get("/cases", params={"year": "1200"}).text)
    assert "year '1200' is too small (1900)" in too_early
    api = TestClient(create_app(settings, db)).get(
        "/api/v1/cases", params={"limit": "lots"}, headers=bearer(world, "contributor")
    )
    assert api.status_code == 422
    assert api.json()["error"]["message"] == "limit 'lots' is not a whole number"
