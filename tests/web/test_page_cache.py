"""Public pages are cached per data version, for anonymous visitors only: a publication
changes the page at once, each visitor gets their own CSRF token in a cached page, and a
logged-in user never gets a cached copy of anything."""

from __future__ import annotations

from pathlib import Path

from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from access_support import bearer, browser_client, build_world, csrf_of
from case_support import ctdc_row, publish, write_ctdc
from support_privacy import within_noise
from thbhub.cases import service
from thbhub.privacy.public import set_published
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.web.access import Access, declared_access, iter_routes
from thbhub.web.app import create_app
from thbhub.web.cache import PLACEHOLDER, Page, PageCache, is_cached


def _table(client: TestClient) -> dict[str, int]:
    response = client.get("/api/v1/privacy/case-tables", params={"by": "sex"})
    assert response.status_code == 200, response.text
    return {r["sex"]: r["count"] for r in response.json()["rows"] if r["count"] is not None}


def test_a_publication_changes_the_cached_public_table(
    settings: Settings, db: Database, tmp_path: Path
) -> None:
    world = build_world(settings, db)
    contributor = world.principal("contributor")
    org = world.orgs["alpha"]
    set_published(db, contributor, org, True)
    app = create_app(settings, db)
    cache: PageCache = app.state.page_cache
    visitor = TestClient(app)
    before = _table(visitor)
    assert before.get("sex:female") is None  # nothing published yet
    assert _table(visitor) == before
    assert cache.hits == 1 and cache.misses == 1  # the second answer came from the cache
    rows = [ctdc_row(X=str(i)) for i in range(12)]
    imported = service.import_cases(
        db, settings, contributor, write_ctdc(tmp_path / "c.csv", rows), org
    )
    assert _table(visitor) == before  # a draft import changes no public number...
    publish(db, contributor, imported["import_id"])
    after = _table(visitor)  # ...its publication does, at once
    # 12 true records, published through the cell key method (moved by at most its bound)
    assert within_noise(after["sex:female"], 12, settings)
    assert _table(visitor) == after


def test_each_visitor_gets_their_own_csrf_token_in_a_cached_page(
    settings: Settings, db: Database
) -> None:
    app = create_app(settings, db)
    cache: PageCache = app.state.page_cache
    first, second = TestClient(app), TestClient(app)
    page_a = first.get("/countries/LV")
    page_b = second.get("/countries/LV")
    assert page_a.status_code == page_b.status_code == 200
    assert cache.hits == 1 and cache.misses == 1
    token_a, token_b = (_hx_token(p.text) for p in (page_a, page_b))
    assert token_a and token_b and token_a != token_b
    assert PLACEHOLDER not in page_a.text + page_b.text
    assert page_a.text.replace(token_a, "") == page_b.text.replace(token_b, "")
    # The token a visitor got in a cached page is the one their session accepts.
    login = second.get("/login")
    assert csrf_of(login.text) == token_b
    assert page_b.headers["cache-control"] == "no-store"  # the copy stays in the server


def _hx_token(html: str) -> str:
    marker = '"X-CSRF-Token": "'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


def test_logged_in_users_never_get_a_cached_page(settings: Settings, db: Database) -> None:
    world = build_world(settings, db)
    app = create_app(settings, db)
    cache: PageCache = app.state.page_cache
    anonymous = TestClient(app)
    for _ in range(2):
        assert anonymous.get("/").status_code == 200
        # A private page is no page for anyone anonymous: the log-in redirect, uncached.
        assert anonymous.get("/cases", follow_redirects=False).status_code == 303
    hits, misses = cache.hits, cache.misses
    assert (hits, misses) == (1, 1)
    contributor = browser_client(app, world, "contributor")
    home = contributor.get("/")
    assert world.emails["contributor"] in home.text  # their own navigation, not the copy
    cases = contributor.get("/cases")
    assert cases.status_code == 200 and "Our cases" in cases.text
    api = TestClient(app).get("/api/v1/overview", headers=bearer(world, "analyst"))
    assert api.status_code == 200
    assert (cache.hits, cache.misses) == (hits, misses)  # neither served nor stored
    assert world.emails["contributor"] not in anonymous.get("/").text


def test_only_public_get_routes_are_cached(settings: Settings, db: Database) -> None:
    app = create_app(settings, db)
    marked = [r for r in iter_routes(app) if isinstance(r, APIRoute) and is_cached(r.endpoint)]
    assert {"/", "/countries/{code}", "/api/v1/observations"} <= {r.path for r in marked}
    for route in marked:
        assert declared_access(route.endpoint) is Access.public, route.path
        assert route.methods == {"GET"}, route.path
    assert "/api/v1/health" not in {r.path for r in marked}


def test_the_previous_version_is_kept_aside_until_rendered_again() -> None:
    """While the first request after a change renders a page, others for it get the copy of
    the version before; once rendered, only the new copy is served."""
    cache = PageCache(10)
    key = ("http", "hub", "", "/countries/LV", "")
    old, new = Page(200, [], b"old"), Page(200, [], b"new")
    cache.put(1, key, old)
    assert cache.get(1, key) == old
    assert cache.get(2, key) is None  # version 2 seen: the old copy is no longer current
    assert cache.previous(key) == old
    cache.put(2, key, new)
    assert cache.get(2, key) == new
    assert cache.previous(key) is None
    cache.put(1, key, old)  # a render of data that has changed since is not kept
    assert cache.get(2, key) == new
