"""Hub: the data version, one number moved on by every committed change to data (the web
server caches public pages per version).

Revision ID: hub_0001
Revises: 0001
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "hub_0001"
down_revision = "0001"
branch_labels = ("hub",)
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "hub_data_version",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("version", sa.BigInteger, nullable=False),
    )
    op.bulk_insert(table, [{"id": 1, "version": 0}])


def downgrade() -> None:
    op.drop_table("hub_data_version")
