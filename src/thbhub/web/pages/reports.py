"""The Reports page: what can be downloaded (the files come from /api/v1/reports/...)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from thbhub.stats.profile import member_states
from thbhub.web.access import Access, access
from thbhub.web.cache import cached
from thbhub.web.deps import DbDep, TemplatesDep

router = APIRouter(include_in_schema=False)


@router.get("/reports", response_class=HTMLResponse)
@access(Access.public)
@cached
def reports(request: Request, db: DbDep, templates: TemplatesDep) -> HTMLResponse:
    return templates.TemplateResponse(request, "reports.html", {"states": member_states(db)})
