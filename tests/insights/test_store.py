"""Stored insight lattices (insights/store.py, migration insights_0001): a restart reads
them with the same published numbers; what is stored is the gated cells only; an
organisation's own are its own; a new data version replaces them; a refusal is kept."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from access_support import World, bearer
from insights_support import ctdc_world
from thbhub.insights import service
from thbhub.insights.lattices import NAMES, BeingComputed, Lattices
from thbhub.insights.store import Published, StoredLattices
from thbhub.privacy.gate import shown_count
from thbhub.privacy.lattice import ProtectionFailed
from thbhub.privacy.public import ProtectedTables, set_published
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.storage.schema_insights import insights_lattices
from thbhub.web.app import create_app

GROUP = "form=form:labour-exploitation"


def _answers(source: Lattices) -> dict[str, Any]:
    return {
        "profile": service.group_profile(source, GROUP),
        "means": service.means(source),
        "breakdown": service.breakdown(source, "recruiter", "sex"),
        "journeys": service.journeys(source, limit=1000),
    }


def _rows(db: Database) -> dict[tuple[str, str], dict[str, Any]]:
    with db.connect() as conn:
        rows = conn.execute(select(insights_lattices)).mappings()
        return {(r["audience"], r["name"]): dict(r) for r in rows}


@pytest.fixture
def published(settings: Settings, db: Database) -> World:
    return ctdc_world(settings, db, published=True)


def test_stored_lattices_survive_a_restart_with_the_same_numbers(published: World) -> None:
    settings, db = published.settings, published.db
    source = service.lattices(db, settings, None, None, ProtectedTables(), stored=StoredLattices())
    source.refresh()
    before = _answers(source)
    assert before["profile"]["group_records"] == 137
    assert {name for _, name in _rows(db)} == set(NAMES)
    # A restart: a new Database object, a new app memory, no protected lattice in memory.
    again = Database(settings.database_url)
    try:
        cache = ProtectedTables()
        after = _answers(service.lattices(again, settings, None, None, cache, background=True))
        assert after == before
        assert not cache._entries  # nothing was protected again: all read from the database
        served = settings.model_copy(update={"insights_background": True})
        with TestClient(create_app(served, again)) as c:  # the web's first request: no 503
            r = c.get(f"/api/v1/insights/profile?group={GROUP}")
            assert r.status_code == 200 and r.json() == before["profile"]
    finally:
        again.dispose()


def test_a_stored_lattice_holds_only_the_published_cells(published: World) -> None:
    settings, db = published.settings, published.db
    source = service.lattices(db, settings, None, None, ProtectedTables())
    source.refresh()
    rows = _rows(db)
    suppressed = 0
    for name in NAMES:
        protected = source.protected(name)
        payload = rows[("public", name)]["cells"]
        stored = {tuple(t["dims"]): t["cells"] for t in payload["tables"]}
        assert set(stored) == set(protected.lattice.tables)
        for key, table in protected.lattice.tables.items():
            gated = {
                tuple(str(v) for v in r[: len(key)]): (
                    None if r[-1] else shown_count(int(r[-3]), int(r[-2]), protected.policy)
                )
                for r in table.select([*key, "n", "ck", "sup"]).iter_rows()
            }
            kept = {tuple(c[: len(key)]): c[len(key)] for c in stored[key]}
            assert kept == gated, (name, key)  # a suppressed cell is stored as null
            suppressed += sum(v is None for v in kept.values())
        # Read back, every table is the gate's own answer (cells and margins).
        back = Published.from_payload(payload, protected.policy)
        for key in list(protected.lattice.tables)[:12]:
            assert back.table(key).cells == protected.table(key).cells, (name, key)
            assert back.table(key).margins == protected.table(key).margins, (name, key)
    assert suppressed > 0  # the real records do have suppressed cells


def test_an_organisations_stored_lattices_are_its_own(settings: Settings, db: Database) -> None:
    world = ctdc_world(settings, db, published=False)  # Alpha's records: drafts, not public
    alpha = world.orgs["alpha"]
    own = service.lattices(db, settings, world.principal("analyst"), alpha, ProtectedTables())
    own.refresh()
    mine = service.group_profile(own, GROUP)
    assert mine["group_records"] == 137
    assert {a for a, _ in _rows(db)} == {f"org:{alpha}"}
    served = settings.model_copy(update={"insights_background": True})
    url = f"/api/v1/insights/profile?group={GROUP}"
    with TestClient(create_app(served, db)) as c:
        assert c.get(f"{url}&organisation_id={alpha}", headers=bearer(world, "analyst")).json() == (
            mine
        )
        # Another organisation and the public cannot read them.
        assert (
            c.get(f"{url}&organisation_id={alpha}", headers=bearer(world, "foreign")).status_code
            == 403
        )
        assert c.get(f"{url}&organisation_id={alpha}").status_code in (401, 403)
        # The public's insights are not Alpha's stored ones: not stored for the public.
        public = c.get(url)
        assert public.status_code == 503 and "being computed" in public.text


def test_a_new_data_version_replaces_the_stored_lattices(published: World) -> None:
    settings, db = published.settings, published.db
    source = service.lattices(db, settings, None, None, ProtectedTables())
    source.refresh()
    first = {k: r["label"] for k, r in _rows(db).items()}
    assert set(first.values()) == {source.label}
    # Beta publishes too (with nothing in it, the public records' version still changes).
    beta = published.principal("foreign")
    set_published(db, beta, published.orgs["beta"], True)
    newer = service.lattices(db, settings, None, None, ProtectedTables(), background=True)
    assert newer.label != source.label
    with pytest.raises(BeingComputed):  # the stored lattices of the old version are not read
        newer.get("anchor")
    newer.background = False
    newer.refresh()
    second = {k: r["label"] for k, r in _rows(db).items()}
    assert set(second) == set(first) and set(second.values()) == {newer.label}


def test_a_refusal_is_stored_and_read_after_a_restart(published: World) -> None:
    settings, db = published.settings, published.db
    # No round of repair allowed: a lattice needing one is refused.
    source = service.lattices(db, settings, None, None, ProtectedTables(max_protect_rounds=0))
    source.refresh()
    refused = {n for (_, n), r in _rows(db).items() if r["refused"] is not None}
    assert refused, "expected a refusal with no repair round"
    name = sorted(refused)[0]
    assert _rows(db)[("public", name)]["cells"] is None
    later = service.lattices(db, settings, None, None, ProtectedTables(), background=True)
    with pytest.raises(ProtectionFailed):  # read as refused, not computed again
        later.get(name)


def test_the_compute_command_stores_every_lattice_once(
    published: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from thbhub.cli import app as cli_app

    settings = published.settings
    monkeypatch.setenv("THBHUB_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("THBHUB_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("THBHUB_SECRET_KEY", settings.secret_key.get_secret_value())
    runner = CliRunner()
    first = runner.invoke(cli_app, ["insights", "compute", "--format", "json"])
    assert first.exit_code == 0, first.output
    assert "computing 10 lattices for the public" in first.stderr
    done = json.loads(first.stdout)
    assert [d["lattice"] for d in done] == list(NAMES)
    assert {d["outcome"] for d in done} == {"computed"}
    assert {n for _, n in _rows(published.db)} == set(NAMES)
    again = runner.invoke(cli_app, ["insights", "compute", "--format", "json"])
    assert {d["outcome"] for d in json.loads(again.stdout)} == {"stored already"}


def test_the_public_anchor_is_this_versions_not_the_one_served_meanwhile(
    published: World,
) -> None:
    # While the public tables' refresher computes a new version, the public tables serve
    # the previous one; insight lattices stored under the new version's label must not be
    # protected beside (and show) the previous version's anchor.
    settings, db = published.settings, published.db
    cache = ProtectedTables()
    old = service.lattices(db, settings, None, None, cache)
    old.get("anchor")
    beta = published.principal("foreign")
    set_published(db, beta, published.orgs["beta"], True)  # a new public data version
    newer = service.lattices(db, settings, None, None, cache)
    busy = cache._computing["public"]
    busy.acquire()  # as if the public tables' refresher were computing it now
    found: dict[str, Any] = {}
    waiter = threading.Thread(target=lambda: found.setdefault("anchor", newer._anchor()))
    try:
        waiter.start()
        waiter.join(2.0)
        assert waiter.is_alive() and not found  # waits; does not take the previous version's
    finally:
        busy.release()
    waiter.join(120)
    current = cache.in_background("public", newer.version, lambda: None)
    assert current is not None and found["anchor"] is current
    assert old._anchor_lattice is not current
