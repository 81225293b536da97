"""No library document of access level owner or member states, and no unpublished one, reaches
anyone it is not for: through search results, facet counts, the document itself, topic lists,
or the API (both backends)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from access_support import World, bearer, build_world
from thbhub.domain.principals import PUBLIC, Principal, Role
from thbhub.library import service
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.storage.cases import add_organisation
from thbhub.web.app import create_app

DOCS = {
    # name: (access, state, owner)
    "openmarker": ("public", "published", None),
    "membermarker": ("member", "published", "Alpha Agency"),
    "ownermarker": ("owner", "published", "Alpha Agency"),
    "draftmarker": ("public", "draft", "Alpha Agency"),
}
#: Who may see which marker (every other caller must see none of the rest).
SEES = {
    "public": {"openmarker"},
    "outsider": {"openmarker"},  # an organisation outside the member states
    "foreign": {"openmarker", "membermarker"},  # Beta NGO, Latvia: a member state
    "admin": {"openmarker", "membermarker"},
    "contributor": set(DOCS),  # Alpha Agency owns them
    "pending": {"openmarker"},
}


@pytest.fixture
def world(settings: Settings, db: Database, tmp_path: Path) -> World:
    world = build_world(settings, db)
    with db.begin() as conn:
        world.orgs["delta"] = add_organisation(conn, "Delta Partner", country="UA", kind="partner")
    cli = Principal(role=Role.admin, email="cli:test", origin="cli")
    for marker, (level, state, owner) in DOCS.items():
        path = tmp_path / f"{marker}.txt"
        path.write_text(
            f"Report {marker}. Men were subjected to forced labour in construction; {marker}.",
            encoding="utf-8",
        )
        options = service.ImportOptions(access=level, state=state, organisation=owner)
        assert service.import_documents(db, cli, [path], options).stored == 1
    return world


def _principal(world: World, who: str) -> Principal:
    if who == "public":
        return PUBLIC
    if who == "outsider":
        return Principal(Role.contributor, 999, "x@delta.ua", world.orgs["delta"])
    if who == "pending":
        return Principal(Role.pending, world.user_ids["pending"], "p", world.orgs["alpha"])
    return world.principal(who)


@pytest.mark.parametrize("who", sorted(SEES))
def test_services_show_each_caller_only_its_documents(world: World, who: str) -> None:
    db, principal = world.db, _principal(world, who)
    everything = service.search(db, principal, "")
    titles = {r["title"].split()[1].rstrip(".") for r in everything["results"]}
    assert titles == SEES[who]
    assert everything["total"] == len(SEES[who])
    # Facet counts count only what the caller may see.
    assert everything["facets"]["concept"]["form:labour-exploitation"] == len(SEES[who])
    for marker in DOCS:
        found = service.search(db, principal, marker)
        assert found["total"] == (1 if marker in SEES[who] else 0), marker
    about = service.documents_about(db, principal, concept="form:labour-exploitation")
    assert {r["title"].split()[1].rstrip(".") for r in about} == SEES[who]
    ids = {
        r["title"].split()[1].rstrip("."): r["id"]
        for r in service.search(db, _principal(world, "contributor"), "")["results"]
    }
    for marker, doc_id in ids.items():
        if marker in SEES[who]:
            assert service.get_document(db, principal, doc_id)["id"] == doc_id
        else:
            with pytest.raises(service.NotFoundError):
                service.get_document(db, principal, doc_id)


@pytest.mark.parametrize("who", ["public", "foreign", "admin", "contributor"])
def test_the_api_shows_each_caller_only_its_documents(
    world: World, settings: Settings, who: str
) -> None:
    client = TestClient(create_app(settings, world.db))
    headers = bearer(world, who)
    body = client.get("/api/v1/documents", headers=headers).text
    for marker in DOCS:
        assert (marker in body) == (marker in SEES[who]), marker
        found = client.get("/api/v1/search", params={"q": marker}, headers=headers).json()
        assert found["total"] == (1 if marker in SEES[who] else 0)
    owner_ids = [
        r["id"] for r in service.search(world.db, world.principal("contributor"), "")["results"]
    ]
    for doc_id in owner_ids:
        response = client.get(f"/api/v1/documents/{doc_id}", headers=headers)
        assert response.status_code in (200, 404)
        if response.status_code == 200:
            assert response.json()["title"].split()[1].rstrip(".") in SEES[who]
