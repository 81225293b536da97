"""Library pages: search with facets, one document with its tags and evidence."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from thbhub.domain.errors import UserError
from thbhub.library import service
from thbhub.library.extract import SUFFIXES
from thbhub.taxonomy.service import labels
from thbhub.web.access import Access, access
from thbhub.web.api.library import file_response
from thbhub.web.deps import CLEAN, DbDep, IdPath, PrincipalDep, SettingsDep, TemplatesDep
from thbhub.web.uploads import received_upload

router = APIRouter(include_in_schema=False)

Text = Annotated[str | None, Query(max_length=200, pattern=CLEAN)]
FACET_TITLES = {
    "doc_type": "Type",
    "language": "Language",
    "country": "Country",
    "concept": "Topic",
    "year": "Year",
}
#: The query parameter of each facet.
FACET_PARAMS = {
    "doc_type": "type",
    "language": "lang",
    "country": "country",
    "concept": "concept",
    "year": "year",
}


@router.get("/library", response_class=HTMLResponse)
@access(Access.public)
def library(
    request: Request,
    db: DbDep,
    templates: TemplatesDep,
    principal: PrincipalDep,
    q: Annotated[str, Query(max_length=500, pattern=CLEAN)] = "",
    type: Text = None,  # noqa: A002 - the public parameter's name
    lang: Annotated[str | None, Query(max_length=8, pattern=r"^[a-z]{2,3}$")] = None,
    country: Text = None,
    concept: Text = None,
    year: Annotated[int | None, Query(ge=1900, le=2100)] = None,
) -> HTMLResponse:
    selected = {
        "q": q,
        "type": type,
        "lang": lang,
        "country": country,
        "concept": concept,
        "year": year,
    }
    error = None
    try:
        filters = service.SearchFilters(type, lang, country, concept, year, year)
        result = service.search(db, principal, q, filters, limit=50)
    except UserError as exc:
        error, result = str(exc), {"total": 0, "results": [], "facets": {}}
    for r in result["results"]:
        r["snippet_html"] = Markup(service.snippet_html(r["snippet"]))  # noqa: S704 - escaped
    ids = {k for f in ("doc_type", "country", "concept") for k in result["facets"].get(f, {})}
    ids |= {t["id"] for r in result["results"] for t in r["tags"]}
    ids |= {r[k] for r in result["results"] for k in ("doc_type", "country") if r[k]}
    names = labels(db, ids)
    facets = []
    for key, title in FACET_TITLES.items():
        param = FACET_PARAMS[key]
        values = list(result["facets"].get(key, {}).items())[:12]
        links = []
        for value, count in values:
            chosen = str(selected.get(param) or "") == value
            query = {k: v for k, v in selected.items() if v not in (None, "")}
            if chosen:
                query.pop(param, None)
            else:
                query[param] = value
            links.append(
                {
                    "label": names.get(value, value),
                    "count": count,
                    "href": "/library?" + urlencode(query),
                    "chosen": chosen,
                }
            )
        if links:
            facets.append({"title": title, "links": links})
    return templates.TemplateResponse(
        request,
        "library.html",
        {"result": result, "selected": selected, "facets": facets, "names": names, "error": error},
    )


@router.get("/library/{doc_id:int}", response_class=HTMLResponse)
@access(Access.public)
def document(
    request: Request, db: DbDep, templates: TemplatesDep, principal: PrincipalDep, doc_id: IdPath
) -> HTMLResponse:
    doc: dict[str, Any] = service.get_document(db, principal, doc_id)
    ids = {t["id"] for t in doc["tags"]} | {v for v in (doc["doc_type"], doc["country"]) if v}
    return templates.TemplateResponse(
        request, "library_document.html", {"d": doc, "names": labels(db, ids)}
    )


@router.get("/library/{doc_id:int}/file")
@access(Access.public)
def document_file(db: DbDep, principal: PrincipalDep, doc_id: IdPath) -> Response:
    return file_response(service.original_file(db, principal, doc_id))


@router.post("/library/{doc_id:int}/state")
@access(Access.authenticated)
def change_state(
    db: DbDep,
    principal: PrincipalDep,
    doc_id: IdPath,
    to: str = Form(..., pattern="^(draft|submitted|published|withdrawn)$"),
) -> Response:
    """The owner's (and the reviewing admin's) publication buttons; audited by the service."""
    service.set_state(db, principal, doc_id, to)
    return RedirectResponse(f"/library/{doc_id}", status_code=303)


@router.get("/library/upload", response_class=HTMLResponse)
@access(Access.contributor)
def upload_form(request: Request, settings: SettingsDep, templates: TemplatesDep) -> HTMLResponse:
    context = {"max_mb": settings.max_upload_mb, "suffixes": sorted(SUFFIXES)}
    return templates.TemplateResponse(request, "library_upload.html", context)


@router.post("/library/upload", response_class=HTMLResponse)
@access(Access.contributor)
def upload(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    templates: TemplatesDep,
    file: UploadFile = File(...),
    type: str | None = Form(None, max_length=100, pattern=CLEAN),  # noqa: A002
    access_level: str = Form("owner", alias="access", pattern="^(public|member|owner)$"),
) -> HTMLResponse:
    context: dict[str, Any] = {"max_mb": settings.max_upload_mb, "suffixes": sorted(SUFFIXES)}
    status = 200
    try:
        options = service.ImportOptions(doc_type=type or None, access=access_level)
        with received_upload(file, settings, suffixes=tuple(SUFFIXES)) as saved:
            context["result"] = service.upload_document(db, principal, saved.path, options)
    except UserError as exc:
        context["error"], status = str(exc), exc.status_code
    return templates.TemplateResponse(request, "library_upload.html", context, status_code=status)
