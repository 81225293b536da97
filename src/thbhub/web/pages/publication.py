"""Publication moves from the pages (POST, then redirect back): an organisation's
contributors submit, recall and withdraw their case imports on /cases; admins publish or
send back what waits in the queue on /admin.  The rules and the audit are the access
area's (:mod:`thbhub.access.publication`); these handlers only carry the form."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path
from fastapi.responses import RedirectResponse, Response

from thbhub.access import publication
from thbhub.cases.publication import move_import
from thbhub.web.access import Access, access
from thbhub.web.deps import CLEAN, CLEAN_LINES, DbDep, IdPath, PrincipalDep

router = APIRouter(include_in_schema=False)

StateForm = Annotated[str, Form(max_length=12, pattern=CLEAN)]
NoteForm = Annotated[str, Form(max_length=2000, pattern=CLEAN_LINES)]
ObjectType = Annotated[str, Path(pattern=r"^[a-z_]{1,40}$")]


@router.post("/cases/imports/{import_id}/state")
@access(Access.contributor)
def move_case_import(
    import_id: IdPath, db: DbDep, principal: PrincipalDep, to: StateForm, note: NoteForm = ""
) -> Response:
    move_import(db, principal, import_id, to, note or None)
    return RedirectResponse("/cases#imports", status_code=303)


@router.post("/admin/publication/{object_type}/{object_id}")
@access(Access.admin)
def review(
    object_type: ObjectType,
    object_id: IdPath,
    db: DbDep,
    principal: PrincipalDep,
    to: StateForm,
    note: NoteForm = "",
) -> Response:
    publication.change_state(db, principal, object_type, object_id, to, note or None)
    return RedirectResponse("/admin#queue", status_code=303)
