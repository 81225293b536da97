"""API: the disclosure policy (public) and an organisation's releases and budget (owner)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path, Query, Request

from thbhub.privacy import public, service
from thbhub.privacy.gate import gated
from thbhub.web.access import Access, access
from thbhub.web.cache import cached
from thbhub.web.deps import DbDep, PrincipalDep, SettingsDep, Word

router = APIRouter(prefix="/api/v1/privacy", tags=["privacy"])


@router.get("/policy", summary="How outputs derived from case records are protected")
@access(Access.public)
@cached
def get_policy(settings: SettingsDep) -> dict[str, Any]:
    return service.policy_info(settings)


@router.get("/releases", summary="The caller's organisation's releases and budget (owner)")
@access(Access.analyst)
def get_releases(
    db: DbDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    organisation_id: int | None = Query(None, ge=1, le=2**31 - 1),
) -> dict[str, Any]:
    return service.owner_releases(db, settings, principal, organisation_id)


@router.get("/releases/{release_id}", summary="One release with its utility report (owner)")
@access(Access.analyst)
def get_release(
    db: DbDep, principal: PrincipalDep, release_id: int = Path(ge=1, le=2**31 - 1)
) -> dict[str, Any]:
    return service.owner_release(db, principal, release_id)


def protected_tables(request: Request) -> public.ProtectedTables:
    """The app's protected lattices (made by create_app): every request on the public
    tables is answered from the same lattice, computed once per data version."""
    cache: public.ProtectedTables = request.app.state.privacy_tables
    return cache


def parse_where(where: list[str]) -> dict[str, str]:
    return dict(w.split("=", 1) for w in where if "=" in w)


@router.get("/case-tables", summary="Counts of published case records, through the gate")
@access(Access.public)
@cached
@gated
def get_public_table(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    by: str = Query("", max_length=200, pattern=r"^[a-z,_]*$"),
    where: list[Word] = Query([], max_length=5),
) -> dict[str, Any]:
    dims = [d for d in by.split(",") if d]
    table = public.public_table(db, settings, dims, parse_where(where), protected_tables(request))
    return table.as_dict()


@router.get("/case-preview", summary="Your organisation's records through the gate (owner)")
@access(Access.analyst)
def get_preview(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    by: str = Query("", max_length=200, pattern=r"^[a-z,_]*$"),
    where: list[Word] = Query([], max_length=5),
) -> dict[str, Any]:
    dims = [d for d in by.split(",") if d]
    return public.owner_preview(
        db, settings, principal, dims, parse_where(where), protected_tables(request)
    )
