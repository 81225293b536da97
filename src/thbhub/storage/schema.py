"""Table definitions used by queries.  Alembic migrations in ``migrations/`` create them.

Each area of the hub adds its tables in a module of its own (``schema_*.py``) on the same
:data:`metadata`, and a migration that creates them.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

#: Integer keys are 32-bit on both backends; a larger id can name no row.
MAX_ID = 2**31 - 1

# Deterministic constraint names keep migrations identical on SQLite and PostgreSQL.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

concept_schemes = Table(
    "concept_schemes",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("version", String(32), nullable=False),
    Column("titles", JSON, nullable=False),
    Column("descriptions", JSON, nullable=False),
    Column("sources", JSON, nullable=False),
    Column("position", Integer, nullable=False, default=0),
)

concepts = Table(
    "concepts",
    metadata,
    Column("id", String(128), primary_key=True),
    Column("scheme_id", String(64), ForeignKey("concept_schemes.id"), nullable=False),
    Column("label_en", String(300), nullable=False),
    Column("attributes", JSON, nullable=False),
    Column("position", Integer, nullable=False, default=0),
    # A concept dropped from the data files stays, deprecated, so that stored rows tagged
    # with it keep their meaning; ids are never reused.
    Column("deprecated", Boolean, nullable=False, default=False),
    Index("ix_concepts_scheme", "scheme_id", "position"),
)

concept_texts = Table(
    "concept_texts",
    metadata,
    Column("concept_id", String(128), ForeignKey("concepts.id"), primary_key=True),
    Column("lang", String(8), primary_key=True),
    # pref: the label; alt: a synonym; definition: the scope note
    Column("kind", String(16), primary_key=True),
    Column("seq", Integer, primary_key=True, default=0),
    Column("text", Text, nullable=False),
)

concept_links = Table(
    "concept_links",
    metadata,
    Column("concept_id", String(128), ForeignKey("concepts.id"), primary_key=True),
    Column("relation", String(16), primary_key=True),  # broader | related
    Column("target_id", String(128), ForeignKey("concepts.id"), primary_key=True),
    Index("ix_concept_links_target", "target_id", "relation"),
)

concept_mappings = Table(
    "concept_mappings",
    metadata,
    Column("source", String(32), primary_key=True),
    Column("code", String(300), primary_key=True),
    Column("concept_id", String(128), ForeignKey("concepts.id"), primary_key=True),
    Column("relation", String(16), nullable=False),
    Index("ix_concept_mappings_concept", "concept_id"),
)

sources = Table(
    "sources",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(100), nullable=False),  # e.g. unodc-glotip
    Column("publisher", String(200), nullable=False),
    Column("title", String(500), nullable=False),
    Column("url", String(1000)),
    Column("licence", String(300)),
    Column("retrieved", String(32)),  # ISO date as the publisher stamped or we fetched it
    Column("version", String(100)),
    Column("checksum", String(64), nullable=False),  # sha256 of the file as received
    Column("file_name", String(300)),
    Column("registered_at", DateTime(timezone=True), nullable=False),
    Column("notes", Text),
    UniqueConstraint("key", "checksum", name="uq_sources_key_checksum"),
)

organisations = Table(
    "organisations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("country", String(2)),
    Column("kind", String(20), nullable=False),  # agency | ngo | secretariat | partner
    Column("created_at", DateTime(timezone=True), nullable=False),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    # No foreign keys: the log outlives the users and organisations it mentions.
    Column("user_id", Integer),
    Column("email", String(320)),
    Column("actor_organisation_id", Integer),
    Column("role", String(20), nullable=False),
    Column("origin", String(20), nullable=False),
    Column("address", String(64)),
    Column("action", String(40), nullable=False),  # read | export | create | update | delete ...
    Column("object_type", String(60), nullable=False),
    Column("object_id", String(200)),
    Column("organisation_id", Integer),  # whose data was touched
    Column("rows", Integer),
    Column("detail", JSON, nullable=False),
    Index("ix_audit_log_at", "at"),
)

# One row: a number that every committed change to data moves on (thbhub.storage.database:
# Database.begin), so a server can tell in one cheap read whether what it rendered is current.
hub_data_version = Table(
    "hub_data_version",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("version", BigInteger, nullable=False),
)
