"""API: trends and alerts of the stored statistics (the services of `thbhub trends` and
`thbhub alerts`; docs/trends.md)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response

from thbhub.analytics.service import (
    DEFAULT_WINDOW,
    MAX_WINDOW,
    MIN_WINDOW,
    alerts,
    flat,
    rows,
    stored_trends,
)
from thbhub.analytics.trends import RESULT_FIELDS
from thbhub.stats import export
from thbhub.stats.query import build_query
from thbhub.web.access import Access, access
from thbhub.web.cache import cached
from thbhub.web.deps import CLEAN, MAX_VALUES, DbDep, Word

router = APIRouter(prefix="/api/v1", tags=["trends"])


def _answer(records: list[dict[str, Any]], format: str, name: str) -> Response:
    if format == "json":
        return JSONResponse(records)
    return Response(
        export.to_csv(flat(records), list(RESULT_FIELDS)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


@router.get(
    "/trends",
    summary="Annual change of each stored series with its 95% interval, p-value, change "
    "points and alert (one series per source, indicator, country and `by` value)",
)
@access(Access.public)
@cached
def get_trends(
    db: DbDep,
    indicator: list[Word] = Query([], max_length=MAX_VALUES, description="e.g. victims"),
    country: list[Word] = Query([], max_length=MAX_VALUES, description="ISO alpha-2, e.g. LT"),
    year_from: int | None = Query(None, alias="from", ge=1900, le=2100),
    year_to: int | None = Query(None, alias="to", ge=1900, le=2100),
    sex: list[Word] = Query([], max_length=MAX_VALUES),
    age: list[Word] = Query([], max_length=MAX_VALUES),
    form: list[Word] = Query([], max_length=MAX_VALUES),
    citizenship: list[Word] = Query([], max_length=MAX_VALUES),
    by: str | None = Query(
        None, max_length=200, pattern=CLEAN, description="comma-separated: sex,age,form,citizenship"
    ),
    source: list[Word] = Query([], max_length=MAX_VALUES),
    across_breaks: bool = Query(False, description="fit across breaks in series"),
    format: Literal["json", "csv"] = Query("json"),
) -> Response:
    query = build_query(
        indicator=indicator,
        country=country,
        year_from=year_from,
        year_to=year_to,
        sex=sex,
        age=age,
        form=form,
        citizenship=citizenship,
        by=by,
        source=source,
    )
    return _answer(rows(stored_trends(db, query, across_breaks=across_breaks)), format, "trends")


@router.get(
    "/alerts",
    summary="Significant rises (Benjamini-Hochberg over every series tested) in the total and "
    "each sex, age, form and citizenship of each country, each with one sentence",
)
@access(Access.public)
@cached
def get_alerts(
    db: DbDep,
    indicator: str = Query("victims", max_length=200, pattern=CLEAN, description="e.g. victims"),
    country: list[Word] = Query([], max_length=MAX_VALUES, description="ISO alpha-2, e.g. LT"),
    window: int = Query(DEFAULT_WINDOW, ge=MIN_WINDOW, le=MAX_WINDOW, description="years"),
    format: Literal["json", "csv"] = Query("json"),
) -> Response:
    query = build_query(indicator=indicator, country=country)
    return _answer(rows(alerts(db, query, window=window)), format, "alerts")
