"""API: an organisation's own case records (owner-only, audited).  Same services as the CLI
and the pages; the access policy is checked inside them."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from thbhub.cases import exports, service
from thbhub.cases.htcds_template import XLSX_MEDIA_TYPE
from thbhub.cases.service import CASE_FILE_SUFFIXES
from thbhub.domain.errors import AuthenticationRequired
from thbhub.domain.principals import Principal
from thbhub.web.access import Access, access
from thbhub.web.deps import MAX_ID, DbDep, OrgQuery, PrincipalDep, SettingsDep
from thbhub.web.uploads import received_upload

router = APIRouter(prefix="/api/v1/cases", tags=["cases"])

CONCEPT = r"^[a-z-]+:[A-Za-z0-9._-]+$"


def own_org(principal: Principal, org: int | None) -> int:
    """The organisation asked about: the caller's own unless another is named (which the
    services then refuse unless the policy allows it)."""
    if principal.is_public or principal.organisation_id is None:
        raise AuthenticationRequired("log in as a member of an organisation to see its records")
    return org if org is not None else principal.organisation_id


@router.get("", summary="The caller's organisation's case records, filtered")
@access(Access.authenticated)
def get_cases(
    db: DbDep,
    principal: PrincipalDep,
    org: OrgQuery = None,
    year: int | None = Query(None, ge=1900, le=2100),
    sex: str | None = Query(None, max_length=200, pattern=CONCEPT),
    citizenship: str | None = Query(None, max_length=200, pattern=CONCEPT),
    country: str | None = Query(None, max_length=200, pattern=CONCEPT),
    form: str | None = Query(None, max_length=200, pattern=CONCEPT),
    means: str | None = Query(None, max_length=200, pattern=CONCEPT),
    limit: int = Query(100, ge=1, le=10000),
    offset: int = Query(0, ge=0, le=MAX_ID),
) -> list[dict[str, Any]]:
    return service.list_cases(
        db,
        principal,
        own_org(principal, org),
        year=year,
        sex=sex,
        citizenship=citizenship,
        country=country,
        form=form,
        means=means,
        limit=limit,
        offset=offset,
    )


@router.get("/summary", summary="Counts of the caller's organisation's records by dimensions")
@access(Access.authenticated)
def get_summary(
    db: DbDep,
    principal: PrincipalDep,
    by: str = Query("year", max_length=200, pattern=r"^[a-z]+(,[a-z]+)*$"),
    org: OrgQuery = None,
) -> list[dict[str, Any]]:
    return service.summary(db, principal, own_org(principal, org), by.split(","))


@router.get(
    "/imports",
    summary="The caller's organisation's imports with their publication state and the moves "
    "the caller may make (POST /api/v1/publication/case_import/{id} makes one)",
)
@access(Access.authenticated)
def get_imports(db: DbDep, principal: PrincipalDep, org: OrgQuery = None) -> list[dict[str, Any]]:
    return service.imports(db, principal, own_org(principal, org))


@router.get(
    "/quarantine",
    summary="Quarantined rows of the caller's organisation (format=csv: the file to fix and "
    "upload again)",
    response_model=None,
    responses={
        200: {
            "content": {
                "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
                "text/csv": {"schema": {"type": "string"}},
            }
        }
    },
)
@access(Access.authenticated)
def get_quarantine(
    db: DbDep,
    principal: PrincipalDep,
    org: OrgQuery = None,
    format: str = Query("json", pattern="^(json|csv)$"),
) -> list[dict[str, Any]] | FileResponse:
    org_id = own_org(principal, org)
    if format == "json":
        return service.quarantine(db, principal, org_id)
    return _download(
        "quarantine-fix.csv",
        "text/csv",
        lambda path: exports.export_quarantine(db, principal, org_id, path),
    )


def _download(name: str, media_type: str, write: Callable[[Path], Any]) -> FileResponse:
    """A file written by ``write`` into a private temporary directory, sent, then removed."""
    tmp = Path(tempfile.mkdtemp(prefix="thbhub-export-"))
    path = tmp / name

    def cleanup() -> None:
        path.unlink(missing_ok=True)
        tmp.rmdir()

    try:
        write(path)
    except Exception:
        cleanup()
        raise
    return FileResponse(
        path, media_type=media_type, filename=name, background=BackgroundTask(cleanup)
    )


@router.get(
    "/export",
    summary="Export the caller's organisation's records (HTCDS or CTDC CSV; with template=, "
    "the published HTCDS Excel template)",
    response_class=FileResponse,
    responses={
        200: {
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                XLSX_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}},
            }
        }
    },
)
@access(Access.authenticated)
def get_export(
    db: DbDep,
    principal: PrincipalDep,
    format: str = Query("htcds", pattern="^(htcds|ctdc)$"),
    template: str | None = Query(
        None,
        pattern="^(plain|single-select)$",
        description="Fill IOM's published HTCDS Excel template (format=htcds only); "
        "fields it has no column for are left out",
    ),
    org: OrgQuery = None,
) -> FileResponse:
    org_id = own_org(principal, org)
    if template is None:
        name, media_type = f"cases-{format}.csv", "text/csv"
    else:
        name, media_type = f"cases-{format}-{template}.xlsx", XLSX_MEDIA_TYPE
    return _download(
        name,
        media_type,
        lambda path: exports.export_cases(db, principal, org_id, format, path, template=template),
    )


@router.post("/import", summary="Upload a case file (HTCDS or CTDC) for the caller's organisation")
@access(Access.contributor)
def post_import(
    db: DbDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    file: UploadFile = File(...),
    format: str | None = Form(None, pattern="^(htcds|ctdc)$"),
    quarantine: bool = Form(False),
    again: bool = Form(False),
) -> dict[str, Any]:
    org_id = own_org(principal, None)
    with received_upload(file, settings, suffixes=CASE_FILE_SUFFIXES) as saved:
        try:
            return service.import_cases(
                db,
                settings,
                principal,
                saved.path,
                org_id,
                fmt=format,
                quarantine=quarantine,
                name=saved.name,
                again=again,
            )
        except service.CaseFileRejected as exc:
            from fastapi.responses import JSONResponse

            return JSONResponse(  # type: ignore[return-value]
                {
                    "error": {
                        "status": 422,
                        "message": str(exc),
                        "problems": [p.as_dict() for p in exc.problems],
                    }
                },
                status_code=422,
            )
