"""Cases: one composite foreign key from a record to its import and organisation.

Before, a record had two foreign keys, to its organisation and to its import, and nothing
said the two agreed.  ``(import_id, organisation_id) -> case_imports (id, organisation_id)``
says it, and is one check per inserted row instead of two (PostgreSQL runs each as a
trigger).  The organisation exists because the import's own key says so.

SQLite cannot alter constraints: the table is rebuilt (batch mode) and the partial person
index re-created as it was.

Revision ID: cases_0004
Revises: cases_0003
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "cases_0004"
down_revision = "cases_0003"
branch_labels = None
depends_on = None

# cases_0001's keys, named by the metadata's naming convention on both backends
_OLD_ORG = "fk_case_records_organisation_id_organisations"
_OLD_IMPORT = "fk_case_records_import_id_case_imports"
_HAS_KEY = sa.text("person_key IS NOT NULL")


def upgrade() -> None:
    op.create_index(
        "uq_case_imports_id_org", "case_imports", ["id", "organisation_id"], unique=True
    )
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("case_records", recreate="always") as batch:
            batch.drop_constraint(_OLD_ORG, "foreignkey")
            batch.drop_constraint(_OLD_IMPORT, "foreignkey")
            batch.create_foreign_key(
                "fk_case_records_import_organisation",
                "case_imports",
                ["import_id", "organisation_id"],
                ["id", "organisation_id"],
            )
        _person_index()
    else:
        op.drop_constraint(_OLD_ORG, "case_records", "foreignkey")
        op.drop_constraint(_OLD_IMPORT, "case_records", "foreignkey")
        op.create_foreign_key(
            "fk_case_records_import_organisation",
            "case_records",
            "case_imports",
            ["import_id", "organisation_id"],
            ["id", "organisation_id"],
        )


def _person_index() -> None:
    # The rebuild re-creates indexes from reflection, which does not carry the WHERE.
    op.execute("DROP INDEX IF EXISTS ix_case_records_person")
    op.create_index(
        "ix_case_records_person",
        "case_records",
        ["organisation_id", "person_key"],
        sqlite_where=_HAS_KEY,
        postgresql_where=_HAS_KEY,
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("case_records", recreate="always") as batch:
            batch.drop_constraint("fk_case_records_import_organisation", "foreignkey")
            batch.create_foreign_key(_OLD_ORG, "organisations", ["organisation_id"], ["id"])
            batch.create_foreign_key(_OLD_IMPORT, "case_imports", ["import_id"], ["id"])
        _person_index()
    else:
        op.drop_constraint("fk_case_records_import_organisation", "case_records", "foreignkey")
        op.create_foreign_key(
            _OLD_ORG, "case_records", "organisations", ["organisation_id"], ["id"]
        )
        op.create_foreign_key(_OLD_IMPORT, "case_records", "case_imports", ["import_id"], ["id"])
    op.drop_index("uq_case_imports_id_org", table_name="case_imports")
