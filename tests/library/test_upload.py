"""A contributor adds a document on the web: a draft only its organisation sees, submitted by
it, published by an admin, then public; every move audited; another organisation can neither
see nor move it (both backends)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from access_support import World, bearer, browser_client, build_world, page_csrf
from library_support import write_docx
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.storage.schema import audit_log
from thbhub.web.app import create_app


@pytest.fixture
def world(settings: Settings, db: Database) -> World:
    return build_world(settings, db)


def test_upload_draft_submit_publish(world: World, settings: Settings, tmp_path: Path) -> None:
    client = TestClient(create_app(settings, world.db))
    path = write_docx(
        tmp_path / "handbook.docx", "Uploadmarker handbook", ["Forced labour in construction."]
    )
    with path.open("rb") as fh:
        response = client.post(
            "/api/v1/documents",
            headers=bearer(world, "contributor"),
            files={"file": ("handbook.docx", fh, "application/octet-stream")},
            data={"access": "public", "type": "handbook"},
        )
    assert response.status_code == 200, response.text
    doc_id = response.json()["document_ids"][0]

    def seen_by(who: str) -> bool:
        got = client.get(f"/api/v1/documents/{doc_id}", headers=bearer(world, who))
        return got.status_code == 200

    assert [seen_by(w) for w in ("public", "foreign", "admin", "contributor")] == [
        False,
        False,
        False,
        True,
    ]
    # Another organisation cannot move it (it cannot see it: 404); the admin cannot publish
    # a draft that was not submitted.
    move = "/api/v1/documents/{}/state".format
    assert (
        client.post(move(doc_id), headers=bearer(world, "foreign"), data={"state": "submitted"})
    ).status_code == 404
    assert (
        client.post(move(doc_id), headers=bearer(world, "contributor"), data={"state": "published"})
    ).status_code == 403
    assert (
        client.post(move(doc_id), headers=bearer(world, "contributor"), data={"state": "submitted"})
    ).status_code == 200
    # Submitted: the secretariat's admin sees it (to review) and publishes it.
    assert [seen_by(w) for w in ("public", "foreign", "admin")] == [False, False, True]
    assert (
        client.post(move(doc_id), headers=bearer(world, "admin"), data={"state": "published"})
    ).status_code == 200
    assert [seen_by(w) for w in ("public", "foreign", "admin")] == [True, True, True]
    with world.db.connect() as conn:
        actions = conn.execute(
            select(audit_log.c.action, audit_log.c.detail).where(
                audit_log.c.object_type == "library_document"
            )
        ).all()
    assert [a for a, _ in actions] == ["create", "update", "update"]
    assert actions[-1][1] == {"state": ["submitted", "published"]}
    # A second upload of the same file by the same organisation is refused, nothing stored.
    with path.open("rb") as fh:
        again = client.post(
            "/api/v1/documents",
            headers=bearer(world, "contributor"),
            files={"file": ("handbook.docx", fh, "application/octet-stream")},
        )
    assert again.status_code == 400 and "already" in again.text


def test_upload_page(world: World, settings: Settings, tmp_path: Path) -> None:
    app = create_app(settings, world.db)
    client = browser_client(app, world, "contributor")
    assert client.get("/library/upload").status_code == 200
    path = write_docx(tmp_path / "brief.docx", "Pagemarker brief", ["Forced begging in Riga."])
    with path.open("rb") as fh:
        page = client.post(
            "/library/upload",
            data={"csrf_token": page_csrf(client), "access": "owner"},
            files={"file": ("brief.docx", fh, "application/octet-stream")},
        )
    assert page.status_code == 200 and "Added:" in page.text
    bad = client.post(
        "/library/upload",
        data={"csrf_token": page_csrf(client), "access": "owner"},
        files={"file": ("broken.pdf", b"%PDF-1.4 broken", "application/pdf")},
    )
    assert bad.status_code == 400 and "broken.pdf" in bad.text
    assert "Pagemarker" not in TestClient(app).get("/library").text
