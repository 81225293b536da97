"""Foundation: taxonomy, sources, organisations, audit log.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "concept_schemes",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("version", sa.String(32), nullable=False),
        sa.Column("titles", sa.JSON, nullable=False),
        sa.Column("descriptions", sa.JSON, nullable=False),
        sa.Column("sources", sa.JSON, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
    )
    op.create_table(
        "concepts",
        sa.Column("id", sa.String(128), primary_key=True),
        sa.Column("scheme_id", sa.String(64), sa.ForeignKey("concept_schemes.id"), nullable=False),
        sa.Column("label_en", sa.String(300), nullable=False),
        sa.Column("attributes", sa.JSON, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("deprecated", sa.Boolean, nullable=False),
    )
    op.create_index("ix_concepts_scheme", "concepts", ["scheme_id", "position"])
    op.create_table(
        "concept_texts",
        sa.Column("concept_id", sa.String(128), sa.ForeignKey("concepts.id"), primary_key=True),
        sa.Column("lang", sa.String(8), primary_key=True),
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("text", sa.Text, nullable=False),
    )
    op.create_table(
        "concept_links",
        sa.Column("concept_id", sa.String(128), sa.ForeignKey("concepts.id"), primary_key=True),
        sa.Column("relation", sa.String(16), primary_key=True),
        sa.Column("target_id", sa.String(128), sa.ForeignKey("concepts.id"), primary_key=True),
    )
    op.create_index("ix_concept_links_target", "concept_links", ["target_id", "relation"])
    op.create_table(
        "concept_mappings",
        sa.Column("source", sa.String(32), primary_key=True),
        sa.Column("code", sa.String(300), primary_key=True),
        sa.Column("concept_id", sa.String(128), sa.ForeignKey("concepts.id"), primary_key=True),
        sa.Column("relation", sa.String(16), nullable=False),
    )
    op.create_index("ix_concept_mappings_concept", "concept_mappings", ["concept_id"])
    op.create_table(
        "sources",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(100), nullable=False),
        sa.Column("publisher", sa.String(200), nullable=False),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("url", sa.String(1000)),
        sa.Column("licence", sa.String(300)),
        sa.Column("retrieved", sa.String(32)),
        sa.Column("version", sa.String(100)),
        sa.Column("checksum", sa.String(64), nullable=False),
        sa.Column("file_name", sa.String(300)),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("notes", sa.Text),
        sa.UniqueConstraint("key", "checksum", name="uq_sources_key_checksum"),
    )
    op.create_table(
        "organisations",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("country", sa.String(2)),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Integer),
        sa.Column("email", sa.String(320)),
        sa.Column("actor_organisation_id", sa.Integer),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("origin", sa.String(20), nullable=False),
        sa.Column("address", sa.String(64)),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("object_type", sa.String(60), nullable=False),
        sa.Column("object_id", sa.String(200)),
        sa.Column("organisation_id", sa.Integer),
        sa.Column("rows", sa.Integer),
        sa.Column("detail", sa.JSON, nullable=False),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])


def downgrade() -> None:
    for table in (
        "audit_log",
        "organisations",
        "sources",
        "concept_mappings",
        "concept_links",
        "concept_texts",
        "concepts",
        "concept_schemes",
    ):
        op.drop_table(table)
