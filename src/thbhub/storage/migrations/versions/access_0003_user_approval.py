"""Access: an account created by an administrator waits for its organisation's approval.

``users.created_by`` names who created the account (``cli:<login>`` for the operator);
``approved_at``/``approved_by`` say when and by whom the organisation (one of its
contributors, or the operator) let it read the organisation's data.  An account with no
``approved_at`` is *pending*: it may log in but reads and changes nothing of its
organisation.  Existing accounts were created before this rule and keep their access
(approved at their creation, ``approved_by = 'migration'``).

Revision ID: access_0003
Revises: access_0002
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "access_0003"
down_revision = "access_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("created_by", sa.String(320)))
        batch.add_column(sa.Column("approved_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("approved_by", sa.String(320)))
    users = sa.table(
        "users",
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("approved_at", sa.DateTime(timezone=True)),
        sa.column("approved_by", sa.String(320)),
    )
    op.execute(
        users.update()
        .where(users.c.approved_at.is_(None))
        .values(approved_at=users.c.created_at, approved_by="migration")
    )


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("approved_by")
        batch.drop_column("approved_at")
        batch.drop_column("created_by")
