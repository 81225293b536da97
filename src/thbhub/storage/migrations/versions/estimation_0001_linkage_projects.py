"""Estimation: linkage projects, their members (opt-in) and per-record project linkage keys.

Revision ID: estimation_0001
Revises: 0001
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "estimation_0001"
down_revision = "0001"
branch_labels = ("estimation",)
# the keys point at case records
depends_on = "cases_0001"


def upgrade() -> None:
    op.create_table(
        "linkage_projects",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("purpose", sa.String(2000), nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(320), nullable=False),
    )
    op.create_table(
        "linkage_members",
        sa.Column("project_id", sa.Integer, sa.ForeignKey("linkage_projects.id"), primary_key=True),
        sa.Column(
            "organisation_id", sa.Integer, sa.ForeignKey("organisations.id"), primary_key=True
        ),
        sa.Column("opted_in_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opted_in_by", sa.String(320), nullable=False),
    )
    op.create_table(
        "linkage_keys",
        sa.Column("project_id", sa.Integer, sa.ForeignKey("linkage_projects.id"), primary_key=True),
        sa.Column(
            "record_id",
            sa.Integer,
            sa.ForeignKey("case_records.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("organisation_id", sa.Integer, sa.ForeignKey("organisations.id"), nullable=False),
        sa.Column("link_key", sa.String(64), nullable=False),
    )
    op.create_index(
        "ix_linkage_keys_project_org", "linkage_keys", ["project_id", "organisation_id"]
    )


def downgrade() -> None:
    for table in ("linkage_keys", "linkage_members", "linkage_projects"):
        op.drop_table(table)
