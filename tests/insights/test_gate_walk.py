"""Every insight route and CLI command, as the public and as another organisation, on the
bundled real CTDC records: no count in 1..k-1, no ratio from a suppressed count; and the
organisation's own unpublished records are its own."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from access_support import World, bearer
from insights_support import check_gated, ctdc_world, ready_get
from thbhub.cli import app as cli_app
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.web.app import create_app

GROUPS = [
    "form=form:labour-exploitation",
    "form=form:sexual-exploitation",
    "citizenship=UA",
    "sex=sex:male",
    "sex=sex:female,age=age:9-17",
    "means=means:debt-bondage",
    "recruiter=recruiter:family",
]
API = [
    *(f"/api/v1/insights/profile?group={g}" for g in GROUPS),
    "/api/v1/insights/profile?group=sex=sex:female&where=year=2006",
    "/api/v1/insights/means",
    "/api/v1/insights/means?form=form:sexual-exploitation",
    "/api/v1/insights/means?form=form:labour-exploitation",
    *(
        f"/api/v1/insights/breakdown?field={f}&across={b}"
        for f in ("recruiter", "means", "sector")
        for b in ("form", "sex", "age", "year")
    ),
    "/api/v1/insights/journeys",
    "/api/v1/insights/journeys?where=sex=sex:female",
]


@pytest.fixture
def world(settings: Settings, db: Database) -> World:
    return ctdc_world(settings, db, published=True)


def test_every_route_as_public_and_another_organisation_is_gated(world: World) -> None:
    k = world.settings.disclosure_threshold
    checked = 0
    suppressed = 0
    with TestClient(create_app(world.settings, world.db)) as c:
        for who in ("public", "foreign"):
            for url in API:
                r = ready_get(c, url, headers=bearer(world, who))
                assert r.status_code == 200, (url, r.text)
                checked += check_gated(r.json(), k)
                suppressed += r.text.count('"suppressed"')
            page = ready_get(c, "/insights", headers=bearer(world, who))
            assert page.status_code == 200
            numbers = [int(x) for x in re.findall(r'<td class="num">(\d+)</td>', page.text)]
            assert numbers and not [n for n in numbers if 1 <= n < k]
            # Another organisation asking for Alpha's own insights is refused.
            if who == "foreign":
                own = f"/api/v1/insights/journeys?organisation_id={world.orgs['alpha']}"
                assert c.get(own, headers=bearer(world, who)).status_code == 403
    # The real records do have small cells: the walk saw suppression, and many numbers.
    assert checked > 500 and suppressed > 0


def test_every_cli_command_is_gated(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THBHUB_DATABASE_URL", world.settings.database_url)
    monkeypatch.setenv("THBHUB_DATA_DIR", str(world.settings.data_dir))
    monkeypatch.setenv("THBHUB_SECRET_KEY", "test-secret-key-0123456789")
    k = world.settings.disclosure_threshold
    runner = CliRunner()
    commands = [
        *(["insights", "profile", "--group", g] for g in GROUPS),
        ["insights", "means"],
        ["insights", "means", "--form", "form:labour-exploitation"],
        ["insights", "recruiters", "--by", "sex"],
        ["insights", "recruiters", "--field", "means", "--by", "year"],
        ["insights", "journeys"],
    ]
    checked = 0
    for args in commands:
        result = runner.invoke(cli_app, [*args, "--format", "json"])
        assert result.exit_code == 0, (args, result.output)
        checked += check_gated(json.loads(result.output), k)
    assert checked > 200
    bad = runner.invoke(cli_app, ["insights", "profile", "--group", "colour=red"])
    assert bad.exit_code == 1 and "unknown dimension 'colour'" in bad.output
    assert "Traceback" not in bad.output


def test_a_suppressed_comparison_says_so_instead_of_a_ratio(world: World) -> None:
    rows: list[dict] = []
    with TestClient(create_app(world.settings, world.db)) as c:
        for group in GROUPS:
            rows += ready_get(c, f"/api/v1/insights/profile?group={group}").json()["comparisons"]
    hidden = [r for r in rows if r["status"] in ("suppressed", "too few to compare")]
    shown = [r for r in rows if r["ratio"] is not None]
    assert hidden and shown
    assert all(r["ratio"] is None and r["ci_low"] is None and r["q"] is None for r in hidden)
    assert all(r["ci_low"] <= r["ratio"] <= r["ci_high"] and 0 <= r["q"] <= 1 for r in shown)
    # Not recorded is its own row, never compared (never counted as "no").
    assert any(r["status"] == "not recorded" for r in rows)


def test_unpublished_records_are_their_organisations_own(settings: Settings, db: Database) -> None:
    w = ctdc_world(settings, db, published=False)
    alpha = w.orgs["alpha"]
    with TestClient(create_app(settings, db)) as c:
        public = ready_get(c, "/api/v1/insights/journeys").json()
        assert public["flows"] == [] and public["flows_suppressed"] == 0
        own = ready_get(
            c, f"/api/v1/insights/journeys?organisation_id={alpha}", headers=bearer(w, "analyst")
        )
        assert own.status_code == 200 and len(own.json()["flows"]) > 3
        check_gated(own.json(), settings.disclosure_threshold)
        for who in ("foreign", "public"):
            r = c.get(
                f"/api/v1/insights/profile?group=sex=sex:male&organisation_id={alpha}",
                headers=bearer(w, who),
            )
            assert r.status_code in (401, 403), (who, r.status_code)
            assert "flows" not in r.text and "comparisons" not in r.text
