"""Estimation: which filters of a linkage project's estimate the public may use.

A project declares at creation the dimensions its public estimate may be split by (year,
form, both or none); the disclosure gate protects that fixed set of tables together
(docs/estimation.md).  Existing projects keep the splits they offered before: both.

Revision ID: estimation_0002
Revises: estimation_0001
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "estimation_0002"
down_revision = "estimation_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("linkage_projects") as batch:
        batch.add_column(
            sa.Column("public_by", sa.String(40), nullable=False, server_default="year,form")
        )


def downgrade() -> None:
    with op.batch_alter_table("linkage_projects") as batch:
        batch.drop_column("public_by")
