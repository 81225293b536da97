"""Library services: import files, tag them, search, read one document; each takes the
principal asking and shows it only what :mod:`thbhub.library.access` allows."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, and_, select

from thbhub.access import audit
from thbhub.access.users import find_organisation
from thbhub.domain.errors import NotFoundError, UserError
from thbhub.domain.principals import Principal, Role
from thbhub.domain.publication import State
from thbhub.library import dedup, extract, tagger
from thbhub.library.access import Level, visible
from thbhub.library.language import detect_language
from thbhub.storage import Database
from thbhub.storage import library as q
from thbhub.storage.schema_library import library_documents as docs
from thbhub.storage.schema_library import library_tags

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


@lru_cache(maxsize=1)
def _concepts() -> dict[str, dict[str, str]]:
    """scheme -> {casefolded label in any language or id -> concept id}."""
    out: dict[str, dict[str, str]] = {}
    for scheme in tagger.taxonomy().schemes:
        names = out.setdefault(scheme.id, {})
        for c in scheme.concepts:
            names[c.id.casefold()] = c.id
            names[c.id.split(":", 1)[1].casefold()] = c.id
            for label in c.labels.values():
                names.setdefault(label.casefold(), c.id)
    return out


def concept_id(scheme: str, value: str | None, what: str) -> str | None:
    if value is None or not value.strip():
        return None
    found = _concepts().get(scheme, {}).get(value.strip().casefold())
    if found is None:
        raise UserError(
            f"{what} {value!r} is not in the taxonomy's scheme {scheme!r}; "
            f"see `thbhub taxonomy list --scheme {scheme}`"
        )
    return found


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
        known = q.signatures(conn)
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
                known.append((doc_id, values["minhash"]))
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
    return summary


def _prepare(
    item: extract.Extracted,
    path: Path,
    options: ImportOptions,
    doc_type: str | None,
    country: str | None,
    known: list[tuple[int, list[int]]],
) -> tuple[
    dict[str, Any], list[tuple[int | None, str]], list[dict[str, Any]], list[tuple[int, float]]
]:
    body = item.text
    signature = dedup.signature(body)
    links = [
        (other, round(sim, 3))
        for other, sig in known
        if (sim := dedup.similarity(signature, sig)) >= dedup.THRESHOLD
    ]
    record_country = item.meta.get("country")
    if country is None and isinstance(record_country, str):
        country = _concepts().get("country", {}).get(record_country.strip().casefold())
    published = _published(item.meta)
    record_type = item.meta.get("type")
    kind = doc_type or (
        _concepts().get("doctype", {}).get(str(record_type).casefold()) if record_type else None
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


# --- reading ----------------------------------------------------------------------------------


@dataclass
class SearchFilters:
    doc_type: str | None = None
    language: str | None = None
    country: str | None = None
    concept: str | None = None
    year_from: int | None = None
    year_to: int | None = None


_WORD = re.compile(r"\w+")
FACETS = ("doc_type", "language", "country", "year")


def _filters(filters: SearchFilters) -> list[Any]:
    out: list[Any] = []
    if filters.doc_type:
        out.append(docs.c.doc_type == concept_id("doctype", filters.doc_type, "type"))
    if filters.language:
        out.append(docs.c.language == filters.language)
    if filters.country:
        out.append(docs.c.country == concept_id("country", filters.country, "country"))
    if filters.concept:
        tagged = select(library_tags.c.document_id).where(
            library_tags.c.concept_id == filters.concept
        )
        out.append(docs.c.id.in_(tagged))
    if filters.year_from is not None:
        out.append(docs.c.year >= filters.year_from)
    if filters.year_to is not None:
        out.append(docs.c.year <= filters.year_to)
    return out


def search(
    db: Database,
    principal: Principal,
    query: str,
    filters: SearchFilters | None = None,
    limit: int = 20,
    offset: int = 0,
) -> dict[str, Any]:
    """Documents matching all words of ``query`` (every document when it has none), ranked by
    full-text relevance of their best passage, with facet counts over all matches."""
    filters = filters or SearchFilters()
    words = _WORD.findall(query)
    with db.connect() as conn:
        where = and_(visible(conn, principal), *_filters(filters))
        if words:
            best: dict[int, dict[str, Any]] = {}
            for hit in q.matching_passages(conn, words, where):
                best.setdefault(hit["document_id"], hit)
            ids = list(best)
            rows = q.documents_by_id(conn, ids)
            ordered = [rows[i] for i in ids if i in rows]
        else:
            best = {}
            ordered = q.document_rows(conn, where)
        all_ids = [r["id"] for r in ordered]
        tags = q.tags_of(conn, all_ids)
    facets: dict[str, dict[str, int]] = {f: {} for f in (*FACETS, "concept")}
    for row in ordered:
        for f in FACETS:
            if row[f] is not None:
                key = str(row[f])
                facets[f][key] = facets[f].get(key, 0) + 1
        for t in tags.get(row["id"], []):
            facets["concept"][t["concept_id"]] = facets["concept"].get(t["concept_id"], 0) + 1
    results = []
    for row in ordered[offset : offset + limit]:
        found = best.get(row["id"])
        results.append(
            {
                **_summary(row),
                "snippet": found["snippet"] if found else None,
                "page": found["page"] if found else None,
                "score": round(float(found["rank"]), 4) if found else None,
                "tags": [_tag(t) for t in tags.get(row["id"], [])[:8]],
            }
        )
    return {
        "query": query,
        "total": len(ordered),
        "results": results,
        "facets": {
            k: dict(sorted(v.items(), key=lambda kv: (-kv[1], kv[0]))) for k, v in facets.items()
        },
    }


def _summary(row: dict[str, Any]) -> dict[str, Any]:
    return {
        k: row[k]
        for k in (
            "id",
            "title",
            "doc_type",
            "language",
            "country",
            "published",
            "year",
            "media_type",
            "file_name",
            "access",
            "state",
            "organisation_id",
        )
    }


def _tag(t: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": t["concept_id"],
        "score": t["score"],
        "evidence": t["evidence"],
        "page": t["page"],
        "mentions": t["mentions"],
    }


def get_document(db: Database, principal: Principal, doc_id: int) -> dict[str, Any]:
    """One document the principal may see, with its tags, text and near-duplicates; 404 for
    one it may not (the same answer as for one that does not exist)."""
    with db.read() as conn:
        where = visible(conn, principal)
        rows = q.document_rows(conn, and_(where, docs.c.id == doc_id))
        if not rows:
            raise NotFoundError(f"no document {doc_id}")
        row = rows[0]
        dup = q.duplicates_of(conn, doc_id)
        seen = q.documents_by_id(conn, [d for d, _ in dup])
        allowed = {r["id"] for r in q.document_rows(conn, and_(where, docs.c.id.in_(list(seen))))}
        result = {
            **_summary(row),
            "url": row["url"],
            "licence": row["licence"],
            "pages": row["pages"],
            "tags": [_tag(t) for t in q.tags_of(conn, [doc_id]).get(doc_id, [])],
            "passages": q.passages_of(conn, doc_id),
            "near_duplicates": [
                {"id": d, "title": seen[d]["title"], "similarity": s}
                for d, s in sorted(dup, key=lambda x: -x[1])
                if d in allowed
            ],
        }
        if row["access"] != Level.public.value:
            audit.record(
                conn,
                principal,
                "read",
                "library_document",
                object_id=str(doc_id),
                organisation_id=row["organisation_id"],
            )
    return result


def documents_about(
    db: Database,
    principal: Principal,
    *,
    concept: str | None = None,
    country: str | None = None,
    limit: int = 10,
) -> list[dict[str, Any]]:
    """The documents tagged with ``concept`` (or of ``country``), strongest evidence first."""
    with db.connect() as conn:
        where = visible(conn, principal)
        if concept is not None:
            strength = (
                select(library_tags.c.document_id, library_tags.c.score, library_tags.c.evidence)
                .where(library_tags.c.concept_id == concept)
                .subquery()
            )
            rows = conn.execute(
                select(docs.c.id, docs.c.title, docs.c.year, strength.c.score, strength.c.evidence)
                .join(strength, strength.c.document_id == docs.c.id)
                .where(where)
                .order_by(strength.c.score.desc(), docs.c.published.desc(), docs.c.id)
                .limit(limit)
            ).mappings()
            return [dict(r) for r in rows]
        rows = conn.execute(
            select(docs.c.id, docs.c.title, docs.c.year)
            .where(where, docs.c.country == country)
            .order_by(docs.c.published.desc(), docs.c.id)
            .limit(limit)
        ).mappings()
        return [dict(r) for r in rows]


def snippet_html(snippet: str | None) -> str:
    """A search snippet as HTML: the text escaped, the matched words in <mark>."""
    if not snippet:
        return ""
    return html.escape(snippet).replace(q.MARK_START, "<mark>").replace(q.MARK_END, "</mark>")


def snippet_text(snippet: str | None) -> str:
    return (snippet or "").replace(q.MARK_START, "").replace(q.MARK_END, "")
