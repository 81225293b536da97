"""Publication states as a service other areas call, on both backends, over a throwaway
owned table built with ownership_columns() exactly as the statistics and cases areas do."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Column, Integer, String, Table, insert, select
from sqlalchemy.exc import IntegrityError

from access_support import World, bearer, browser_client, build_world
from thbhub.access import policy, publication
from thbhub.domain.errors import NotFoundError, PermissionDenied, UserError
from thbhub.domain.principals import PUBLIC
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.storage.schema import metadata
from thbhub.storage.schema_access import PUBLISHABLE, ownership_columns
from thbhub.web.app import create_app


@pytest.fixture
def datasets(db: Database) -> Iterator[Table]:
    table = Table(
        "test_datasets",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("title", String(100), nullable=False),
        *ownership_columns(),
        info={PUBLISHABLE: "test_dataset"},
    )
    try:
        with db.begin() as conn:
            table.create(conn)
        yield table
    finally:
        metadata.remove(table)


@pytest.fixture
def world(settings: Settings, db: Database) -> World:
    return build_world(settings, db)


def _add(db: Database, table: Table, org: int, title: str) -> int:
    with db.begin() as conn:
        return int(
            conn.execute(
                insert(table).returning(table.c.id), {"title": title, "organisation_id": org}
            ).scalar_one()
        )


def test_lifecycle_rules_and_history(db: Database, datasets: Table, world: World) -> None:
    alpha = world.orgs["alpha"]
    ds = _add(db, datasets, alpha, "Victims identified 2024")
    contributor, admin = world.principal("contributor"), world.principal("admin")
    analyst, foreign = world.principal("analyst"), world.principal("foreign")

    def move(who: object, to: str) -> None:
        publication.change_state(db, who, "test_dataset", ds, to)  # type: ignore[arg-type]

    # A draft is invisible outside its organisation: "not found", not "forbidden".
    for outsider in (foreign, admin, PUBLIC):
        with pytest.raises(NotFoundError):
            publication.history(db, outsider, "test_dataset", ds)
    with pytest.raises(NotFoundError):
        move(foreign, "submitted")
    with pytest.raises(PermissionDenied):
        move(analyst, "submitted")  # analysts read, contributors manage
    with pytest.raises(UserError, match="cannot become 'published'"):
        move(contributor, "published")
    move(contributor, "submitted")
    with pytest.raises(PermissionDenied, match="admin"):
        move(contributor, "published")
    move(admin, "draft")  # sent back
    move(contributor, "submitted")
    assert [q["id"] for q in publication.queue(db, admin)] == [ds]
    with pytest.raises(PermissionDenied):
        publication.queue(db, contributor)
    move(admin, "published")
    assert publication.history(db, PUBLIC, "test_dataset", ds)["state"] == "published"
    move(contributor, "withdrawn")  # the owner stays in control
    with pytest.raises(NotFoundError):
        publication.history(db, PUBLIC, "test_dataset", ds)
    events = publication.history(db, contributor, "test_dataset", ds)["events"]
    assert [(e["from_state"], e["to_state"]) for e in events] == [
        ("draft", "submitted"),
        ("submitted", "draft"),
        ("draft", "submitted"),
        ("submitted", "published"),
        ("published", "withdrawn"),
    ]
    with pytest.raises(UserError, match="is not a state"):
        move(contributor, "archived")
    with pytest.raises(NotFoundError):
        publication.change_state(db, contributor, "no_such_type", ds, "draft")


def test_filters_for_other_areas(db: Database, datasets: Table, world: World) -> None:
    alpha, beta = world.orgs["alpha"], world.orgs["beta"]
    own = _add(db, datasets, alpha, "alpha draft")
    theirs = _add(db, datasets, beta, "beta draft")
    published = _add(db, datasets, beta, "beta published")
    with db.begin() as conn:
        for to in ("submitted", "published"):
            who = world.principal("foreign") if to == "submitted" else world.principal("admin")
            publication.transition(conn, who, datasets, published, to)

    def visible(principal: object) -> set[int]:
        with db.connect() as conn:
            clause = policy.owned_filter(principal, datasets)  # type: ignore[arg-type]
            return set(conn.scalars(select(datasets.c.id).where(clause)))

    assert visible(PUBLIC) == {published}
    assert visible(world.principal("analyst")) == {own, published}
    assert visible(world.principal("foreign")) == {theirs, published}
    assert visible(world.principal("admin")) == {published}
    with db.connect() as conn:
        clause = policy.raw_records_filter(conn, world.principal("admin"), datasets)
        assert list(conn.scalars(select(datasets.c.id).where(clause))) == []
    # The state column refuses anything but the four states, on both backends.
    with pytest.raises(IntegrityError), db.begin() as conn:
        conn.execute(insert(datasets), {"title": "x", "organisation_id": alpha, "state": "bogus"})


def test_publication_api(settings: Settings, db: Database, datasets: Table, world: World) -> None:
    ds = _add(db, datasets, world.orgs["alpha"], "Dataset <script>alert(1)</script>")
    with TestClient(create_app(settings, db)) as client:
        url = f"/api/v1/publication/test_dataset/{ds}"
        assert client.get(url).status_code == 404
        assert client.post(url, json={"state": "submitted"}).status_code == 401
        r = client.post(url, json={"state": "submitted"}, headers=bearer(world, "foreign"))
        assert r.status_code == 404
        r = client.post(url, json={"state": "submitted"}, headers=bearer(world, "contributor"))
        assert r.status_code == 200 and r.json()["to_state"] == "submitted"
        queue = client.get("/api/v1/publication/queue", headers=bearer(world, "admin")).json()
        assert [(q["object_type"], q["id"]) for q in queue] == [("test_dataset", ds)]
        admin_page = browser_client(client.app, world, "admin").get("/admin").text  # type: ignore[arg-type]
        assert "Dataset &lt;script&gt;alert(1)&lt;/script&gt;" in admin_page
        assert "<script>alert" not in admin_page
        r = client.post(url, json={"state": "published"}, headers=bearer(world, "admin"))
        assert r.status_code == 200
        assert client.get(url).json()["state"] == "published"
