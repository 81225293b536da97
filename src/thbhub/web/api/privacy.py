"""API: the disclosure policy (public) and an organisation's releases and budget (owner)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path, Query

from thbhub.privacy import service
from thbhub.web.access import Access, access
from thbhub.web.deps import DbDep, PrincipalDep, SettingsDep

router = APIRouter(prefix="/api/v1/privacy", tags=["privacy"])


@router.get("/policy", summary="How outputs derived from case records are protected")
@access(Access.public)
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
