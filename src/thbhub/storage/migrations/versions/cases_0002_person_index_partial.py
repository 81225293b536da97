"""Cases: the person-key index covers only records that have a person key.

Files without direct identifiers (the CTDC datasets) give every record a NULL key; indexing
those rows cost every such import time and space for lookups that never happen.

Revision ID: cases_0002
Revises: cases_0001
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "cases_0002"
down_revision = "cases_0001"
branch_labels = None
depends_on = None

_HAS_KEY = sa.text("person_key IS NOT NULL")


def upgrade() -> None:
    op.drop_index("ix_case_records_person", table_name="case_records")
    op.create_index(
        "ix_case_records_person",
        "case_records",
        ["organisation_id", "person_key"],
        sqlite_where=_HAS_KEY,
        postgresql_where=_HAS_KEY,
    )


def downgrade() -> None:
    op.drop_index("ix_case_records_person", table_name="case_records")
    op.create_index("ix_case_records_person", "case_records", ["organisation_id", "person_key"])
