"""Public tables of case records: only published organisations, only gated counts."""

from __future__ import annotations

import csv
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from access_support import World, bearer, build_world
from case_support import publish
from support_privacy import within_noise
from thbhub.cases import service
from thbhub.cases.service import import_cases
from thbhub.ingest.sample import sample_dir
from thbhub.privacy.public import ProtectedTables, public_table, set_published
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.web.app import create_app

QUERIES = [
    ("", []),
    ("sex", []),
    ("sex,age", []),
    ("year,sex", []),
    ("citizenship", []),
    ("age", ["country=country:DK"]),
    ("sex", ["country=country:PL", "age=age:18-20"]),
    ("organisation,country", []),
]


@pytest.fixture
def world(settings: Settings, db: Database) -> World:
    w = build_world(settings, db)
    import_cases(
        db,
        settings,
        w.principal("contributor"),
        sample_dir() / "ctdc_global_bsr.csv",
        w.orgs["alpha"],
        fmt="ctdc",
        quarantine=True,
    )
    return w


def counts(payload: dict[str, object]) -> list[object]:
    rows = list(payload["rows"]) + list(payload["margins"])  # type: ignore[call-overload]
    return [r["count"] for r in rows]


def _publish_import(world: World) -> None:
    owner = world.principal("contributor")
    (imported,) = service.imports(world.db, owner, world.orgs["alpha"])
    publish(world.db, owner, imported["id"])


def test_unpublished_records_never_reach_the_public(world: World) -> None:
    with TestClient(create_app(world.settings, world.db)) as c:
        body = c.get("/api/v1/privacy/case-tables", params={"by": "sex"}).json()
        assert all(n in (0, None) for n in counts(body))
        # Opting in is not publishing: the draft import's records still do not count ...
        set_published(world.db, world.principal("contributor"), world.orgs["alpha"], True)
        body = c.get("/api/v1/privacy/case-tables", params={"by": "sex"}).json()
        assert all(n in (0, None) for n in counts(body))
    # ... nor does publishing an import without the opt-in.
    set_published(world.db, world.principal("contributor"), world.orgs["alpha"], False)
    _publish_import(world)
    with TestClient(create_app(world.settings, world.db)) as c:
        body = c.get("/api/v1/privacy/case-tables", params={"by": "sex"}).json()
        assert all(n in (0, None) for n in counts(body))


def test_published_tables_are_gated(world: World) -> None:
    k = world.settings.disclosure_threshold
    set_published(world.db, world.principal("contributor"), world.orgs["alpha"], True)
    _publish_import(world)
    with TestClient(create_app(world.settings, world.db)) as c:
        total = c.get("/api/v1/privacy/case-tables").json()
        # the bundled CTDC BSR rows, moved by at most the noise bound (the cell key method)
        assert within_noise(total["rows"][0]["count"], 579, world.settings)
        assert total["policy"]["noise_bound"] == 2
        for by, where in QUERIES:
            body = c.get("/api/v1/privacy/case-tables", params={"by": by, "where": where}).json()
            for n in counts(body):
                assert n is None or n == 0 or n >= k, (by, where, n)
            assert body["policy"]["threshold"] == k
        page = c.get("/statistics/case-records", params={"by": "age"})
        assert page.status_code == 200 and "disclosure policy" in page.text
        # People read labels on the page; the JSON keeps concept ids.
        page = c.get("/statistics/case-records", params={"by": "sex"})
        assert "<td>Female</td>" in page.text and "<td>sex:female</td>" not in page.text
        bad = c.get("/api/v1/privacy/case-tables", params={"by": "person_key"})
        assert bad.status_code == 400


def test_preview_is_the_owners_own(world: World) -> None:
    with TestClient(create_app(world.settings, world.db)) as c:
        mine = c.get(
            "/api/v1/privacy/case-preview", params={"by": "sex"}, headers=bearer(world, "analyst")
        ).json()
        assert sum(r["original"] for r in mine["rows"]) == 579
        theirs = c.get(
            "/api/v1/privacy/case-preview", params={"by": "sex"}, headers=bearer(world, "foreign")
        ).json()
        assert sum(r["original"] for r in theirs["rows"]) == 0
        assert c.get("/api/v1/privacy/case-preview").status_code == 401


def test_only_contributors_of_the_owner_publish(world: World) -> None:
    from thbhub.domain.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        set_published(world.db, world.principal("foreign"), world.orgs["alpha"], True)
    with pytest.raises(PermissionDenied):
        set_published(world.db, world.principal("analyst"), world.orgs["alpha"], True)


def one_more_record(tmp: Path) -> Path:
    """One ordinary CTDC row, like a contributor's next import."""
    source = sample_dir() / "ctdc_global_bsr.csv"
    with source.open(newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header, row = next(reader), next(reader)
    path = tmp / "one.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([header, row])
    return path


def test_public_tables_are_computed_once_per_data_version(world: World, tmp_path: Path) -> None:
    set_published(world.db, world.principal("contributor"), world.orgs["alpha"], True)
    _publish_import(world)
    cache = ProtectedTables()
    published = public_table(world.db, world.settings, [], None, cache).cells[0].count
    assert within_noise(published, 579, world.settings)
    for by, where in [("sex", {}), ("year,sex", {}), ("age", {"country": "country:DK"})]:
        cached = public_table(world.db, world.settings, by.split(","), where, cache)
        fresh = public_table(world.db, world.settings, by.split(","), where)
        assert cached.as_dict() == fresh.as_dict()  # the cache changes no number
    entry = cache._entries["public"]
    public_table(world.db, world.settings, ["sex"], None, cache)
    assert cache._entries["public"] is entry  # same data: same lattice, records not re-read
    import_cases(
        world.db,
        world.settings,
        world.principal("contributor"),
        one_more_record(tmp_path),
        world.orgs["alpha"],
        fmt="ctdc",
        quarantine=True,
    )
    draft = public_table(world.db, world.settings, [], None, cache)
    assert cache._entries["public"] is not entry  # an import is a new data version
    # Drafts are not public: the same published records give the same number (the noise is
    # a function of the records behind the cell).
    assert draft.cells[0].count == published
    entry = cache._entries["public"]
    owner = world.principal("contributor")
    newest = max(i["id"] for i in service.imports(world.db, owner, world.orgs["alpha"]))
    publish(world.db, owner, newest)
    total = public_table(world.db, world.settings, [], None, cache)
    assert cache._entries["public"] is not entry  # so is a publication
    assert within_noise(total.cells[0].count, 580, world.settings)
    assert total.as_dict() == public_table(world.db, world.settings, []).as_dict()
    entry = cache._entries["public"]
    set_published(world.db, world.principal("contributor"), world.orgs["alpha"], False)
    assert public_table(world.db, world.settings, [], None, cache).cells[0].count == 0
    assert cache._entries["public"] is not entry  # so is a withdrawal


def test_a_table_that_cannot_be_protected_is_refused_with_a_sentence(world: World) -> None:
    set_published(world.db, world.principal("contributor"), world.orgs["alpha"], True)
    app = create_app(world.settings, world.db)
    # No audit round allowed: nothing can be verified, so nothing may be published.
    app.state.privacy_tables = ProtectedTables(max_protect_rounds=0)
    with TestClient(app) as c:
        api = c.get("/api/v1/privacy/case-tables", params={"by": "sex"})
        assert api.status_code == 503
        message = api.json()["error"]["message"]
        assert "cannot be protected" in message and "nothing is published" in message
        page = c.get("/statistics/case-records", params={"by": "sex"})
        assert page.status_code == 503 and "cannot be protected" in page.text
        assert "Traceback" not in page.text
        preview = c.get(
            "/api/v1/privacy/case-preview", params={"by": "sex"}, headers=bearer(world, "analyst")
        )
        assert preview.status_code == 503


def test_the_server_protects_new_public_tables_before_a_visitor_asks(world: World) -> None:
    """While the app runs, a background thread protects the lattice of each new data
    version, so the first visitor after a publication reads it from the cache."""
    settings = world.settings.model_copy(update={"public_tables_refresh_seconds": 0.05})
    set_published(world.db, world.principal("contributor"), world.orgs["alpha"], True)
    app = create_app(settings, world.db)
    cache: ProtectedTables = app.state.privacy_tables

    def wait_for(condition: Callable[[], bool]) -> None:
        deadline = time.monotonic() + 30
        while not condition():
            assert time.monotonic() < deadline, "the public tables were not refreshed"
            time.sleep(0.05)

    with TestClient(app):  # runs the app's lifespan, as the server does
        wait_for(lambda: "public" in cache._entries)
        entry = cache._entries["public"]
        assert entry[1].table([]).cells[0].count == 0  # nothing published yet
        _publish_import(world)  # no request is made: the thread notices the new version
        # (submitted, then published: it may protect the version in between too)
        wait_for(
            lambda: within_noise(
                cache._entries["public"][1].table([]).cells[0].count, 579, world.settings
            )
        )
    # Stopped with the app: no refresh after shutdown.
    entry = cache._entries["public"]
    set_published(world.db, world.principal("contributor"), world.orgs["alpha"], False)
    time.sleep(0.3)
    assert cache._entries["public"] is entry


def test_a_refresh_interval_of_zero_leaves_the_tables_to_the_first_visitor(world: World) -> None:
    settings = world.settings.model_copy(update={"public_tables_refresh_seconds": 0})
    app = create_app(settings, world.db)
    with TestClient(app):
        time.sleep(0.3)
        assert app.state.privacy_tables._entries == {}
