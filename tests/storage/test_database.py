"""Storage on both backends: init is idempotent, SQLite runs with WAL and foreign keys."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.exc import IntegrityError

from support import make_settings
from thbhub.domain.errors import UserError
from thbhub.hub import health, init_hub
from thbhub.storage import Database
from thbhub.storage.migrate import current_revision, latest_revision
from thbhub.storage.schema import concept_links, concepts


def test_init_creates_schema_and_is_idempotent(empty_db_url: str, tmp_path: Path) -> None:
    db = Database(empty_db_url)
    settings = make_settings(tmp_path, empty_db_url)
    first = init_hub(db, settings)
    assert first["schema_before"] is None
    assert first["schema"] == latest_revision()
    assert first["taxonomy"]["concepts_added"] == first["taxonomy"]["concepts"] > 100
    with db.connect() as conn:
        n_concepts = conn.execute(text("SELECT count(*) FROM concepts")).scalar_one()
        n_links = conn.execute(text("SELECT count(*) FROM concept_links")).scalar_one()
    second = init_hub(db, settings)
    assert second["schema_before"] == second["schema"]
    assert second["taxonomy"]["concepts_added"] == 0
    with db.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM concepts")).scalar_one() == n_concepts
        assert conn.execute(text("SELECT count(*) FROM concept_links")).scalar_one() == n_links
    db.dispose()


def test_health_reports_schema(db: Database) -> None:
    result = health(db)
    assert result["status"] == "ok"
    assert result["database"] == "ok"
    assert result["schema_version"] == current_revision(db) == latest_revision()
    assert result["dialect"] == db.dialect


def test_health_on_empty_database_is_degraded(empty_db_url: str) -> None:
    db = Database(empty_db_url)
    result = health(db)
    assert result["status"] == "degraded"
    assert result["schema_version"] is None
    db.dispose()


def test_foreign_keys_are_enforced(db: Database) -> None:
    with pytest.raises(IntegrityError), db.begin() as conn:
        conn.execute(
            insert(concept_links),
            {"concept_id": "form:other", "relation": "broader", "target_id": "form:not-there"},
        )


def test_transaction_rolls_back_on_error(db: Database) -> None:
    with pytest.raises(RuntimeError), db.begin() as conn:
        conn.execute(concepts.update().where(concepts.c.id == "form:other"), {"label_en": "X"})
        raise RuntimeError("boom")
    with db.connect() as conn:
        label = conn.execute(select(concepts.c.label_en).where(concepts.c.id == "form:other"))
        assert label.scalar_one() != "X"


def test_sqlite_uses_wal(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'x.db'}")
    with db.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    db.dispose()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("not a url", "not a valid SQLAlchemy URL"),
        ("mysql://localhost/x", "'mysql' is not supported"),
    ],
)
def test_bad_urls_are_user_errors(url: str, message: str) -> None:
    with pytest.raises(UserError, match=message):
        Database(url)


def test_schemaless_database_gives_a_clear_error(tmp_path: Path) -> None:
    from thbhub.taxonomy.service import list_concepts

    db = Database(f"sqlite:///{tmp_path / 'blank.db'}")
    with pytest.raises(UserError, match="run `thbhub init`"):
        list_concepts(db)
    db.dispose()


def test_sqlite_writers_wait_for_each_other(tmp_path: Path) -> None:
    """A transaction that reads, then writes, must not fail because another writer committed
    in between (deferred BEGIN gives "database is locked" at once; IMMEDIATE waits)."""
    import threading

    url = f"sqlite:///{tmp_path / 'locks.db'}"
    db = Database(url)
    with db.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (n INTEGER)")
    other_done = threading.Event()
    errors: list[BaseException] = []

    def other_writer() -> None:
        try:
            with db.begin() as conn:
                conn.exec_driver_sql("INSERT INTO t VALUES (2)")
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            other_done.set()

    with db.begin() as conn:
        conn.exec_driver_sql("SELECT count(*) FROM t").scalar()
        thread = threading.Thread(target=other_writer)
        thread.start()
        other_done.wait(timeout=1.0)  # with IMMEDIATE the other writer is still waiting
        conn.exec_driver_sql("INSERT INTO t VALUES (1)")
    thread.join(timeout=30)
    assert not errors, errors
    with db.connect() as conn:
        assert sorted(conn.exec_driver_sql("SELECT n FROM t").scalars()) == [1, 2]
    db.dispose()


def test_migrations_build_the_declared_schema(db: Database) -> None:
    # Alembic migrations and storage/schema*.py are written separately: any table, column or
    # index one has and the other lacks shows up here.
    import importlib
    import pkgutil

    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    import thbhub.storage
    from thbhub.storage.schema import metadata

    # Each area declares its tables in its own storage/schema_<area>.py module.
    for module in pkgutil.iter_modules(thbhub.storage.__path__):
        if module.name.startswith("schema_"):
            importlib.import_module(f"thbhub.storage.{module.name}")
    with db.connect() as conn:
        # The library's full-text index is per dialect, made by its migration alone.
        from thbhub.storage.schema_library import FULL_TEXT_PREFIXES

        def declared(name: str | None, _type: str, _parent: object) -> bool:
            return not (name or "").startswith(FULL_TEXT_PREFIXES)

        context = MigrationContext.configure(
            conn, opts={"compare_type": False, "include_name": declared}
        )
        diff = compare_metadata(context, metadata)
    assert diff == []


def test_person_index_skips_records_without_a_person_key(db: Database) -> None:
    # CTDC files have no person keys; their records must not be indexed (cases_0002).
    with db.connect() as conn:
        if db.is_sqlite:
            sql = conn.execute(
                text("SELECT sql FROM sqlite_master WHERE name = 'ix_case_records_person'")
            ).scalar_one()
        else:
            sql = conn.execute(
                text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_case_records_person'")
            ).scalar_one()
    assert "person_key IS NOT NULL" in sql


def test_a_record_belongs_to_its_imports_organisation(db: Database) -> None:
    # One composite key (cases_0004): the import must exist and be the record's
    # organisation's; a record filed under another organisation than its import is refused.
    from datetime import UTC, datetime

    from thbhub.storage.cases import add_organisation, insert_import
    from thbhub.storage.schema_cases import case_records

    with db.begin() as conn:
        a, b = add_organisation(conn, "A"), add_organisation(conn, "B")
        values = {
            "file_name": "f.csv",
            "format": "ctdc",
            "checksum": "0" * 64,
            "rows_read": 1,
            "rows_stored": 1,
            "rows_quarantined": 0,
            "options": {},
        }
        imported = insert_import(conn, {**values, "organisation_id": a})
    record = {
        "import_id": imported,
        "state": "draft",
        "source_format": "ctdc",
        "source_row": 2,
        "created_at": datetime.now(UTC),
        **dict.fromkeys(
            [c.name for c in case_records.columns if c.name.endswith("_status")], "observed"
        ),
        **{c: [] for c in ("forms", "means", "sectors", "recruiter", "flags")},
        **{c: {} for c in ("referral", "extra", "free_text")},
    }
    with db.begin() as conn:
        conn.execute(insert(case_records), {**record, "organisation_id": a})
    for wrong in (b, a + b + 1000):
        with pytest.raises(IntegrityError), db.begin() as conn:
            conn.execute(insert(case_records), {**record, "organisation_id": wrong})
    with pytest.raises(IntegrityError), db.begin() as conn:
        conn.execute(insert(case_records), {**record, "organisation_id": a, "import_id": 999})
