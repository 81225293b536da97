"""Library services: import files, tag them, search, read one document; each takes the
principal asking and shows it only what :mod:`thbhub.library.access` allows."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select

from thbhub.access import audit
from thbhub.access.users import find_organisation
from thbhub.domain.errors import NotFoundError, PermissionDenied, UserError
from thbhub.domain.principals import Principal, Role
from thbhub.domain.publication import State, refusal
from thbhub.library import dedup, embeddings, extract, tagger
from thbhub.library.access import Level, visible
from thbhub.library.language import detect_language
from thbhub.library.search import (  # noqa: F401 - the services callers use, in one place
    SearchFilters,
    documents_about,
    get_document,
    search,
    snippet_html,
    snippet_text,
)
from thbhub.library.taxonomy import concept_id, concept_names
from thbhub.storage import Database
from thbhub.storage import library as q
from thbhub.storage import library_vectors as vq
from thbhub.storage.schema_library import library_documents as docs

Progress = Callable[[int, int | None], None]
PASSAGE_CHARS = 1200
DEFAULT_TYPE = "doctype:report"


@dataclass
class ImportOptions:
    doc_type: str | None = None
    language: str | None = None
    country: str | None = None
    licence: str | None = None
    access: str = Level.public.value
    organisation: str | None = None  # name or id; None: the hub's own document
    state: str = State.published.value


@dataclass
class ImportSummary:
    files: int = 0
    stored: int = 0
    already: int = 0
    linked: int = 0
    skipped: list[dict[str, str]] = field(default_factory=list)
    documents: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "documents_stored": self.stored,
            "already_in_library": self.already,
            "near_duplicates_linked": self.linked,
            "skipped": self.skipped,
            "document_ids": self.documents,
        }


def expand_paths(paths: Iterable[Path]) -> list[Path]:
    """Files named, and the document files under folders named (recursively, sorted)."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out.extend(
                sorted(
                    p
                    for p in path.rglob("*")
                    if p.is_file() and extract.media_type(p) and not p.name.startswith(".")
                )
            )
        else:
            out.append(path)
    return out


def _passages(pages: Sequence[tuple[int | None, str]]) -> list[tuple[int | None, str]]:
    """Pages cut into passages of about PASSAGE_CHARS at sentence ends (a search hit names a
    passage, so its page and a readable snippet)."""
    out: list[tuple[int | None, str]] = []
    for page, body in pages:
        current = ""
        for sentence in tagger.sentences(body):
            if current and len(current) + len(sentence) > PASSAGE_CHARS:
                out.append((page, current))
                current = ""
            current = f"{current} {sentence}".strip()
        if current:
            out.append((page, current))
    return out


def _published(meta: dict[str, Any]) -> str | None:
    for key in ("date", "published", "snapshot_date"):
        value = meta.get(key)
        if value and re.match(r"^\d{4}(-\d{2}(-\d{2})?)?", str(value)):
            return str(value)[:10]
    return None


def _owner(conn: Connection, principal: Principal, options: ImportOptions) -> int | None:
    if options.organisation is None:
        if principal.origin != "cli" and principal.role is not Role.admin:
            return principal.organisation_id
        return None
    org_id = int(find_organisation(conn, options.organisation)["id"])
    if principal.origin != "cli" and principal.organisation_id != org_id:
        raise UserError("you may add documents only for your own organisation")
    return org_id


def import_documents(
    db: Database,
    principal: Principal,
    paths: Sequence[Path],
    options: ImportOptions,
    progress: Progress | None = None,
) -> ImportSummary:
    """Import every document in ``paths``; a file that cannot be read is reported and
    skipped, the others are stored (one transaction per file: all of it or nothing)."""
    if options.access not in {lv.value for lv in Level}:
        raise UserError(f"access {options.access!r}: use public, member or owner")
    if options.state not in {s.value for s in State}:
        raise UserError(f"state {options.state!r}: use {', '.join(s.value for s in State)}")
    doc_type = concept_id("doctype", options.doc_type, "document type")
    country = concept_id("country", options.country, "country")
    files = expand_paths(paths)
    summary = ImportSummary(files=len(files))
    with db.connect() as conn:
        org_id = _owner(conn, principal, options)
        known = dedup.SketchIndex()
        for doc_id, sketch in q.signatures(conn):
            known.add(doc_id, sketch)
    for n, path in enumerate(files):
        if progress:
            progress(n, len(files))
        try:
            items = list(extract.extract(path))
        except extract.BadFile as exc:
            summary.skipped.append({"file": str(path), "reason": str(exc)})
            continue
        except Exception as exc:  # a reader's own failure on a damaged file
            summary.skipped.append(
                {"file": str(path), "reason": f"{path.name}: cannot be read ({type(exc).__name__})"}
            )
            continue
        for item in items:
            if item.problem:
                summary.skipped.append({"file": str(path), "reason": item.problem})
        with db.begin() as conn:
            for item in (i for i in items if i.problem is None):
                if q.find_by_checksum(conn, item.checksum, org_id) is not None:
                    summary.already += 1
                    continue
                values, passages, tags, links = _prepare(
                    item, path, options, doc_type, country, known
                )
                values.update(
                    organisation_id=org_id,
                    imported_at=datetime.now(UTC),
                    imported_by=principal.user_id,
                )
                doc_id = q.insert_document(conn, values, passages, tags, links)
                if item.record is None:  # a file of its own, offered for download
                    vq.store_file(conn, doc_id, path.read_bytes())
                known.add(doc_id, values["minhash"])
                summary.stored += 1
                summary.linked += 1 if links else 0
                summary.documents.append(doc_id)
                audit.record(
                    conn,
                    principal,
                    "create",
                    "library_document",
                    object_id=str(doc_id),
                    organisation_id=org_id,
                    detail={"file": path.name, "record": item.record, "access": options.access},
                )
    if progress:
        progress(len(files), len(files))
    embeddings.forget_coverage(db)  # more documents to embed: searches count again
    return summary


def _prepare(
    item: extract.Extracted,
    path: Path,
    options: ImportOptions,
    doc_type: str | None,
    country: str | None,
    known: dedup.SketchIndex,
) -> tuple[
    dict[str, Any], list[tuple[int | None, str]], list[dict[str, Any]], list[tuple[int, float]]
]:
    body = item.text
    signature = dedup.signature(body)
    links = known.near(signature)
    record_country = item.meta.get("country")
    if country is None and isinstance(record_country, str):
        country = concept_names().get("country", {}).get(record_country.strip().casefold())
    published = _published(item.meta)
    record_type = item.meta.get("type")
    kind = doc_type or (
        concept_names().get("doctype", {}).get(str(record_type).casefold()) if record_type else None
    )
    tags = [
        {
            "concept_id": t.concept_id,
            "score": t.score,
            "evidence": t.evidence,
            "page": t.page,
            "mentions": t.mentions,
        }
        for t in tagger.tag(item.pages, item.title)
    ]
    values = {
        "checksum": item.checksum,
        "file_name": path.name[:300],
        "record": item.record,
        "media_type": item.media_type,
        "title": item.title,
        "doc_type": kind or DEFAULT_TYPE,
        "language": options.language or detect_language(body),
        "country": country,
        "published": published,
        "year": int(published[:4]) if published else None,
        "url": str(item.meta.get("url"))[:1000] if item.meta.get("url") else None,
        "licence": options.licence,
        "access": options.access,
        "state": options.state,
        "pages": max((p for p, _ in item.pages if p is not None), default=None),
        "chars": len(body),
        "minhash": signature,
    }
    return values, _passages(item.pages), tags, links


def tag_files(paths: Sequence[Path]) -> list[dict[str, Any]]:
    """`thbhub tag`: the concepts of each file (each JSONL record), storing nothing."""
    out: list[dict[str, Any]] = []
    for path in expand_paths(paths):
        try:
            items = list(extract.extract(path))
        except extract.BadFile as exc:
            out.append({"file": str(path), "error": str(exc), "concepts": []})
            continue
        for item in items:
            entry: dict[str, Any] = {"file": str(path)}
            if item.problem:
                out.append({**entry, "record": item.record, "error": item.problem, "concepts": []})
                continue
            if item.record is not None:
                entry["record"] = item.record
            entry["concepts"] = [t.as_dict() for t in tagger.tag(item.pages, item.title)]
            out.append(entry)
    return out


def upload_document(
    db: Database, principal: Principal, path: Path, options: ImportOptions
) -> dict[str, Any]:
    """A contributor's upload on the web: one file for the caller's own organisation, stored as
    a draft (only its organisation sees it until an admin publishes it)."""
    if principal.role is not Role.contributor or principal.organisation_id is None:
        raise PermissionDenied("only a contributor of an organisation may add documents")
    options.organisation = str(principal.organisation_id)
    options.state = State.draft.value
    summary = import_documents(db, principal, [path], options)
    if summary.skipped and not summary.stored:
        raise UserError(summary.skipped[0]["reason"])
    if summary.already and not summary.stored:
        raise UserError(f"{path.name}: your organisation already has this file in the library")
    return summary.as_dict()


MEDIA_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "html": "text/html",
    "markdown": "text/markdown",
    "text": "text/plain",
}


def original_file(db: Database, principal: Principal, doc_id: int) -> dict[str, Any]:
    """The file a document was read from (file_name, content_type, content), for one who may
    see the document; 404 otherwise, and for a document from a JSONL record (no file of its
    own).  A download of a non-public document is audited."""
    with db.read() as conn:
        row = conn.execute(
            select(
                docs.c.file_name, docs.c.media_type, docs.c.access, docs.c.organisation_id
            ).where(docs.c.id == doc_id, visible(conn, principal))
        ).first()
        content = vq.original_file(conn, doc_id) if row is not None else None
        if row is None or content is None:
            raise NotFoundError(f"no file for document {doc_id}")
        if row.access != Level.public.value:
            audit.record(
                conn,
                principal,
                "read",
                "library_document",
                object_id=str(doc_id),
                organisation_id=row.organisation_id,
                detail={"download": row.file_name},
            )
    return {
        "file_name": row.file_name,
        "content_type": MEDIA_TYPES.get(row.media_type, "application/octet-stream"),
        "content": content,
    }


def set_state(db: Database, principal: Principal, doc_id: int, new: str) -> dict[str, Any]:
    """Move a document through the publication states (domain.publication), audited."""
    try:
        target = State(new)
    except ValueError:
        raise UserError(f"state {new!r}: use {', '.join(s.value for s in State)}") from None
    with db.begin() as conn:
        row = conn.execute(
            select(docs.c.organisation_id, docs.c.state).where(
                docs.c.id == doc_id, visible(conn, principal)
            )
        ).first()
        if row is None:
            raise NotFoundError(f"no document {doc_id}")
        if row.organisation_id is None:
            raise PermissionDenied("the hub's own documents are published from the command line")
        why = refusal(principal, row.organisation_id, State(row.state), target)
        if why is not None:
            raise PermissionDenied(why)
        conn.execute(docs.update().where(docs.c.id == doc_id).values(state=target.value))
        audit.record(
            conn,
            principal,
            "update",
            "library_document",
            object_id=str(doc_id),
            organisation_id=row.organisation_id,
            detail={"state": [row.state, target.value]},
        )
    return {"id": doc_id, "state": target.value}
