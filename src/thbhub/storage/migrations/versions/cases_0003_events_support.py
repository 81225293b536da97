"""Cases: HTCDS historic trafficking events and support plans, as JSON lists on the record.

Both sections are one-to-many with a case.  They are read and written with the record
(import, export, the owner's summary) and never queried alone, so a JSON list with a status
beside it, like the other multi-valued fields, keeps the import a single insert per record;
a child table would need the new records' ids back from the bulk insert (COPY on
PostgreSQL).  Existing records and formats without these sections (CTDC) get an empty list,
not recorded, from the server defaults.

Revision ID: cases_0003
Revises: cases_0002
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "cases_0003"
down_revision = "cases_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("case_records") as batch:
        batch.add_column(sa.Column("events", sa.JSON, nullable=False, server_default="[]"))
        batch.add_column(
            sa.Column("events_status", sa.String(16), nullable=False, server_default="not-recorded")
        )
        batch.add_column(sa.Column("support", sa.JSON, nullable=False, server_default="[]"))
        batch.add_column(
            sa.Column(
                "support_status", sa.String(16), nullable=False, server_default="not-recorded"
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("case_records") as batch:
        for name in ("support_status", "support", "events_status", "events"):
            batch.drop_column(name)
