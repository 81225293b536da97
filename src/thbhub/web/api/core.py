"""API: health, overview and sources."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from thbhub.hub import health, overview
from thbhub.web.access import Access, access
from thbhub.web.cache import cached
from thbhub.web.deps import DbDep

router = APIRouter(prefix="/api/v1", tags=["hub"])


@router.get("/health", summary="Database reachable and schema version")
@access(Access.public)
def get_health(db: DbDep) -> JSONResponse:
    result = health(db)
    return JSONResponse(result, status_code=200 if result["status"] == "ok" else 503)


@router.get("/overview", summary="What the hub holds: counts, schemes, sources")
@access(Access.public)
@cached
def get_overview(db: DbDep) -> dict[str, Any]:
    return overview(db)


@router.get("/sources", summary="Registered data sources with attribution")
@access(Access.public)
@cached
def get_sources(db: DbDep) -> list[dict[str, Any]]:
    sources: list[dict[str, Any]] = overview(db)["sources"]
    return sources
