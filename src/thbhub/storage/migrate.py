"""Create or upgrade the schema with Alembic, programmatically (no alembic.ini needed).

Each area of the hub (statistics, access, cases, ...) keeps its migrations on a branch of
its own that starts from the foundation revision, so areas evolve independently; upgrading
means bringing every branch to its head.  A schema "version" is therefore the sorted set of
heads, written joined by '+'.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from thbhub.storage.database import Database

_MIGRATIONS = Path(__file__).parent / "migrations"


def _config(db: Database | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    if db is not None:
        cfg.attributes["database"] = db
    return cfg


def _version(heads: tuple[str, ...] | list[str]) -> str | None:
    return "+".join(sorted(heads)) or None


def current_revision(db: Database) -> str | None:
    with db.engine.connect() as conn:
        return _version(MigrationContext.configure(conn).get_current_heads())


def latest_revision() -> str:
    return _version(ScriptDirectory.from_config(_config()).get_heads()) or ""


def upgrade(db: Database) -> tuple[str | None, str]:
    """Upgrade every branch to its head; returns (version before, version after)."""
    before = current_revision(db)
    command.upgrade(_config(db), "heads")
    return before, latest_revision()
