"""Reports: the editions made of each report (data version, time, headline figures).

Revision ID: reports_0002
Revises: reports_0001
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "reports_0002"
down_revision = "reports_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reports_editions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("report_key", sa.String(220), nullable=False),
        sa.Column("edition", sa.Integer, nullable=False),
        sa.Column("data_version", sa.BigInteger, nullable=False),
        sa.Column("made_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("figures", sa.JSON, nullable=False),
        sa.UniqueConstraint("report_key", "edition", name="uq_reports_editions_key_edition"),
    )


def downgrade() -> None:
    op.drop_table("reports_editions")
