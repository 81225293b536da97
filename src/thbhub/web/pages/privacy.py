"""Pages: the disclosure policy (public); releases, budget and utility reports (owner)."""

from __future__ import annotations

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse

from thbhub.privacy import public, service
from thbhub.privacy.gate import gated
from thbhub.taxonomy.service import labels
from thbhub.web.access import Access, access
from thbhub.web.api.privacy import parse_where, protected_tables
from thbhub.web.cache import cached
from thbhub.web.deps import DbDep, PrincipalDep, SettingsDep, TemplatesDep, Word

router = APIRouter(include_in_schema=False)


@router.get("/privacy", response_class=HTMLResponse)
@access(Access.public)
@cached
def policy_page(request: Request, settings: SettingsDep, templates: TemplatesDep) -> HTMLResponse:
    return templates.TemplateResponse(
        request, "privacy.html", {"policy": service.policy_info(settings)}
    )


@router.get("/privacy/releases", response_class=HTMLResponse)
@access(Access.analyst)
def releases_page(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    templates: TemplatesDep,
) -> HTMLResponse:
    data = service.owner_releases(db, settings, principal)
    return templates.TemplateResponse(request, "privacy_releases.html", data)


@router.get("/privacy/releases/{release_id}", response_class=HTMLResponse)
@access(Access.analyst)
def release_page(
    request: Request,
    db: DbDep,
    principal: PrincipalDep,
    templates: TemplatesDep,
    release_id: int = Path(ge=1, le=2**31 - 1),
) -> HTMLResponse:
    release = service.owner_release(db, principal, release_id)
    return templates.TemplateResponse(request, "privacy_release.html", {"r": release})


@router.get("/statistics/case-records", response_class=HTMLResponse)
@access(Access.public)
@cached
@gated
def public_cases_page(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    templates: TemplatesDep,
    by: str = Query("sex,age", max_length=200, pattern=r"^[a-z,_]*$"),
    where: list[Word] = Query([], max_length=5),
) -> HTMLResponse:
    dims = [d for d in by.split(",") if d]
    table = public.public_table(db, settings, dims, parse_where(where), protected_tables(request))
    shown = table.as_dict()
    # People read labels; the JSON twin of this page keeps the concept ids.
    values = {str(r[d]) for r in shown["rows"] for d in shown["by"] if r.get(d) is not None}
    return templates.TemplateResponse(
        request,
        "privacy_table.html",
        {
            "t": shown,
            "labels": labels(db, values),
            "dimensions": public.PUBLIC_DIMENSIONS,
            "organisations": public.published_organisations(db),
            "by": dims,
        },
    )


@router.get("/privacy/preview", response_class=HTMLResponse)
@access(Access.analyst)
def preview_page(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    templates: TemplatesDep,
    by: str = Query("sex,age", max_length=200, pattern=r"^[a-z,_]*$"),
    where: list[Word] = Query([], max_length=5),
) -> HTMLResponse:
    dims = [d for d in by.split(",") if d]
    preview = public.owner_preview(
        db, settings, principal, dims, parse_where(where), protected_tables(request)
    )
    values = {str(r[d]) for r in preview["rows"] for d in preview["by"] if r.get(d) is not None}
    context = {"t": preview, "by": dims, "labels": labels(db, values)}
    return templates.TemplateResponse(request, "privacy_preview.html", context)
