"""Helpers shared by tests (importable as `support`; conftest.py holds the fixtures)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from thbhub.settings import Settings

IN_CI = os.environ.get("CI", "").lower() == "true"
SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def require(condition: bool, reason: str) -> None:
    """Skip locally when a service is missing; under CI=true a missing service is a failure."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI=true and {reason}")
    pytest.skip(reason)


def shared_file(relative: str) -> Path:
    """A file from ../shared/data; tests that need one skip with a reason when it is absent."""
    path = SHARED / "data" / relative
    if not path.exists():
        pytest.skip(f"{path} is not here (the shared real-data folder sits beside the repo)")
    return path


def make_settings(tmp_path: Path, url: str) -> Settings:
    # Insights computed on the request: the tests that walk every route need an answer, not
    # 503 "being computed" (tests/insights/test_anchor.py tests the background path).
    return Settings(
        database_url=url,
        data_dir=tmp_path,
        secret_key="test-secret-key-0123456789",
        insights_background=False,
    )


#: ``hold()`` of :func:`holding_lock`: takes the lock and returns ``release()``.
Hold = Callable[[], Callable[[], None]]


@contextmanager
def holding_lock(db_url: str, *, sqlite: list[str], postgresql: list[str]) -> Iterator[Hold]:
    """Yields ``hold()``, which takes a lock in another connection (as another process
    would) by running the dialect's statements after BEGIN, and returns ``release()``."""
    engine = create_engine(db_url, isolation_level="AUTOCOMMIT")
    conn = engine.connect()

    def hold() -> Callable[[], None]:
        is_sqlite = engine.dialect.name == "sqlite"
        conn.exec_driver_sql("BEGIN IMMEDIATE" if is_sqlite else "BEGIN")
        for statement in sqlite if is_sqlite else postgresql:
            conn.exec_driver_sql(statement)
        return lambda: conn.exec_driver_sql("COMMIT")

    try:
        yield hold
    finally:
        conn.close()
        engine.dispose()
