"""Nothing blocks the event loop: every route runs in the thread pool, no ``async`` code of
the web layer calls a service or the database directly, and the server keeps answering
(``/api/v1/health``) while an import is in progress."""

from __future__ import annotations

import ast
import inspect
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

import thbhub.web
from access_support import bearer, build_world
from case_support import ctdc_row, write_ctdc
from support import holding_lock
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.web.access import iter_routes
from thbhub.web.app import create_app
from web_server_support import running

WEB = Path(thbhub.web.__file__).parent
#: Calls on these attributes are database work, whatever the object is called.
_DB_METHODS = {"begin", "connect", "execute", "ping", "check", "dispose"}
#: Packages whose functions do I/O (the database, files): never called on the event loop.
_SERVICES = ("access", "cases", "hub", "ingest", "privacy", "stats", "storage", "taxonomy")
#: Imported names that do no I/O, and why.
_PURE = {
    "check_scope": "compares a token's scopes with the method, in memory",
    "Refresher": "constructs the refresher; its work runs in its own thread",
}


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    if dependant.call is not None:
        yield dependant.call
    for sub in dependant.dependencies:
        yield from _calls(sub)


def test_no_route_or_dependency_is_async(settings: Settings, db: Database) -> None:
    """FastAPI runs a plain ``def`` route (and dependency) in its thread pool, an ``async def``
    one on the event loop, where one blocking call stops every other request."""
    app = create_app(settings, db)
    routes = [r for r in iter_routes(app) if isinstance(r, APIRoute)]
    found = []
    for route in routes:
        found.extend(
            f"{route.path}: {call.__qualname__}"
            for call in _calls(route.dependant)
            if inspect.iscoroutinefunction(call)
        )
    assert len(routes) > 50
    assert found == []


def blocking_calls(source: str) -> list[str]:
    """Calls inside ``async def`` bodies that run services or database work on the event loop:
    a call to anything imported from ``thbhub`` outside ``thbhub.web``, or a database
    method (``db.begin()``).  Passing such a function to ``run_in_threadpool`` is no call."""
    tree = ast.parse(source)

    def is_service(module: str) -> bool:
        return module.split(".")[:2] in (["thbhub", p] for p in _SERVICES)

    services: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and is_service(node.module):
            services.update(a.asname or a.name for a in node.names if a.name not in _PURE)
        elif isinstance(node, ast.Import):
            services.update(
                (a.asname or a.name).split(".")[0] for a in node.names if is_service(a.name)
            )
    found = []
    for func in ast.walk(tree):
        if not isinstance(func, ast.AsyncFunctionDef):
            continue
        for node in ast.walk(func):
            if not isinstance(node, ast.Call):
                continue
            target = node.func
            root = target
            while isinstance(root, ast.Attribute):
                root = root.value
            name = ast.unparse(target)
            if (
                isinstance(root, ast.Name)
                and root.id in services
                or isinstance(target, ast.Attribute)
                and target.attr in _DB_METHODS
            ):
                found.append(f"{func.name}: {name}()")
    return found


def test_no_async_code_of_the_web_layer_calls_a_service() -> None:
    found = {
        str(path.relative_to(WEB)): calls
        for path in sorted(WEB.rglob("*.py"))
        if (calls := blocking_calls(path.read_text(encoding="utf-8")))
    }
    assert found == {}


def test_the_check_finds_the_blocking_upload_handler() -> None:
    """The route this issue found: an async upload that imported on the event loop."""
    old = """
from thbhub.cases import service
from starlette.concurrency import run_in_threadpool
from thbhub.access.auth import session_principal

async def post_import(db, file):
    async with received_upload(file) as saved:
        return service.import_cases(db, saved.path)

async def fine(db, key):
    return await run_in_threadpool(session_principal, db, key)

async def direct(db):
    with db.begin() as conn:
        pass
"""
    assert blocking_calls(old) == [
        "post_import: service.import_cases()",
        "direct: db.begin()",
    ]


@pytest.fixture
def lock_holder(db_url: str) -> Iterator[Callable[[], Callable[[], None]]]:
    """``hold()`` takes the lock an import needs and returns ``release()``: SQLite's write
    lock; on PostgreSQL an exclusive lock on the imports table, which the import reads."""
    with holding_lock(
        db_url, sqlite=[], postgresql=["LOCK TABLE case_imports IN ACCESS EXCLUSIVE MODE"]
    ) as hold:
        yield hold


def test_health_answers_while_an_import_is_in_progress(
    settings: Settings,
    db: Database,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    lock_holder: Callable[[], Callable[[], None]],
) -> None:
    """An import that waits for the database (held by this test) is in progress on a real
    server; health must answer before the import does.  With the import on the event loop,
    health waited for it, and the import waited for the lock this test releases only after
    health answered."""
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(uploads))
    world = build_world(settings, db)
    # Bearer-token calls note the token's use (once a minute): one now, before the lock.
    client = TestClient(create_app(settings, db))
    assert client.get("/api/v1/cases", headers=bearer(world, "contributor")).status_code == 200
    data = write_ctdc(tmp_path / "cases.csv", [ctdc_row(X=str(i)) for i in range(50)])
    size = data.stat().st_size
    app = create_app(settings.model_copy(update={"public_tables_refresh_seconds": 0}), db)
    with running(app) as base:
        result: dict[str, Any] = {}
        imported = threading.Event()

        def upload() -> None:
            try:
                result["response"] = httpx.post(
                    f"{base}/api/v1/cases/import",
                    headers=bearer(world, "contributor"),
                    files={"file": ("cases.csv", data.read_bytes())},
                    timeout=120,
                )
            finally:
                imported.set()

        release = lock_holder()
        try:
            worker = threading.Thread(target=upload)
            worker.start()
            # The server has the file once the upload guard wrote all of it; the import
            # then starts and waits for the lock.
            deadline = time.monotonic() + 60
            while not any(p.stat().st_size == size for p in uploads.glob("*/cases.csv")):
                assert time.monotonic() < deadline, (
                    f"the upload never arrived: {result['response'].text if result else None}"
                )
                time.sleep(0.05)
            time.sleep(0.5)
            health = httpx.get(f"{base}/api/v1/health", timeout=60)
            import_done_first = imported.is_set()
        finally:
            release()
        worker.join(timeout=120)
    assert health.status_code == 200 and health.json()["database"] == "ok"
    assert not import_done_first, "health answered only after the import"
    assert result["response"].status_code == 200, result["response"].text
    assert result["response"].json()["rows_stored"] == 50
