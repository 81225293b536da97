"""Privacy pages and API: the policy is public; releases and utility are the owner's only."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import Request
from fastapi.testclient import TestClient

from support_privacy import make_org, member, records
from thbhub.domain.principals import Principal
from thbhub.privacy.release import ReleaseRequest, release
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.web.app import create_app


def client_as(settings: Settings, db: Database, principal: Principal | None) -> TestClient:
    app = create_app(settings, db)
    if principal is not None:

        @app.middleware("http")
        async def as_principal(request: Request, call_next):  # type: ignore[no-untyped-def]
            request.state.principal = principal
            return await call_next(request)

    return TestClient(app)


@pytest.fixture
def released(db: Database, settings: Settings, tmp_path: Path) -> Iterator[tuple[int, int]]:
    org = make_org(db)
    result = release(
        db,
        settings,
        member(org),
        records(),
        ReleaseRequest(
            organisation_id=org,
            method="dp",
            output=tmp_path / "r.csv",
            epsilon=2.0,
            reporting_length=2,
            seed=1,
        ),
    )
    yield org, int(result["release_id"])


def test_policy_is_public(settings: Settings, db: Database) -> None:
    with client_as(settings, db, None) as c:
        body = c.get("/api/v1/privacy/policy").json()
        assert body["threshold"] == settings.disclosure_threshold
        page = c.get("/privacy")
        assert page.status_code == 200
        assert "suppressed" in page.text


def test_owner_sees_release_utility_and_comparison(
    settings: Settings, db: Database, released: tuple[int, int]
) -> None:
    org, rid = released
    with client_as(settings, db, member(org)) as c:
        listing = c.get("/api/v1/privacy/releases").json()
        assert [r["id"] for r in listing["releases"]] == [rid]
        assert listing["budgets"][0]["epsilon_spent"] == pytest.approx(2.0)
        detail = c.get(f"/api/v1/privacy/releases/{rid}").json()
        assert detail["utility"]["comparison"]
        page = c.get(f"/privacy/releases/{rid}")
        assert page.status_code == 200
        assert "Original vs released" in page.text
        assert c.get("/privacy/releases").status_code == 200


def test_other_organisation_sees_nothing(
    settings: Settings, db: Database, released: tuple[int, int]
) -> None:
    org, rid = released
    other = make_org(db, "Other org")
    with client_as(settings, db, member(other)) as c:
        assert c.get(f"/api/v1/privacy/releases/{rid}").status_code == 404
        assert c.get(f"/api/v1/privacy/releases?organisation_id={org}").status_code == 403
        assert c.get("/api/v1/privacy/releases").json()["releases"] == []
