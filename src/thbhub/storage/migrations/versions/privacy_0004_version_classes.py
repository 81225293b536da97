"""Privacy: each kept version of the public tables also keeps its class structure.

The true count of every combination of the published dimensions (no identifiers), so that
a new version is audited against every kept one with records identified across versions
(privacy/versions.py).  Versions stored before have none (NULL) and are used as before:
only organisations whose records are unchanged (by their fingerprint) are modelled.

Revision ID: privacy_0004
Revises: privacy_0003
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "privacy_0004"
down_revision = "privacy_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("privacy_public_versions") as batch:
        batch.add_column(sa.Column("joint", sa.JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("privacy_public_versions") as batch:
        batch.drop_column("joint")
