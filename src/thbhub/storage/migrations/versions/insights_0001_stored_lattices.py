"""Insights: the published cells of the protected insight lattices, per data version and
audience (computed once, read after a restart).

Revision ID: insights_0001
Revises: 0001
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "insights_0001"
down_revision = "0001"
branch_labels = ("insights",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "insights_lattices",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("audience", sa.String(40), nullable=False),
        sa.Column(
            "organisation_id",
            sa.Integer,
            sa.ForeignKey("organisations.id", ondelete="CASCADE"),
        ),
        sa.Column("name", sa.String(60), nullable=False),
        sa.Column("label", sa.String(64), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cells", sa.JSON),
        sa.Column("refused", sa.Text),
    )
    op.create_index("ux_insights_lattices", "insights_lattices", ["audience", "name"], unique=True)


def downgrade() -> None:
    op.drop_index("ux_insights_lattices", table_name="insights_lattices")
    op.drop_table("insights_lattices")
