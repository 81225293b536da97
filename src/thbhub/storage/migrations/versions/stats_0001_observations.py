"""Statistics: imported datasets and observations.

Revision ID: stats_0001
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "stats_0001"
down_revision = "0001"
branch_labels = ("stats",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stat_datasets",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "source_id", sa.Integer, sa.ForeignKey("sources.id"), nullable=False, unique=True
        ),
        sa.Column("source_key", sa.String(100), nullable=False),
        sa.Column("importer", sa.String(40), nullable=False),
        sa.Column("file_name", sa.String(300), nullable=False),
        sa.Column("version", sa.String(100)),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rows_read", sa.Integer, nullable=False),
        sa.Column("rows_stored", sa.Integer, nullable=False),
        sa.Column("summary", sa.JSON, nullable=False),
    )
    op.create_index("ix_stat_datasets_key", "stat_datasets", ["source_key"])
    op.create_table(
        "observations",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        # No foreign key (see schema_stats.observations): one check per row on PostgreSQL.
        sa.Column("dataset_id", sa.Integer, nullable=False),
        sa.Column("source_key", sa.String(100), nullable=False),
        sa.Column("indicator", sa.String(64), nullable=False),
        sa.Column("country", sa.String(64), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("sex", sa.String(128), nullable=False),
        sa.Column("age", sa.String(128), nullable=False),
        sa.Column("form", sa.String(128), nullable=False),
        sa.Column("citizenship", sa.String(128), nullable=False),
        sa.Column("extra", sa.String(300), nullable=False),
        sa.Column("value", sa.Float),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("lower", sa.Float),
        sa.Column("upper", sa.Float),
        sa.Column("flags", sa.String(200), nullable=False),
        sa.Column("label", sa.String(500), nullable=False),
        sa.Column("sheet", sa.String(100)),
        sa.Column("source_row", sa.Integer),
        sa.Column("current", sa.Boolean, nullable=False),
    )
    op.create_index(
        "ix_observations_query", "observations", ["indicator", "country", "form", "year"]
    )


def downgrade() -> None:
    op.drop_table("observations")
    op.drop_table("stat_datasets")
