"""Tables of the reports (``thbhub.reports``): the editions made of each report."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Column, DateTime, Integer, String, Table, UniqueConstraint

from thbhub.storage.schema import metadata

# One row per edition of a report: which data version it was made from and when, and the
# headline figures the next edition compares itself with ("what changed").  Bookkeeping for
# the data version (storage.database.BOOKKEEPING_TABLES): making an edition changes no data,
# else every edition would be out of date the moment it was stored.
reports_editions = Table(
    "reports_editions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("report_key", String(220), nullable=False),
    Column("edition", Integer, nullable=False),
    Column("data_version", BigInteger, nullable=False),
    Column("made_at", DateTime(timezone=True), nullable=False),
    Column("figures", JSON, nullable=False),
    UniqueConstraint("report_key", "edition", name="uq_reports_editions_key_edition"),
)
