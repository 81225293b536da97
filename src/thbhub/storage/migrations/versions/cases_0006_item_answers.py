"""Cases: multi-valued fields answered item by item (yes, no, or not recorded).

Until now a record kept, for forms, means of control, sectors and recruiter relations, the
concepts the source answered "yes" and one status for the whole field: a CTDC flag left
empty and one set to 0 both read as "no", and two source categories mapped to one concept
(``typeOfLabourAgriculture`` and ``typeOfLabourAquafarming`` -> ``sector:a``), or mapped to
none (``typeOfLabourOther``, ``isSexAndLabour``), were merged or lost.  This revision adds

* ``forms_no``, ``means_no``, ``sectors_no``, ``recruiter_no``: the concepts the source
  answered "no"; a concept in neither list was not recorded;
* ``answers``: the source's own items as it wrote them (CTDC flag column -> 1, 0 or -99).

Existing records get empty lists and ``{}``: what was answered "no" and what was left
empty was not kept, so it cannot be recovered from the stored rows.  Their "yes" lists and
field statuses stay; read item by item, their unlisted items are *not recorded* (never a
guessed "no"), and the CTDC export writes them as before (derived from the lists and
statuses).  Importing the file again (``--again``) stores them item by item.

Revision ID: cases_0006
Revises: cases_0005
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "cases_0006"
down_revision = "cases_0005"
branch_labels = None
depends_on = None

_LISTS = ("forms_no", "means_no", "sectors_no", "recruiter_no")


def upgrade() -> None:
    # Plain ADD COLUMN with a constant default on both backends (no table rebuild: on
    # SQLite a batch rebuild would copy every record).
    for name in _LISTS:
        op.add_column("case_records", sa.Column(name, sa.JSON, nullable=False, server_default="[]"))
    op.add_column(
        "case_records", sa.Column("answers", sa.JSON, nullable=False, server_default="{}")
    )


def downgrade() -> None:
    for name in ("answers", *reversed(_LISTS)):
        op.drop_column("case_records", name)
