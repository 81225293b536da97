"""Publication of case records, one import at a time, on both backends: drafts never reach
the public tables, published imports do, withdrawn ones leave them; only the owner's
contributors submit, recall and withdraw, only admins publish or send back; every move is
audited, on the import and on its records."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from access_support import World, bearer, browser_client, build_world, page_csrf
from case_support import ctdc_row, make_org, member, publish, write_ctdc
from support_privacy import within_noise
from thbhub.access import audit, users
from thbhub.cases import service
from thbhub.cases.publication import move_import
from thbhub.domain.errors import NotFoundError, PermissionDenied, UserError
from thbhub.privacy.public import public_table, set_published
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.storage.schema_cases import case_imports, case_records
from thbhub.web.app import create_app


@pytest.fixture
def world(settings: Settings, db: Database) -> World:
    w = build_world(settings, db)
    # Alpha opts in to the public tables: from here on, publication decides what counts.
    set_published(db, w.principal("contributor"), w.orgs["alpha"], True)
    return w


def _import(world: World, path: Path, rows: int, **cells: str) -> int:
    file = write_ctdc(path, [ctdc_row(X=str(i + 1), **cells) for i in range(rows)])
    result = service.import_cases(
        world.db, world.settings, world.principal("contributor"), file, world.orgs["alpha"]
    )
    return int(result["import_id"])


def _public_total(world: World) -> int:
    cell = public_table(world.db, world.settings, []).as_dict()["rows"][0]
    return int(cell["count"] or 0)


def _states(db: Database, import_id: int) -> tuple[str, set[str]]:
    with db.connect() as conn:
        own = conn.execute(
            select(case_imports.c.state).where(case_imports.c.id == import_id)
        ).scalar_one()
        records = set(
            conn.scalars(select(case_records.c.state).where(case_records.c.import_id == import_id))
        )
    return own, records


def test_only_published_imports_count_in_the_public_tables(world: World, tmp_path: Path) -> None:
    contributor, admin = world.principal("contributor"), world.principal("admin")
    first = _import(world, tmp_path / "a.csv", 12)
    second = _import(world, tmp_path / "b.csv", 9, citizenship="VN")
    assert _states(world.db, first) == ("draft", {"draft"})
    # Opted in, but nothing published: the uploads change no public number.
    assert _public_total(world) == 0

    move_import(world.db, contributor, first, "submitted")
    assert _public_total(world) == 0  # submitted is not published
    event = move_import(world.db, admin, first, "published", "checked")
    assert event["case_records"] == 12
    assert _states(world.db, first) == ("published", {"published"})
    assert _states(world.db, second) == ("draft", {"draft"})  # only that import's records
    assert within_noise(_public_total(world), 12, world.settings)
    by = public_table(world.db, world.settings, ["citizenship"]).as_dict()["rows"]
    shown = {r["citizenship"]: r["count"] for r in by if r["count"]}
    assert list(shown) == ["country:UA"] and within_noise(shown["country:UA"], 12, world.settings)

    move_import(world.db, contributor, first, "withdrawn", "a correction is coming")
    assert _states(world.db, first) == ("withdrawn", {"withdrawn"})
    assert _public_total(world) == 0

    # Both the opt-in and publication are needed: opted out, a published import is not shown.
    publish(world.db, contributor, second)
    assert within_noise(_public_total(world), 9, world.settings)
    set_published(world.db, contributor, world.orgs["alpha"], False)
    assert _public_total(world) == 0

    # The owner's own views show every record whatever its state, with the state.
    listed = service.list_cases(world.db, contributor, world.orgs["alpha"])
    assert {r["state"] for r in listed} == {"withdrawn", "published"} and len(listed) == 21
    summary = service.summary(world.db, world.principal("analyst"), world.orgs["alpha"], ["state"])
    assert {r["state"]: r["count"] for r in summary} == {"withdrawn": 12, "published": 9}


def test_who_may_move_an_import(world: World, tmp_path: Path) -> None:
    contributor, analyst = world.principal("contributor"), world.principal("analyst")
    admin, foreign = world.principal("admin"), world.principal("foreign")
    imported = _import(world, tmp_path / "a.csv", 6)

    # Another organisation cannot even see a draft (ids reveal nothing) ...
    with pytest.raises(NotFoundError):
        move_import(world.db, foreign, imported, "submitted")
    with pytest.raises(NotFoundError):
        move_import(world.db, foreign, imported, "withdrawn")
    # ... nor does an admin (drafts are the owner's alone); the owner's analyst sees it but
    # does not submit; nobody but an admin publishes.
    with pytest.raises(NotFoundError):
        move_import(world.db, admin, imported, "submitted")
    with pytest.raises(PermissionDenied):
        move_import(world.db, analyst, imported, "submitted")
    with pytest.raises(UserError, match="cannot become 'published'"):
        move_import(world.db, contributor, imported, "published")
    move_import(world.db, contributor, imported, "submitted")
    with pytest.raises(PermissionDenied, match="only an admin"):
        move_import(world.db, contributor, imported, "published")
    with pytest.raises(NotFoundError):
        move_import(world.db, foreign, imported, "withdrawn")
    move_import(world.db, admin, imported, "published")
    # Published, the import is visible to all, but only its owner (or an admin) withdraws it.
    with pytest.raises(PermissionDenied):
        move_import(world.db, foreign, imported, "withdrawn")
    assert _states(world.db, imported) == ("published", {"published"})
    assert _public_total(world) == 6


def test_every_move_is_audited_with_its_records(world: World, tmp_path: Path) -> None:
    contributor, admin = world.principal("contributor"), world.principal("admin")
    imported = _import(world, tmp_path / "a.csv", 7)
    moves = [
        (contributor, "submitted"),
        (contributor, "draft"),  # recall
        (contributor, "submitted"),
        (admin, "draft"),  # send back
        (contributor, "submitted"),
        (admin, "published"),
        (contributor, "withdrawn"),
        (contributor, "draft"),
    ]
    for who, to in moves:
        move_import(world.db, who, imported, to)
    log = audit.entries(world.db, users.operator(), action="state", limit=100)[::-1]
    on_import = [e for e in log if e["object_type"] == "case_import"]
    on_records = [e for e in log if e["object_type"] == "case_records"]
    assert [e["detail"]["to"] for e in on_import] == [to for _, to in moves]
    assert [e["email"] for e in on_import] == [who.email for who, _ in moves]
    assert {e["object_id"] for e in on_import} == {str(imported)}
    assert [(e["detail"]["to"], e["rows"]) for e in on_records] == [(to, 7) for _, to in moves]
    assert {e["object_id"] for e in on_records} == {f"case_import:{imported}"}
    assert {e["organisation_id"] for e in log} == {world.orgs["alpha"]}
    # A refused move leaves no trace and changes nothing.
    with pytest.raises(NotFoundError):
        move_import(world.db, world.principal("foreign"), imported, "submitted")
    assert len(audit.entries(world.db, users.operator(), action="state", limit=100)) == len(log)


def test_imports_page_submit_and_admin_publish(world: World, tmp_path: Path) -> None:
    imported = _import(world, tmp_path / "our-file.csv", 8)
    app = create_app(world.settings, world.db)
    owner = browser_client(app, world, "contributor")
    page = owner.get("/cases").text
    section = page.split('<h2 id="imports">', 1)[1].split("</section>", 1)[0]
    assert "our-file.csv" in section and "<td>draft</td>" in section
    assert f'action="/cases/imports/{imported}/state"' in section
    assert re.findall(r'name="to" value="(\w+)"', section) == ["submitted", "withdrawn"]
    assert 'name="csrf_token"' in section

    # Without the form's CSRF token the move is refused and nothing changes.
    refused = owner.post(f"/cases/imports/{imported}/state", data={"to": "submitted"})
    assert refused.status_code == 403 and _states(world.db, imported)[0] == "draft"
    done = owner.post(
        f"/cases/imports/{imported}/state",
        data={"to": "submitted", "csrf_token": page_csrf(owner)},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == "/cases#imports"
    section = owner.get("/cases").text.split('<h2 id="imports">', 1)[1].split("</section>", 1)[0]
    assert "<td>submitted</td>" in section
    assert re.findall(r'name="to" value="(\w+)"', section) == ["draft", "withdrawn"]

    # Another organisation's contributor gets nothing; a contributor may not publish.
    foreign = browser_client(app, world, "foreign")
    r = foreign.post(
        f"/cases/imports/{imported}/state",
        data={"to": "withdrawn", "csrf_token": page_csrf(foreign)},
    )
    assert r.status_code == 404
    r = owner.post(
        f"/admin/publication/case_import/{imported}",
        data={"to": "published", "csrf_token": page_csrf(owner)},
    )
    assert r.status_code == 403
    api = TestClient(app).post(
        f"/api/v1/publication/case_import/{imported}",
        json={"state": "published"},
        headers=bearer(world, "contributor"),
    )
    assert api.status_code == 403
    assert _states(world.db, imported) == ("submitted", {"submitted"})

    admin = browser_client(app, world, "admin")
    queue = admin.get("/admin").text.split('<h2 id="queue">', 1)[1].split("<h2", 1)[0]
    assert "our-file.csv" in queue and "Alpha Agency" in queue
    assert f'action="/admin/publication/case_import/{imported}"' in queue
    done = admin.post(
        f"/admin/publication/case_import/{imported}",
        data={"to": "published", "csrf_token": page_csrf(admin)},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == "/admin#queue"
    assert _states(world.db, imported) == ("published", {"published"})
    public = TestClient(app).get("/api/v1/privacy/case-tables").json()
    assert within_noise(public["rows"][0]["count"], 8, world.settings)
    listed = owner.get("/api/v1/cases/imports").json()
    assert [(i["id"], i["state"], i["moves"]) for i in listed] == [
        (imported, "published", ["withdrawn"])
    ]


def test_cli_submit_publish_withdraw(
    world: World,
    db_url: str,
    tmp_path: Path,
    cli_env: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from thbhub.cli import main

    imported = _import(world, tmp_path / "a.csv", 5)
    other = _import(world, tmp_path / "b.csv", 6)
    org = ["--org", "Alpha Agency"]
    capsys.readouterr()

    def run(*args: str) -> tuple[int, str, str]:
        code = main(["--db", db_url, *args])
        out = capsys.readouterr()
        return code, out.out, out.err

    code, out, _ = run("cases", "imports", *org, "--format", "csv")
    assert code == 0 and out.splitlines()[0].startswith("id,")
    assert {(line.split(",")[0], "draft" in line) for line in out.splitlines()[1:]} == {
        (str(imported), True),
        (str(other), True),
    }
    code, _, err = run("cases", "submit", *org, "--import", str(imported))
    assert code == 0 and f"import {imported}: draft -> submitted (5 records)" in err
    # The admin side is the generic publication command, as for every publishable type.
    code, out, _ = run("publication", "queue", "--format", "json")
    assert code == 0 and '"object_type": "case_import"' in out and '"a.csv"' in out
    code, _, _ = run("publication", "set", "case_import", str(imported), "--to", "published")
    assert code == 0 and within_noise(_public_total(world), 5, world.settings)
    code, _, err = run("cases", "withdraw", *org, "--import", str(imported), "--note", "typo")
    assert code == 0 and _public_total(world) == 0
    code, out, err = run("cases", "recall", *org, "--import", str(imported), "--format", "json")
    assert code == 0 and _states(world.db, imported) == ("draft", {"draft"})
    event = json.loads(out)  # for scripts: the publication event
    assert (event["from_state"], event["to_state"], event["case_records"]) == (
        "withdrawn",
        "draft",
        5,
    )
    # Another organisation's import is not found from this one; bad moves are one-line errors.
    code, _, err = run("cases", "submit", "--org", "Beta NGO", "--import", str(other))
    assert code == 1 and err.startswith(f"error: no case_import {other}")
    code, _, err = run("cases", "withdraw", *org, "--import", "999999")
    assert code == 1 and "no case_import 999999" in err
    code, _, err = run("cases", "submit", *org)
    assert code == 2


def _demo_import(db: Database) -> tuple[int, int]:
    from thbhub.cases.sample_importer import DEMO_ORGANISATION
    from thbhub.storage.cases import organisation_id

    with db.connect() as conn:
        demo = organisation_id(conn, DEMO_ORGANISATION)
        assert demo is not None
        (imported,) = conn.scalars(
            select(case_imports.c.id).where(case_imports.c.organisation_id == demo)
        )
    return demo, imported


def test_the_demo_import_is_published_by_the_sample_loader(
    db: Database, settings: Settings
) -> None:
    from thbhub.cases.sample_importer import LOADER
    from thbhub.hub import init_hub

    init_hub(db, settings, sample=True)
    demo, imported = _demo_import(db)
    assert _states(db, imported) == ("published", {"published"})
    trail = audit.entries(db, users.operator(), action="state", limit=100)[::-1]
    # (the EXAMPLE linkage organisations' imports are published by their own loader)
    trail = [e for e in trail if e["email"] == LOADER]
    assert [(e["email"], e["object_type"], e["detail"]["to"]) for e in trail] == [
        (LOADER, "case_import", "submitted"),
        (LOADER, "case_records", "submitted"),
        (LOADER, "case_import", "published"),
        (LOADER, "case_records", "published"),
    ]
    assert within_noise(public_table(db, settings, []).as_dict()["rows"][0]["count"], 579, settings)

    # A person's later decision stands: init --sample again does not publish it again.
    move_import(db, member(demo), imported, "withdrawn")
    init_hub(db, settings, sample=True)
    assert _states(db, imported)[0] == "withdrawn"
    assert public_table(db, settings, []).as_dict()["rows"][0]["count"] == 0


def test_a_demo_import_left_draft_by_the_upgrade_is_published(
    db: Database, settings: Settings
) -> None:
    # As after migration cases_0005: the demo's records imported before, as draft, never
    # moved.  The next `thbhub init --sample` (make run) publishes them as the system.
    from thbhub.cases.sample_importer import DEMO_ORGANISATION
    from thbhub.hub import init_hub
    from thbhub.ingest.sample import sample_dir

    org = make_org(db, DEMO_ORGANISATION)
    service.import_cases(
        db, settings, member(org), sample_dir() / "ctdc_global_bsr.csv", org, quarantine=True
    )
    _, imported = _demo_import(db)
    assert _states(db, imported) == ("draft", {"draft"})
    init_hub(db, settings, sample=True)
    assert _states(db, imported) == ("published", {"published"})


def test_upgrade_keeps_existing_imports_and_records_as_drafts(empty_db_url: str) -> None:
    # cases_0005 adds the state to existing imports without rebuilding the table that the
    # records' key refers to (SQLite), and the state is checked on both backends.
    from datetime import UTC, datetime

    from alembic import command
    from sqlalchemy import insert, text
    from sqlalchemy.exc import IntegrityError

    from thbhub.storage.cases import add_organisation
    from thbhub.storage.migrate import _config

    db = Database(empty_db_url)
    config = _config(db)
    command.upgrade(config, "cases_0004")
    with db.begin() as conn:
        org = add_organisation(conn, "A")
        # case_imports as cases_0004 has it (no state yet): not through today's metadata
        conn.execute(
            text(
                "INSERT INTO case_imports (organisation_id, file_name, format, checksum, "
                "rows_read, rows_stored, rows_quarantined, options, created_at) "
                "VALUES (:org, 'old.csv', 'ctdc', 'x', 1, 1, 0, '{}', :at)"
            ),
            {"org": org, "at": datetime.now(UTC)},
        )
        conn.execute(
            insert(case_records),
            {
                "organisation_id": org,
                "import_id": 1,
                "state": "draft",
                "source_format": "ctdc",
                "source_row": 2,
                "created_at": datetime.now(UTC),
                **{c.name: "observed" for c in case_records.columns if c.name.endswith("_status")},
                **{c: [] for c in ("forms", "means", "sectors", "recruiter", "flags")},
                **{c: {} for c in ("referral", "extra", "free_text")},
            },
        )
    command.upgrade(config, "heads")
    assert _states(db, 1) == ("draft", {"draft"})
    with pytest.raises(IntegrityError), db.begin() as conn:
        conn.execute(text("UPDATE case_imports SET state = 'public'"))
    command.downgrade(config, "cases_0004")
    command.upgrade(config, "heads")
    assert _states(db, 1) == ("draft", {"draft"})
    db.dispose()
