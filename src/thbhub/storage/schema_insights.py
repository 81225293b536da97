"""Tables of the insights area: the published cells of the protected insight lattices."""

from __future__ import annotations

from sqlalchemy import JSON, Column, DateTime, ForeignKey, Index, Integer, String, Table, Text

from thbhub.storage.schema import metadata

# One row per audience ("public", or "org:<id>" for an organisation's own records) and
# lattice: the data version it was computed for (a keyed label) and either what it publishes
# (``cells``: every non-zero cell's published number or null when suppressed; never a true
# count) or why it was refused.  A new data version replaces the row.
insights_lattices = Table(
    "insights_lattices",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("audience", String(40), nullable=False),
    Column("organisation_id", Integer, ForeignKey("organisations.id", ondelete="CASCADE")),
    Column("name", String(60), nullable=False),
    Column("label", String(64), nullable=False),
    Column("computed_at", DateTime(timezone=True), nullable=False),
    Column("cells", JSON),
    Column("refused", Text),
    Index("ux_insights_lattices", "audience", "name", unique=True),
)
