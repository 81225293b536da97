"""Privacy pages and API: the policy is public; releases and utility are the owner's only."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from access_support import World, bearer, browser_client, build_world
from support_privacy import records
from thbhub.privacy.release import ReleaseRequest, release
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.web.app import create_app


@pytest.fixture
def world(settings: Settings, db: Database, tmp_path: Path) -> World:
    w = build_world(settings, db)
    release(
        db,
        settings,
        w.principal("contributor"),
        records(),
        ReleaseRequest(
            organisation_id=w.orgs["alpha"],
            method="dp",
            output=tmp_path / "r.csv",
            epsilon=2.0,
            reporting_length=2,
            seed=1,
        ),
    )
    return w


def test_policy_is_public(settings: Settings, db: Database) -> None:
    with TestClient(create_app(settings, db)) as c:
        body = c.get("/api/v1/privacy/policy").json()
        assert body["threshold"] == settings.disclosure_threshold
        page = c.get("/privacy")
        assert page.status_code == 200
        assert "suppressed" in page.text


def test_owner_sees_release_utility_and_comparison(world: World) -> None:
    app = create_app(world.settings, world.db)
    with TestClient(app) as c:
        listing = c.get("/api/v1/privacy/releases", headers=bearer(world, "analyst")).json()
        assert len(listing["releases"]) == 1
        rid = listing["releases"][0]["id"]
        assert listing["budgets"][0]["epsilon_spent"] == pytest.approx(2.0)
        detail = c.get(f"/api/v1/privacy/releases/{rid}", headers=bearer(world, "analyst"))
        assert detail.json()["utility"]["comparison"]
    with browser_client(app, world, "contributor") as b:
        page = b.get(f"/privacy/releases/{rid}")
        assert page.status_code == 200
        assert "Original vs released" in page.text
        assert b.get("/privacy/releases").status_code == 200


def test_other_organisation_and_admin_see_nothing(world: World) -> None:
    app = create_app(world.settings, world.db)
    with TestClient(app) as c:
        mine = c.get("/api/v1/privacy/releases", headers=bearer(world, "analyst")).json()
        rid = mine["releases"][0]["id"]
        foreign = bearer(world, "foreign")
        assert c.get(f"/api/v1/privacy/releases/{rid}", headers=foreign).status_code == 404
        alpha = world.orgs["alpha"]
        url = f"/api/v1/privacy/releases?organisation_id={alpha}"
        assert c.get(url, headers=foreign).status_code == 403
        assert c.get("/api/v1/privacy/releases", headers=foreign).json()["releases"] == []
        assert c.get("/api/v1/privacy/releases", headers=bearer(world, "admin")).status_code == 403
        assert c.get("/api/v1/privacy/releases").status_code == 401
