"""The original file of a document, downloaded from its page or the API by those who may see
the document only (audited when it is not public); the owner's publication buttons on the
document page, each move audited (both backends).  The files are the example PDF and DOCX
made from real Factbook texts that `make run` loads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from access_support import World, bearer, browser_client, build_world, page_csrf
from thbhub.domain.principals import Principal, Role
from thbhub.library import service
from thbhub.library.sample import examples_path
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.storage.schema import audit_log
from thbhub.web.app import create_app

CLI = Principal(role=Role.admin, email="cli:test", origin="cli")
PDF = examples_path() / "burma-trafficking-in-persons.pdf"
DOCX = examples_path() / "cambodia-trafficking-in-persons.docx"


@pytest.fixture
def world(settings: Settings, db: Database) -> World:
    return build_world(settings, db)


@pytest.fixture
def ids(world: World, tmp_path: Path) -> dict[str, int]:
    db = world.db
    owned = service.ImportOptions(access="owner", organisation="Alpha Agency")
    out = {"pdf": service.import_documents(db, CLI, [PDF], owned).documents[0]}
    public = service.ImportOptions()
    out["docx"] = service.import_documents(db, CLI, [DOCX], public).documents[0]
    record = tmp_path / "one.jsonl"
    record.write_text(json.dumps({"title": "A record", "text": "Forced labour in mines."}))
    out["record"] = service.import_documents(db, CLI, [record], public).documents[0]
    return out


def _audited(db: Database, doc_id: int, action: str) -> list[dict[str, object]]:
    with db.connect() as conn:
        rows = conn.execute(
            select(audit_log.c.action, audit_log.c.detail).where(
                audit_log.c.object_type == "library_document",
                audit_log.c.object_id == str(doc_id),
                audit_log.c.action == action,
            )
        ).all()
    return [dict(r._mapping) for r in rows]


def test_the_original_file_is_downloaded_only_by_who_may_see_it(
    world: World, ids: dict[str, int], settings: Settings
) -> None:
    client = TestClient(create_app(settings, world.db))
    url = f"/api/v1/documents/{ids['pdf']}/file"
    got = client.get(url, headers=bearer(world, "contributor"))
    assert got.status_code == 200
    assert got.content == PDF.read_bytes()
    assert got.headers["content-type"] == "application/pdf"
    assert got.headers["content-disposition"].startswith("attachment;")
    downloads = [r["detail"] for r in _audited(world.db, ids["pdf"], "read")]
    assert {"download": PDF.name} in downloads
    for who in ("public", "foreign", "admin"):  # not of the owning organisation
        assert client.get(url, headers=bearer(world, who)).status_code == 404, who
    # A public document's file for anyone, from its page's link too; a JSONL record has none.
    public = client.get(f"/library/{ids['docx']}/file")
    assert public.status_code == 200 and public.content == DOCX.read_bytes()
    page = client.get(f"/library/{ids['docx']}").text
    assert f'href="/library/{ids["docx"]}/file"' in page
    assert client.get(f"/api/v1/documents/{ids['record']}/file").status_code == 404
    assert "/file" not in client.get(f"/library/{ids['record']}").text


def test_the_owner_changes_the_publication_state_from_the_page(
    world: World, ids: dict[str, int], settings: Settings
) -> None:
    app = create_app(settings, world.db)
    doc = ids["pdf"]
    owner = browser_client(app, world, "contributor")
    page = owner.get(f"/library/{doc}").text
    assert 'name="to" value="withdrawn"' in page
    # Another organisation's user may not (it cannot even see the document).
    foreign = browser_client(app, world, "foreign")
    moved = foreign.post(
        f"/library/{doc}/state",
        data={"to": "withdrawn", "csrf_token": page_csrf(foreign)},
        follow_redirects=False,
    )
    assert moved.status_code == 404
    moved = owner.post(
        f"/library/{doc}/state",
        data={"to": "withdrawn", "csrf_token": page_csrf(owner)},
        follow_redirects=False,
    )
    assert moved.status_code == 303 and moved.headers["location"] == f"/library/{doc}"
    assert service.get_document(world.db, world.principal("contributor"), doc)["state"] == (
        "withdrawn"
    )
    assert [r["detail"] for r in _audited(world.db, doc, "update")] == [
        {"state": ["published", "withdrawn"]}
    ]
    # The hub's own documents have no buttons (published from the command line).
    assert 'name="to"' not in owner.get(f"/library/{ids['docx']}").text
