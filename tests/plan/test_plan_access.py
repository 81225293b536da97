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
