"""The plan monitor's pages: the coverage matrices (/plan), projects, indicators and the
review report.  Each renders the same service call as its /api/v1/plan endpoint.

The indicator and review routes are not cached (``@cached``): their answer depends on
today's date (progress is judged as of today), not on the data alone.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from thbhub.domain.errors import NotFoundError, PermissionDenied, UserError
from thbhub.plan import service
from thbhub.plan.files import YAML_SUFFIXES
from thbhub.plan.sheets import PROJECT_STATUSES
from thbhub.web.access import Access, access
from thbhub.web.api.plan import KEY, AsOf, ConceptQuery, KeyPath, Presidency, Year
from thbhub.web.cache import cached
from thbhub.web.deps import CLEAN, CLEAN_LINES, DbDep, PrincipalDep, SettingsDep, TemplatesDep
from thbhub.web.flash import Flash, redirect
from thbhub.web.uploads import received_upload

router = APIRouter(include_in_schema=False)

StatusForm = Annotated[str, Form(max_length=20, pattern=r"^[a-z]+$")]


def _base(db: DbDep) -> dict[str, Any]:
    return {"plan": service.plan_overview(db)}


def _matrix(
    rows: list[dict[str, Any]], concepts: list[dict[str, str]], name: str
) -> dict[str, Any]:
    years = sorted({r["year"] for r in rows})
    cells = {(r[name], r["year"]): r for r in rows}
    return {
        "years": years,
        "rows": [
            {"id": c["id"], "label": c["label"], "cells": [cells[(c["id"], y)] for y in years]}
            for c in concepts
        ],
    }


def _coverage_chart(matrix: dict[str, Any]) -> dict[str, Any]:
    values = [
        {
            "objective": r["label"],
            "year": str(cell["year"]),
            "work": cell["projects"] + cell["activities"] + cell["outputs"],
            "projects": cell["projects"],
            "activities": cell["activities"],
            "outputs": cell["outputs"],
        }
        for r in matrix["rows"]
        for cell in r["cells"]
    ]
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "title": "Coverage of the strategic objectives by year",
        "usermeta": {
            "legend": "Darker: more projects, activities and outputs; the lightest cells are gaps "
            "(nothing being done)."
        },
        "data": {"values": values},
        "width": 360,
        "mark": {"type": "rect", "stroke": "#767676"},
        "encoding": {
            "x": {"field": "year", "type": "ordinal", "title": "Year"},
            "y": {"field": "objective", "type": "nominal", "title": None, "sort": None},
            "color": {
                "field": "work",
                "type": "quantitative",
                "title": "projects + activities + outputs",
                "scale": {"scheme": "blues", "domainMin": 0},
            },
            "tooltip": [
                {"field": "objective"},
                {"field": "year"},
                {"field": "projects"},
                {"field": "activities"},
                {"field": "outputs"},
            ],
        },
    }


@router.get("/plan", response_class=HTMLResponse)
@access(Access.public)
@cached
def plan_page(
    request: Request,
    db: DbDep,
    principal: PrincipalDep,
    templates: TemplatesDep,
    year: Year = None,
    presidency: Presidency = None,
) -> HTMLResponse:
    base = _base(db)
    objectives = _matrix(
        service.coverage(db, principal, year, presidency), base["plan"]["objectives"], "objective"
    )
    principles = _matrix(
        service.coverage(db, principal, year, presidency, "principle"),
        base["plan"]["principles"],
        "principle",
    )
    portfolio = service.portfolio(db, principal)
    return templates.TemplateResponse(
        request,
        "plan.html",
        {
            **base,
            "can_manage": service.may_import(db, principal),
            "objectives": objectives,
            "principles": principles,
            "chart": _coverage_chart(objectives),
            "presidencies": portfolio["presidencies"],
            "priorities": portfolio["priorities"],
            "year": year,
            "presidency": presidency,
        },
    )


@router.get("/plan/projects", response_class=HTMLResponse)
@access(Access.public)
@cached
def projects_page(
    request: Request,
    db: DbDep,
    principal: PrincipalDep,
    templates: TemplatesDep,
    year: Year = None,
    presidency: Presidency = None,
    objective: Annotated[str | None, Query(max_length=64, pattern=r"^objective:[0-9]+$")] = None,
    concept: ConceptQuery = None,
) -> HTMLResponse:
    rows = service.projects(db, principal, year, presidency, objective, concept)
    context = {"projects": rows, "year": year, "objective": objective, "concept": concept}
    return templates.TemplateResponse(request, "plan_projects.html", {**_base(db), **context})


@router.get("/plan/topics/{concept_id}", response_class=HTMLResponse)
@access(Access.public)
@cached
def topic_projects(
    request: Request,
    db: DbDep,
    principal: PrincipalDep,
    templates: TemplatesDep,
    concept_id: Annotated[str, Path(max_length=200, pattern=KEY)],
) -> HTMLResponse:
    """The projects, activities and outputs tagged with a topic: a fragment the topic page
    loads (htmx) in place of its link to /plan/projects?concept=..."""
    rows = service.projects(db, principal, concept=concept_id)
    return templates.TemplateResponse(
        request, "_plan_topic.html", {"projects": rows, "concept": concept_id}
    )


@router.get("/plan/projects/{key}", response_class=HTMLResponse)
@access(Access.public)
@cached
def project_page(
    request: Request, db: DbDep, principal: PrincipalDep, templates: TemplatesDep, key: KeyPath
) -> HTMLResponse:
    return templates.TemplateResponse(
        request,
        "plan_project.html",
        {**_base(db), "p": service.project(db, principal, key), "statuses": PROJECT_STATUSES},
    )


TextForm = Annotated[str, Form(max_length=500, pattern=CLEAN)]
LongForm = Annotated[str, Form(max_length=20_000, pattern=CLEAN_LINES)]


@router.post("/plan/projects/{key}/edit")
@access(Access.authenticated)
def project_edit(
    request: Request,
    db: DbDep,
    principal: PrincipalDep,
    key: KeyPath,
    title: TextForm,
    status: StatusForm,
    starts: TextForm,
    ends: TextForm,
    description: LongForm = "",
    budget: TextForm = "",
    currency: TextForm = "",
    funder: TextForm = "",
) -> Response:
    changes = {
        "title": title,
        "description": description,
        "status": status,
        "starts": starts,
        "ends": ends,
        "budget": budget,
        "currency": currency,
        "funder": funder,
    }
    to = f"/plan/projects/{key}"
    try:
        result = service.edit_project(db, principal, key, changes)
    except (NotFoundError, PermissionDenied):
        raise
    except UserError as exc:
        return redirect(request, to, Flash(error=f"Not saved: {exc}"))
    done = ", ".join(result["changed"]) or "nothing changed"
    return redirect(request, to, Flash(message=f"Saved ({done})."))


@router.get("/plan/manage", response_class=HTMLResponse)
@access(Access.authenticated)
def manage_page(
    request: Request, db: DbDep, principal: PrincipalDep, templates: TemplatesDep
) -> HTMLResponse:
    if not service.may_import(db, principal):
        raise PermissionDenied("only the secretariat manages the plan portfolio")
    return templates.TemplateResponse(request, "plan_manage.html", _base(db))


@router.post("/plan/import")
@access(Access.authenticated)
def import_upload(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    file: UploadFile = File(...),
) -> Response:
    try:
        with received_upload(file, settings, YAML_SUFFIXES) as saved:
            result = service.import_portfolio(db, principal, saved.path)
    except PermissionDenied:
        raise
    except UserError as exc:
        return redirect(request, "/plan/manage", Flash(error=f"Nothing imported: {exc}"))
    counts = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in result.items() if k != "file")
    return redirect(request, "/plan", Flash(message=f"Portfolio imported: {counts}."))


@router.get("/plan/indicators", response_class=HTMLResponse)
@access(Access.public)
def indicators_page(
    request: Request,
    db: DbDep,
    principal: PrincipalDep,
    templates: TemplatesDep,
    as_of: AsOf = None,
) -> HTMLResponse:
    return templates.TemplateResponse(
        request,
        "plan_indicators.html",
        {**_base(db), "indicators": service.indicators(db, principal, as_of)},
    )


@router.get("/plan/indicators/{key}", response_class=HTMLResponse)
@access(Access.public)
def indicator_page(
    request: Request,
    db: DbDep,
    principal: PrincipalDep,
    templates: TemplatesDep,
    key: KeyPath,
    as_of: AsOf = None,
) -> HTMLResponse:
    ind = service.indicator(db, principal, key, as_of)
    return templates.TemplateResponse(
        request,
        "plan_indicator.html",
        {**_base(db), "i": ind, "chart": _indicator_chart(ind)},
    )


def _indicator_chart(ind: dict[str, Any]) -> dict[str, Any]:
    def point(day: date, value: float, series: str) -> dict[str, Any]:
        return {"date": day.isoformat(), "value": value, "series": series}

    values = [point(ind["baseline_date"], ind["baseline"], "baseline to target")]
    values.append(point(ind["target_date"], ind["target"], "baseline to target"))
    values += [point(ind["baseline_date"], ind["baseline"], "values")]
    values += [point(v["date"], v["value"], "values") for v in ind["values"]]
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "title": f"{ind['title']} against its target",
        "usermeta": {"legend": "Dashed: a straight line from baseline to target; solid: values."},
        "data": {"values": values},
        "width": 480,
        "mark": {"type": "line", "point": True},
        "encoding": {
            "x": {"field": "date", "type": "temporal", "title": "Date"},
            "y": {"field": "value", "type": "quantitative", "title": ind["unit"]},
            "color": {"field": "series", "type": "nominal", "title": None},
            "strokeDash": {
                "field": "series",
                "type": "nominal",
                "legend": None,
                "scale": {"domain": ["baseline to target", "values"], "range": [[6, 4], [1, 0]]},
            },
        },
    }


@router.get("/plan/review", response_class=HTMLResponse)
@access(Access.public)
def review_page(
    request: Request,
    db: DbDep,
    principal: PrincipalDep,
    templates: TemplatesDep,
    year: Year = None,
    presidency: Presidency = None,
    as_of: AsOf = None,
) -> HTMLResponse:
    report = service.review(db, principal, year, presidency, as_of)
    return templates.TemplateResponse(request, "plan_review.html", {**_base(db), "r": report})
