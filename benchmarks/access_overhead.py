"""What identifying the caller costs per request: the same cheap API route called anonymously,
with a Bearer token and with a session cookie, in-process over SQLite (and PostgreSQL when
THBHUB_TEST_POSTGRES_URL is set).  Prints each as a ratio of the anonymous call, measured in
the same run.

    .venv/bin/python -m benchmarks.access_overhead
"""

from __future__ import annotations

import os
import re
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from thbhub.access import auth, users
from thbhub.hub import init_hub
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.web.app import create_app

N = 300
PASSWORD = "benchmark password"


def _per_call(fn: Callable[[], object]) -> float:
    for _ in range(20):  # warm up
        fn()
    start = time.perf_counter()
    for _ in range(N):
        fn()
    return (time.perf_counter() - start) / N


def _run(url: str, data_dir: Path) -> None:
    db = Database(url)
    settings = Settings(database_url=url, data_dir=data_dir, secret_key="benchmark-secret-key")
    init_hub(db, settings)
    users.ensure_admin(db, password=PASSWORD)
    token = auth.create_token(db, users.operator(), "admin@thbhub.local")["token"]
    app = create_app(settings, db)
    anonymous, bearer, cookie = TestClient(app), TestClient(app), TestClient(app)
    html = cookie.get("/login").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert csrf
    cookie.post(
        "/login",
        data={"email": "admin@thbhub.local", "password": PASSWORD, "csrf_token": csrf.group(1)},
    )
    base = _per_call(lambda: anonymous.get("/api/v1/me"))
    with_token = _per_call(
        lambda: bearer.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    )
    with_cookie = _per_call(lambda: cookie.get("/api/v1/me"))
    print(
        f"{db.dialect}: anonymous {base * 1000:.2f} ms/request (baseline); "
        f"bearer token ×{with_token / base:.2f}; session cookie ×{with_cookie / base:.2f}"
    )
    db.dispose()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        _run(f"sqlite:///{tmp}/bench.db", Path(tmp))
        admin_url = os.environ.get("THBHUB_TEST_POSTGRES_URL")
        if admin_url:
            name = f"thbhub_bench_{uuid.uuid4().hex[:8]}"
            engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
            with engine.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            try:
                _run(admin_url.rsplit("/", 1)[0] + "/" + name, Path(tmp))
            finally:
                with engine.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                engine.dispose()


if __name__ == "__main__":
    main()
