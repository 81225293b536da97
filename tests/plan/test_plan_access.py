"""The plan API's access rules on SQLite and PostgreSQL: the public reads only public
projects and reviews; only the secretariat imports; a project's status is changed by the
secretariat or the project's organisation; every change is audited."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from access_support import bearer, build_world
from plan_support import SAMPLE
from thbhub.access.users import operator
from thbhub.plan import service
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.web.app import create_app


def _import(client: TestClient, headers: dict[str, str], text: str, name: str = "p.yaml") -> int:
    files = {"file": (name, text.encode("utf-8"), "application/yaml")}
    return client.post("/api/v1/plan/import", files=files, headers=headers).status_code


def test_reads_writes_and_audit(settings: Settings, db: Database, cli_env: Path) -> None:
    world = build_world(settings, db)
    client = TestClient(create_app(settings, db))
    text = SAMPLE.read_text(encoding="utf-8")
    # An internal project owned by Alpha Agency, so that its contributor may edit it.
    text = text.replace("  owner: null\n  public: false", "  owner: Alpha Agency\n  public: false")
    assert _import(client, bearer(world, "public"), text) == 401
    for who in ("contributor", "analyst", "foreign", "pending"):
        assert _import(client, bearer(world, who), text) == 403, who
    assert service.portfolio(db, operator())["projects"] == []  # nothing written
    assert _import(client, bearer(world, "admin"), text) == 200

    public = client.get("/api/v1/plan/projects").json()
    assert "EX-P5" not in {p["id"] for p in public} and len(public) == 4
    assert client.get("/api/v1/plan/projects/EX-P5").status_code == 404
    assert client.get("/plan/projects/EX-P5").status_code == 404
    members = client.get("/api/v1/plan/projects", headers=bearer(world, "analyst")).json()
    assert "EX-P5" in {p["id"] for p in members}
    # The coverage a visitor sees counts public projects only: objective 8 is internal.
    cells = client.get("/api/v1/plan/coverage?year=2026").json()
    assert next(c for c in cells if c["objective"] == "objective:8")["gap"] is True
    cells = client.get("/api/v1/plan/coverage?year=2026", headers=bearer(world, "analyst")).json()
    assert next(c for c in cells if c["objective"] == "objective:8")["projects"] == 1

    url = "/api/v1/plan/projects/EX-P1/status"
    assert client.post(url, json={"status": "completed"}).status_code == 401
    for who in ("contributor", "foreign", "analyst"):
        response = client.post(url, json={"status": "completed"}, headers=bearer(world, who))
        assert response.status_code == 403, who
    owned = "/api/v1/plan/projects/EX-P5/status"
    response = client.post(
        owned, json={"status": "completed"}, headers=bearer(world, "contributor")
    )
    assert response.status_code == 200, response.text
    response = client.post(owned, json={"status": "paused"}, headers=bearer(world, "contributor"))
    assert response.status_code == 422
    response = client.post(url, json={"status": "completed"}, headers=bearer(world, "admin"))
    assert response.status_code == 200
    assert client.get("/api/v1/plan/projects/EX-P1").json()["status"] == "completed"

    log = client.get("/api/v1/audit?object_type=plan_project", headers=bearer(world, "admin"))
    assert {(e["object_id"], e["email"]) for e in log.json()} == {
        ("EX-P5", world.emails["contributor"]),
        ("EX-P1", world.emails["admin"]),
    }
    log = client.get("/api/v1/audit?object_type=plan_portfolio", headers=bearer(world, "admin"))
    assert [e["action"] for e in log.json()] == ["import"]


def test_bad_upload_is_a_422_naming_the_row(
    settings: Settings, db: Database, cli_env: Path
) -> None:
    world = build_world(settings, db)
    client = TestClient(create_app(settings, db))
    text = SAMPLE.read_text(encoding="utf-8").replace("ends: 2026-10-31", "ends: 2024-10-31")
    files = {"file": ("mine.yaml", text.encode("utf-8"), "application/yaml")}
    response = client.post("/api/v1/plan/import", files=files, headers=bearer(world, "admin"))
    assert response.status_code == 422
    assert response.json()["error"]["message"].startswith(
        "mine.yaml, sheet 'projects', row 2, column 'ends': project ends before it starts"
    )
    assert service.portfolio(db, operator())["projects"] == []


def test_sample_loads_once_and_never_over_an_imported_portfolio(
    db: Database, tmp_path: Path, cli_env: Path
) -> None:
    from thbhub.plan.sample import load_plan_sample

    assert load_plan_sample(db)["loaded"] is True
    assert len(service.portfolio(db, operator())["projects"]) == 5
    assert load_plan_sample(db)["loaded"] is False
    text = SAMPLE.read_text(encoding="utf-8").replace("Example: regional evidence", "Ours")
    (tmp_path / "ours.yaml").write_text(text, encoding="utf-8")
    service.import_portfolio(db, operator(), tmp_path / "ours.yaml")
    assert load_plan_sample(db)["loaded"] is False
    titles = {p["title"] for p in service.portfolio(db, operator())["projects"]}
    assert "Ours base on trafficking trends" in titles


def test_edit_project_checks_the_import_rules(
    settings: Settings, db: Database, cli_env: Path
) -> None:
    world = build_world(settings, db)
    client = TestClient(create_app(settings, db))
    text = SAMPLE.read_text(encoding="utf-8").replace(
        "  owner: null\n  public: false", "  owner: Alpha Agency\n  public: false"
    )
    assert _import(client, bearer(world, "admin"), text) == 200
    before = service.portfolio(db, operator())
    url = "/api/v1/plan/projects/EX-P5"
    who = bearer(world, "contributor")
    # Its activity EX-A5 is on 2026-06-12: the period may not end before it.
    response = client.patch(url, json={"ends": "2026-06-01"}, headers=who)
    assert response.status_code == 422
    assert response.json()["error"]["message"].startswith(
        "stored portfolio, sheet 'activities', row 5, column 'ends': activity outside its "
        "project's period"
    )
    response = client.patch(url, json={"ends": "2026-01-01"}, headers=who)
    assert response.json()["error"]["message"].startswith(
        "project EX-P5, column 'ends': project ends before it starts"
    )
    response = client.patch(url, json={"budget": 5000, "currency": ""}, headers=who)
    assert response.status_code == 422 and "needs its currency" in response.text
    assert service.portfolio(db, operator()) == before
    assert client.patch(url, json={"lead": "x"}, headers=who).status_code == 422
    response = client.patch(
        url, json={"ends": "2027-12-31", "funder": "", "budget": ""}, headers=who
    )
    assert response.status_code == 200, response.text
    assert response.json()["changed"] == ["budget", "ends", "funder"]
    project = client.get(url, headers=who).json()
    assert project["ends"] == "2027-12-31" and project["funder"] is None
    assert [a["id"] for a in project["activities"]] == ["EX-A5"]  # kept with its project
    other = bearer(world, "foreign")
    assert client.patch(url, json={"title": "x"}, headers=other).status_code == 403


def test_web_edit_and_import_forms(settings: Settings, db: Database, cli_env: Path) -> None:
    from access_support import browser_client, csrf_of

    world = build_world(settings, db)
    app = create_app(settings, db)
    service.import_portfolio(db, operator(), SAMPLE)
    contributor = browser_client(app, world, "contributor")
    assert contributor.get("/plan/manage").status_code == 403
    page = contributor.get("/plan/projects/EX-P1").text
    assert 'action="/plan/projects/EX-P1/edit"' not in page  # not its organisation's
    admin = browser_client(app, world, "admin")
    page = admin.get("/plan/projects/EX-P1").text
    assert 'action="/plan/projects/EX-P1/edit"' in page
    form = {
        "csrf_token": csrf_of(page),
        "title": "Example: renamed",
        "status": "completed",
        "starts": "2025-03-01",
        "ends": "2027-12-31",
        "budget": "150000",
        "currency": "EUR",
        "funder": "Example funder",
        "description": "",
    }
    response = admin.post("/plan/projects/EX-P1/edit", data=form, follow_redirects=True)
    assert response.status_code == 200 and "Saved (" in response.text
    assert "Example: renamed" in response.text
    bad = {**form, "csrf_token": csrf_of(response.text), "ends": "2024-01-01"}
    response = admin.post("/plan/projects/EX-P1/edit", data=bad, follow_redirects=True)
    assert "Not saved: project EX-P1, column &#39;ends&#39;: project ends before" in response.text
    manage = admin.get("/plan/manage").text
    text = SAMPLE.read_text(encoding="utf-8").replace("objective:7, objective:6", "objective:77")
    response = admin.post(
        "/plan/import",
        data={"csrf_token": csrf_of(manage)},
        files={"file": ("mine.yaml", text.encode("utf-8"), "application/yaml")},
        follow_redirects=True,
    )
    assert "Nothing imported: mine.yaml, sheet &#39;projects&#39;, row 3" in response.text
    projects = {p["id"]: p for p in service.portfolio(db, operator())["projects"]}
    assert projects["EX-P1"]["title"] == "Example: renamed"  # the bad file changed nothing
    exported = admin.get("/api/v1/plan/export")
    assert exported.status_code == 200 and "Example: renamed" in exported.text
    assert contributor.get("/api/v1/plan/export").status_code == 403


def test_plan_pages_pass_the_static_accessibility_checks(
    settings: Settings, db: Database, cli_env: Path
) -> None:
    from a11y_support import problems
    from access_support import browser_client

    world = build_world(settings, db)
    app = create_app(settings, db)
    service.import_portfolio(db, operator(), SAMPLE)
    pages = [
        "/plan",
        "/plan?year=2026&presidency=PRES-B",
        "/plan/projects",
        "/plan/projects/EX-P2",
        "/plan/indicators",
        "/plan/indicators/EX-I3",
        "/plan/review",
        "/plan/manage",
    ]
    for who in ("public", "admin"):
        client = browser_client(app, world, who)
        for path in pages:
            response = client.get(path, follow_redirects=False)
            if who == "public" and path == "/plan/manage":
                assert response.status_code == 303  # to the log-in page
                assert response.headers["location"].startswith("/login")
                continue
            assert response.status_code == 200, (who, path)
            assert problems(response.text) == [], (who, path)
    # The admin's project page carries the edit form, the visitor's does not.
    assert "f-title" in browser_client(app, world, "admin").get("/plan/projects/EX-P2").text
