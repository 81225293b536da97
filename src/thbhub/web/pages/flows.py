"""Flows and shares pages: the ranked flows from citizenship to the detecting country with a
Sankey-style chart, and the share tables with their intervals; each renders the same service
call as its API route (web/api/shares.py), with the comparability notes when countries are
compared."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from thbhub.analytics.flowcharts import flow_chart, share_chart
from thbhub.analytics.flows import FlowResult, flows
from thbhub.analytics.shares import REGION, REGION_LABEL, SHARE_DIMENSIONS, share_report
from thbhub.domain.errors import UserError
from thbhub.stats.profile import member_states
from thbhub.web.access import Access, access
from thbhub.web.cache import cached
from thbhub.web.deps import MAX_VALUES, DbDep, TemplatesDep, Word

router = APIRouter(include_in_schema=False)


def _split(values: list[str]) -> list[str]:
    return [p.strip() for v in values for p in v.split(",") if p.strip()]


@router.get("/flows", response_class=HTMLResponse)
@access(Access.public)
@cached
def flows_page(
    request: Request,
    db: DbDep,
    templates: TemplatesDep,
    country: list[Word] = Query([], max_length=MAX_VALUES),
    year: int | None = Query(None, ge=1900, le=2100),
    year_from: int | None = Query(None, alias="from", ge=1900, le=2100),
    year_to: int | None = Query(None, alias="to", ge=1900, le=2100),
    origin: Literal["citizenship", "subregion", "region"] = Query("citizenship"),
) -> HTMLResponse:
    countries = _split(country)
    error = None
    try:
        result = flows(
            db,
            countries=countries,
            year=year,
            year_from=year_from,
            year_to=year_to,
            origin=origin,
        )
    except UserError as exc:
        error = str(exc)
        result = FlowResult([], [], [], [])
    chart = flow_chart(result)
    return templates.TemplateResponse(
        request,
        "flows.html",
        {
            "result": result,
            "chart": chart,
            "error": error,
            "states": member_states(db),
            "selected": {
                "countries": countries,
                "year": year,
                "from": year_from,
                "to": year_to,
                "origin": origin,
            },
            "api_query": str(request.url.query),
        },
    )


@router.get("/shares", response_class=HTMLResponse)
@access(Access.public)
@cached
def shares_page(
    request: Request,
    db: DbDep,
    templates: TemplatesDep,
    country: list[Word] = Query([], max_length=MAX_VALUES),
    by: list[Word] = Query([], max_length=MAX_VALUES),
    year: int | None = Query(None, ge=1900, le=2100),
    method: Literal["wilson", "goodman"] = Query("wilson"),
) -> HTMLResponse:
    countries = _split(country) or [REGION]
    error = None
    report: dict[str, Any] = {"tables": [], "comparability": []}
    try:
        report = share_report(
            db,
            countries=countries,
            by=_split(by) or list(SHARE_DIMENSIONS),
            year=year,
            method=method,
        )
    except UserError as exc:
        error = str(exc)
    charts = [share_chart(t) for t in report["tables"]]
    return templates.TemplateResponse(
        request,
        "shares.html",
        {
            "report": report,
            "charts": charts,
            "error": error,
            "states": member_states(db),
            "region": REGION,
            "region_label": REGION_LABEL,
            "dimensions": SHARE_DIMENSIONS,
            "selected": {"countries": countries, "by": _split(by), "year": year, "method": method},
            "api_query": str(request.url.query),
        },
    )
