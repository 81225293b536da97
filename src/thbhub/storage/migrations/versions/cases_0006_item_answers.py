"""Cases: multi-valued fields answered item by item (yes, no, or not recorded).

Until now a record kept, for forms, means of control, sectors and recruiter relations, the
concepts the source answered "yes" and one status for the whole field: a CTDC flag left
empty and one set to 0 both read as "no", and two source categories mapped to one concept
(``typeOfLabourAgriculture`` and ``typeOfLabourAquafarming`` -> ``sector:a``), or mapped to
none (``typeOfLabourOther``, ``isSexAndLabour``), were merged or lost.  This revision adds

* ``forms_no``, ``means_no``, ``sectors_no``, ``recruiter_no``: the concepts the source
  answered "no"; a concept in neither list was not recorded;
* ``answers``: the source's own items as it wrote them (CTDC flag column -> 1, 0 or -99).

Existing records:

* HTCDS: recovered.  A multi-select lists what applies and the record keeps the value names
  it listed (``extra``), so the "no" lists are rebuilt from them as the reader builds them
  (:func:`thbhub.cases.htcds.answered_no`).
* CTDC: not recoverable.  Whether an item was answered "no" or left empty was never
  stored, so they get empty lists and ``{}``: their "yes" lists and field statuses stay;
  read item by item, their unlisted items are *not recorded* (never a guessed "no").  Each
  is flagged ``answers-before-cases-0006`` (:data:`OLD_ANSWERS`), which tells the CTDC
  export to derive its flags from the lists and statuses as before (a record stored since
  writes back its own answers, even when it has none).  Importing the file again
  (``--again``) stores them item by item.

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
#: The data-quality flag of a CTDC record stored before this revision (cases/export.py).
OLD_ANSWERS = "answers-before-cases-0006"


def upgrade() -> None:
    # Plain ADD COLUMN with a constant default on both backends (no table rebuild: on
    # SQLite a batch rebuild would copy every record).
    for name in _LISTS:
        op.add_column("case_records", sa.Column(name, sa.JSON, nullable=False, server_default="[]"))
    op.add_column(
        "case_records", sa.Column("answers", sa.JSON, nullable=False, server_default="{}")
    )
    _recover_htcds(op.get_bind())
    _flag_ctdc(op.get_bind())


def _flag_ctdc(conn: sa.Connection) -> None:
    records = sa.table(
        "case_records",
        sa.column("id", sa.Integer),
        sa.column("source_format", sa.String),
        sa.column("flags", sa.JSON),
    )
    rows = conn.execute(
        sa.select(records.c.id, records.c.flags).where(records.c.source_format.like("ctdc%"))
    ).all()
    updates = [{"record": i, "new_flags": [*(flags or []), OLD_ANSWERS]} for i, flags in rows]
    if updates:
        conn.execute(
            sa.update(records)
            .where(records.c.id == sa.bindparam("record"))
            .values(flags=sa.bindparam("new_flags", type_=sa.JSON)),
            updates,
        )


def _recover_htcds(conn: sa.Connection) -> None:
    from thbhub.cases.htcds import answered_no
    from thbhub.cases.vocab import Vocab

    records = sa.table(
        "case_records",
        sa.column("id", sa.Integer),
        sa.column("source_format", sa.String),
        *[sa.column(name, sa.JSON) for name in ("extra", "forms", "means", "sectors", "recruiter")],
        *[sa.column(name, sa.JSON) for name in _LISTS],
    )
    rows = (
        conn.execute(
            sa.select(
                records.c.id,
                records.c.extra,
                records.c.forms,
                records.c.means,
                records.c.sectors,
                records.c.recruiter,
            ).where(records.c.source_format == "htcds")
        )
        .mappings()
        .all()
    )
    vocab: Vocab | None = None
    updates = []
    for row in rows:
        vocab = vocab or Vocab.load(conn)
        no = answered_no(row["extra"] or {}, dict(row), vocab)
        if no:
            lists = {**dict.fromkeys(_LISTS, []), **no}
            updates.append({"record": row["id"], **{f"new_{k}": v for k, v in lists.items()}})
    if updates:
        conn.execute(
            sa.update(records)
            .where(records.c.id == sa.bindparam("record"))
            .values({name: sa.bindparam(f"new_{name}", type_=sa.JSON) for name in _LISTS}),
            updates,
        )


def downgrade() -> None:
    for name in ("answers", *reversed(_LISTS)):
        op.drop_column("case_records", name)
