"""Privacy: what each data version of the public tables published.

Revision ID: privacy_0003
Revises: privacy_0002
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "privacy_0003"
down_revision = "privacy_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "privacy_public_versions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("dataset", sa.String(200), nullable=False),
        sa.Column("label", sa.String(64), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cells", sa.JSON, nullable=False),
        sa.Column("organisations", sa.JSON, nullable=False),
    )
    op.create_index(
        "ux_privacy_public_versions", "privacy_public_versions", ["dataset", "label"], unique=True
    )


def downgrade() -> None:
    op.drop_index("ux_privacy_public_versions", table_name="privacy_public_versions")
    op.drop_table("privacy_public_versions")
