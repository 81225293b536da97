"""The report text editor (/reports/texts): the secretariat's analysts write, preview,
publish and withdraw the text blocks of the reports; stale figures are marked.

Same services as the API (``reports.narrative``, ``reports.narrative_edit``).  A refused
save is shown again with the error and the text entered (it changed nothing); a save
answers with a 303 to the page (POST/redirect/GET).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from thbhub.domain.errors import NotFoundError, PermissionDenied, UserError
from thbhub.domain.principals import Principal
from thbhub.reports import narrative, narrative_edit
from thbhub.reports.narrative_sections import SECTIONS
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.web.access import Access, access
from thbhub.web.api.privacy import protected_tables
from thbhub.web.deps import (
    CLEAN,
    CLEAN_LINES,
    DbDep,
    IdPath,
    PrincipalDep,
    SettingsDep,
    TemplatesDep,
)
from thbhub.web.flash import Flash, redirect

router = APIRouter(include_in_schema=False)
PAGE = "/reports/texts"
MAX_TEXT = narrative_edit.MAX_TEXT


def _require_writer(db: Database, principal: Principal) -> None:
    if not narrative.writer_of(db, principal):
        raise PermissionDenied(
            "only analysts and contributors of the secretariat write report text"
        )


def _back(report: str | None, section: str | None) -> str:
    query = {k: v for k, v in (("report", report), ("section", section)) if v}
    return PAGE + (f"?{urlencode(query)}" if query else "")


def _render(
    request: Request,
    db: Database,
    settings: Settings,
    principal: Principal,
    templates: Any,
    report: str | None,
    section: str | None,
    extra: dict[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    error = None
    blocks: list[narrative.NarrativeBlock] = []
    try:
        blocks = narrative.list_blocks(
            db, settings, principal, report, section, tables=protected_tables(request)
        )
    except UserError as exc:
        error = str(exc)
    histories = {
        b.id: narrative.history(db, principal, b.id)
        for b in blocks
        if b.organisation_id == principal.organisation_id
    }
    context = {
        "blocks": blocks,
        "histories": histories,
        "report": report or "",
        "section": section or "",
        "sections": SECTIONS,
        "filter_error": error,
        "form": {"report": report or "", "section": section or "", "text": ""},
        **(extra or {}),
    }
    return templates.TemplateResponse(
        request, "report_texts.html", context, status_code=status_code
    )


@router.get(PAGE, response_class=HTMLResponse)
@access(Access.analyst)
def texts_page(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    templates: TemplatesDep,
    report: str | None = Query(None, max_length=120, pattern=CLEAN),
    section: str | None = Query(None, max_length=40, pattern=CLEAN),
) -> HTMLResponse:
    _require_writer(db, principal)
    return _render(request, db, settings, principal, templates, report, section)


@router.post(PAGE, response_class=HTMLResponse)
@access(Access.analyst)
def add_text(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    templates: TemplatesDep,
    report: str = Form(max_length=120, pattern=CLEAN),
    section: str = Form(max_length=40, pattern=CLEAN),
    text: str = Form(max_length=MAX_TEXT, pattern=CLEAN_LINES),
    publish: bool = Form(False),
    preview: str | None = Form(None, max_length=20),
) -> Response:
    _require_writer(db, principal)
    form = {"report": report, "section": section, "text": text, "publish": publish}
    if preview:
        # Changes nothing: the page again with the text as it would read.
        try:
            html, figures = narrative.preview(db, settings, text, tables=protected_tables(request))
            extra = {"preview": html, "preview_figures": figures, "form": form}
        except UserError as exc:
            extra = {"form_error": str(exc), "form": form}
        return _render(request, db, settings, principal, templates, report, section, extra)
    try:
        saved = narrative_edit.add_block(
            db,
            settings,
            principal,
            report,
            section,
            text,
            publish=publish,
            tables=protected_tables(request),
        )
    except PermissionDenied:
        raise
    except UserError as exc:
        extra = {"form_error": f"Not saved: {exc}", "form": form}
        return _render(
            request, db, settings, principal, templates, None, None, extra, status_code=400
        )
    message = f"Text {saved['id']} saved as {saved['state']} (version 1)."
    return redirect(request, _back(report, section), Flash(message=message))


@router.post(PAGE + "/{text_id}", response_class=HTMLResponse)
@access(Access.analyst)
def edit_text(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    templates: TemplatesDep,
    text_id: IdPath,
    text: str = Form(max_length=MAX_TEXT, pattern=CLEAN_LINES),
    version: int = Form(ge=1, le=2**31 - 1),
    report: str | None = Form(None, max_length=120, pattern=CLEAN),
    section: str | None = Form(None, max_length=40, pattern=CLEAN),
) -> Response:
    _require_writer(db, principal)
    try:
        saved = narrative_edit.edit_block(
            db,
            settings,
            principal,
            text_id,
            text,
            expected_version=version,
            tables=protected_tables(request),
        )
    except (NotFoundError, PermissionDenied):
        raise
    except UserError as exc:
        extra = {"edit_error": {"id": text_id, "message": f"Not saved: {exc}", "text": text}}
        return _render(
            request, db, settings, principal, templates, report, section, extra, status_code=400
        )
    message = f"Text {text_id} saved (version {saved['version']})."
    return redirect(request, _back(report, section), Flash(message=message))


def _move(
    request: Request,
    db: Database,
    settings: Settings,
    principal: Principal,
    text_id: int,
    to: str,
    version: int,
    back: str,
) -> Response:
    _require_writer(db, principal)
    try:
        saved = narrative_edit.set_state(
            db,
            settings,
            principal,
            text_id,
            to,
            expected_version=version,
            tables=protected_tables(request),
        )
    except (NotFoundError, PermissionDenied):
        raise
    except UserError as exc:
        return redirect(request, back, Flash(error=f"Not changed: {exc}"))
    return redirect(request, back, Flash(message=f"Text {text_id} is {saved['state']}."))


@router.post(PAGE + "/{text_id}/publish")
@access(Access.analyst)
def publish_text(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    text_id: IdPath,
    version: int = Form(ge=1, le=2**31 - 1),
    report: str | None = Form(None, max_length=120, pattern=CLEAN),
    section: str | None = Form(None, max_length=40, pattern=CLEAN),
) -> Response:
    back = _back(report, section)
    return _move(request, db, settings, principal, text_id, "published", version, back)


@router.post(PAGE + "/{text_id}/withdraw")
@access(Access.analyst)
def withdraw_text(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    text_id: IdPath,
    version: int = Form(ge=1, le=2**31 - 1),
    report: str | None = Form(None, max_length=120, pattern=CLEAN),
    section: str | None = Form(None, max_length=40, pattern=CLEAN),
) -> Response:
    back = _back(report, section)
    return _move(request, db, settings, principal, text_id, "withdrawn", version, back)
