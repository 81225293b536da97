"""Library: on PostgreSQL, each passage's tsvector stored (a generated column, ``fts_vector``,
kept by the database on every insert and update) with the GIN index on it, in place of the
expression index on ``to_tsvector('simple', text)``.  The expression index found the matching
passages, but ranking them (ts_rank) parsed the text of every match again: at 100,000
documents a common word took most of a second.  The column is filled for existing passages by
the ALTER TABLE.  Nothing changes on SQLite (FTS5 stores its index already).

Revision ID: library_0003
Revises: library_0002
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

revision = "library_0003"
down_revision = "library_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    op.execute(
        "ALTER TABLE library_passages ADD COLUMN fts_vector tsvector "
        "GENERATED ALWAYS AS (to_tsvector('simple', text)) STORED"
    )
    op.execute(
        "CREATE INDEX ix_library_passages_fts_vector ON library_passages USING gin (fts_vector)"
    )
    op.execute("DROP INDEX IF EXISTS ix_library_passages_fts")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    op.execute(
        "CREATE INDEX ix_library_passages_fts ON library_passages "
        "USING gin (to_tsvector('simple', text))"
    )
    op.execute("DROP INDEX ix_library_passages_fts_vector")
    op.execute("ALTER TABLE library_passages DROP COLUMN fts_vector")
