"""Cases: an import is published as a whole; its records' state follows it.

``case_imports`` gets the ownership columns of every publishable object (``state``,
``state_changed_at``; it had ``organisation_id``) and the index on the organisation they
declare.  Existing imports become ``draft``, as their records already are: nothing is
published until its owner submits it and an admin publishes it (before this revision the
public gated tables counted every record of an organisation that opted in, drafts included).

Revision ID: cases_0005
Revises: cases_0004
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from thbhub.storage.schema_access import PUBLICATION_STATES

revision = "cases_0005"
down_revision = "cases_0004"
branch_labels = None
# None: the new columns refer to nothing of the access branch.  (A dependency on
# access_0001 would also drop it from the database's heads, and the schema version, the set
# of heads, would no longer match the code's.)
depends_on = None

_STATES = ", ".join(f"'{s}'" for s in PUBLICATION_STATES)


_CHECK = "ck_case_imports_publication_state"
_INDEX = "ix_case_imports_organisation_id"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # A batch rebuild would drop case_imports, which case_records' key refers to (refused
        # with foreign keys on, and they cannot be turned off inside the migration's
        # transaction); SQLite's ADD COLUMN takes a named CHECK constraint as it is.
        op.execute(
            "ALTER TABLE case_imports ADD COLUMN state VARCHAR(12) DEFAULT 'draft' NOT NULL "
            f"CONSTRAINT {_CHECK} CHECK (state IN ({_STATES}))"
        )
    else:
        op.add_column(
            "case_imports",
            sa.Column("state", sa.String(12), nullable=False, server_default="draft"),
        )
        op.create_check_constraint(op.f(_CHECK), "case_imports", f"state IN ({_STATES})")
    op.add_column("case_imports", sa.Column("state_changed_at", sa.DateTime(timezone=True)))
    op.create_index(op.f(_INDEX), "case_imports", ["organisation_id"])


def downgrade() -> None:
    op.drop_index(op.f(_INDEX), "case_imports")
    if op.get_bind().dialect.name == "sqlite":
        # SQLite drops a column together with a CHECK constraint of its own; no rebuild.
        op.execute("ALTER TABLE case_imports DROP COLUMN state")
    else:
        op.drop_constraint(op.f(_CHECK), "case_imports", "check")
        op.drop_column("case_imports", "state")
    op.drop_column("case_imports", "state_changed_at")
