"""Library: documents, passages with page numbers, taxonomy tags with evidence, near-duplicate
links, and the full-text index (SQLite FTS5 / PostgreSQL GIN on to_tsvector('simple')).

Revision ID: library_0001
Revises: 0001
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "library_0001"
down_revision = "0001"
branch_labels = ("library",)
depends_on = None


def _cascade(name: str) -> sa.Column:
    return sa.Column(
        name, sa.Integer, sa.ForeignKey("library_documents.id", ondelete="CASCADE"), nullable=False
    )


def upgrade() -> None:
    op.create_table(
        "library_documents",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("organisation_id", sa.Integer, sa.ForeignKey("organisations.id")),
        sa.Column("checksum", sa.String(64), nullable=False),
        sa.Column("file_name", sa.String(300), nullable=False),
        sa.Column("record", sa.Integer),
        sa.Column("media_type", sa.String(20), nullable=False),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("doc_type", sa.String(64), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("country", sa.String(64)),
        sa.Column("published", sa.String(10)),
        sa.Column("year", sa.Integer),
        sa.Column("url", sa.String(1000)),
        sa.Column("licence", sa.String(200)),
        sa.Column("access", sa.String(10), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("pages", sa.Integer),
        sa.Column("chars", sa.Integer, nullable=False),
        sa.Column("minhash", sa.JSON, nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("imported_by", sa.Integer),
    )
    op.create_index("ix_library_documents_checksum", "library_documents", ["checksum"])
    op.create_index(
        "ix_library_documents_organisation_id", "library_documents", ["organisation_id"]
    )
    op.create_table(
        "library_passages",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _cascade("document_id"),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("page", sa.Integer),
        sa.Column("text", sa.Text, nullable=False),
    )
    op.create_index("ix_library_passages_document_id", "library_passages", ["document_id"])
    op.create_table(
        "library_tags",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _cascade("document_id"),
        sa.Column("concept_id", sa.String(128), nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("evidence", sa.Text, nullable=False),
        sa.Column("page", sa.Integer),
        sa.Column("mentions", sa.Integer, nullable=False),
    )
    op.create_index("ix_library_tags_document_id", "library_tags", ["document_id"])
    op.create_index("ix_library_tags_concept_id", "library_tags", ["concept_id"])
    op.create_table(
        "library_duplicates",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _cascade("document_id"),
        _cascade("other_id"),
        sa.Column("similarity", sa.Float, nullable=False),
    )
    op.create_index("ix_library_duplicates_document_id", "library_duplicates", ["document_id"])
    op.create_index("ix_library_duplicates_other_id", "library_duplicates", ["other_id"])
    if op.get_bind().dialect.name == "sqlite":
        # External content: the text lives once, in library_passages; the service writes the
        # index rows in the same transaction as the passages. remove_diacritics folds ā/ą/ö.
        op.execute(
            "CREATE VIRTUAL TABLE library_fts USING fts5(text, content='library_passages', "
            "content_rowid='id', tokenize='unicode61 remove_diacritics 2')"
        )
    else:
        # 'simple': no stemming, the same for every language (as FTS5's unicode61 tokenizer).
        op.execute(
            "CREATE INDEX ix_library_passages_fts ON library_passages "
            "USING gin (to_tsvector('simple', text))"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE library_fts")
    op.drop_table("library_duplicates")
    op.drop_table("library_tags")
    op.drop_table("library_passages")
    op.drop_table("library_documents")
