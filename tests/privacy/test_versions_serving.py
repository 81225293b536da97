"""Issue 13, section 1: protecting a new version of the public tables against every earlier
one takes minutes at CTDC scale (benchmarks/privacy_versions.py).  Visitors must not wait for
it: while it runs, they get the version published before (already public), and the new one
replaces it when it is done; the pages cached meanwhile are then rendered again.

The recompute is held up by the database (this test holds the lock it needs: SQLite's write
lock, which the gate's audited read of the records waits for; on PostgreSQL the kept
versions' table, which the recompute reads first), so it is certainly running when another
visitor asks.  Before, the recompute held the lock every request on the public tables
takes, and that visitor waited for it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from access_support import build_world
from support import holding_lock
from support_versions import import_and_publish, subset_file
from thbhub.ingest.sample import sample_dir
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.web.app import create_app

TABLES = "/api/v1/privacy/case-tables"


@pytest.fixture
def lock_holder(db_url: str) -> Iterator[Callable[[], Callable[[], None]]]:
    with holding_lock(
        db_url,
        sqlite=[],
        postgresql=["LOCK TABLE privacy_public_versions IN ACCESS EXCLUSIVE MODE"],
    ) as hold:
        yield hold


def _total(body: dict[str, Any]) -> int | None:
    return next(m["count"] for m in body["margins"] if m["margin"] == "total")


def test_a_visitor_is_answered_while_a_new_version_is_protected(
    settings: Settings,
    db: Database,
    tmp_path: Path,
    lock_holder: Callable[[], Callable[[], None]],
) -> None:
    world = build_world(settings, db)
    import_and_publish(world, "contributor", "alpha", sample_dir() / "ctdc_global_bsr.csv")
    quiet = settings.model_copy(update={"public_tables_refresh_seconds": 0})
    with TestClient(create_app(quiet, db)) as client:
        first = client.get(TABLES, params={"by": "sex"})
        assert first.status_code == 200, first.text[:300]
        import_and_publish(world, "foreign", "beta", subset_file(tmp_path, "beta", 1))

        answers: dict[str, Any] = {}

        def recompute() -> None:  # the first visitor after the publication
            answers["recompute"] = client.get(TABLES, params={"by": "sex"})

        release = lock_holder()
        worker = threading.Thread(target=recompute)
        try:
            worker.start()
            tables = client.app.state.privacy_tables  # type: ignore[attr-defined]
            for _ in range(200):  # until the recompute has started
                lock = getattr(tables, "_computing", {}).get("public")
                if lock is not None and lock.locked():
                    break
                worker.join(0.05)
            assert worker.is_alive(), "the recompute did not wait for the held lock"

            meanwhile: dict[str, Any] = {}
            visitor = threading.Thread(
                target=lambda: meanwhile.update(r=client.get(TABLES, params={"by": "age"}))
            )
            visitor.start()
            visitor.join(30)
            answered_while_running = not visitor.is_alive() and worker.is_alive()
        finally:
            release()
        worker.join(120)
        visitor.join(120)
        assert answered_while_running, "a visitor waited for the recompute"
        during = meanwhile["r"]
        assert during.status_code == 200, during.text[:300]
        # The version published before: the same total as the first answer.
        assert _total(during.json()) == _total(first.json())

        after = answers["recompute"]
        assert after.status_code == 200, after.text[:300]
        assert _total(after.json()) != _total(first.json())  # Beta's 73 records are in
        # The answer given meanwhile is not kept for the new data: asked again, the new one.
        again = client.get(TABLES, params={"by": "age"})
        assert _total(again.json()) == _total(after.json())
