"""API: insights from case records (docs/insights.md), every number through the gate.

Anyone gets the public's insights (published records of organisations that opted in); with
``organisation_id``, a member of that organisation (or of one it shares with) gets its own
records' insights through the same code, never cached for anyone else (logged-in answers
are not cached: web/cache.py).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request

from thbhub.insights import service
from thbhub.insights.lattices import Lattices
from thbhub.insights.store import StoredLattices
from thbhub.privacy.gate import gated
from thbhub.web.access import Access, access
from thbhub.web.api.privacy import protected_tables
from thbhub.web.cache import cached
from thbhub.web.deps import DbDep, OrgQuery, PrincipalDep, SettingsDep, Word

router = APIRouter(prefix="/api/v1/insights", tags=["insights"])

#: The group a profile shows when none is given.
DEFAULT_GROUP = "form=form:labour-exploitation"

Spec = Query("", max_length=200, pattern=r"^[A-Za-z0-9_:=,.+ -]*$")
Where = Query([], max_length=2, description="Filter, e.g. year=2019")


def source(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    organisation_id: int | None,
) -> Lattices:
    """The caller's lattices: the public's, or (``organisation_id``) its organisation's."""
    who = None if organisation_id is None else principal
    # Not computed on a request (unless the settings say so): a data version not protected
    # yet is computed in the background and the request answers 503 "being computed"
    # (docs/insights.md).
    return service.lattices(
        db,
        settings,
        who,
        organisation_id,
        protected_tables(request),
        background=settings.insights_background,
        stored=stored_lattices(request),
    )


def stored_lattices(request: Request) -> StoredLattices:
    """The app's memory of the stored insight lattices (web/app.py)."""
    stored: StoredLattices = request.app.state.insights_lattices
    return stored


@router.get("/profile", summary="Over- and under-represented characteristics of a group")
@access(Access.public)
@cached
@gated
def get_profile(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    group: str = Query(DEFAULT_GROUP, max_length=200, pattern=r"^[A-Za-z0-9_:=,.+ -]*$"),
    where: list[Word] = Where,
    organisation_id: OrgQuery = None,
) -> dict[str, Any]:
    lattices = source(request, db, settings, principal, organisation_id)
    return service.group_profile(lattices, group or DEFAULT_GROUP, where)


@router.get("/means", summary="Means of control that go together, by form and sector")
@access(Access.public)
@cached
@gated
def get_means(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    form: str | None = Query(None, max_length=60, pattern=r"^[a-z:-]*$"),
    sector: str | None = Query(None, max_length=60, pattern=r"^[A-Za-z0-9:._-]*$"),
    organisation_id: OrgQuery = None,
) -> dict[str, Any]:
    lattices = source(request, db, settings, principal, organisation_id)
    return service.means(lattices, form or None, sector or None)


@router.get("/breakdown", summary="Recruiter relations, means or sectors by form, sex, age, year")
@access(Access.public)
@cached
@gated
def get_breakdown(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    field: str = Query("recruiter", pattern=r"^(recruiter|means|sector)$"),
    across: str = Query("form", pattern=r"^(form|sex|age|year)$"),
    where: list[Word] = Where,
    organisation_id: OrgQuery = None,
) -> dict[str, Any]:
    lattices = source(request, db, settings, principal, organisation_id)
    return service.breakdown(lattices, field, across, where)


@router.get("/journeys", summary="Citizenship to country of exploitation, ranked flows")
@access(Access.public)
@cached
@gated
def get_journeys(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    where: list[Word] = Where,
    limit: int = Query(50, ge=1, le=1000),
    organisation_id: OrgQuery = None,
) -> dict[str, Any]:
    lattices = source(request, db, settings, principal, organisation_id)
    return service.journeys(lattices, where, limit)
