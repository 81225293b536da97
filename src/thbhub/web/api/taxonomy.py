"""API: concept schemes and concepts."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path, Query

from thbhub.taxonomy import service
from thbhub.web.access import Access, access
from thbhub.web.cache import cached
from thbhub.web.deps import CLEAN, DbDep

router = APIRouter(prefix="/api/v1", tags=["taxonomy"])


@router.get("/schemes", summary="Concept schemes")
@access(Access.public)
@cached
def get_schemes(db: DbDep) -> list[dict[str, Any]]:
    return service.list_schemes(db)


@router.get("/concepts", summary="Concepts, optionally of one scheme")
@access(Access.public)
@cached
def get_concepts(
    db: DbDep, scheme: str | None = Query(None, max_length=64, pattern=r"^[a-z0-9-]+$")
) -> list[dict[str, Any]]:
    return service.list_concepts(db, scheme)


@router.get("/concepts/{concept_id}", summary="One concept with labels, links and mappings")
@access(Access.public)
@cached
def get_concept(db: DbDep, concept_id: str = Path(max_length=200, pattern=CLEAN)) -> dict[str, Any]:
    return service.get_concept(db, concept_id)
