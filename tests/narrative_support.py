"""Fixtures for the report-text tests: a database holding the bundled real sample data (what
`thbhub init --sample` loads) on each backend, loaded once per session and copied per test,
and the organisations that write (the secretariat) and may not (an agency, a second
secretariat).  Import the fixtures into a test module: ``from narrative_support import *``.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import delete

from conftest import pg_database
from support import make_settings
from thbhub.access import users
from thbhub.demo import load_sample
from thbhub.domain.principals import Principal, Role
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.storage.schema_narrative import report_text_versions, report_texts

__all__ = [
    "Hub",
    "hub",
    "sample_pg_template",
    "sample_sqlite_template",
]


@pytest.fixture(scope="session")
def sample_sqlite_template(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("sample-sqlite")
    path = base / "sample.db"
    shutil.copyfile(sqlite_template, path)
    url = f"sqlite:///{path}"
    db = Database(url)
    load_sample(db, make_settings(base, url))
    db.dispose()
    return path


@pytest.fixture(scope="session")
def sample_pg_template(
    pg_admin_url: str, pg_template: str, tmp_path_factory: pytest.TempPathFactory, worker_id: str
) -> Iterator[str]:
    with pg_database(pg_admin_url, f"thbhub_sample_{worker_id}", pg_template) as url:
        db = Database(url)
        load_sample(db, make_settings(tmp_path_factory.mktemp("sample-pg"), url))
        db.dispose()
        yield url.rsplit("/", 1)[1]


@dataclass
class Hub:
    db: Database
    settings: Settings
    url: str
    secretariat: int
    agency: int
    other_secretariat: int

    def analyst(self, org: int | None = None, role: Role = Role.analyst) -> Principal:
        return Principal(
            role=role,
            email=f"{role.value}@{org or self.secretariat}.test",
            organisation_id=org or self.secretariat,
            origin="web",
        )


@pytest.fixture
def hub(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Hub]:
    """A fresh copy of the sample database with three organisations."""
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sample_sqlite_template")
        path = tmp_path / "hub.db"
        shutil.copyfile(template, path)
        yield from _hub(f"sqlite:///{path}", tmp_path)
        return
    admin_url: str = request.getfixturevalue("pg_admin_url")
    name: str = request.getfixturevalue("sample_pg_template")
    with pg_database(admin_url, "thbhub_n", name) as url:
        yield from _hub(url, tmp_path)


def _hub(url: str, tmp_path: Path) -> Iterator[Hub]:
    db = Database(url)
    # These tests start from no report text: the sample's example text (thbhub.reports.sample)
    # is removed here (its audit rows stay: the log is append-only); its own test writes it
    # again on this clean copy.
    with db.begin() as conn:
        conn.execute(delete(report_text_versions))
        conn.execute(delete(report_texts))
    op = users.operator()
    sec = users.add_organisation(db, op, "CBSS Secretariat", "SE", "secretariat")["id"]
    agency = users.add_organisation(db, op, "Alpha Agency", "LT", "agency")["id"]
    other = users.add_organisation(db, op, "Second Secretariat", "DK", "secretariat")["id"]
    try:
        yield Hub(db, make_settings(tmp_path, url), url, sec, agency, other)
    finally:
        db.dispose()
