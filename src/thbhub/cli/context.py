"""What every command shares: the settings and database chosen by --db, built once."""

from __future__ import annotations

from dataclasses import dataclass, field

import typer

from thbhub.settings import Settings, build_settings, ensure_secret_key
from thbhub.storage import Database


@dataclass
class CliState:
    db_url: str | None = None
    _base: Settings | None = field(default=None, repr=False)
    _settings: Settings | None = field(default=None, repr=False)
    _db: Database | None = field(default=None, repr=False)

    def check_settings(self) -> Settings:
        """The settings from --db and THBHUB_* variables, checked: every command calls this
        first, so a bad variable is one line naming it whatever the command."""
        if self._base is None:
            self._base = build_settings(database_url=self.db_url)
        return self._base

    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = ensure_secret_key(self.check_settings())
        return self._settings

    def db(self, *, create: bool = False) -> Database:
        """The database --db names.  Only `thbhub init` passes ``create``: every other
        command refuses a SQLite file that is not there instead of creating an empty one."""
        if self._db is None:
            # check_settings, not settings: reading a database needs no secret key file.
            self._db = Database(self.check_settings().resolved_database_url, create=create)
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.dispose()


def state(ctx: typer.Context) -> CliState:
    root = ctx.find_root()
    if not isinstance(root.obj, CliState):
        root.obj = CliState()
    return root.obj
