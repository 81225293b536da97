"""Helpers shared by benchmarks: databases on both backends, timing."""

from __future__ import annotations

import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text

from thbhub.hub import init_hub
from thbhub.settings import Settings
from thbhub.storage import Database

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def backends() -> list[str]:
    found = ["sqlite"]
    if os.environ.get("THBHUB_TEST_POSTGRES_URL"):
        found.append("postgresql")
    else:
        print("(no THBHUB_TEST_POSTGRES_URL: PostgreSQL skipped; run via `make benchmark`)")
    return found


@contextmanager
def fresh_database(backend: str) -> Iterator[tuple[Database, Settings]]:
    """A migrated database with the taxonomy installed, deleted afterwards."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{tmp}/bench.db"
            settings = Settings(database_url=url, data_dir=Path(tmp), secret_key="bench-key-0123")
            db = Database(url)
            init_hub(db, settings)
            try:
                yield db, settings
            finally:
                db.dispose()
        return
    admin_url = os.environ["THBHUB_TEST_POSTGRES_URL"]
    name = f"thbhub_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url.rsplit("/", 1)[0] + "/" + name
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(database_url=url, data_dir=Path(tmp), secret_key="bench-key-0123")
        db = Database(url)
        init_hub(db, settings)
        try:
            yield db, settings
        finally:
            db.dispose()
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def median(values: list[float]) -> float:
    return statistics.median(values)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
