"""Queries of the library's embeddings (tables library_passage_vectors and
library_document_vectors, migration library_0002): float32 bytes, the same on both backends;
and of the documents' original files (library_files)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, func, insert, select

from thbhub.storage.schema_library import library_document_vectors as dvec
from thbhub.storage.schema_library import library_documents as docs
from thbhub.storage.schema_library import library_files, library_passages
from thbhub.storage.schema_library import library_passage_vectors as pvec


def pending_documents(conn: Connection, limit: int) -> list[int]:
    """Documents without an embedding yet, oldest first."""
    q = (
        select(docs.c.id)
        .where(~docs.c.id.in_(select(dvec.c.document_id)))
        .order_by(docs.c.id)
        .limit(limit)
    )
    return [int(r) for r in conn.execute(q).scalars()]


def pending_documents_among(conn: Connection, ids: Sequence[int]) -> set[int]:
    """Those of ``ids`` that exist and have no embedding yet."""
    q = select(docs.c.id).where(
        docs.c.id.in_(list(ids)), ~docs.c.id.in_(select(dvec.c.document_id))
    )
    return {int(r) for r in conn.execute(q).scalars()}


def passages_to_embed(conn: Connection, doc_id: int) -> list[tuple[int, str]]:
    q = (
        select(library_passages.c.id, library_passages.c.text)
        .where(library_passages.c.document_id == doc_id)
        .order_by(library_passages.c.position)
    )
    return [(int(pid), str(t)) for pid, t in conn.execute(q).all()]


def store(
    conn: Connection,
    doc_id: int,
    model: str,
    passages: Sequence[tuple[int, bytes]],
    document: bytes,
) -> None:
    if passages:
        conn.execute(
            insert(pvec),
            [{"passage_id": pid, "document_id": doc_id, "vector": v} for pid, v in passages],
        )
    conn.execute(insert(dvec).values(document_id=doc_id, model=model, vector=document))


def coverage(conn: Connection) -> tuple[int, int]:
    """(documents embedded, documents)."""
    embedded = conn.execute(select(func.count()).select_from(dvec)).scalar_one()
    total = conn.execute(select(func.count()).select_from(docs)).scalar_one()
    return int(embedded), int(total)


def stamp(conn: Connection) -> tuple[int, int]:
    """Changes when documents are embedded (or removed): (count, highest id)."""
    row = conn.execute(select(func.count(), func.max(dvec.c.document_id))).one()
    return int(row[0]), int(row[1] or 0)


def document_vectors(conn: Connection) -> list[tuple[int, bytes]]:
    q = select(dvec.c.document_id, dvec.c.vector).order_by(dvec.c.document_id)
    return [(int(d), bytes(v)) for d, v in conn.execute(q).all()]


def visible_among(conn: Connection, ids: Sequence[int], where: ColumnElement[bool]) -> set[int]:
    """Those of ``ids`` the caller may see and the filters keep."""
    if not ids:
        return set()
    q = select(docs.c.id).where(where, docs.c.id.in_(list(ids)))
    return {int(r) for r in conn.execute(q).scalars()}


def passage_vectors(conn: Connection, doc_ids: Sequence[int]) -> list[dict[str, Any]]:
    """pid, document_id, page, text and vector of the passages of ``doc_ids``."""
    if not doc_ids:
        return []
    q = (
        select(
            pvec.c.passage_id.label("pid"),
            pvec.c.document_id,
            library_passages.c.page,
            library_passages.c.text,
            pvec.c.vector,
        )
        .join(library_passages, library_passages.c.id == pvec.c.passage_id)
        .where(pvec.c.document_id.in_(list(doc_ids)))
    )
    return [dict(r) for r in conn.execute(q).mappings()]


def store_file(conn: Connection, doc_id: int, content: bytes) -> None:
    conn.execute(insert(library_files).values(document_id=doc_id, content=content))


def original_file(conn: Connection, doc_id: int) -> bytes | None:
    row = conn.execute(
        select(library_files.c.content).where(library_files.c.document_id == doc_id)
    ).first()
    return None if row is None else bytes(row[0])


def has_file(conn: Connection, doc_id: int) -> bool:
    q = select(library_files.c.document_id).where(library_files.c.document_id == doc_id)
    return conn.execute(q).first() is not None
