"""Statistics: a dataset records the checksum of its data file alone.

A table imported through a mapping is the file *read through* the mapping: its source's
checksum covers both (a corrected mapping is a new reading, not "already imported"), so the
data file's own checksum is kept here, to tell a re-reading of the same file, whose earlier
readings it replaces wholesale, from a new release, which supersedes cell by cell.  Until now
every source's checksum was its data file's, which fills the column for existing rows.

Revision ID: stats_0002
Revises: stats_0001
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "stats_0002"
down_revision = "stats_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("stat_datasets", sa.Column("file_checksum", sa.String(64)))
    op.execute(
        "UPDATE stat_datasets SET file_checksum = "
        "(SELECT checksum FROM sources WHERE sources.id = stat_datasets.source_id)"
    )


def downgrade() -> None:
    with op.batch_alter_table("stat_datasets") as batch:
        batch.drop_column("file_checksum")
