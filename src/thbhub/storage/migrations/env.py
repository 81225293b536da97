"""Alembic environment: runs against the Database passed in by thbhub.storage.migrate."""

from __future__ import annotations

from alembic import context

from thbhub.storage.schema import metadata

config = context.config
database = config.attributes["database"]

with database.engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=database.is_sqlite,  # SQLite alters tables by copying them
    )
    context.run_migrations()
