"""Privacy: releases of case-record data and the privacy-budget ledger.

Revision ID: privacy_0001
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "privacy_0001"
down_revision = "0001"
branch_labels = ("privacy",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "privacy_releases",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("organisation_id", sa.Integer, sa.ForeignKey("organisations.id"), nullable=False),
        sa.Column("dataset", sa.String(200), nullable=False),
        sa.Column("method", sa.String(20), nullable=False),
        sa.Column("format", sa.String(20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(320)),
        sa.Column("parameters", sa.JSON, nullable=False),
        sa.Column("summary", sa.JSON, nullable=False),
        sa.Column("utility", sa.JSON, nullable=False),
        sa.Column("files", sa.JSON, nullable=False),
    )
    op.create_index("ix_privacy_releases_org", "privacy_releases", ["organisation_id", "dataset"])
    op.create_table(
        "privacy_ledger",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("organisation_id", sa.Integer, sa.ForeignKey("organisations.id"), nullable=False),
        sa.Column("dataset", sa.String(200), nullable=False),
        sa.Column("release_id", sa.Integer, sa.ForeignKey("privacy_releases.id"), nullable=False),
        sa.Column("epsilon", sa.Float, nullable=False),
        sa.Column("delta", sa.Float, nullable=False),
        sa.Column("spent_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_privacy_ledger_org", "privacy_ledger", ["organisation_id", "dataset"])


def downgrade() -> None:
    op.drop_table("privacy_ledger")
    op.drop_table("privacy_releases")
