"""What keeps search fast at 100,000 documents (benchmarks/library.py measures it) without
changing its answers, on both backends: PostgreSQL ranks from a stored tsvector (migration
library_0003, which fills it for passages stored before); a search ranks the best
TEXT_CANDIDATES passages and its total and facets count exactly the documents it lists, never
a hidden one; similarity over a large library first scans a PCA projection, then scores the
best candidates exactly; a search does not wait for the embedded documents to be counted
again or their vectors read again."""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import text

from support import make_settings
from thbhub.domain.principals import PUBLIC, Principal, Role
from thbhub.hub import init_hub
from thbhub.library import embeddings, service
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.storage import library as q
from thbhub.storage import library_vectors as vq
from thbhub.storage.migrate import _config
from thbhub.web.app import create_app

CLI = Principal(role=Role.admin, email="cli:test", origin="cli")
ADMIN = Principal(role=Role.admin, email="admin@test", origin="web")


def _values(n: int, access: str = "public") -> dict[str, Any]:
    return {
        "checksum": hashlib.sha256(f"doc-{n}".encode()).hexdigest(),
        "file_name": f"doc-{n}.txt",
        "record": None,
        "media_type": "text",
        "title": f"Report {n}",
        "doc_type": "doctype:report",
        "language": "en",
        "country": None,
        "published": "2020-01-01",
        "year": 2020,
        "url": None,
        "licence": None,
        "access": access,
        "state": "published",
        "pages": None,
        "chars": 60,
        "minhash": [0] * 4,
        "imported_at": datetime(2026, 12, 1, tzinfo=UTC),
        "imported_by": None,
        "organisation_id": None,
    }


def test_passages_stored_before_the_stored_tsvector_are_found_after_the_upgrade(
    empty_db_url: str, tmp_path: Path
) -> None:
    old = Database(empty_db_url)
    try:
        command.upgrade(_config(old), "library_0002")
        with old.begin() as conn:
            doc = q.insert_document(
                conn,
                _values(1),
                [(None, "Fishermen held at sea for years by a quokkamarker crew.")],
                [],
                [],
            )
        init_hub(old, make_settings(tmp_path, empty_db_url))  # upgrades to library_0003
        found = service.search(old, PUBLIC, "quokkamarker crew")
        assert [r["id"] for r in found["results"]] == [doc]
        assert "\x02quokkamarker\x03" in (found["results"][0]["snippet"] or "")
        if not old.is_sqlite:
            with old.connect() as conn:
                # Filled for the passage stored before; the old expression index is gone.
                assert (
                    conn.execute(
                        text("SELECT count(*) FROM library_passages WHERE fts_vector IS NULL")
                    ).scalar_one()
                    == 0
                )
                indexes = set(
                    conn.execute(
                        text(
                            "SELECT indexname FROM pg_indexes WHERE tablename = 'library_passages'"
                        )
                    ).scalars()
                )
                assert "ix_library_passages_fts_vector" in indexes
                assert "ix_library_passages_fts" not in indexes
    finally:
        old.dispose()


def test_postgresql_ranks_from_the_stored_tsvectors_index(db: Database) -> None:
    if db.is_sqlite:
        pytest.skip("FTS5 stores its own index")
    with db.begin() as conn:
        q.insert_document(conn, _values(1), [(None, "forced labour on boats")], [], [])
    with db.connect() as conn:
        conn.execute(text("SET enable_seqscan = off"))
        hits = q._ranked(["forced", "labour"], "postgresql", 10)
        sql = str(hits.element.compile(conn, compile_kwargs={"literal_binds": True}))
        plan = "\n".join(conn.execute(text("EXPLAIN " + sql)).scalars())
    # The stored column's GIN index, not a to_tsvector of the text parsed at query time.
    assert "ix_library_passages_fts_vector" in plan, plan
    assert "to_tsvector" not in plan, plan


def test_total_and_facets_count_the_listed_documents_and_never_a_hidden_one(
    db: Database, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    for n in range(7):  # ranked by how often the word occurs: doc 6 first
        (folder / f"open{n}.txt").write_text(f"Report {n} names " + "quokkamarker " * (n + 1))
    opened = service.import_documents(db, CLI, [folder], service.ImportOptions()).documents
    hidden = tmp_path / "hidden"
    hidden.mkdir()
    for n in range(3):  # ranked above every public one
        (hidden / f"h{n}.txt").write_text(f"Hidden {n} " + "quokkamarker " * 20)
    members = service.import_documents(
        db, CLI, [hidden], service.ImportOptions(access="member")
    ).documents
    monkeypatch.setattr(q, "TEXT_CANDIDATES", 3)
    found = service.search(db, PUBLIC, "quokkamarker")
    ids = [r["id"] for r in found["results"]]
    assert not set(ids) & set(members)
    assert len(ids) == found["total"] == 3
    assert found["limited"]  # the other four public ones match too
    assert not service.search(db, PUBLIC, "Report 6")["limited"]
    # The three best public ones (the hidden ones, ranked above them, do not take their place).
    assert set(ids) == set(opened[4:])
    for facet in ("doc_type", "language"):  # text files have no year
        assert sum(found["facets"][facet].values()) == 3, facet
    # The admin's three best are the hidden ones.
    admin = service.search(db, ADMIN, "quokkamarker")
    assert {r["id"] for r in admin["results"]} == set(members)
    # The page says the list is the best matches, not all of them.
    client = TestClient(create_app(settings, db))
    page = client.get("/library", params={"q": "quokkamarker"}).text
    assert "The best 3 matching documents" in page and "More documents match" in page
    assert "The best" not in client.get("/library", params={"q": "Report 6"}).text


def _index(matrix: np.ndarray) -> Any:
    index = embeddings._Index((len(matrix), len(matrix)), np.arange(len(matrix)) + 1, matrix)
    index.basis, index.projected = embeddings._projection(matrix, None)
    return index


def test_the_coarse_pass_finds_the_exact_nearest_when_the_projection_loses_nothing() -> None:
    # Vectors in a subspace of fewer dimensions than the projection keeps (around a common
    # mean, as real embeddings are): the coarse pass must rank as the exact scan does, so a
    # wrong projection (the least-varying directions, a transposed basis) fails here.
    rng = np.random.default_rng(16)
    n, rank = embeddings.COARSE_CANDIDATES * 3, embeddings.PCA_DIM // 2
    directions = rng.standard_normal((rank, embeddings.DIM))
    matrix = rng.standard_normal((n, rank)) @ directions + 3 * rng.standard_normal(embeddings.DIM)
    matrix = (matrix / np.linalg.norm(matrix, axis=1, keepdims=True)).astype(np.float32)
    index = _index(matrix)
    for _ in range(5):
        query = matrix[rng.integers(n)] + 0.1 * rng.standard_normal(embeddings.DIM)
        query = (query / np.linalg.norm(query)).astype(np.float32)
        rows, sims = embeddings._most_similar(index, query, 200)
        exact = matrix @ query
        assert list(rows) == list(np.argsort(-exact, kind="stable")[:200])
        np.testing.assert_allclose(sims, exact[rows], rtol=1e-5)


def _embed(db: Database, doc_id: int, seed: int) -> None:
    vector = np.random.default_rng(seed).standard_normal(embeddings.DIM).astype(np.float32)
    vector /= np.linalg.norm(vector)
    with db.begin() as conn:
        vq.store(conn, doc_id, embeddings.MODEL, [], vector.tobytes())


def test_a_search_does_not_wait_for_counting_and_reading_the_vectors_again(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    db, other = Database(db_url), Database(db_url)  # `other`: another process (the worker)
    try:
        with db.begin() as conn:
            docs = [q.insert_document(conn, _values(n), [], [], []) for n in range(3)]
        _embed(db, docs[0], 0)
        assert embeddings.coverage(db)["embedded"] == 1
        assert list(embeddings._index(db).ids) == [docs[0]]
        _embed(other, docs[1], 1)
        # Within COVERAGE_SECONDS the last count answers, without a query.
        assert embeddings.coverage(db)["embedded"] == 1
        monkeypatch.setattr(embeddings, "COVERAGE_SECONDS", 0.0)
        # Past it, still the last count at once; the new one (and the vectors) come in the
        # background.
        assert embeddings.coverage(db)["embedded"] == 1
        deadline = time.monotonic() + 30
        while embeddings.coverage(db)["embedded"] != 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert embeddings.coverage(db)["embedded"] == 2
        # The vectors were read again before the new count was published.
        assert sorted(embeddings._INDEXES[db].ids) == docs[:2]
    finally:
        embeddings.forget_coverage(db)
        db.dispose()
        other.dispose()
