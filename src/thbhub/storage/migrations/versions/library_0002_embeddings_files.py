"""Library: embeddings of passages (multilingual-e5-small, 384 float32 numbers each) and of
documents (the normalised mean of their passages'), computed in the background after import;
and the original file of each document read from a file (PDF, DOCX, HTML, Markdown, text: not
a JSONL record), for download.

Revision ID: library_0002
Revises: library_0001
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "library_0002"
down_revision = "library_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "library_passage_vectors",
        sa.Column(
            "passage_id",
            sa.Integer,
            sa.ForeignKey("library_passages.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "document_id",
            sa.Integer,
            sa.ForeignKey("library_documents.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("vector", sa.LargeBinary, nullable=False),
    )
    op.create_index(
        "ix_library_passage_vectors_document_id", "library_passage_vectors", ["document_id"]
    )
    op.create_table(
        "library_document_vectors",
        sa.Column(
            "document_id",
            sa.Integer,
            sa.ForeignKey("library_documents.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("model", sa.String(100), nullable=False),
        sa.Column("vector", sa.LargeBinary, nullable=False),
    )
    # SQLite counts rows through the narrowest index: without this one, counting the embedded
    # documents read every vector (150 MB at 100,000 documents) on each search.
    op.create_index(
        "ix_library_document_vectors_document_id", "library_document_vectors", ["document_id"]
    )

    op.create_table(
        "library_files",
        sa.Column(
            "document_id",
            sa.Integer,
            sa.ForeignKey("library_documents.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("content", sa.LargeBinary, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("library_files")
    op.drop_table("library_document_vectors")
    op.drop_table("library_passage_vectors")
