"""Tables of the statistics area: imported datasets and their observations."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
)

from thbhub.storage.schema import metadata

# One row per imported file (one version of one source).
stat_datasets = Table(
    "stat_datasets",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source_id", Integer, ForeignKey("sources.id"), nullable=False, unique=True),
    Column("source_key", String(100), nullable=False),
    Column("importer", String(40), nullable=False),
    Column("file_name", String(300), nullable=False),
    Column("version", String(100)),
    # sha256 of the data file alone; a mapped table's source checksum also covers its
    # mapping (migration stats_0002).
    Column("file_checksum", String(64)),
    Column("imported_at", DateTime(timezone=True), nullable=False),
    Column("rows_read", Integer, nullable=False),
    Column("rows_stored", Integer, nullable=False),
    Column("summary", JSON, nullable=False),
    Index("ix_stat_datasets_key", "source_key"),
)

# One row per cell.  Dimensions hold taxonomy concept ids, or 'total'.  `extra` holds any
# further dimension a source brings as 'key=value;key=value' ('' = the total of all of them).
# `current` is true for the cell of the latest release of its source that reports it, so
# queries read one flag and older releases stay queryable by dataset.
observations = Table(
    "observations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # No foreign key: PostgreSQL checks one per inserted row, a quarter of the cost of
    # loading GLOTIP (measured).  stats.store writes the dataset row and its observations in
    # the same transaction, and datasets are never deleted, so the reference always holds.
    Column("dataset_id", Integer, nullable=False),
    Column("source_key", String(100), nullable=False),
    Column("indicator", String(64), nullable=False),
    Column("country", String(64), nullable=False),
    Column("year", Integer, nullable=False),
    Column("sex", String(128), nullable=False),
    Column("age", String(128), nullable=False),
    Column("form", String(128), nullable=False),
    Column("citizenship", String(128), nullable=False),
    Column("extra", String(300), nullable=False),
    Column("value", Float),
    Column("status", String(16), nullable=False),
    Column("lower", Float),
    Column("upper", Float),
    Column("flags", String(200), nullable=False),
    Column("label", String(500), nullable=False),  # the source's own codes for this cell
    Column("sheet", String(100)),
    Column("source_row", Integer),
    Column("current", Boolean, nullable=False),
    # A cell is unique per dataset (stats.store sums repeated keys before writing); no
    # unique index, since one on nine columns doubles the cost of every import.  One index
    # serves queries, rates and superseding; every extra index slows each import.
    Index("ix_observations_query", "indicator", "country", "form", "year"),
)
