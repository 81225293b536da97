"""Fixtures that give every storage test both backends: real SQLite and real PostgreSQL.

Each backend gets one migrated database with the taxonomy installed per test session (the
template); each test gets a fresh copy of it, so tests never see each other's rows and no
test mocks the database.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from support import make_settings, require
from thbhub.hub import init_hub
from thbhub.settings import Settings
from thbhub.storage import Database

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def pg_admin_url() -> str:
    url = os.environ.get("THBHUB_TEST_POSTGRES_URL", "")
    require(
        bool(url),
        "no PostgreSQL for tests: run `make test` (it starts a throwaway server from the "
        "installed binaries; apt-get install postgresql if they are missing)",
    )
    return url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("sqlite-template")
    path = base / "template.db"
    db = Database(f"sqlite:///{path}")
    init_hub(db, make_settings(base, f"sqlite:///{path}"))
    db.dispose()
    return path


@contextmanager
def pg_database(admin_url: str, prefix: str, template: str | None = None) -> Iterator[str]:
    """A new PostgreSQL database (optionally a copy of ``template``), dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    copy = f' TEMPLATE "{template}"' if template else ""
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"{copy}'))
    try:
        yield admin_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def pg_template(
    pg_admin_url: str, tmp_path_factory: pytest.TempPathFactory, worker_id: str
) -> Iterator[str]:
    with pg_database(pg_admin_url, f"thbhub_tpl_{worker_id}") as url:
        db = Database(url)
        init_hub(db, make_settings(tmp_path_factory.mktemp("pg-template"), url))
        db.dispose()
        yield url.rsplit("/", 1)[1]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of a fresh, migrated database with the taxonomy installed, on each backend."""
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "hub.db"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
        return
    admin_url: str = request.getfixturevalue("pg_admin_url")
    template_name: str = request.getfixturevalue("pg_template")
    with pg_database(admin_url, "thbhub_t", template_name) as url:
        yield url


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    yield database
    database.dispose()


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return make_settings(tmp_path, db_url)


@pytest.fixture
def empty_db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of an empty database (no schema), on each backend."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    admin_url: str = request.getfixturevalue("pg_admin_url")
    with pg_database(admin_url, "thbhub_e") as url:
        yield url


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The environment a `thbhub` command run in the test reads: the test's own data
    directory and a secret key (the directory is returned)."""
    monkeypatch.setenv("THBHUB_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("THBHUB_SECRET_KEY", "test-secret-key-0123456789")
    return tmp_path
