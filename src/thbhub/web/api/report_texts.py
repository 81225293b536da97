"""API: the analysts' report text blocks.  Published blocks are public; writing belongs to
the analysts and contributors of the secretariat, checked in the services and audited."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from thbhub.reports import narrative, narrative_edit
from thbhub.web.access import Access, access
from thbhub.web.api.privacy import protected_tables
from thbhub.web.deps import CLEAN, CLEAN_LINES, DbDep, IdPath, PrincipalDep, SettingsDep

router = APIRouter(prefix="/api/v1/report-texts", tags=["reports"])

ReportQuery = Annotated[
    str | None,
    Query(max_length=120, pattern=CLEAN, description="country:LV, region, topic:<id>, review"),
]
SectionQuery = Annotated[str | None, Query(max_length=40, pattern=CLEAN)]
Text = Annotated[str, Field(min_length=1, max_length=narrative_edit.MAX_TEXT, pattern=CLEAN_LINES)]


class NewText(BaseModel):
    model_config = ConfigDict(extra="forbid")
    report: str = Field(max_length=120, pattern=CLEAN)
    section: str = Field(max_length=40, pattern=CLEAN)
    text: Text
    position: int | None = Field(None, ge=1, le=10_000)
    publish: bool = False


class TextChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: Text | None = None
    position: int | None = Field(None, ge=1, le=10_000)
    #: The version the change was made on: refused if the block changed since.
    version: int | None = Field(None, ge=1, le=2**31 - 1)


class StateChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int | None = Field(None, ge=1, le=2**31 - 1)


class Preview(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: Text


@router.get("", summary="Report text blocks (published; the caller's drafts for writers)")
@access(Access.public)
def list_texts(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    report: ReportQuery = None,
    section: SectionQuery = None,
) -> list[dict[str, Any]]:
    blocks = narrative.list_blocks(
        db, settings, principal, report, section, tables=protected_tables(request)
    )
    return [b.as_dict() for b in blocks]


@router.get("/stale", summary="Placeholders whose number changed since writing (writers)")
@access(Access.analyst)
def stale(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    report: ReportQuery = None,
) -> list[dict[str, Any]]:
    return narrative.stale_blocks(db, settings, principal, report, protected_tables(request))


@router.get("/{text_id}", summary="One report text block with its figures")
@access(Access.public)
def get_text(
    request: Request, db: DbDep, settings: SettingsDep, principal: PrincipalDep, text_id: IdPath
) -> dict[str, Any]:
    return narrative.get_block(
        db, settings, principal, text_id, protected_tables(request)
    ).as_dict()


@router.get("/{text_id}/history", summary="Every version of a block (its organisation)")
@access(Access.public)
def get_history(db: DbDep, principal: PrincipalDep, text_id: IdPath) -> list[dict[str, Any]]:
    return narrative.history(db, principal, text_id)


@router.post("", summary="Add a block to a report section (secretariat)")
@access(Access.analyst)
def post_text(
    request: Request, db: DbDep, settings: SettingsDep, principal: PrincipalDep, body: NewText
) -> dict[str, Any]:
    return narrative_edit.add_block(
        db,
        settings,
        principal,
        body.report,
        body.section,
        body.text,
        position=body.position,
        publish=body.publish,
        tables=protected_tables(request),
    )


@router.post("/preview", summary="The HTML of an unsaved text with its placeholders filled")
@access(Access.analyst)
def post_preview(
    request: Request, db: DbDep, settings: SettingsDep, body: Preview
) -> dict[str, Any]:
    html, figures = narrative.preview(db, settings, body.text, tables=protected_tables(request))
    return {"html": html, "figures": [f.as_dict() for f in figures]}


@router.put("/{text_id}", summary="Save a new version of a block (its organisation)")
@access(Access.analyst)
def put_text(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    text_id: IdPath,
    body: TextChange,
) -> dict[str, Any]:
    return narrative_edit.edit_block(
        db,
        settings,
        principal,
        text_id,
        body.text,
        position=body.position,
        expected_version=body.version,
        tables=protected_tables(request),
    )


@router.post("/{text_id}/publish", summary="Publish a draft block (its organisation)")
@access(Access.analyst)
def publish_text(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    text_id: IdPath,
    body: StateChange,
) -> dict[str, Any]:
    return narrative_edit.set_state(
        db,
        settings,
        principal,
        text_id,
        "published",
        expected_version=body.version,
        tables=protected_tables(request),
    )


@router.post("/{text_id}/withdraw", summary="Withdraw a block; its history stays")
@access(Access.analyst)
def withdraw_text(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    text_id: IdPath,
    body: StateChange,
) -> dict[str, Any]:
    return narrative_edit.set_state(
        db,
        settings,
        principal,
        text_id,
        "withdrawn",
        expected_version=body.version,
        tables=protected_tables(request),
    )
