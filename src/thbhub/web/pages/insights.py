"""The Insights page: profiles, means of control and recruiters, journeys (docs/insights.md).

Every number on it comes from the disclosure gate (thbhub.insights); suppressed cells are
shown as suppressed.  Anyone sees the public's insights; ``organisation_id`` shows a member
its own organisation's records (never cached for others: web/cache.py)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from thbhub.insights import charts, service
from thbhub.insights.groups import FORM_VALUES
from thbhub.insights.lattices import TOPICS
from thbhub.insights.modus import BREAKDOWN_BY
from thbhub.insights.profile import CHARACTERISTICS
from thbhub.privacy.gate import gated
from thbhub.taxonomy.service import labels
from thbhub.web.access import Access, access
from thbhub.web.api.insights import DEFAULT_GROUP, source
from thbhub.web.cache import cached
from thbhub.web.deps import DbDep, OrgQuery, PrincipalDep, SettingsDep, TemplatesDep, Word

router = APIRouter(include_in_schema=False)


def _values(*payloads: dict[str, Any]) -> set[str]:
    """Every concept id on the page, to label it."""
    found: set[str] = set()
    for p in payloads:
        for key in ("comparisons", "cells", "rows", "flows"):
            for row in p.get(key, []):
                found |= {str(v) for v in row.values() if isinstance(v, str) and ":" in v}
    return found


@router.get("/insights", response_class=HTMLResponse)
@access(Access.public)
@cached
@gated
def insights_page(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    templates: TemplatesDep,
    group: str = Query(DEFAULT_GROUP, max_length=200, pattern=r"^[A-Za-z0-9_:=,.+ -]*$"),
    form: str | None = Query(None, max_length=60, pattern=r"^[a-z:-]*$"),
    sector: str | None = Query(None, max_length=60, pattern=r"^[A-Za-z0-9:._-]*$"),
    field: str = Query("recruiter", pattern=r"^(recruiter|means|sector)$"),
    across: str = Query("form", pattern=r"^(form|sex|age|year)$"),
    where: list[Word] = Query([], max_length=2),
    organisation_id: OrgQuery = None,
) -> HTMLResponse:
    lattices = source(request, db, settings, principal, organisation_id)
    profile = service.group_profile(lattices, group or DEFAULT_GROUP, where)
    means = service.means(lattices, form or None, sector or None)
    breakdown = service.breakdown(lattices, field, across, where)
    journeys = service.journeys(lattices, where, limit=30)
    names = labels(db, _values(profile, means, breakdown, journeys))
    context = {
        "profile": profile,
        "means": means,
        "breakdown": breakdown,
        "journeys": journeys,
        "labels": names,
        "charts": {
            "profile": charts.profile_chart(profile, names),
            "means": charts.matrix_chart(means, names),
            "breakdown": charts.breakdown_chart(breakdown, names),
            "journeys": charts.journeys_chart(journeys, names),
        },
        "selected": {
            "group": group,
            "form": form or "",
            "sector": sector or "",
            "field": field,
            "by": across,
            "where": where,
            "organisation_id": organisation_id,
        },
        "forms": list(FORM_VALUES),
        "fields": list(TOPICS),
        "bys": BREAKDOWN_BY,
        "characteristics": CHARACTERISTICS,
    }
    return templates.TemplateResponse(request, "insights.html", context)
