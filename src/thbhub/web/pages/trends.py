"""Trends and Alerts pages: the answers of `GET /api/v1/trends` and `/api/v1/alerts` (the same
service calls) with a chart per series; docs/trends.md."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from thbhub.analytics.service import DEFAULT_WINDOW, MAX_WINDOW, MIN_WINDOW, alerts
from thbhub.analytics.views import SeriesView, alert_views, series_views, with_chart
from thbhub.domain.concepts import CBSS_MEMBER_STATES
from thbhub.domain.errors import UserError
from thbhub.domain.observations import DIMENSIONS
from thbhub.stats.profile import member_states
from thbhub.stats.query import build_query, dimension_choices
from thbhub.web.access import Access, access
from thbhub.web.cache import cached
from thbhub.web.deps import CLEAN, DbDep, TemplatesDep, Word

router = APIRouter(include_in_schema=False)

#: Series charted at most on one page (the table lists them all; a chart of any other series
#: is one click away).
CHART_LIMIT = 12
_BY = r"^(" + "|".join(DIMENSIONS) + r")?$"
_COUNTRY = r"^([A-Za-z]{2})?$"


def _charted(views: list[SeriesView], selected: str | None) -> list[SeriesView]:
    """The series drawn: the one asked for, else alerts first, then the rest in the table's
    order, up to CHART_LIMIT (a series without a known cell has nothing to draw)."""
    if selected:
        return [with_chart(v) for v in views if v.series.key == selected]
    drawable = [v for v in views if v.cells and any(p.known for p in v.cells)]
    ordered = [v for v in drawable if v.trend.alert] + [v for v in drawable if not v.trend.alert]
    return [with_chart(v) for v in ordered[:CHART_LIMIT]]


@router.get("/trends", response_class=HTMLResponse)
@access(Access.public)
@cached
def trends(
    request: Request,
    db: DbDep,
    templates: TemplatesDep,
    indicator: str = Query("victims", max_length=64, pattern=CLEAN),
    country: str = Query("", max_length=2, pattern=_COUNTRY),
    by: str = Query("", max_length=16, pattern=_BY),
    year_from: int | None = Query(None, alias="from", ge=1900, le=2100),
    year_to: int | None = Query(None, alias="to", ge=1900, le=2100),
    across_breaks: bool = Query(False),
    series: Word | None = Query(None),
) -> HTMLResponse:
    countries = [country.upper()] if country else list(CBSS_MEMBER_STATES)
    error = None
    refused = False  # the choices themselves were refused (a 422), not only a missing series
    views: list[SeriesView] = []
    api_params: list[tuple[str, Any]] = [("indicator", indicator)]
    api_params += [("country", c) for c in countries]
    api_params += [(k, v) for k, v in (("by", by), ("from", year_from), ("to", year_to)) if v]
    if across_breaks:
        api_params.append(("across_breaks", "true"))
    # This page's own address without `series` (its links choose one series or none).
    page_params: list[tuple[str, Any]] = [("indicator", indicator), ("country", country)]
    page_params += [(k, v) for k, v in api_params if k in ("by", "from", "to", "across_breaks")]
    try:
        query = build_query(
            indicator=indicator,
            country=countries,
            year_from=year_from,
            year_to=year_to,
            by=by or None,
        )
        views = series_views(db, query, across_breaks=across_breaks)
    except UserError as exc:
        error, refused = str(exc), True
    selected = series if series and any(v.series.key == series for v in views) else None
    if series and not selected and error is None:
        error = f"no series {series!r} in this selection; the table lists the series there are"
    charted = _charted(views, selected)
    return templates.TemplateResponse(
        request,
        "trends.html",
        {
            "views": views,
            "charted": charted,
            "tested": sum(1 for v in views if v.trend.q_value is not None),
            "charted_keys": {v.series.key: i for i, v in enumerate(charted)},
            "selected": selected,
            "chart_limit": CHART_LIMIT,
            "choices": dimension_choices(db),
            "states": member_states(db),
            "dimensions": DIMENSIONS,
            "form": {
                "indicator": indicator,
                "country": country.upper(),
                "by": by,
                "from": year_from,
                "to": year_to,
                "across_breaks": across_breaks,
            },
            "api_params": api_params,
            "page_params": page_params,
            "error": error,
        },
        status_code=422 if refused else 200,
    )


@router.get("/alerts", response_class=HTMLResponse)
@access(Access.public)
@cached
def alerts_page(
    request: Request,
    db: DbDep,
    templates: TemplatesDep,
    indicator: str = Query("victims", max_length=64, pattern=CLEAN),
    country: str = Query("", max_length=2, pattern=_COUNTRY),
    window: int = Query(DEFAULT_WINDOW, ge=MIN_WINDOW, le=MAX_WINDOW),
) -> HTMLResponse:
    error = None
    found = []
    try:
        query = build_query(indicator=indicator, country=[country.upper()] if country else [])
        found = alerts(db, query, window=window)
    except UserError as exc:
        error = str(exc)
    api_params: list[tuple[str, Any]] = [("indicator", indicator), ("window", window)]
    if country:
        api_params.append(("country", country.upper()))
    return templates.TemplateResponse(
        request,
        "alerts.html",
        {
            "alerts": alert_views(found, charts=True),
            "choices": dimension_choices(db),
            "states": member_states(db),
            "form": {"indicator": indicator, "country": country.upper(), "window": window},
            "limits": (MIN_WINDOW, MAX_WINDOW),
            "api_params": api_params,
            "error": error,
        },
        status_code=422 if error else 200,
    )
