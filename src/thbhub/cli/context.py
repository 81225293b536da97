"""What every command shares: the settings and database chosen by --db, built once."""

from __future__ import annotations

from dataclasses import dataclass, field

import typer

from thbhub.hub import open_database
from thbhub.settings import Settings, build_settings, ensure_secret_key
from thbhub.storage import Database


@dataclass
class CliState:
    db_url: str | None = None
    _settings: Settings | None = field(default=None, repr=False)
    _db: Database | None = field(default=None, repr=False)

    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = ensure_secret_key(build_settings(database_url=self.db_url))
        return self._settings

    def db(self) -> Database:
        if self._db is None:
            self._db = open_database(self.settings())
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.dispose()


def state(ctx: typer.Context) -> CliState:
    root = ctx.find_root()
    if not isinstance(root.obj, CliState):
        root.obj = CliState()
    return root.obj
