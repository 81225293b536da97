"""API: shares with intervals, flows from citizenship to the detecting country, and
comparability notes (the services of `thbhub shares`, `thbhub flows`, `thbhub compare`;
docs/trends.md, "Shares, flows and comparability")."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response

from thbhub.analytics.comparability import NOTE_FIELDS, comparability
from thbhub.analytics.flows import FLOW_FIELDS, flows
from thbhub.analytics.service import flat
from thbhub.analytics.shares import ROW_FIELDS, SHARE_DIMENSIONS, flat_rows, share_report
from thbhub.stats import export
from thbhub.web.access import Access, access
from thbhub.web.cache import cached
from thbhub.web.deps import CLEAN, MAX_VALUES, DbDep, Word

router = APIRouter(prefix="/api/v1", tags=["shares and flows"])


def _csv(records: list[dict[str, Any]], columns: tuple[str, ...], name: str) -> Response:
    return Response(
        export.to_csv(flat(records), list(columns)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


def _split(values: list[str]) -> list[str]:
    return [p.strip() for v in values for p in v.split(",") if p.strip()]


@router.get(
    "/shares",
    summary="Shares of victims by sex, age, form and citizenship with 95% intervals "
    "(Wilson, or Goodman simultaneous); suppressed cells as ranges; the denominator said; "
    "comparability notes when countries are compared",
)
@access(Access.public)
@cached
def get_shares(
    db: DbDep,
    country: list[Word] = Query(
        [], max_length=MAX_VALUES, description="ISO alpha-2, e.g. LV; CBSS = the region"
    ),
    by: list[Word] = Query(
        [], max_length=MAX_VALUES, description="sex, age, form, citizenship; default all four"
    ),
    indicator: str = Query("victims", max_length=64, pattern=CLEAN),
    year: int | None = Query(None, ge=1900, le=2100, description="default: the latest year"),
    year_from: int | None = Query(None, alias="from", ge=1900, le=2100),
    year_to: int | None = Query(None, alias="to", ge=1900, le=2100),
    method: Literal["wilson", "goodman"] = Query("wilson"),
    format: Literal["json", "csv"] = Query("json"),
) -> Response:
    report = share_report(
        db,
        countries=_split(country),
        by=_split(by) or list(SHARE_DIMENSIONS),
        indicator=indicator,
        year=year,
        year_from=year_from,
        year_to=year_to,
        method=method,
    )
    if format == "csv":
        return _csv(flat_rows(report["tables"]), ROW_FIELDS, "shares")
    return JSONResponse(report)


@router.get(
    "/flows",
    summary="Victims from their citizenship to the country that detected them, ranked, with a "
    "Sankey-ready nodes/links form; suppressed cells shown as such (value null, bounds)",
)
@access(Access.public)
@cached
def get_flows(
    db: DbDep,
    country: list[Word] = Query(
        [], max_length=MAX_VALUES, description="detecting country; default the CBSS states"
    ),
    citizenship: list[Word] = Query([], max_length=MAX_VALUES, description="e.g. UA"),
    indicator: str = Query("victims", max_length=64, pattern=CLEAN),
    year: int | None = Query(None, ge=1900, le=2100, description="default: each country's latest"),
    year_from: int | None = Query(None, alias="from", ge=1900, le=2100),
    year_to: int | None = Query(None, alias="to", ge=1900, le=2100),
    origin: Literal["citizenship", "subregion", "region"] = Query(
        "citizenship", description="group origins by UN M49 subregion or region"
    ),
    format: Literal["json", "csv"] = Query("json"),
) -> Response:
    result = flows(
        db,
        countries=_split(country),
        citizenship=_split(citizenship),
        indicator=indicator,
        year=year,
        year_from=year_from,
        year_to=year_to,
        origin=origin,
    )
    if format == "csv":
        return _csv(result.flows, FLOW_FIELDS, "flows")
    return JSONResponse(result.as_dict())


@router.get(
    "/comparability",
    summary="What is not comparable between countries (definitions, counting units, "
    "identified vs presumed victims, breaks, reporting): the sources' notes and the flags "
    "of the stored cells, each with its attribution",
)
@access(Access.public)
@cached
def get_comparability(
    db: DbDep,
    countries: list[Word] = Query(..., max_length=MAX_VALUES, description="two or more"),
    indicator: str = Query("victims", max_length=64, pattern=CLEAN),
    by: list[Word] = Query([], max_length=MAX_VALUES, description="e.g. citizenship"),
    year_from: int | None = Query(None, alias="from", ge=1900, le=2100),
    year_to: int | None = Query(None, alias="to", ge=1900, le=2100),
    format: Literal["json", "csv"] = Query("json"),
) -> Response:
    notes = comparability(
        db,
        _split(countries),
        indicator=indicator,
        year_from=year_from,
        year_to=year_to,
        dimensions=list(dict.fromkeys(_split(by))),
    )
    if format == "csv":
        return _csv(notes, NOTE_FIELDS, "comparability")
    return JSONResponse(notes)
