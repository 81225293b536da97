"""Case records: imports, records, quarantine.

Revision ID: cases_0001
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "cases_0001"
down_revision = "0001"
branch_labels = ("cases",)
depends_on = None


def _status(name: str) -> sa.Column:  # type: ignore[type-arg,unused-ignore]
    return sa.Column(name, sa.String(16), nullable=False)


def upgrade() -> None:
    op.create_table(
        "case_imports",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("organisation_id", sa.Integer, sa.ForeignKey("organisations.id"), nullable=False),
        sa.Column("file_name", sa.String(300), nullable=False),
        sa.Column("format", sa.String(20), nullable=False),
        sa.Column("checksum", sa.String(64), nullable=False),
        sa.Column("rows_read", sa.Integer, nullable=False),
        sa.Column("rows_stored", sa.Integer, nullable=False),
        sa.Column("rows_quarantined", sa.Integer, nullable=False),
        sa.Column("imported_by", sa.String(320)),
        sa.Column("options", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "case_records",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("organisation_id", sa.Integer, sa.ForeignKey("organisations.id"), nullable=False),
        sa.Column("import_id", sa.Integer, sa.ForeignKey("case_imports.id"), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("source_format", sa.String(20), nullable=False),
        sa.Column("source_row", sa.Integer, nullable=False),
        sa.Column("source_ref", sa.String(100)),
        sa.Column("person_key", sa.String(64)),
        sa.Column("year", sa.Integer),
        _status("year_status"),
        sa.Column("sex", sa.String(128)),
        _status("sex_status"),
        sa.Column("age", sa.String(128)),
        _status("age_status"),
        sa.Column("age_years", sa.Integer),
        sa.Column("citizenship", sa.String(128)),
        _status("citizenship_status"),
        sa.Column("country", sa.String(128)),
        _status("country_status"),
        sa.Column("forms", sa.JSON, nullable=False),
        _status("forms_status"),
        sa.Column("means", sa.JSON, nullable=False),
        _status("means_status"),
        sa.Column("sectors", sa.JSON, nullable=False),
        _status("sectors_status"),
        sa.Column("recruiter", sa.JSON, nullable=False),
        _status("recruiter_status"),
        sa.Column("identification", sa.String(20)),
        _status("identification_status"),
        sa.Column("referral", sa.JSON, nullable=False),
        sa.Column("extra", sa.JSON, nullable=False),
        sa.Column("free_text", sa.JSON, nullable=False),
        sa.Column("flags", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_case_records_org_year", "case_records", ["organisation_id", "year"])
    op.create_index("ix_case_records_person", "case_records", ["organisation_id", "person_key"])
    op.create_table(
        "case_quarantine",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("organisation_id", sa.Integer, sa.ForeignKey("organisations.id"), nullable=False),
        sa.Column("import_id", sa.Integer, sa.ForeignKey("case_imports.id"), nullable=False),
        sa.Column("source_format", sa.String(20), nullable=False),
        sa.Column("source_row", sa.Integer, nullable=False),
        sa.Column("person_key", sa.String(64)),
        sa.Column("cells", sa.JSON, nullable=False),
        sa.Column("problems", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_case_quarantine_org", "case_quarantine", ["organisation_id", "resolved_at"])


def downgrade() -> None:
    for table in ("case_quarantine", "case_records", "case_imports"):
        op.drop_table(table)
