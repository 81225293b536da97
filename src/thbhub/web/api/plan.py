"""API: the strategic plan monitor.  Reads are public (what is public; members read the
internal projects and reviews too); importing the portfolio and changing a project belong to
the secretariat (and a project's own organisation), checked in the services and audited.

The indicator and review routes are not cached (``@cached``): their answer depends on
today's date (progress is judged as of today), not on the data alone.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, File, Path, Query, Response, UploadFile
from pydantic import BaseModel, ConfigDict, Field

from thbhub.plan import service
from thbhub.plan.files import YAML_SUFFIXES
from thbhub.plan.sheets import PROJECT_STATUSES
from thbhub.web.access import Access, access
from thbhub.web.cache import cached
from thbhub.web.deps import DbDep, PrincipalDep, SettingsDep
from thbhub.web.uploads import received_upload

router = APIRouter(prefix="/api/v1/plan", tags=["plan"])

#: A portfolio identifier (EX-P1) or a concept id (objective:4).
KEY = r"^[A-Za-z0-9][A-Za-z0-9._:-]*$"
KeyPath = Annotated[str, Path(min_length=1, max_length=64, pattern=KEY)]
Year = Annotated[int | None, Query(ge=1900, le=2100, description="Only this year")]
Presidency = Annotated[
    str | None, Query(max_length=64, pattern=KEY, description="Only this presidency's period")
]
AsOf = Annotated[date | None, Query(description="Judge progress on this day (default today)")]
ConceptQuery = Annotated[str | None, Query(max_length=200, pattern=KEY)]


@router.get("", summary="The plan: period, objectives, principles, partners")
@access(Access.public)
@cached
def get_plan(db: DbDep) -> dict[str, Any]:
    return service.plan_overview(db)


@router.get("/objectives", summary="Each objective with what serves it in the period")
@access(Access.public)
@cached
def get_objectives(
    db: DbDep, principal: PrincipalDep, year: Year = None, presidency: Presidency = None
) -> list[dict[str, Any]]:
    return service.objectives(db, principal, year, presidency)


@router.get("/coverage", summary="Coverage matrix: one row per objective (or principle) and year")
@access(Access.public)
@cached
def get_coverage(
    db: DbDep,
    principal: PrincipalDep,
    year: Year = None,
    presidency: Presidency = None,
    scheme: Literal["objective", "principle"] = "objective",
) -> list[dict[str, Any]]:
    return service.coverage(db, principal, year, presidency, scheme)


@router.get("/projects", summary="Projects running in the period")
@access(Access.public)
@cached
def get_projects(
    db: DbDep,
    principal: PrincipalDep,
    year: Year = None,
    presidency: Presidency = None,
    objective: ConceptQuery = None,
    concept: ConceptQuery = None,
) -> list[dict[str, Any]]:
    return service.projects(db, principal, year, presidency, objective, concept)


@router.get("/projects/{key}", summary="One project with what it builds on and what builds on it")
@access(Access.public)
@cached
def get_project(db: DbDep, principal: PrincipalDep, key: KeyPath) -> dict[str, Any]:
    return service.project(db, principal, key)


@router.post("/projects/{key}/status", summary="Change a project's status (secretariat, owner)")
@access(Access.authenticated)
def post_project_status(
    db: DbDep,
    principal: PrincipalDep,
    key: KeyPath,
    status: Annotated[Literal[PROJECT_STATUSES], Body(embed=True)],  # type: ignore[valid-type]
) -> dict[str, Any]:
    return service.set_status(db, principal, key, status)


class ProjectChanges(BaseModel):
    """Fields to change; an empty text clears an optional field."""

    model_config = ConfigDict(extra="forbid")
    title: str | None = Field(None, max_length=500)
    description: str | None = Field(None, max_length=20_000)
    status: Literal["planned", "ongoing", "completed", "cancelled"] | None = None
    starts: date | None = None
    ends: date | None = None
    budget: float | str | None = None
    currency: str | None = Field(None, max_length=3)
    funder: str | None = Field(None, max_length=300)


@router.patch("/projects/{key}", summary="Change a project's fields (secretariat, owner)")
@access(Access.authenticated)
def patch_project(
    db: DbDep, principal: PrincipalDep, key: KeyPath, changes: ProjectChanges
) -> dict[str, Any]:
    return service.edit_project(db, principal, key, changes.model_dump(exclude_unset=True))


@router.get(
    "/export",
    summary="The whole portfolio as YAML (secretariat)",
    response_class=Response,
    responses={200: {"content": {"application/yaml": {"schema": {"type": "object"}}}}},
)
@access(Access.authenticated)
def get_export(db: DbDep, principal: PrincipalDep) -> Response:
    text = service.export_yaml(db, principal)
    return Response(
        text,
        media_type="application/yaml",
        headers={"Content-Disposition": 'attachment; filename="portfolio.yaml"'},
    )


@router.get("/indicators", summary="Indicators: latest value against baseline and target")
@access(Access.public)
def get_indicators(db: DbDep, principal: PrincipalDep, as_of: AsOf = None) -> list[dict[str, Any]]:
    return service.indicators(db, principal, as_of)


@router.get("/indicators/{key}", summary="One indicator with its dated values")
@access(Access.public)
def get_indicator(
    db: DbDep, principal: PrincipalDep, key: KeyPath, as_of: AsOf = None
) -> dict[str, Any]:
    return service.indicator(db, principal, key, as_of)


@router.get("/review", summary="The review report for the Committee of Senior Officials")
@access(Access.public)
def get_review(
    db: DbDep,
    principal: PrincipalDep,
    year: Year = None,
    presidency: Presidency = None,
    as_of: AsOf = None,
) -> dict[str, Any]:
    return service.review(db, principal, year, presidency, as_of)


@router.post("/import", summary="Replace the portfolio with a YAML file (secretariat)")
@access(Access.authenticated)
def post_import(
    db: DbDep, settings: SettingsDep, principal: PrincipalDep, file: UploadFile = File(...)
) -> dict[str, Any]:
    with received_upload(file, settings, YAML_SUFFIXES) as saved:
        result = service.import_portfolio(db, principal, saved.path)
    return {**result, "file": saved.name}
