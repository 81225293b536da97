"""Leaving and ending a linkage project (docs/estimation.md): the leaver's keys are deleted
and its staff lose the members' view; the owner or the secretariat ends it; all audited;
through the service, the CLI, the API and the page's buttons."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from access_support import bearer, browser_client, csrf_of
from estimation.linkage_support import ALPHA, GAMMA, PROJECT, build_project
from thbhub.cli import main
from thbhub.domain.errors import PermissionDenied, UserError
from thbhub.domain.principals import PUBLIC
from thbhub.estimation import linkage, project_estimates
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.storage.schema import audit_log
from thbhub.storage.schema_estimation import linkage_keys
from thbhub.web.app import create_app


def keys_of(db: Database) -> dict[int, int]:
    """Stored linkage keys per organisation."""
    with db.connect() as conn:
        rows = conn.execute(
            select(linkage_keys.c.organisation_id, func.count()).group_by(
                linkage_keys.c.organisation_id
            )
        ).all()
    return {int(org): int(n) for org, n in rows}


def audited(db: Database, object_type: str, action: str) -> list[Any]:
    with db.connect() as conn:
        return conn.execute(
            select(audit_log.c.email, audit_log.c.rows, audit_log.c.organisation_id).where(
                audit_log.c.object_type == object_type, audit_log.c.action == action
            )
        ).all()


def estimate(db: Database, settings: Settings, who: Any) -> dict[str, Any]:
    return project_estimates.project_estimate(db, settings, who, PROJECT, n_boot=0)


def test_an_organisation_leaves_its_keys_go_and_its_staff_lose_the_members_view(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    p = build_project(settings, db, tmp_path)
    alpha, gamma = p.world.orgs["alpha"], p.world.orgs["gamma"]
    assert keys_of(db) == {alpha: len(ALPHA), gamma: len(GAMMA)}
    assert estimate(db, settings, p.world.principal("analyst"))["member"] is True
    with pytest.raises(PermissionDenied):  # an analyst cannot take the organisation out
        linkage.leave(db, p.world.principal("analyst"), PROJECT)
    with pytest.raises(UserError, match="not a member"):
        linkage.leave(db, p.outsider, PROJECT)
    left = linkage.leave(db, p.alpha, PROJECT)
    assert [m["organisation"] for m in left["members"]] == ["Gamma Police"]
    assert left["active"] is True and left["owner"] == "Gamma Police"
    assert keys_of(db) == {gamma: len(GAMMA)}
    for who in (p.alpha, p.world.principal("analyst")):
        seen = estimate(db, settings, who)
        assert seen["member"] is False and "table" not in seen
        assert seen["published"] is False  # one member left: no estimate at all
    assert [(r.rows, r.organisation_id) for r in audited(db, "linkage_membership", "delete")] == [
        (len(ALPHA), alpha)
    ]
    # the last member to leave ends the project: nothing links any more
    last = linkage.leave(db, p.gamma, PROJECT)
    assert last["active"] is False and last["members"] == [] and keys_of(db) == {}
    with pytest.raises(PermissionDenied, match="ended"):
        estimate(db, settings, PUBLIC)


def test_the_owner_or_the_secretariat_ends_a_project(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    p = build_project(settings, db, tmp_path)
    for who in (p.gamma, p.outsider, p.world.principal("analyst"), PUBLIC):
        with pytest.raises(PermissionDenied, match="owner organisation"):
            linkage.end(db, who, PROJECT)
    assert sum(keys_of(db).values()) == len(ALPHA) + len(GAMMA)
    ended = linkage.end(db, p.alpha, PROJECT)  # Alpha created it: the owner
    assert ended["active"] is False and keys_of(db) == {}
    with pytest.raises(PermissionDenied, match="ended"):
        estimate(db, settings, p.alpha)
    with pytest.raises(UserError, match="ended"):
        linkage.end(db, p.world.principal("admin"), PROJECT)
    assert [r.rows for r in audited(db, "linkage_project", "end")] == [len(ALPHA) + len(GAMMA)]


def cli(db_url: str, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["--db", db_url, *args])
    out = capsys.readouterr()
    return code, out.out + out.err


def test_leave_and_end_at_the_cli(
    db: Database,
    db_url: str,
    settings: Settings,
    tmp_path: Path,
    cli_env: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    build_project(settings, db, tmp_path)
    code, out = cli(db_url, capsys, "linkage", "end", PROJECT, "--org", "Gamma Police")
    assert code == 1 and "owner organisation (Alpha Agency)" in out and "Traceback" not in out
    code, out = cli(
        db_url, capsys, "linkage", "leave", PROJECT, "--org", "Gamma Police", "--format", "json"
    )
    assert code == 0, out
    assert [m["organisation"] for m in json.loads(out)["members"]] == ["Alpha Agency"]
    code, out = cli(db_url, capsys, "linkage", "leave", PROJECT, "--org", "Gamma Police")
    assert code == 1 and "not a member" in out
    code, out = cli(db_url, capsys, "linkage", "end", PROJECT, "--format", "json")  # the admin
    assert code == 0 and json.loads(out)["active"] is False, out
    assert keys_of(db) == {}
    code, out = cli(db_url, capsys, "linkage", "list", "--format", "json")
    assert code == 0 and json.loads(out)[0]["active"] is False


def test_leave_and_end_through_the_api_and_the_page(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    p = build_project(settings, db, tmp_path)
    app = create_app(settings, db)
    base = f"/api/v1/estimates/projects/{PROJECT}"
    with TestClient(app) as client:
        r = client.post(f"{base}/leave")
        assert r.status_code in (401, 403) and r.headers["content-type"].startswith(
            "application/json"
        )
        r = client.post(f"{base}/end", headers=bearer(p.world, "foreign"))
        assert r.status_code == 403, r.text
        r = client.post(f"{base}/leave", headers=bearer(p.world, "foreign"))
        assert r.status_code == 400 and "not a member" in r.json()["error"]["message"]
    # the page: Alpha's contributor sees both buttons (a member, and the owner)
    with browser_client(app, p.world, "contributor") as page:
        html = page.get("/estimates/projects").text
        assert f'action="/estimates/projects/{PROJECT}/leave"' in html
        assert f'action="/estimates/projects/{PROJECT}/end"' in html
        r = page.post(
            f"/estimates/projects/{PROJECT}/leave",
            data={"csrf_token": csrf_of(html)},
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text
        after = page.get("/estimates/projects").text
        assert "Leave this project" not in after and 'table class="overlap"' not in after
        assert f"left {PROJECT}" in after  # the flash
    assert keys_of(db) == {p.world.orgs["gamma"]: len(GAMMA)}
    # the secretariat ends it through the API
    with TestClient(app) as client:
        r = client.post(f"{base}/end", headers=bearer(p.world, "admin"))
        assert r.status_code == 200 and r.json()["active"] is False, r.text
        assert client.get(base).status_code == 403
    assert keys_of(db) == {}


def test_public_splits_at_the_cli(
    db: Database, db_url: str, cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from case_support import make_org

    make_org(db, "Police CLI")
    until = (date.today() + timedelta(days=30)).isoformat()
    base = ["linkage", "create", "p1", "--org", "Police CLI", "--purpose", "count", "--until"]
    code, out = cli(db_url, capsys, *base, until, "--public-by", "year,sex")
    assert code == 1 and "not 'sex'" in out and "Traceback" not in out
    code = main(["--db", db_url, *base, until, "--public-by", "none", "--format", "json"])
    out = capsys.readouterr().out  # the JSON alone (the note on re-imports goes to stderr)
    assert code == 0 and json.loads(out)["public_by"] == [], out
    code, out = cli(db_url, capsys, "linkage", "list", "--format", "json")
    assert code == 0 and json.loads(out)[0]["public_by"] == []
