"""The owner's case-record pages: aggregates and a filtered list, and the upload with its
validation report.  Each page calls the same services as /api/v1/cases."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse

from thbhub.cases import service
from thbhub.cases.counting import NONE_LABELS
from thbhub.cases.service import CASE_FILE_SUFFIXES
from thbhub.domain.errors import UserError
from thbhub.taxonomy.service import list_concepts
from thbhub.web.access import Access, access
from thbhub.web.api.cases import CONCEPT, own_org
from thbhub.web.deps import DbDep, PrincipalDep, SettingsDep, TemplatesDep
from thbhub.web.uploads import received_upload

router = APIRouter(include_in_schema=False)

AGGREGATES = (
    ("year", "Year of registration"),
    ("sex", "Sex / gender"),
    ("age", "Age band"),
    ("form", "Form of exploitation"),
    ("citizenship", "Citizenship"),
    ("country", "Country of exploitation"),
    ("means", "Means of control"),
)
PAGE = 50


@router.get("/cases", response_class=HTMLResponse)
@access(Access.authenticated)
def cases_page(
    request: Request,
    db: DbDep,
    principal: PrincipalDep,
    templates: TemplatesDep,
    year: int | None = Query(None, ge=1900, le=2100),
    sex: str | None = Query(None, max_length=200, pattern=CONCEPT),
    citizenship: str | None = Query(None, max_length=200, pattern=CONCEPT),
    country: str | None = Query(None, max_length=200, pattern=CONCEPT),
    form: str | None = Query(None, max_length=200, pattern=CONCEPT),
    means: str | None = Query(None, max_length=200, pattern=CONCEPT),
    page: int = Query(1, ge=1, le=100000),
) -> HTMLResponse:
    org = own_org(principal, None)
    filters: dict[str, Any] = {
        "year": year,
        "sex": sex,
        "citizenship": citizenship,
        "country": country,
        "form": form,
        "means": means,
    }
    # Each table counts the records matching the other filters: the values a filter could
    # be set to, and after filtering, the breakdown of what is listed.
    total, counts = service.faceted_summary(db, principal, org, [d for d, _ in AGGREGATES], filters)
    aggregates = [(label, dim, rows) for (dim, label), rows in zip(AGGREGATES, counts, strict=True)]
    rows = service.list_cases(
        db, principal, org, **filters, limit=PAGE + 1, offset=(page - 1) * PAGE
    )
    options = {
        dim: [(r[dim], r["count"]) for r in counts if r[dim] is not None]
        for _, dim, counts in aggregates
        if dim in filters
    }
    active = {k: v for k, v in filters.items() if v is not None}
    labels = {c["id"]: c["label"] for c in list_concepts(db, None)} | NONE_LABELS
    quarantined = service.quarantine(db, principal, org)
    imports = service.imports(db, principal, org)  # with their publication state
    return templates.TemplateResponse(
        request,
        "cases.html",
        {
            "aggregates": aggregates,
            "rows": rows[:PAGE],
            "total": total,
            "first": (page - 1) * PAGE + 1,
            "more": len(rows) > PAGE,
            "page": page,
            "labels": labels,
            "quarantined": quarantined,
            "imports": imports,
            "filters": filters,
            "options": options,
            "filter_labels": dict((dim, label) for label, dim, _ in aggregates),
            "query": urlencode(active),
            "refine": {
                dim: urlencode({k: v for k, v in active.items() if k != dim}) for dim in filters
            },
        },
    )


@router.get("/cases/upload", response_class=HTMLResponse)
@access(Access.contributor)
def upload_form(
    request: Request, principal: PrincipalDep, settings: SettingsDep, templates: TemplatesDep
) -> HTMLResponse:
    own_org(principal, None)
    context = {"report": None, "max_mb": settings.max_upload_mb}
    return templates.TemplateResponse(request, "cases_upload.html", context)


@router.post("/cases/upload", response_class=HTMLResponse)
@access(Access.contributor)
def upload(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    templates: TemplatesDep,
    file: UploadFile = File(...),
    format: str | None = Form(None),
    quarantine: bool = Form(False),
    again: bool = Form(False),
) -> HTMLResponse:
    org = own_org(principal, None)
    fmt = format if format in service.FORMATS else None
    context: dict[str, Any] = {
        "report": None,
        "result": None,
        "name": file.filename,
        "max_mb": settings.max_upload_mb,
    }
    status = 200
    try:
        with received_upload(file, settings, suffixes=CASE_FILE_SUFFIXES) as saved:
            context["name"] = saved.name
            context["result"] = service.import_cases(
                db,
                settings,
                principal,
                saved.path,
                org,
                fmt=fmt,
                quarantine=quarantine,
                name=saved.name,
                again=again,
            )
    except service.CaseFileRejected as exc:
        context["report"] = {
            "message": str(exc),
            "problems": [p.as_dict() for p in exc.problems],
        }
        status = exc.status_code
    except UserError as exc:
        # Shown above the form, which stays there to choose another file or option.
        context["error"] = str(exc)
        context["duplicate"] = isinstance(exc, service.DuplicateCaseFile)
        status = exc.status_code
    return templates.TemplateResponse(request, "cases_upload.html", context, status_code=status)
