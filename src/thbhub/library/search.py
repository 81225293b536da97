"""Reading the library: full-text search with facets, one document, the documents of a topic
or country; each shows the principal only what :mod:`thbhub.library.access` allows."""

from __future__ import annotations

import html
import logging
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, select

from thbhub.access import audit
from thbhub.domain.errors import NotFoundError
from thbhub.domain.principals import Principal
from thbhub.domain.publication import moves
from thbhub.library import embeddings, tagger
from thbhub.library.access import Level, visible
from thbhub.library.taxonomy import concept_id
from thbhub.storage import Database
from thbhub.storage import library as q
from thbhub.storage import library_vectors as vq
from thbhub.storage.schema_library import library_documents as docs
from thbhub.storage.schema_library import library_tags


@dataclass
class SearchFilters:
    doc_type: str | None = None
    language: str | None = None
    country: str | None = None
    concept: str | None = None
    year_from: int | None = None
    year_to: int | None = None


log = logging.getLogger(__name__)
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
    """Documents matching all words of ``query`` in one passage, tagged with a concept the
    query names in any of the taxonomy's languages, or nearest to it by meaning (multilingual
    embeddings, once computed: so a Polish or Swedish query finds an English report), fused
    by reciprocal rank; every document when the query has no words.  The total and the facet
    counts are of the documents listed (the best TEXT_CANDIDATES full-text passages' and those
    found otherwise); ``limited`` says whether the full text matched more."""
    filters = filters or SearchFilters()
    words = _WORD.findall(query)
    semantic = embeddings.coverage(db)
    similar: list[dict[str, Any]] = []
    with db.connect() as conn:
        where = and_(visible(conn, principal), *_filters(filters))
        meaning = (
            embeddings.nearest_soon(db, query, where)
            if words and semantic["state"] != "off"
            else None
        )
        limited = False  # whether more passages match than a search keeps
        if words:
            best: dict[int, dict[str, Any]] = {}
            passages = q.matching_passages(conn, words, where)
            limited = len(passages) >= q.TEXT_CANDIDATES
            for hit in passages:
                best.setdefault(hit["document_id"], hit)
            about, rest = query_concepts(query)
            if about:
                # The words beside the concept's name ("hotels" in "hotels tvångsarbete")
                # are looked for on their own too: no passage holds the foreign name.
                if rest and rest != words:
                    for hit in q.matching_passages(conn, rest, where):
                        best.setdefault(hit["document_id"], hit)
                best = _fused(best, q.tagged_with(conn, about, where))
            if meaning is not None:
                try:
                    similar = meaning.result()
                except Exception:  # the model failed: full text and concepts still answer
                    log.exception("library search by meaning failed for %r", query)
            if similar:
                best = _fused(best, [{**h, "semantic": True} for h in similar])
            # The full-text hits carry their document's facet columns; only those found
            # through a concept or by meaning alone are read here.
            facet_of = {h["document_id"]: h["facets"] for h in best.values() if "facets" in h}
            facet_of.update(q.facet_values(conn, [i for i in best if i not in facet_of]))
            ordered = [facet_of[i] for i in best if i in facet_of]
        else:
            best = {}
            ordered = q.visible_facet_values(conn, where)
        concepts = q.concept_counts(conn, [r[0] for r in ordered])
        # One read: the page shown (its tags, its snippets) is of the same state as the counts.
        shown_ids = [r[0] for r in ordered[offset : offset + limit]]
        rows = q.documents_by_id(conn, shown_ids)
        shown = [rows[i] for i in shown_ids if i in rows]
        tags = q.tags_of(conn, shown_ids)
        if words:
            pids = [
                best[r["id"]]["pid"]
                for r in shown
                if best[r["id"]]["pid"] is not None and not best[r["id"]].get("semantic")
            ]
            marked = q.snippets(conn, words, pids)
            for r in shown:
                hit = best[r["id"]]
                if hit.get("semantic"):  # found by meaning: the start of its nearest passage
                    hit["snippet"] = _excerpt(hit["text"])
                elif hit["pid"] is not None:
                    hit["snippet"] = marked.get(hit["pid"])
                else:  # found through a concept: its evidence, marked whole
                    hit["snippet"] = q.MARK_START + hit["evidence"] + q.MARK_END
    facets: dict[str, dict[str, int]] = {f: {} for f in FACETS}
    for values in ordered:
        for n, f in enumerate(FACETS, 1):
            if values[n] is not None:
                key = str(values[n])
                facets[f][key] = facets[f].get(key, 0) + 1
    facets["concept"] = concepts
    results = []
    for row in shown:
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
        "semantic": {**semantic, "used": bool(similar)},
        "total": len(ordered),
        # True: the full text matched more than the best TEXT_CANDIDATES passages kept (the
        # total and facets count the documents listed, not every match).
        "limited": limited,
        "results": results,
        "facets": {
            k: dict(sorted(v.items(), key=lambda kv: (-kv[1], kv[0]))) for k, v in facets.items()
        },
    }


#: Reciprocal rank fusion's constant (the usual 60): ranks, not scores, are combined, since
#: BM25, ts_rank and tag scores are on different scales.
RRF_K = 60


def query_concepts(query: str) -> tuple[list[str], list[str]]:
    """The taxonomy concepts a query names, in any of the taxonomy's languages ("praca
    przymusowa", "tvångsarbete" and "forced labour" all name labour exploitation), and the
    query's other words."""
    folded = query.casefold()
    found = tagger.find_mentions(folded)
    rest = folded
    for start, end, _ in reversed(found):
        rest = rest[:start] + " " + rest[end:]
    # A list item ("begging") names a form only after a coercion word: not in a query.
    named = {c for _, _, e in found if not e.listed for c in e.concept_ids}
    return sorted(named), _WORD.findall(rest)


def _excerpt(text: str, chars: int = 240) -> str:
    text = " ".join(text.split())
    return text if len(text) <= chars else text[:chars].rsplit(" ", 1)[0] + " …"


def _fused(
    text_hits: dict[int, dict[str, Any]], concept_hits: list[dict[str, Any]]
) -> dict[int, dict[str, Any]]:
    """Full-text hits and concept (or nearest-by-meaning) hits in one ranking by reciprocal
    rank fusion; a document found both ways keeps the passage (and snippet) of the first."""
    scores: dict[int, float] = {}
    for rank, doc_id in enumerate(text_hits, 1):
        scores[doc_id] = 1 / (RRF_K + rank)
    for rank, hit in enumerate(concept_hits, 1):
        scores[hit["document_id"]] = scores.get(hit["document_id"], 0.0) + 1 / (RRF_K + rank)
    merged = dict(text_hits)
    for hit in concept_hits:
        merged.setdefault(hit["document_id"], hit)
    order = sorted(scores, key=lambda d: (-scores[d], d))
    return {d: {**merged[d], "rank": scores[d]} for d in order}


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
            "has_file": vq.has_file(conn, doc_id),
            # The publication moves the caller may make (the owner's buttons on the page).
            "moves": []
            if row["organisation_id"] is None
            else [m.value for m in moves(principal, row["organisation_id"], row["state"])],
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
