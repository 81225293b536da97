"""Privacy: organisations' opt-in to publishing gated aggregates of a dataset.

Revision ID: privacy_0002
Revises: privacy_0001
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "privacy_0002"
down_revision = "privacy_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "privacy_publications",
        sa.Column(
            "organisation_id", sa.Integer, sa.ForeignKey("organisations.id"), primary_key=True
        ),
        sa.Column("dataset", sa.String(200), primary_key=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_by", sa.String(320)),
    )


def downgrade() -> None:
    op.drop_table("privacy_publications")
