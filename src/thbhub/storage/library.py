"""Queries of the knowledge library (tables in schema_library).  The full-text parts differ by
dialect: SQLite's FTS5 table ``library_fts`` (BM25) and PostgreSQL's stored
``to_tsvector('simple', text)`` column ``fts_vector`` with its GIN index (ts_rank); both are
here and nowhere else."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Float,
    Integer,
    bindparam,
    case,
    func,
    insert,
    literal_column,
    select,
    text,
)

from thbhub.storage.schema import organisations
from thbhub.storage.schema_library import (
    library_documents as docs,
)
from thbhub.storage.schema_library import (
    library_duplicates,
    library_passages,
    library_tags,
)

#: PostgreSQL's stored tsvector of a passage (not declared in schema_library: per dialect).
FTS_VECTOR: ColumnElement[Any] = literal_column("library_passages.fts_vector")

#: Marks around a matched word in a snippet (control characters no text carries).
MARK_START, MARK_END = "\x02", "\x03"


def find_by_checksum(conn: Connection, checksum: str, organisation_id: int | None) -> int | None:
    owner = (
        docs.c.organisation_id.is_(None)
        if organisation_id is None
        else docs.c.organisation_id == organisation_id
    )
    return conn.execute(
        select(docs.c.id).where(docs.c.checksum == checksum, owner).limit(1)
    ).scalar_one_or_none()


def signatures(conn: Connection) -> list[tuple[int, list[int]]]:
    return [(r.id, r.minhash) for r in conn.execute(select(docs.c.id, docs.c.minhash))]


def insert_document(
    conn: Connection,
    values: dict[str, Any],
    passages: Sequence[tuple[int | None, str]],
    tags: Iterable[dict[str, Any]],
    duplicates: Iterable[tuple[int, float]],
) -> int:
    doc_id = int(conn.execute(insert(docs).values(**values).returning(docs.c.id)).scalar_one())
    if passages:
        conn.execute(
            insert(library_passages),
            [
                {"document_id": doc_id, "position": n, "page": page, "text": body}
                for n, (page, body) in enumerate(passages)
            ],
        )
    rows = [{"document_id": doc_id, **t} for t in tags]
    if rows:
        conn.execute(insert(library_tags), rows)
    links = [{"document_id": doc_id, "other_id": o, "similarity": s} for o, s in duplicates]
    if links:
        conn.execute(insert(library_duplicates), links)
    if conn.dialect.name == "sqlite":
        conn.execute(
            text(
                "INSERT INTO library_fts(rowid, text) "
                "SELECT id, text FROM library_passages WHERE document_id = :d"
            ),
            {"d": doc_id},
        )
    return doc_id


def member_state_org(conn: Connection, organisation_id: int, members: Sequence[str]) -> bool:
    row = conn.execute(
        select(organisations.c.country, organisations.c.kind).where(
            organisations.c.id == organisation_id
        )
    ).first()
    return row is not None and (row.kind == "secretariat" or (row.country or "") in members)


def _fts_sqlite(query: str) -> str:
    # Each word quoted: FTS5 syntax (AND, NEAR, column filters) in a user's query is text.
    return " ".join('"' + w.replace('"', '""') + '"' for w in query.split())


#: The full-text passages a search keeps, at most (the best by BM25 / ts_rank the caller may
#: see): the documents among them are the result list, its total and what its facets count.
#: At 100,000 documents (SQLite, the same 200 queries, one run) 2,000 gave a keyword p95 of
#: 212 ms, 500 of 71 ms, 200 of 45 ms: joining and reading each kept passage's document is
#: the cost; a results page is 20.
TEXT_CANDIDATES = 200


def matching_passages(
    conn: Connection,
    words: Sequence[str],
    where: ColumnElement[bool],
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """The best ``limit`` (TEXT_CANDIDATES) passages of visible documents matching all
    ``words``, best first: pid, document_id,
    page, rank (higher is better) and the document's facet columns (doc_type, language,
    country, year).  No snippet: :func:`snippets` makes those for the passages shown.

    The full-text engine ranks first and only its best ``2 * limit`` passages are joined to
    their documents; the access rule is read as a column of that join, not applied as a
    filter, so the same query also tells whether the engine had more.  When fewer than
    ``limit`` of those are visible and the engine had more, the query runs again over every
    match with the rule as a filter, so the answer is the same as without the cut."""
    limit = TEXT_CANDIDATES if limit is None else limit
    cut = 2 * limit
    rows = _matching(conn, words, where, cut, filtered=False)
    shown = [r for r in rows if r[-1]][:limit]
    if len(shown) < limit and len(rows) >= cut:
        shown = _matching(conn, words, where, None, filtered=True, limit=limit)
    return [
        {
            "pid": r[0],
            "document_id": r[1],
            "page": r[2],
            "rank": r[3],
            "facets": (r[1], r[4], r[5], r[6], r[7]),
        }
        for r in shown
    ]


def _ranked(words: Sequence[str], dialect: str, cut: int | None) -> Any:
    """(pid, rank) of the passages matching all ``words``, the best ``cut`` (or all)."""
    joined = " ".join(words)
    if dialect == "sqlite":
        fts = text(
            "SELECT rowid AS pid, -bm25(library_fts) AS score FROM library_fts "
            "WHERE library_fts MATCH :q ORDER BY bm25(library_fts) LIMIT :cut"
        ).columns(pid=Integer, score=Float)
        # LIMIT -1: no limit (SQLite).
        params = fts.bindparams(bindparam("q", _fts_sqlite(joined)), bindparam("cut", cut or -1))
        return params.subquery("hits")
    tsq = func.plainto_tsquery(text("'simple'"), joined)
    # The stored tsvector (migration library_0003): ranking reads it instead of parsing the
    # text of every match again.
    score = func.ts_rank(FTS_VECTOR, tsq)
    ranked = select(library_passages.c.id.label("pid"), score.label("score")).where(
        FTS_VECTOR.op("@@")(tsq)
    )
    if cut is not None:
        ranked = ranked.order_by(score.desc()).limit(cut)
    return ranked.subquery("hits")


Matched = tuple[int, int, int | None, float, str, str, str | None, int | None, bool]


def _matching(
    conn: Connection,
    words: Sequence[str],
    where: ColumnElement[bool],
    cut: int | None,
    *,
    filtered: bool,
    limit: int | None = None,
) -> list[Matched]:
    """(pid, document_id, page, score, doc_type, language, country, year, visible) of the
    best ``cut`` passages (or all), best first; only the visible ones when ``filtered``."""
    hits = _ranked(words, conn.dialect.name, cut)
    # Outer joins: a passage the engine still lists but that is gone counts towards the cut.
    joined = hits.outerjoin(library_passages, library_passages.c.id == hits.c.pid).outerjoin(
        docs, docs.c.id == library_passages.c.document_id
    )
    q = (
        select(
            hits.c.pid,
            library_passages.c.document_id,
            library_passages.c.page,
            hits.c.score,
            *_FACET_COLUMNS[1:],
            case((where, 1), else_=0),
        )
        .select_from(joined)
        .order_by(hits.c.score.desc(), library_passages.c.document_id)
    )
    if filtered:
        q = q.where(where).limit(limit)
    return [
        (int(p), -1 if d is None else int(d), g, float(r), t, lang, c, y, bool(v))
        for p, d, g, r, t, lang, c, y, v in conn.execute(q).all()
    ]


def snippets(conn: Connection, words: Sequence[str], pids: Sequence[int]) -> dict[int, str]:
    """The snippet of each passage in ``pids`` around ``words`` (matches between MARK_START
    and MARK_END)."""
    if not pids:
        return {}
    joined = " ".join(words)
    if conn.dialect.name == "sqlite":
        rows = conn.execute(
            text(
                "SELECT rowid, snippet(library_fts, 0, :a, :b, '…', 24) FROM library_fts "
                "WHERE library_fts MATCH :q AND rowid IN :ids"
            ).bindparams(bindparam("ids", expanding=True)),
            {"a": MARK_START, "b": MARK_END, "q": _fts_sqlite(joined), "ids": list(pids)},
        ).all()
    else:
        options = f"StartSel={MARK_START}, StopSel={MARK_END}, MaxWords=30, MinWords=12"
        tsq = func.plainto_tsquery(text("'simple'"), joined)
        rows = conn.execute(
            select(
                library_passages.c.id,
                func.ts_headline(text("'simple'"), library_passages.c.text, tsq, options),
            ).where(library_passages.c.id.in_(list(pids)))
        ).all()
    return {int(pid): str(snippet) for pid, snippet in rows}


#: Every column of a document but its near-duplicate sketch (a list of 64 numbers).
_LISTED = [c for c in docs.c if c.name != "minhash"]


def document_rows(conn: Connection, where: ColumnElement[bool]) -> list[dict[str, Any]]:
    q = select(*_LISTED).where(where).order_by(docs.c.published.desc(), docs.c.id)
    return [dict(r) for r in conn.execute(q).mappings()]


def documents_by_id(conn: Connection, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    out: dict[int, dict[str, Any]] = {}
    for start in range(0, len(ids), 500):
        chunk = list(ids[start : start + 500])
        for r in conn.execute(select(*_LISTED).where(docs.c.id.in_(chunk))).mappings():
            out[r["id"]] = dict(r)
    return out


#: The columns the facets count, besides the id.
_FACET_COLUMNS = (docs.c.id, docs.c.doc_type, docs.c.language, docs.c.country, docs.c.year)
FacetRow = tuple[int, str, str, str | None, int | None]


def facet_values(conn: Connection, ids: Sequence[int]) -> dict[int, FacetRow]:
    """id -> (id, doc_type, language, country, year) of ``ids``: what the facets count, without
    the rest of each row (read only for the page shown)."""
    out: dict[int, FacetRow] = {}
    for start in range(0, len(ids), 2000):
        chunk = list(ids[start : start + 2000])
        for r in conn.execute(select(*_FACET_COLUMNS).where(docs.c.id.in_(chunk))).all():
            out[int(r[0])] = (int(r[0]), r[1], r[2], r[3], r[4])
    return out


def visible_facet_values(conn: Connection, where: ColumnElement[bool]) -> list[FacetRow]:
    """The facet columns of every document ``where`` keeps, newest first."""
    q = select(*_FACET_COLUMNS).where(where).order_by(docs.c.published.desc(), docs.c.id)
    return [(int(r[0]), r[1], r[2], r[3], r[4]) for r in conn.execute(q).all()]


def concept_counts(conn: Connection, ids: Sequence[int]) -> dict[str, int]:
    """Documents of ``ids`` tagged with each concept (the concept facet), counted by the
    database."""
    out: dict[str, int] = {}
    for start in range(0, len(ids), 2000):
        chunk = list(ids[start : start + 2000])
        q = (
            select(library_tags.c.concept_id, func.count(func.distinct(library_tags.c.document_id)))
            .where(library_tags.c.document_id.in_(chunk))
            .group_by(library_tags.c.concept_id)
        )
        for concept, n in conn.execute(q).all():
            out[str(concept)] = out.get(str(concept), 0) + int(n)
    return out


def tags_of(conn: Connection, ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    out: dict[int, list[dict[str, Any]]] = {}
    for start in range(0, len(ids), 500):
        chunk = list(ids[start : start + 500])
        q = (
            select(library_tags)
            .where(library_tags.c.document_id.in_(chunk))
            .order_by(library_tags.c.score.desc(), library_tags.c.concept_id)
        )
        for r in conn.execute(q).mappings():
            out.setdefault(r["document_id"], []).append(dict(r))
    return out


def passages_of(conn: Connection, doc_id: int) -> list[dict[str, Any]]:
    q = (
        select(library_passages.c.page, library_passages.c.text)
        .where(library_passages.c.document_id == doc_id)
        .order_by(library_passages.c.position)
    )
    return [dict(r) for r in conn.execute(q).mappings()]


def duplicates_of(conn: Connection, doc_id: int) -> list[tuple[int, float]]:
    d = library_duplicates
    rows = [
        *conn.execute(select(d.c.other_id, d.c.similarity).where(d.c.document_id == doc_id)),
        *conn.execute(select(d.c.document_id, d.c.similarity).where(d.c.other_id == doc_id)),
    ]
    return [(int(a), float(b)) for a, b in rows]


def tag_concepts(conn: Connection, ids: Sequence[int]) -> list[tuple[int, str]]:
    """(document id, concept id) of every tag of ``ids``: what the concept facet counts."""
    out: list[tuple[int, str]] = []
    for start in range(0, len(ids), 500):
        chunk = list(ids[start : start + 500])
        q = select(library_tags.c.document_id, library_tags.c.concept_id).where(
            library_tags.c.document_id.in_(chunk)
        )
        out.extend((int(d), str(c)) for d, c in conn.execute(q))
    return out


def tagged_with(
    conn: Connection, concepts: Sequence[str], where: ColumnElement[bool], limit: int = 2000
) -> list[dict[str, Any]]:
    """Visible documents tagged with any of ``concepts``, the strongest evidence first:
    document_id, evidence, page, rank (the sum of the tags' scores)."""
    t = library_tags
    rows = conn.execute(
        select(t.c.document_id, t.c.evidence, t.c.page, t.c.score)
        .join(docs, docs.c.id == t.c.document_id)
        .where(where, t.c.concept_id.in_(list(concepts)))
        .order_by(t.c.score.desc(), t.c.document_id)
        .limit(limit)
    ).mappings()
    best: dict[int, dict[str, Any]] = {}
    for r in rows:
        hit = best.setdefault(
            r["document_id"], {**dict(r), "rank": 0.0, "pid": None, "snippet": None}
        )
        hit["rank"] += float(r["score"])
    return sorted(best.values(), key=lambda h: (-h["rank"], h["document_id"]))
