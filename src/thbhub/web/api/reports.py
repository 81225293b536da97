"""API: reports as files (HTML, Markdown, PDF), the same call as `thbhub report`.

Public data only, whoever asks.  Not in the page cache (a request may store a new edition,
which does not move the data version): the rendered files are kept by
:class:`thbhub.reports.service.ReportFiles` per data version and stored editions instead."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, Response

from thbhub.privacy.gate import gated
from thbhub.reports import service
from thbhub.reports.render import MEDIA_TYPES, html_policy
from thbhub.web.access import Access, access
from thbhub.web.api.privacy import protected_tables
from thbhub.web.deps import CLEAN, DbDep, PrincipalDep, SettingsDep

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])

#: What a report route answers: the file in the format asked for.
FILES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The report as HTML (shown), PDF or Markdown (downloads)",
        "content": {
            "text/html": {"schema": {"type": "string"}},
            "application/pdf": {"schema": {"type": "string", "format": "binary"}},
            "text/markdown": {"schema": {"type": "string"}},
        },
    }
}

Fmt = Annotated[Literal["html", "pdf", "md"], Query(alias="format", description="html, pdf or md")]
Year = Annotated[int | None, Query(ge=1900, le=2100, description="Only the data up to this year")]
EditionQ = Annotated[
    int | None,
    Query(ge=1, le=100000, description="A stored edition (made again) or the next one"),
]


def _file(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    kind: str,
    subject: str | None,
    fmt: str,
    year: int | None,
    edition: int | None,
) -> Response:
    files = request.app.state._state.setdefault("report_files", service.ReportFiles())
    report, data = files.make(
        db,
        settings,
        kind,
        subject,
        fmt,
        year=year,
        edition=edition,
        tables=protected_tables(request),
        principal=principal,
    )
    disposition = "inline" if fmt == "html" else "attachment"
    headers = {"Content-Disposition": f'{disposition}; filename="{service.file_name(report, fmt)}"'}
    if fmt == "html":  # its own inline style and data: images, which the app's policy refuses
        headers["Content-Security-Policy"] = html_policy(data)
    return Response(
        data,
        media_type=MEDIA_TYPES[fmt],
        headers=headers,
    )


@router.get(
    "/country/{code}",
    summary="A member state's country profile",
    response_class=Response,
    responses=FILES,
)
@access(Access.public)
@gated
def country_report(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    code: str = Path(max_length=16, pattern=CLEAN),
    fmt: Fmt = "html",
    year: Year = None,
    edition: EditionQ = None,
) -> Response:
    return _file(request, db, settings, principal, "country", code, fmt, year, edition)


@router.get("/region", summary="The regional overview", response_class=Response, responses=FILES)
@access(Access.public)
@gated
def region_report(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    fmt: Fmt = "html",
    year: Year = None,
    edition: EditionQ = None,
) -> Response:
    return _file(request, db, settings, principal, "region", None, fmt, year, edition)


@router.get(
    "/topic/{concept_id}",
    summary="A topic brief for a concept",
    response_class=Response,
    responses=FILES,
)
@access(Access.public)
@gated
def topic_report(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    concept_id: str = Path(max_length=200, pattern=CLEAN),
    fmt: Fmt = "html",
    year: Year = None,
    edition: EditionQ = None,
) -> Response:
    return _file(request, db, settings, principal, "topic", concept_id, fmt, year, edition)


@router.get(
    "/review",
    summary="The strategic plan's review report",
    response_class=Response,
    responses=FILES,
)
@access(Access.public)
@gated
def review_report(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    fmt: Fmt = "html",
    year: Year = None,
    edition: EditionQ = None,
) -> Response:
    return _file(request, db, settings, principal, "review", None, fmt, year, edition)
