"""Reports: the analysts' narrative text blocks per report section, every version kept.

Revision ID: reports_0001
Revises: 0001
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "reports_0001"
down_revision = "0001"
branch_labels = ("reports",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_texts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("report_key", sa.String(120), nullable=False),
        sa.Column("section", sa.String(40), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("organisation_id", sa.Integer, sa.ForeignKey("organisations.id"), nullable=False),
        sa.Column(
            "state",
            sa.String(12),
            sa.CheckConstraint(
                "state IN ('draft', 'published', 'withdrawn')", name="report_text_state"
            ),
            nullable=False,
        ),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_report_texts_place", "report_texts", ["report_key", "section"])
    op.create_table(
        "report_text_versions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("text_id", sa.Integer, sa.ForeignKey("report_texts.id"), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("action", sa.String(12), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("markdown", sa.Text, nullable=False),
        sa.Column("figures", sa.JSON, nullable=False),
        sa.Column("author", sa.String(320)),
        sa.Column("author_user_id", sa.Integer),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data_version", sa.BigInteger),
        sa.UniqueConstraint("text_id", "version", name="uq_report_text_versions_version"),
    )


def downgrade() -> None:
    op.drop_table("report_text_versions")
    op.drop_index("ix_report_texts_place", "report_texts")
    op.drop_table("report_texts")
