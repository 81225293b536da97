"""API: the knowledge library (documents, full-text search with facets)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, UploadFile
from fastapi.responses import Response

from thbhub.library import service
from thbhub.library.extract import SUFFIXES
from thbhub.web.access import Access, access
from thbhub.web.deps import CLEAN, DbDep, IdPath, PrincipalDep, SettingsDep
from thbhub.web.uploads import received_upload

router = APIRouter(prefix="/api/v1", tags=["library"])

Text = Annotated[str | None, Query(max_length=200, pattern=CLEAN)]


def _search(
    db: DbDep,
    principal: PrincipalDep,
    q: Annotated[str, Query(max_length=500, pattern=CLEAN)] = "",
    type: Text = None,  # noqa: A002 - the public parameter's name
    lang: Annotated[str | None, Query(max_length=8, pattern=r"^[a-z]{2,3}$")] = None,
    country: Text = None,
    concept: Text = None,
    year_from: Annotated[int | None, Query(alias="from", ge=1900, le=2100)] = None,
    year_to: Annotated[int | None, Query(alias="to", ge=1900, le=2100)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> dict[str, Any]:
    filters = service.SearchFilters(type, lang, country, concept, year_from, year_to)
    result = service.search(db, principal, q, filters, limit=limit, offset=offset)
    for r in result["results"]:
        r["snippet_html"] = service.snippet_html(r["snippet"])
        r["snippet"] = service.snippet_text(r["snippet"])
    return result


SearchResult = Annotated[dict[str, Any], Depends(_search)]


@router.get("/documents", summary="Library documents: full-text search with facets")
@access(Access.public)
def documents(result: SearchResult) -> dict[str, Any]:
    return result


@router.get("/search", summary="Search the library (the same as /documents)")
@access(Access.public)
def search(result: SearchResult) -> dict[str, Any]:
    return result


@router.get("/documents/{doc_id}", summary="One library document with tags and evidence")
@access(Access.public)
def document(db: DbDep, principal: PrincipalDep, doc_id: IdPath) -> dict[str, Any]:
    return service.get_document(db, principal, doc_id)


@router.get("/documents/{doc_id}/file", summary="The original file of a library document")
@access(Access.public)
def document_file(db: DbDep, principal: PrincipalDep, doc_id: IdPath) -> Response:
    return file_response(service.original_file(db, principal, doc_id))


def file_response(found: dict[str, Any]) -> Response:
    """The file as an attachment (never rendered inline: an uploaded HTML file is not a page
    of the hub)."""
    name = "".join(c if c.isalnum() or c in "._-" else "_" for c in found["file_name"])
    return Response(
        found["content"],
        media_type=found["content_type"],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.post("/documents", summary="Upload a document for the caller's organisation (a draft)")
@access(Access.contributor)
def upload(
    db: DbDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    file: UploadFile = File(...),
    type: str | None = Form(None, max_length=100, pattern=CLEAN),  # noqa: A002
    lang: str | None = Form(None, max_length=8, pattern=r"^[a-z]{2,3}$"),
    country: str | None = Form(None, max_length=100, pattern=CLEAN),
    licence: str | None = Form(None, max_length=200, pattern=CLEAN),
    access_level: str = Form("owner", alias="access", pattern="^(public|member|owner)$"),
) -> dict[str, Any]:
    options = service.ImportOptions(
        doc_type=type, language=lang, country=country, licence=licence, access=access_level
    )
    with received_upload(file, settings, suffixes=tuple(SUFFIXES)) as saved:
        return service.upload_document(db, principal, saved.path, options)


@router.post("/documents/{doc_id}/state", summary="Move a document to another publication state")
@access(Access.authenticated)
def change_state(
    db: DbDep,
    principal: PrincipalDep,
    doc_id: IdPath,
    state: str = Form(..., pattern="^(draft|submitted|published|withdrawn)$"),
) -> dict[str, Any]:
    return service.set_state(db, principal, doc_id, state)
