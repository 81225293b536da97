"""Taxonomy services: install the packaged schemes into a database, browse them."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from thbhub.domain.errors import NotFoundError
from thbhub.storage import Database
from thbhub.storage import concepts as q
from thbhub.taxonomy.loader import load_taxonomy


def install_taxonomy(db: Database, data_dir: Path | None = None) -> dict[str, int]:
    taxonomy = load_taxonomy(data_dir)
    with db.begin() as conn:
        changes = q.sync_taxonomy(conn, taxonomy)
    return {"schemes": len(taxonomy.schemes), "concepts": len(taxonomy.concepts()), **changes}


def list_schemes(db: Database) -> list[dict[str, Any]]:
    with db.connect() as conn:
        return [
            {
                "id": s["id"],
                "title": s["titles"].get("en", s["id"]),
                "version": s["version"],
                "concepts": s["concepts"],
                "description": s["descriptions"].get("en", ""),
            }
            for s in q.scheme_rows(conn)
        ]


def list_concepts(db: Database, scheme: str | None = None) -> list[dict[str, Any]]:
    with db.connect() as conn:
        if scheme is not None and scheme not in {s["id"] for s in q.scheme_rows(conn)}:
            raise NotFoundError(f"no concept scheme {scheme!r}; see `thbhub taxonomy schemes`")
        return [
            {
                "id": r["id"],
                "scheme": r["scheme_id"],
                "label": r["label_en"],
                "broader": ";".join(r["broader"]),
            }
            for r in q.concept_rows(conn, scheme)
        ]


def get_concept(db: Database, concept_id: str) -> dict[str, Any]:
    with db.connect() as conn:
        detail = q.concept_detail(conn, concept_id)
    if detail is None:
        raise NotFoundError(f"no concept {concept_id!r}; see `thbhub taxonomy list`")
    return {
        "id": detail["id"],
        "scheme": detail["scheme_id"],
        "label": detail["label_en"],
        "labels": detail["labels"],
        "alt_labels": detail["alt_labels"],
        "definitions": detail["definitions"],
        "broader": detail["broader"],
        "narrower": detail["narrower"],
        "related": detail["related"],
        "mappings": detail["mappings"],
        "attributes": detail["attributes"],
        "deprecated": detail["deprecated"],
    }


def labels(db: Database, ids: Iterable[str]) -> dict[str, str]:
    """English labels of concept ids, for showing ids to people; unknown ids are left out."""
    with db.connect() as conn:
        return q.concept_labels(conn, ids)
