"""Tables of the reports' narrative (``thbhub.reports.narrative``): an analyst's text blocks
per report section, every version kept.

A block's current text is its highest version; each edit, publication and withdrawal adds a
version (``action``), so the history is the versions table read in order.  Nothing is
deleted: withdrawing sets ``state`` and adds a version.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from thbhub.storage.schema import metadata

#: The states of a block: only ``published`` text is read by everyone.
TEXT_STATES: tuple[str, ...] = ("draft", "published", "withdrawn")

report_texts = Table(
    "report_texts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("report_key", String(120), nullable=False),  # country:LV | region | topic:... | review
    Column("section", String(40), nullable=False),
    Column("position", Integer, nullable=False),
    Column("organisation_id", Integer, ForeignKey("organisations.id"), nullable=False),
    Column(
        "state",
        String(12),
        CheckConstraint("state IN ('draft', 'published', 'withdrawn')", name="report_text_state"),
        nullable=False,
    ),
    Column("version", Integer, nullable=False),  # the current (highest) version
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_report_texts_place", "report_key", "section"),
)

report_text_versions = Table(
    "report_text_versions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("text_id", Integer, ForeignKey("report_texts.id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("action", String(12), nullable=False),  # create | edit | publish | withdraw | move
    Column("state", String(12), nullable=False),  # the block's state after this version
    Column("markdown", Text, nullable=False),
    # {placeholder key: Figure.as_dict()} as resolved when the text was written
    Column("figures", JSON, nullable=False),
    Column("author", String(320)),
    Column("author_user_id", Integer),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("data_version", BigInteger),
    UniqueConstraint("text_id", "version", name="uq_report_text_versions_version"),
)
