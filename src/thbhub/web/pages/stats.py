"""Statistics pages: explore observations; one page per CBSS member state."""

from __future__ import annotations

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from thbhub.analytics.service import DEFAULT_WINDOW
from thbhub.analytics.views import alert_views, country_alerts
from thbhub.domain.concepts import CBSS_MEMBER_STATES
from thbhub.domain.errors import UserError
from thbhub.library.service import documents_about
from thbhub.stats.charts import series_chart, top_series
from thbhub.stats.profile import country_profile, member_states
from thbhub.stats.query import (
    build_query,
    dimension_choices,
    labels,
    list_datasets,
    query_observations,
)
from thbhub.web.access import Access, access
from thbhub.web.cache import cached
from thbhub.web.deps import (
    CLEAN,
    MAX_VALUES,
    DbDep,
    PrincipalDep,
    SettingsDep,
    TemplatesDep,
    Word,
)
from thbhub.web.vega import bundle

router = APIRouter(include_in_schema=False)

MAX_TABLE_ROWS = 2000
CHART_SERIES = 10


@router.get("/assets/vega-embed.js")
@access(Access.public)
def vega_bundle(settings: SettingsDep) -> Response:
    return Response(
        bundle(settings.data_dir / "cache"),
        media_type="text/javascript; charset=utf-8",
        headers={"Cache-Control": "public, max-age=86400"},
    )


@router.get("/explore", response_class=HTMLResponse)
@access(Access.public)
@cached
def explore(
    request: Request,
    db: DbDep,
    templates: TemplatesDep,
    indicator: str = Query("victims", max_length=64, pattern=CLEAN),
    country: list[Word] = Query([], max_length=MAX_VALUES),
    year_from: int | None = Query(None, alias="from", ge=1900, le=2100),
    year_to: int | None = Query(None, alias="to", ge=1900, le=2100),
    # The page draws one series per value of a single dimension (years run along the x axis).
    by: str = Query("", pattern=r"^(sex|age|form|citizenship)?$"),
    per_100k: bool = Query(False),
) -> HTMLResponse:
    countries = [c for c in country if c] or list(CBSS_MEMBER_STATES)
    error = None
    rows: list[dict[str, object]] = []
    try:
        query = build_query(
            indicator=indicator,
            country=countries,
            year_from=year_from,
            year_to=year_to,
            by=",".join(["year", by]) if by else "year",
            per_100k=per_100k,
        )
        rows = query_observations(db, query)
    except UserError as exc:
        error = str(exc)
        countries = list(CBSS_MEMBER_STATES)
        query = build_query(indicator="victims", country=countries, by="year")
    dim = by or None
    ids = {r["indicator"] for r in rows} | ({str(r[dim]) for r in rows} if dim else set())
    names = labels(db, sorted(i for i in ids if isinstance(i, str)))
    chart = None
    chart_note = None
    if rows:
        title = names.get(query.indicators[0], indicator) if query.indicators else indicator
        shown = rows
        if dim:
            shown, count = top_series(rows, dim, CHART_SERIES)
            if count > CHART_SERIES:
                chart_note = (
                    f"The chart shows the {CHART_SERIES} largest of {count} series; "
                    "the table below has them all."
                )
        chart = series_chart(
            shown,
            series_dim=dim,
            labels=names,
            title=title + (" per 100,000" if per_100k else ""),
            y_title="per 100,000 population" if per_100k else "count",
            measure="rate_per_100k" if per_100k else "value",
        )
    return templates.TemplateResponse(
        request,
        "explore.html",
        {
            "rows": rows[:MAX_TABLE_ROWS],
            "total_rows": len(rows),
            "chart": chart,
            "chart_note": chart_note,
            "labels": names,
            "dim": dim,
            "choices": dimension_choices(db),
            "states": member_states(db),
            "selected": {
                "indicator": query.indicators[0].split(":", 1)[1] if query.indicators else "",
                "countries": countries,
                "from": year_from,
                "to": year_to,
                "by": by,
                "per_100k": per_100k,
            },
            "error": error,
            "datasets": list_datasets(db),
            "api_query": str(request.url.query),
        },
    )


@router.get("/countries", response_class=HTMLResponse)
@access(Access.public)
@cached
def countries(request: Request, db: DbDep, templates: TemplatesDep) -> HTMLResponse:
    return templates.TemplateResponse(request, "countries.html", {"states": member_states(db)})


@router.get("/countries/{code}", response_class=HTMLResponse)
@access(Access.public)
@cached
def country(
    request: Request,
    db: DbDep,
    templates: TemplatesDep,
    principal: PrincipalDep,
    code: str = Path(max_length=16, pattern=CLEAN),
) -> HTMLResponse:
    profile = country_profile(db, code)
    found = country_alerts(db, profile["country"])
    docs = documents_about(db, principal, country=f"country:{code.upper()}")
    return templates.TemplateResponse(
        request,
        "country.html",
        {
            "p": profile,
            "states": member_states(db),
            "alerts": alert_views(found),
            "alert_window": DEFAULT_WINDOW,
            "library_documents": docs,
        },
    )
