"""Readers and writers side by side: an audited read runs while another process holds the
write lock (it took SQLite's write lock itself, with BEGIN IMMEDIATE, for the whole read),
writes wait for each other instead of failing, and the data version moves on with data, not
with bookkeeping."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select

from case_support import ctdc_row, make_org, member, write_ctdc
from support import holding_lock
from thbhub.access import audit
from thbhub.cases import service
from thbhub.privacy.cases import ctdc_frame
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.storage.database import mark_changed
from thbhub.storage.schema import audit_log

#: Long enough for anything but a deadlock; no test waits for it unless it fails.
PATIENCE = 30


@pytest.fixture
def other_writer(db_url: str) -> Iterator[Callable[[], Callable[[], None]]]:
    """``hold()`` starts a write in another connection (as another process would), holding
    what an audited read's log entry needs, and returns ``release()``: SQLite's write lock;
    on PostgreSQL a lock on the audit log that blocks inserts but not reads."""
    with holding_lock(
        db_url,
        sqlite=["UPDATE organisations SET name = name"],
        postgresql=["LOCK TABLE audit_log IN EXCLUSIVE MODE"],
    ) as hold:
        yield hold


def _read_beside_writer(
    db: Database, other_writer: Callable[[], Callable[[], None]], read_records: Callable[[], Any]
) -> Any:
    """``read_records()`` run while another process holds a write: its records are read
    during that write, its log entry waits for the write to end, and it is logged."""
    read = threading.Event()

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "FROM case_records" in statement:
            read.set()

    event.listen(db.engine, "after_cursor_execute", seen)
    result: dict[str, Any] = {}

    def reader() -> None:
        try:
            result["rows"] = read_records()
        except Exception as exc:  # reported by the assertions below
            result["error"] = exc

    release = other_writer()
    try:
        thread = threading.Thread(target=reader)
        thread.start()
        # The records are read while the other write is in progress...
        assert read.wait(PATIENCE), "the read waited for the other writer"
        assert "rows" not in result  # ...and the read's log entry waits for it to end
    finally:
        release()
    thread.join(PATIENCE)
    assert "error" not in result, result
    with db.connect() as conn:
        actions = conn.execute(select(audit_log.c.action, audit_log.c.object_type)).all()
    assert actions[-1] == ("read", "case_records")  # the read was logged all the same
    return result["rows"]


def test_an_audited_read_runs_while_another_process_writes(
    db: Database,
    settings: Settings,
    tmp_path: Path,
    other_writer: Callable[[], Callable[[], None]],
) -> None:
    org = make_org(db, "Readers")
    who = member(org)
    service.import_cases(db, settings, who, write_ctdc(tmp_path / "a.csv", [ctdc_row()]), org)
    rows = _read_beside_writer(db, other_writer, lambda: service.list_cases(db, who, org))
    assert [r["source_row"] for r in rows] == [2]


def test_the_release_read_runs_while_another_process_writes(
    db: Database,
    settings: Settings,
    tmp_path: Path,
    other_writer: Callable[[], Callable[[], None]],
) -> None:
    """`release cases --as ctdc` reads the records in the CTDC layout: a read, not a write."""
    org = make_org(db, "Releasers")
    who = member(org)
    service.import_cases(db, settings, who, write_ctdc(tmp_path / "a.csv", [ctdc_row()]), org)
    frame = _read_beside_writer(
        db, other_writer, lambda: ctdc_frame(db, who, org, ["yearOfRegistration", "gender"])
    )
    assert frame.rows() == [("2015", "Female")]


def test_a_read_whose_log_entry_fails_returns_nothing(db: Database, tmp_path: Path) -> None:
    """The entry is written after the read: if it cannot be, the read is not served."""
    org = make_org(db, "Unlogged")
    with pytest.raises(Exception, match="boom"), db.read() as conn:
        audit.record(conn, member(org), "read", "case_records", organisation_id=org)
        raise RuntimeError("boom")
    with db.connect() as conn:
        assert conn.execute(select(audit_log.c.id)).all() == []  # nothing half-logged


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_writer_waits_for_another_process_instead_of_failing(
    db: Database, other_writer: Callable[[], Callable[[], None]]
) -> None:
    org = make_org(db, "Writers")
    errors: list[BaseException] = []
    done = threading.Event()

    def write() -> None:
        try:
            with db.begin() as conn:
                audit.record(conn, member(org), "create", "note", organisation_id=org)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            done.set()

    release = other_writer()
    try:
        thread = threading.Thread(target=write)
        thread.start()
        assert not done.wait(1)  # it waits for the other writer...
    finally:
        release()
    thread.join(PATIENCE)
    assert done.is_set() and errors == []  # ...and then writes


def test_many_writers_of_this_process_take_turns(db: Database) -> None:
    org = make_org(db, "Turns")
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            for _ in range(5):
                with db.begin() as conn:
                    conn.execute(select(audit_log.c.id)).all()  # read, then write
                    audit.record(conn, member(org), "create", "note", rows=n)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(PATIENCE)
    assert errors == []
    with db.connect() as conn:
        assert len(conn.execute(select(audit_log.c.id)).all()) == 40


def test_the_data_version_moves_with_data_not_with_bookkeeping(
    db: Database, db_url: str, settings: Settings, tmp_path: Path
) -> None:
    start = db.data_version()
    assert start is not None
    org = make_org(db, "Versioned")
    after_org = db.data_version()
    assert after_org is not None and after_org > start
    with db.begin() as conn:  # an audit entry alone is no change of data
        audit.record(conn, member(org), "create", "note", organisation_id=org)
    service.list_cases(db, member(org), org)  # an audited read neither
    assert db.data_version() == after_org
    # A change made by another process (another Database on the same file or server).
    other = Database(db_url)
    service.import_cases(
        other, settings, member(org), write_ctdc(tmp_path / "v.csv", [ctdc_row()]), org
    )
    other.dispose()
    assert (db.data_version() or 0) > after_org


def test_writes_that_bypass_sqlalchemy_move_the_data_version_when_marked(db: Database) -> None:
    """The bulk paths (COPY, the driver's executemany) are invisible to the statement hook:
    they mark the transaction themselves."""
    start = db.data_version()
    with db.begin() as conn:
        raw = conn.connection.dbapi_connection
        assert raw is not None
        cursor = raw.cursor()
        cursor.execute("UPDATE organisations SET name = name")
        cursor.close()
    assert db.data_version() == start  # unseen: hence mark_changed
    with db.begin() as conn:
        mark_changed(conn)
    assert (db.data_version() or 0) > (start or 0)
