"""The home page: what the hub holds."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from thbhub.hub import overview
from thbhub.web.access import Access, access
from thbhub.web.cache import cached
from thbhub.web.deps import DbDep, TemplatesDep

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
@access(Access.public)
@cached
def home(request: Request, db: DbDep, templates: TemplatesDep) -> HTMLResponse:
    return templates.TemplateResponse(request, "home.html", {"overview": overview(db)})


@router.get("/favicon.ico")
@access(Access.public)
def favicon() -> RedirectResponse:
    # Pages link the SVG icon (base.html); this serves whatever asks the conventional path
    # anyway (the JSON API and OpenAPI document opened in a browser, feed readers).
    return RedirectResponse("/static/favicon.svg", status_code=301)
