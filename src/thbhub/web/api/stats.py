"""API: national statistics — observations (JSON, CSV, Parquet) and datasets."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse, Response

from thbhub.stats import export
from thbhub.stats.profile import country_profile
from thbhub.stats.query import build_query, list_datasets, query_observations, result_columns
from thbhub.web.access import Access, access
from thbhub.web.cache import cached
from thbhub.web.deps import CLEAN, MAX_ID, MAX_VALUES, DbDep, Word

router = APIRouter(prefix="/api/v1", tags=["statistics"])

_MEDIA = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "parquet": "application/vnd.apache.parquet",
}


@router.get(
    "/observations",
    summary="Observations with status, flags and bounds; every dimension not in `by` is its total",
)
@access(Access.public)
@cached
def get_observations(
    db: DbDep,
    indicator: list[Word] = Query(
        [], max_length=MAX_VALUES, description="e.g. victims or indicator:victims"
    ),
    country: list[Word] = Query([], max_length=MAX_VALUES, description="ISO alpha-2, e.g. LT"),
    year: int | None = Query(None, ge=1900, le=2100),
    year_from: int | None = Query(None, alias="from", ge=1900, le=2100),
    year_to: int | None = Query(None, alias="to", ge=1900, le=2100),
    sex: list[Word] = Query([], max_length=MAX_VALUES),
    age: list[Word] = Query([], max_length=MAX_VALUES),
    form: list[Word] = Query([], max_length=MAX_VALUES),
    citizenship: list[Word] = Query(
        [], max_length=MAX_VALUES, description="e.g. RO, country:RO, nationals"
    ),
    repatriation: list[Word] = Query(
        [], max_length=MAX_VALUES, description="country of repatriation, e.g. RO"
    ),
    extra: list[Word] = Query(
        [], max_length=MAX_VALUES, description="a further dimension: KEY=VALUE, e.g. part=1"
    ),
    by: str | None = Query(
        None,
        max_length=200,
        pattern=CLEAN,
        description="comma-separated: year,sex,age,form,citizenship,repatriation",
    ),
    per_100k: bool = Query(False, alias="per_100k"),
    source: list[Word] = Query([], max_length=MAX_VALUES),
    dataset: int | None = Query(None, ge=1, le=MAX_ID),
    format: Literal["json", "csv", "parquet"] = Query("json"),
) -> Response:
    query = build_query(
        indicator=indicator,
        country=country,
        year=year,
        year_from=year_from,
        year_to=year_to,
        sex=sex,
        age=age,
        form=form,
        citizenship=citizenship,
        repatriation=repatriation,
        extra=extra,
        by=by,
        per_100k=per_100k,
        source=source,
        dataset=dataset,
    )
    rows = query_observations(db, query)
    if format == "json":
        return JSONResponse(rows)
    columns = result_columns(query)
    body = export.to_csv(rows, columns) if format == "csv" else export.to_parquet(rows, columns)
    return Response(
        body,
        media_type=_MEDIA[format],
        headers={"Content-Disposition": f'attachment; filename="observations.{format}"'},
    )


@router.get("/datasets", summary="Imported statistical datasets (one per file and release)")
@access(Access.public)
@cached
def get_datasets(db: DbDep) -> list[dict[str, Any]]:
    return list_datasets(db)


@router.get(
    "/countries/{code}/statistics",
    summary="A CBSS member state's headline series (the country page's data and chart specs)",
)
@access(Access.public)
@cached
def get_country_statistics(
    db: DbDep, code: str = Path(max_length=16, pattern=CLEAN)
) -> dict[str, Any]:
    return country_profile(db, code)
