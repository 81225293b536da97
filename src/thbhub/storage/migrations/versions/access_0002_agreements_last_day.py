"""Access: a sharing agreement's ``valid_until`` is the last instant of its last day.

Agreements used to store the end of the day entered as the next midnight (exclusive), so
"until 2027-06-30" was listed and served as 2027-07-01.  The end is now the last instant of
the day entered (2027-06-30 23:59:59.999999 UTC, inclusive); existing rows move back by one
microsecond, which keeps the access they gave and fixes the date they show.

Revision ID: access_0002
Revises: access_0001
Create Date: 2026-11-28
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import sqlalchemy as sa
from alembic import op

revision = "access_0002"
down_revision = "access_0001"
branch_labels = None
depends_on = None

_agreements = sa.table(
    "sharing_agreements",
    sa.column("id", sa.Integer),
    sa.column("valid_until", sa.DateTime(timezone=True)),
)
_TICK = timedelta(microseconds=1)


def _shift(select_end: time, delta: timedelta) -> None:
    conn = op.get_bind()
    rows = conn.execute(sa.select(_agreements.c.id, _agreements.c.valid_until)).all()
    for agreement_id, until in rows:
        # SQLite returns naive values; every stored time is UTC.
        aware = until if until.tzinfo else until.replace(tzinfo=UTC)
        aware = aware.astimezone(UTC)
        if aware.time() != select_end:
            continue
        shifted: datetime = aware + delta
        conn.execute(
            sa.update(_agreements)
            .where(_agreements.c.id == agreement_id)
            .values(valid_until=shifted)
        )


def upgrade() -> None:
    _shift(time(0, 0), -_TICK)


def downgrade() -> None:
    _shift(time.max, _TICK)
