"""A database handle built from a URL, for SQLite (embedded) and PostgreSQL (server).

Dialect differences live here and in the query modules of this package, nowhere else.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Executable, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import (
    ArgumentError,
    DatabaseError,
    NoSuchModuleError,
    OperationalError,
    ProgrammingError,
)

from thbhub.domain.errors import DatabaseUnavailable, UserError

#: How long a SQLite writer waits for another (a CLI import of the CTDC file holds the write
#: lock for a few seconds; a web request's short write waits behind it instead of failing).
BUSY_TIMEOUT_SECONDS = 60


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the web server read while an import writes; foreign keys are off by default
    # in SQLite and every integrity rule here relies on them.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_SECONDS * 1000}")
    # WAL's documented companion: commits need not wait for the disk twice (durable at the
    # next checkpoint; a power cut may lose the last commits, never corrupt the file).
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    # pysqlite's own transaction handling defers BEGIN and breaks SAVEPOINT; we emit BEGIN
    # ourselves so that an import is one real transaction (see SQLAlchemy's pysqlite notes).
    # A write transaction takes the write lock at BEGIN (IMMEDIATE): a deferred one that
    # reads first and writes later cannot wait for another writer and fails at once with
    # "database is locked" when one committed meanwhile; IMMEDIATE waits busy_timeout instead.
    write = conn.get_execution_options().get(_WRITE, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


_WRITE = "thbhub_write"
#: On a connection from :meth:`Database.read`: the writes queued by :func:`defer_write`.
_DEFERRED = "thbhub_deferred_writes"
#: Set on a write connection once it changed data that pages are made from.
_CHANGED = "thbhub_data_changed"
#: Tables whose writes are bookkeeping, not data any page shows: they leave the data
#: version (:meth:`Database.data_version`) as it is.  ``privacy_public_versions`` records
#: what a version of the public tables published when it is computed from the data: were it
#: a change, every computation would invalidate the pages it was computed for (the same for
#: ``insights_lattices``, the stored insight lattices).
BOOKKEEPING_TABLES = frozenset(
    {
        "audit_log",
        "user_sessions",
        "api_tokens",
        "users",
        "hub_data_version",
        "privacy_public_versions",
        "reports_editions",
        "insights_lattices",
    }
)
_WRITE_SQL = re.compile(
    r"\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM|REPLACE\s+INTO)\s+\"?(\w+)",
    re.IGNORECASE,
)
_OTHER_WRITE = re.compile(r"\s*(?:WITH|CREATE|DROP|ALTER|TRUNCATE|COPY)\b", re.IGNORECASE)


def _note_change(
    conn: Connection,
    _cursor: Any,
    statement: str,
    _parameters: Any,
    _context: Any,
    _executemany: bool,
) -> None:
    """Mark a write transaction that changes data (anything but :data:`BOOKKEEPING_TABLES`),
    so that :meth:`Database.begin` moves the data version on when it commits."""
    if not conn.get_execution_options().get(_WRITE) or conn.info.get(_CHANGED):
        return
    found = _WRITE_SQL.match(statement)
    if found is not None:
        if found.group(1).lower() not in BOOKKEEPING_TABLES:
            conn.info[_CHANGED] = True
    elif _OTHER_WRITE.match(statement):  # conservative: a CTE or DDL may change anything
        conn.info[_CHANGED] = True


def mark_changed(conn: Connection) -> None:
    """For writes that bypass SQLAlchemy (COPY, the driver's executemany), which
    :func:`_note_change` cannot see: the data version moves on at commit."""
    conn.info[_CHANGED] = True


def defer_write(conn: Connection, statement: Executable, params: dict[str, Any]) -> bool:
    """On a connection of :meth:`Database.read`: queue ``statement`` to run in a short write
    transaction once the read ends (True).  Elsewhere: False, and the caller executes it.

    This is how an audited read logs itself without holding SQLite's one write lock for the
    whole read (which made every reader wait for every other, and imports fail)."""
    pending = conn.get_execution_options().get(_DEFERRED)
    if pending is None:
        return False
    pending.append((statement, params))
    return True


class Database:
    """Owns the engine; hands out transactions.  One per process, passed down explicitly."""

    def __init__(
        self, url: str, *, echo: bool = False, create: bool = True, pool_size: int | None = None
    ) -> None:
        """``create=False`` (every command but `thbhub init`): a SQLite file that does not
        exist is refused instead of being created, with its directories, as an empty
        database."""
        try:
            parsed = make_url(url)
        except ArgumentError as exc:
            raise UserError(f"database URL {url!r} is not a valid SQLAlchemy URL") from exc
        self.url = parsed
        self.dialect = parsed.get_backend_name()
        if self.dialect not in ("sqlite", "postgresql"):
            raise UserError(
                f"database {self.dialect!r} is not supported: use sqlite:///PATH or "
                "postgresql+psycopg://USER@HOST/DB"
            )
        if self.dialect == "postgresql" and parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
            self.url = parsed
        kwargs: dict[str, Any] = {"echo": echo, "future": True}
        if pool_size is not None:
            # One connection per web worker thread, so that no request queues for one.
            kwargs["pool_size"] = pool_size
        if self.dialect == "sqlite":
            db_path = parsed.database
            if db_path and db_path != ":memory:" and not db_path.startswith("file:"):
                _check_sqlite_file(Path(db_path).expanduser(), self.display_url, create)
            kwargs["connect_args"] = {
                "check_same_thread": False,
                "timeout": BUSY_TIMEOUT_SECONDS,
            }
        else:
            kwargs["pool_pre_ping"] = True
        try:
            self.engine: Engine = create_engine(parsed, **kwargs)
        except NoSuchModuleError as exc:
            raise UserError(f"no driver for database URL {parsed.drivername!r}") from exc
        if self.dialect == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
            event.listen(self.engine, "connect", _disable_pysqlite_autobegin)
            event.listen(self.engine, "begin", _sqlite_begin)
        event.listen(self.engine, "before_cursor_execute", _note_change)
        # SQLite has one write lock per file: this process's writers take turns here, in
        # order, instead of polling the lock against each other (the busy handler sleeps
        # up to 100 ms between tries and lets a newcomer overtake a writer that waited).
        self._write_turn = threading.RLock() if self.dialect == "sqlite" else None
        self._versioned = False

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @property
    def display_url(self) -> str:
        return self.url.render_as_string(hide_password=True)

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """One write transaction: committed on success, rolled back on any exception.

        On SQLite it holds the database's one write lock from BEGIN to COMMIT, so keep it to
        writes (reads that must see the same state as the write belong in it too); a read
        that only logs itself is :meth:`read`.  Writers wait their turn (this process's in
        order, other processes' up to :data:`BUSY_TIMEOUT_SECONDS`), they do not fail.  A
        transaction that changed data moves the data version on (:meth:`data_version`)."""
        turn = self._write_turn or contextlib.nullcontext()
        try:
            with turn, self.engine.connect() as conn:
                conn.execution_options(**{_WRITE: True})
                conn.info.pop(_CHANGED, None)
                with conn.begin():
                    yield conn
                    if conn.info.pop(_CHANGED, False):
                        self._next_version(conn)
        except DatabaseError as exc:
            if (unavailable := self._unavailable(exc)) is None:
                raise
            raise unavailable from exc

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A connection for reads (runs in an implicit transaction that is rolled back)."""
        try:
            with self.engine.connect() as conn:
                yield conn
        except DatabaseError as exc:
            if (unavailable := self._unavailable(exc)) is None:
                raise
            raise unavailable from exc

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read that logs itself: one consistent read (SQLite: a deferred transaction,
        which takes no write lock and runs beside a writer in WAL mode), then the writes it
        queued with :func:`defer_write` (its audit entry) in a short write transaction of
        their own.  Should that write fail, the error propagates and the caller returns
        nothing: a read is never served unlogged."""
        pending: list[tuple[Executable, dict[str, Any]]] = []
        with self.connect() as conn:
            conn.execution_options(**{_DEFERRED: pending})
            try:
                yield conn
            finally:
                conn.execution_options(**{_DEFERRED: None})
        if pending:
            with self.begin() as conn:
                for statement, params in pending:
                    conn.execute(statement, params)

    def data_version(self) -> int | None:
        """A number that moves on with every committed change to the data pages are made of
        (any table but :data:`BOOKKEEPING_TABLES`), from this process or any other; None
        for a database without the table (not yet upgraded by `thbhub init`)."""
        try:
            with self.connect() as conn:
                return conn.execute(
                    text("SELECT version FROM hub_data_version WHERE id = 1")
                ).scalar_one_or_none()
        except DatabaseUnavailable:
            return None

    def _next_version(self, conn: Connection) -> None:
        if not self._versioned:
            # Checked until the table exists (`thbhub init` creates it in this process).
            self._versioned = inspect(conn).has_table("hub_data_version")
            if not self._versioned:
                return
        conn.execute(text("UPDATE hub_data_version SET version = version + 1 WHERE id = 1"))

    def check(self) -> None:
        """Connect once: a DatabaseUnavailable saying why if the database cannot be used
        (unreachable, not a database file), for callers that go to the engine directly."""
        with self.connect() as conn:
            conn.execute(text("SELECT 1"))

    def ping(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except OperationalError:
            return False
        except DatabaseError as exc:  # SQLite: "file is not a database", a damaged file
            if (unavailable := self._unavailable(exc)) is None:
                raise
            raise unavailable from exc

    def dispose(self) -> None:
        self.engine.dispose()

    def _unavailable(self, exc: DatabaseError) -> DatabaseUnavailable | None:
        """The database's own failure as a one-line message; None for an error about the
        statement (an integrity error, a ProgrammingError other than a missing table or
        column, PostgreSQL's way to say the schema is not the code's): that is the caller's
        to handle, or a bug in the hub, and propagates as such."""
        state = getattr(exc.orig, "sqlstate", None)
        if isinstance(exc, ProgrammingError) and state not in ("42P01", "42703"):
            return None
        if not isinstance(exc, OperationalError | ProgrammingError) and type(exc) is not (
            DatabaseError
        ):
            return None
        detail = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        if "no such table" in detail or state == "42P01":
            return DatabaseUnavailable(
                f"the database at {self.display_url} has no THB Hub schema: run `thbhub init`"
            )
        if "no such column" in detail or state == "42703":
            return DatabaseUnavailable(
                f"the database at {self.display_url} does not match this version of THB Hub "
                f"({detail}): back it up, then run `thbhub init` to upgrade it"
            )
        return DatabaseUnavailable(f"database {self.display_url}: {detail}")


#: The first 16 bytes of every SQLite database file.
_SQLITE_MAGIC = b"SQLite format 3\x00"


def _check_sqlite_file(path: Path, url: str, create: bool) -> None:
    """Refuse, before SQLite sees it, a path that is not a database file; create its
    directories only when asked to (``thbhub init``)."""
    if path.is_dir():
        raise DatabaseUnavailable(f"database {url}: {path} is a directory, not a database file")
    if not path.exists():
        if not create:
            raise DatabaseUnavailable(
                f"no database at {path}: run `thbhub init` to create it, "
                "or check --db / THBHUB_DATABASE_URL"
            )
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseUnavailable(
                f"database {url}: cannot create {path.parent} ({exc.strerror or exc})"
            ) from None
        return
    try:
        with path.open("rb") as fh:
            head = fh.read(len(_SQLITE_MAGIC))
    except OSError as exc:
        raise DatabaseUnavailable(f"database {url}: {exc.strerror or exc}") from None
    if head and head != _SQLITE_MAGIC:
        raise DatabaseUnavailable(
            f"database {url}: {path} is not a SQLite database file (is --db the right file?)"
        )


def _disable_pysqlite_autobegin(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None
