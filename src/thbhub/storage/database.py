"""A database handle built from a URL, for SQLite (embedded) and PostgreSQL (server).

Dialect differences live here and in the query modules of this package, nowhere else.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError, ProgrammingError

from thbhub.domain.errors import DatabaseUnavailable, UserError


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the web server read while an import writes; foreign keys are off by default
    # in SQLite and every integrity rule here relies on them.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
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


class Database:
    """Owns the engine; hands out transactions.  One per process, passed down explicitly."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
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
        if self.dialect == "sqlite":
            db_path = parsed.database
            if db_path and db_path != ":memory:":
                Path(db_path).expanduser().parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
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

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @property
    def display_url(self) -> str:
        return self.url.render_as_string(hide_password=True)

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """One transaction: committed on success, rolled back on any exception."""
        try:
            with self.engine.connect() as conn:
                conn.execution_options(**{_WRITE: True})
                with conn.begin():
                    yield conn
        except (OperationalError, ProgrammingError) as exc:
            if (unavailable := self._unavailable(exc)) is None:
                raise
            raise unavailable from exc

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A connection for reads (runs in an implicit transaction that is rolled back)."""
        try:
            with self.engine.connect() as conn:
                yield conn
        except (OperationalError, ProgrammingError) as exc:
            if (unavailable := self._unavailable(exc)) is None:
                raise
            raise unavailable from exc

    def ping(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except OperationalError:
            return False

    def dispose(self) -> None:
        self.engine.dispose()

    def _unavailable(self, exc: OperationalError | ProgrammingError) -> DatabaseUnavailable | None:
        """The database's own failure as a one-line message; None for a ProgrammingError
        other than a missing table or column (PostgreSQL's way to say the schema is not the
        code's): that is a bug in the hub and propagates as such."""
        state = getattr(exc.orig, "sqlstate", None)
        if isinstance(exc, ProgrammingError) and state not in ("42P01", "42703"):
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


def _disable_pysqlite_autobegin(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None
