"""Linkage projects (docs/estimation.md): two organisations' own case records give an
estimate end to end, through import, CLI and API; members see the overlap table, others
the estimate only when published; no identifier and no linkage key comes out anywhere."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from access_support import bearer
from estimation.linkage_support import (
    ALPHA,
    GAMMA,
    PROJECT,
    build_project,
    identifiers,
    stored_link_keys,
    write_list,
)
from thbhub.cases.service import import_cases
from thbhub.cli import main
from thbhub.domain.errors import PermissionDenied, UserError
from thbhub.domain.principals import PUBLIC
from thbhub.estimation import disclosure, linkage, persons, project_estimates
from thbhub.privacy.cellkey import possible_counts
from thbhub.privacy.policy import DisclosurePolicy
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.storage.schema import audit_log
from thbhub.web.app import create_app

LINCOLN_PETERSEN = round(len(ALPHA) * len(GAMMA) / 15, 2)  # 106.67


def estimate(db: Database, settings: Settings, who: Any, **kw: Any) -> dict[str, Any]:
    return project_estimates.project_estimate(
        db, settings, who, PROJECT, n_boot=kw.pop("n_boot", 0), **kw
    )


def test_a_member_gets_the_overlap_table_and_the_two_list_estimate(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    p = build_project(settings, db, tmp_path)
    found = estimate(db, settings, p.alpha)
    # the same person written differently by Gamma (case, spacing) is linked
    assert found["table"] == [
        {"Alpha Agency": 1, "Gamma Police": 0, "count": 25},
        {"Alpha Agency": 0, "Gamma Police": 1, "count": 25},
        {"Alpha Agency": 1, "Gamma Police": 1, "count": 15},
    ]
    assert found["observed"] == 65
    assert found["estimate"] == LINCOLN_PETERSEN
    assert found["list_sizes"] == {"Alpha Agency": 40, "Gamma Police": 40}
    assert found["published"] is True
    # a filter counts only the matching records: 2023 referrals are persons with i % 3 != 0
    in_2023 = estimate(db, settings, p.gamma, year=2023)
    both = [i for i in range(25, 40) if i % 3]
    assert in_2023["table"][-1]["count"] == len(both)
    assert in_2023["observed"] == len([i for i in range(65) if i % 3])
    labour = estimate(db, settings, p.gamma, form="form:labour-exploitation")
    assert labour["observed"] == len([i for i in range(65) if i % 2])


def test_outsiders_and_the_public_see_what_the_gate_makes(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    p = build_project(settings, db, tmp_path)
    member_view = estimate(db, settings, p.alpha)
    public = member_view["public"]  # members see what the public sees beside the truth
    assert public["published"] is True
    # the number seen is the gate's: one a true 65 can be published as
    policy = DisclosurePolicy.from_settings(settings)
    assert abs(public["observed"] - 65) <= policy.noise_bound
    assert 65 in possible_counts(public["observed"], policy)
    # the public estimate is the estimate of the gated overlap table, not of the true one
    gated = disclosure.gated_overlap(_published_persons(db), policy, "x", {})
    assert gated is not None
    counts = {int(c.key[0]): c.count for c in gated.cells}
    n1, n2, both = counts[1] + counts[3], counts[2] + counts[3], counts[3]
    assert public["estimate"] == round(n1 * n2 / both, 2)
    for who in (p.outsider, PUBLIC, p.world.principal("admin")):
        seen = estimate(db, settings, who)
        assert seen["member"] is False
        assert seen["estimate"] == public["estimate"]
        assert seen["observed"] == public["observed"]
        assert not {"table", "list_sizes", "warnings", "interactions", "public"} & set(seen)


def _published_persons(db: Database) -> Any:
    with db.connect() as conn:
        project = linkage._project(conn, PROJECT)
        members = linkage._members(conn, project["id"])
        return persons.person_frame(conn, project["id"], members, published_only=True)


def test_unpublished_records_give_the_public_nothing(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    p = build_project(settings, db, tmp_path, published=False)
    assert estimate(db, settings, p.alpha)["observed"] == 65  # members count drafts
    seen = estimate(db, settings, PUBLIC)
    assert seen["published"] is False and "estimate" not in seen


def test_below_the_threshold_nobody_outside_sees_an_estimate(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    p = build_project(settings, db, tmp_path)
    # Only persons 0, 3, ... of 2022 on one list each year: filter to a year with few persons
    few = estimate(db, settings, p.alpha, year=2022, form="form:labour-exploitation")
    assert 0 < few["observed"] < settings.disclosure_threshold * 3  # sanity of the slice
    settings_high = settings.model_copy(update={"disclosure_threshold": few["observed"] + 1})
    seen = estimate(db, settings_high, PUBLIC, year=2022, form="form:labour-exploitation")
    assert seen["published"] is False and "estimate" not in seen
    still = estimate(db, settings_high, p.alpha, year=2022, form="form:labour-exploitation")
    assert still["published"] is False and still["estimate"] is not None


def test_records_imported_before_joining_are_not_linked(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    p = build_project(settings, db, tmp_path)
    beta = p.outsider
    path = write_list(tmp_path / "beta.csv", range(30, 50))
    import_cases(db, settings, beta, path, p.world.orgs["beta"], fmt="htcds")
    linkage.join(db, beta, PROJECT)
    assert estimate(db, settings, p.alpha)["list_sizes"]["Beta NGO"] == 0
    import_cases(db, settings, beta, path, p.world.orgs["beta"], fmt="htcds", again=True)
    assert estimate(db, settings, p.alpha)["list_sizes"]["Beta NGO"] == 20


def test_membership_is_by_opt_in_of_a_contributor(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    p = build_project(settings, db, tmp_path)
    with pytest.raises(PermissionDenied):
        linkage.join(db, p.world.principal("analyst"), PROJECT)
    with pytest.raises(UserError):
        linkage.join(db, p.alpha, PROJECT)  # already a member
    with pytest.raises(UserError):
        linkage.create(db, p.alpha, "past", "a purpose", date.today() - timedelta(days=1))
    assert "opted_in_by" not in linkage.list_projects(db, PUBLIC)[0]["members"][0]
    listed = linkage.list_projects(db, p.outsider)
    assert [m["organisation"] for m in listed[0]["members"]] == ["Alpha Agency", "Gamma Police"]


def test_every_access_is_audited(db: Database, settings: Settings, tmp_path: Path) -> None:
    p = build_project(settings, db, tmp_path)
    estimate(db, settings, p.alpha)
    estimate(db, settings, PUBLIC)
    linkage.list_projects(db, p.outsider)
    with db.connect() as conn:
        rows = conn.execute(
            select(audit_log.c.action, audit_log.c.object_type, audit_log.c.detail).where(
                audit_log.c.object_type.in_(
                    ("linkage_estimate", "linkage_membership", "linkage_projects")
                )
            )
        ).all()
    views = [r.detail["view"] for r in rows if r.object_type == "linkage_estimate"]
    assert views == ["member", "public"]
    assert sum(r.object_type == "linkage_membership" for r in rows) == 2
    assert sum(r.object_type == "linkage_projects" for r in rows) == 1


def cli(db_url: str, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["--db", db_url, *args])
    out = capsys.readouterr()
    return code, out.out + out.err


def test_end_to_end_through_cli_and_api_and_nothing_identifying_comes_out(
    db: Database,
    db_url: str,
    settings: Settings,
    tmp_path: Path,
    cli_env: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    p = build_project(settings, db, tmp_path)
    outputs: list[str] = []
    code, member_out = cli(
        db_url, capsys, "estimate", "mse", "--project", PROJECT, "--org", "Alpha Agency",
        "--bootstrap", "50", "--format", "json",
    )  # fmt: skip
    assert code == 0, member_out
    member_json = json.loads(member_out)
    assert member_json["estimate"] == LINCOLN_PETERSEN
    assert member_json["ci_low"] < LINCOLN_PETERSEN < member_json["ci_high"]
    assert member_json["table"][-1]["count"] == 15
    code, public_out = cli(
        db_url, capsys, "estimate", "mse", "--project", PROJECT, "--bootstrap", "50",
        "--format", "json",
    )  # fmt: skip
    assert code == 0 and "table" not in json.loads(public_out)
    code, listed = cli(db_url, capsys, "linkage", "list", "--format", "json")
    assert code == 0 and PROJECT in listed
    code, refused = cli(db_url, capsys, "estimate", "mse", "--project", "nope")
    assert code == 1 and "no linkage project 'nope'" in refused
    outputs += [member_out, public_out, listed, refused]

    app = create_app(settings, db)
    url = f"/api/v1/estimates/projects/{PROJECT}"
    with TestClient(app) as client:
        as_member = client.get(
            url, params={"bootstrap": 50}, headers=bearer(p.world, "contributor")
        )
        assert as_member.status_code == 200, as_member.text
        assert as_member.json()["table"][-1]["count"] == 15
        for who in ("foreign", "public", "admin"):
            r = client.get(url, params={"bootstrap": 50}, headers=bearer(p.world, who))
            assert r.status_code == 200, r.text
            public = as_member.json()["public"]
            assert r.json()["estimate"] == public["estimate"] and "table" not in r.json()
            outputs.append(r.text)
        missing = client.get("/api/v1/estimates/projects/nope")
        assert missing.status_code == 404
        for bad in ({"form": "form:nothing"}, {"year": "x"}, {"bootstrap": "-1"}):
            r = client.get(url, params=bad)
            assert 400 <= r.status_code < 500 and r.headers["content-type"].startswith(
                "application/json"
            ), (bad, r.status_code)
        page = client.get("/estimates/projects")
        assert page.status_code == 200 and PROJECT in page.text
        outputs += [as_member.text, page.text]

    secrets = identifiers() + stored_link_keys(db)
    assert len(stored_link_keys(db)) == len(ALPHA) + len(GAMMA)
    for text in outputs:
        leaked = [s for s in secrets if s.lower() in text.lower()]
        assert not leaked, leaked[:3]
    # No table holds an identifier; only linkage_keys holds the keys, and no route reads it.
    from thbhub.storage.schema import metadata

    with db.connect() as conn:
        for table in metadata.sorted_tables:
            dump = "\n".join(map(str, conn.execute(select(table)).all())).lower()
            found = [s for s in identifiers() if s.lower() in dump]
            assert not found, (table.name, found[:3])
            if table.name != "linkage_keys":
                keys = [k for k in stored_link_keys(db) if k in dump]
                assert not keys, table.name


def test_the_whole_path_at_the_cli(
    db: Database, db_url: str, tmp_path: Path, cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from case_support import make_org

    make_org(db, "Police CLI")
    make_org(db, "NGO CLI")
    until = (date.today() + timedelta(days=30)).isoformat()
    steps = [
        ["linkage", "create", "cli-project", "--org", "Police CLI", "--purpose", "count",
         "--until", until],
        ["linkage", "join", "cli-project", "--org", "NGO CLI"],
        ["import", "cases", str(write_list(tmp_path / "p.csv", ALPHA)), "--org", "Police CLI",
         "--format", "htcds"],
        ["import", "cases", str(write_list(tmp_path / "n.csv", GAMMA, True)), "--org",
         "NGO CLI", "--format", "htcds"],
    ]  # fmt: skip
    for step in steps:
        code, out = cli(db_url, capsys, *step)
        assert code == 0, (step, out)
    code, out = cli(
        db_url, capsys, "estimate", "mse", "--project", "cli-project", "--org", "NGO CLI",
        "--bootstrap", "0", "--format", "json",
    )  # fmt: skip
    assert code == 0, out
    assert json.loads(out)["estimate"] == LINCOLN_PETERSEN
    code, out = cli(db_url, capsys, "estimate", "mse", "--project", "cli-project", "--input", "x")
    assert code == 1 and "either --input" in out and "Traceback" not in out
    code, out = cli(db_url, capsys, "linkage", "join", "cli-project", "--org", "NGO CLI")
    assert code == 1 and "already a member" in out


def test_an_ended_project_is_closed_on_read_its_keys_deleted(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    from sqlalchemy import update

    from thbhub.storage.schema_estimation import linkage_projects

    p = build_project(settings, db, tmp_path)
    assert len(stored_link_keys(db)) == len(ALPHA) + len(GAMMA)
    with db.begin() as conn:
        conn.execute(
            update(linkage_projects).values(valid_until=datetime.now(UTC) - timedelta(days=1))
        )
    for who in (p.alpha, PUBLIC):
        with pytest.raises(PermissionDenied, match="ended"):
            estimate(db, settings, who)
    # the first read after the end date deleted every key, once, and said so in the log
    assert stored_link_keys(db) == []
    with db.connect() as conn:
        closed = conn.execute(
            select(audit_log.c.email, audit_log.c.rows).where(
                audit_log.c.object_type == "linkage_project", audit_log.c.action == "close"
            )
        ).all()
    assert [(r.email, r.rows) for r in closed] == [("system:linkage-close", 80)]
    assert linkage.list_projects(db, PUBLIC)[0]["active"] is False
    path = write_list(tmp_path / "later.csv", range(70, 75))
    import_cases(db, settings, p.alpha, path, p.world.orgs["alpha"], fmt="htcds")
    assert stored_link_keys(db) == []
