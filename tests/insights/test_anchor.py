"""Insights and the public case tables are one release: a cell both publish is the same
cell (value and suppression), the form lattices' tables over the base dimensions are the
public ones, and a web request never computes a lattice (issue 17's review)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from access_support import World
from insights_support import ctdc_world, ready_get
from thbhub.insights import service
from thbhub.insights.lattices import FORMS, SHARED
from thbhub.privacy.public import ProtectedTables, public_table
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.web.app import create_app


@pytest.fixture
def world(settings: Settings, db: Database) -> World:
    return ctdc_world(settings, db, published=True)


def _cells(rows: list[dict], dims: tuple[str, ...]) -> dict[tuple[str, ...], object]:
    return {tuple(r[d] for d in dims): r["count"] for r in rows}


def test_journeys_and_base_profiles_are_the_public_tables_cells(world: World) -> None:
    settings, db = world.settings, world.db
    cache = ProtectedTables()
    source = service.lattices(db, settings, None, None, cache)
    journeys = service.journeys(source, limit=1000)
    public = public_table(db, settings, ["citizenship", "country"], cache=cache)
    published = {k: v for k, v in _cells(public.rows(), ("citizenship", "country")).items() if v}
    shown = {(f["citizenship"], f["country"]): f["count"] for f in journeys["flows"]}
    assert shown == published and len(shown) > 5
    hidden = [r for r in public.rows() if r["status"] == "suppressed"]
    assert journeys["flows_suppressed"] == len(hidden)
    # A profile's cells over base dimensions: the public (age, sex) table's.
    body = service.group_profile(source, "sex=sex:male")
    table = public_table(db, settings, ["age", "sex"], cache=cache)
    by_age = {r["age"]: r["count"] for r in table.rows() if r["sex"] == "sex:male"}
    rows = [r for r in body["comparisons"] if r["dimension"] == "age" and r["value"] in by_age]
    assert rows and all(r["in_count"] == by_age[r["value"]] for r in rows)


def test_form_lattices_pin_the_public_tables(world: World) -> None:
    cache = ProtectedTables()
    source = service.lattices(world.db, world.settings, None, None, cache)
    anchor = source.protected("anchor").lattice
    for form in FORMS:
        lattice = source.protected(form).lattice
        pinned = [k for k in lattice.tables if set(k) <= set(SHARED)]
        assert len(pinned) == 26
        for key in pinned:
            mine = lattice.tables[key].select([*key, "n", "ck", "sup"]).sort(list(key) or "n")
            theirs = anchor.tables[anchor.table_for(key)].select([*key, "n", "ck", "sup"])
            theirs = theirs.sort(list(key) or "n")
            assert mine.equals(theirs), (form, key)
        assert any(form in k for k in lattice.tables)


def test_a_web_request_never_computes_a_lattice(world: World) -> None:
    served = world.settings.model_copy(update={"insights_background": True})  # the default
    assert Settings().insights_background
    with TestClient(create_app(served, world.db)) as c:
        first = c.get("/api/v1/insights/profile?group=form=form:labour-exploitation")
        assert first.status_code == 503 and "being computed" in first.json()["error"]["message"]
        later = ready_get(c, "/api/v1/insights/profile?group=form=form:labour-exploitation")
        assert later.status_code == 200 and later.json()["group_records"] == 137
