"""Tables of the knowledge library: documents, their passages (the searchable text, with page
numbers), their taxonomy tags with evidence, and near-duplicate links (migration library_0001).

The full-text index is not declared here: on SQLite it is the FTS5 table ``library_fts`` (an
external-content index over ``library_passages``), on PostgreSQL the generated column
``library_passages.fts_vector`` (``to_tsvector('simple', text)``, stored) with a GIN index
(migration library_0003); both are created by the migrations only.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
)

from thbhub.storage.schema import metadata

library_documents = Table(
    "library_documents",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # NULL: the hub's own document (imported by an operator on the command line).
    Column("organisation_id", Integer, ForeignKey("organisations.id")),
    # sha256 of the file's bytes (a JSONL record: of its canonical JSON): the same file twice
    # is one document.
    Column("checksum", String(64), nullable=False),
    Column("file_name", String(300), nullable=False),
    Column("record", Integer),  # line number of a JSONL record, else NULL
    Column("media_type", String(20), nullable=False),  # pdf | docx | html | markdown | text | jsonl
    Column("title", String(500), nullable=False),
    Column("doc_type", String(64), nullable=False),  # a doctype:* concept id
    Column("language", String(8), nullable=False),  # ISO 639-1, or 'und'
    Column("country", String(64)),  # a country:* concept id
    Column("published", String(10)),  # ISO date (or year) the document was published
    Column("year", Integer),
    Column("url", String(1000)),
    Column("licence", String(200)),
    Column("access", String(10), nullable=False),  # public | member | owner
    Column("state", String(12), nullable=False),  # thbhub.domain.publication.State
    Column("pages", Integer),
    Column("chars", Integer, nullable=False),
    Column("minhash", JSON, nullable=False),  # near-duplicate signature
    Column("imported_at", DateTime(timezone=True), nullable=False),
    Column("imported_by", Integer),
    Index("ix_library_documents_checksum", "checksum"),
    Index("ix_library_documents_organisation_id", "organisation_id"),
)

library_passages = Table(
    "library_passages",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "document_id",
        Integer,
        ForeignKey("library_documents.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("position", Integer, nullable=False),
    Column("page", Integer),  # 1-based page of a PDF, else NULL
    Column("text", Text, nullable=False),
    Index("ix_library_passages_document_id", "document_id"),
)

library_tags = Table(
    "library_tags",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "document_id",
        Integer,
        ForeignKey("library_documents.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("concept_id", String(128), nullable=False),
    Column("score", Float, nullable=False),
    Column("evidence", Text, nullable=False),  # the sentence that supports the tag
    Column("page", Integer),
    Column("mentions", Integer, nullable=False),
    Index("ix_library_tags_document_id", "document_id"),
    Index("ix_library_tags_concept_id", "concept_id"),
)

library_duplicates = Table(
    "library_duplicates",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "document_id",
        Integer,
        ForeignKey("library_documents.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column(
        "other_id",
        Integer,
        ForeignKey("library_documents.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("similarity", Float, nullable=False),  # estimated Jaccard of word shingles
    Index("ix_library_duplicates_document_id", "document_id"),
    Index("ix_library_duplicates_other_id", "other_id"),
)

#: Names of the full-text index objects the migrations create outside this metadata (SQLite's
#: FTS5 table ``library_fts`` with its shadow tables ``library_fts_*``; PostgreSQL's stored
#: tsvector column and its index).
FULL_TEXT_PREFIXES = ("library_fts", "ix_library_passages_fts", "fts_vector")

#: Embeddings (migration library_0002): float32 bytes, L2-normalised, of each passage and of
#: each document (the normalised mean of its passages'); a document without a row here is not
#: embedded yet.
library_passage_vectors = Table(
    "library_passage_vectors",
    metadata,
    Column(
        "passage_id",
        Integer,
        ForeignKey("library_passages.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column(
        "document_id",
        Integer,
        ForeignKey("library_documents.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("vector", LargeBinary, nullable=False),
    Index("ix_library_passage_vectors_document_id", "document_id"),
)

library_document_vectors = Table(
    "library_document_vectors",
    metadata,
    Column(
        "document_id",
        Integer,
        ForeignKey("library_documents.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("model", String(100), nullable=False),
    Column("vector", LargeBinary, nullable=False),
    # For counting: SQLite counts through the narrowest index (the table holds the vectors).
    Index("ix_library_document_vectors_document_id", "document_id"),
)

#: The original file of a document read from a file (not a JSONL record): what its page offers
#: for download, to those who may see the document.
library_files = Table(
    "library_files",
    metadata,
    Column(
        "document_id",
        Integer,
        ForeignKey("library_documents.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("content", LargeBinary, nullable=False),
)
