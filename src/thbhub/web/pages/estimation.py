"""The Estimates page: hidden victims by multiple systems estimation, on the published tables
bundled with the hub (the service of GET /api/v1/estimates/tables/{name})."""

from __future__ import annotations

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from thbhub.estimation import linkage
from thbhub.estimation.project_estimates import page_estimates
from thbhub.estimation.report import WEB_MAX_BOOTSTRAP, sample_list, sample_report
from thbhub.estimation.samples import TABLES
from thbhub.estimation.service import DEFAULT_BOOTSTRAP, DEFAULT_SEED, DEFAULT_THRESHOLD
from thbhub.privacy.gate import gated
from thbhub.storage.schema import MAX_ID
from thbhub.web import flash
from thbhub.web.access import Access, access
from thbhub.web.cache import cached
from thbhub.web.deps import DbDep, PrincipalDep, SettingsDep, TemplatesDep
from thbhub.web.flash import Flash

router = APIRouter(include_in_schema=False)
FIRST = next(iter(TABLES))
ProjectName = Path(max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{1,99}$")


@router.get("/estimates", response_class=HTMLResponse)
@access(Access.public)
@cached
def estimates(
    request: Request,
    templates: TemplatesDep,
    table: str = Query(FIRST, max_length=64, pattern=r"^[A-Za-z0-9_]+\.csv$"),
    threshold: float = Query(DEFAULT_THRESHOLD, ge=0, le=1),
    bootstrap: int = Query(DEFAULT_BOOTSTRAP, ge=0, le=WEB_MAX_BOOTSTRAP),
    seed: int = Query(DEFAULT_SEED, ge=0, le=MAX_ID),
) -> HTMLResponse:
    found = sample_report(table, threshold, bootstrap, seed)
    return templates.TemplateResponse(
        request, "estimates.html", {"tables": sample_list(), "current": table, "r": found}
    )


#: Replicates for each project's interval on the page (the API takes ?bootstrap=).
PAGE_BOOTSTRAP = 200


@router.get("/estimates/projects", response_class=HTMLResponse)
@access(Access.public)
@gated
def project_estimates(
    request: Request,
    templates: TemplatesDep,
    db: DbDep,
    settings: SettingsDep,
    principal: PrincipalDep,
) -> HTMLResponse:
    """Linkage projects' estimates from the hub's own records; not cached: members see
    their project's overlap table, everybody else the estimate only when published."""
    found = page_estimates(db, settings, principal, PAGE_BOOTSTRAP)
    return templates.TemplateResponse(
        request, "estimates_projects.html", {"projects": found, "bootstrap": PAGE_BOOTSTRAP}
    )


@router.post("/estimates/projects/{name}/leave")
@access(Access.contributor)
def project_leave(
    request: Request, db: DbDep, principal: PrincipalDep, name: str = ProjectName
) -> Response:
    linkage.leave(db, principal, name)
    return flash.redirect(
        request,
        "/estimates/projects",
        Flash(
            message=f"Your organisation left {name}: its linkage keys are deleted and its "
            "records no longer count in the project's estimate."
        ),
    )


@router.post("/estimates/projects/{name}/end")
@access(Access.authenticated)
def project_end(
    request: Request, db: DbDep, principal: PrincipalDep, name: str = ProjectName
) -> Response:
    linkage.end(db, principal, name)
    return flash.redirect(
        request,
        "/estimates/projects",
        Flash(message=f"Linkage project {name} ended: every linkage key is deleted."),
    )
