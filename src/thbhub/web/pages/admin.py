"""Administration pages (admins only): organisations, users, the publication queue, the
route access table, and the audit log."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from thbhub.access import audit, publication, users
from thbhub.domain.errors import UserError
from thbhub.web import flash
from thbhub.web.access import Access, access, route_table
from thbhub.web.deps import CLEAN, DbDep, IdPath, PrincipalDep, TemplatesDep
from thbhub.web.flash import Flash

router = APIRouter(include_in_schema=False)


def _admin_page(
    request: Request,
    db: DbDep,
    templates: TemplatesDep,
    principal: PrincipalDep,
    *,
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    return templates.TemplateResponse(
        request,
        "admin.html",
        {
            "organisations": users.list_organisations(db),
            "users": users.list_users(db),
            "queue": publication.queue(db, principal),
            "routes": route_table(request.app),
            "kinds": users.ORG_KINDS,
            "roles": users.USER_ROLES,
            "error": error,
        },
        status_code=status,
    )


@router.get("/admin", response_class=HTMLResponse)
@access(Access.admin)
def admin(
    request: Request, db: DbDep, templates: TemplatesDep, principal: PrincipalDep
) -> HTMLResponse:
    return _admin_page(request, db, templates, principal)


# Forms answer with a redirect to /admin (POST/redirect/GET), so that reloading the page
# repeats nothing; the outcome travels in a one-shot flash (web/flash.py).  A refused form is
# shown again with the reason instead: nothing changed, so nothing can be repeated.


@router.post("/admin/organisations", response_class=HTMLResponse)
@access(Access.admin)
def admin_add_organisation(
    request: Request,
    db: DbDep,
    templates: TemplatesDep,
    principal: PrincipalDep,
    name: str = Form(max_length=200, pattern=CLEAN),
    country: str = Form("", max_length=2, pattern=CLEAN),
    kind: str = Form("agency", max_length=20, pattern=CLEAN),
) -> Response:
    try:
        row = users.add_organisation(db, principal, name, country or None, kind)
    except UserError as exc:
        return _admin_page(
            request, db, templates, principal, error=str(exc), status=exc.status_code
        )
    return flash.redirect(
        request, "/admin#organisations", Flash(message=f"Organisation {row['name']!r} added.")
    )


@router.post("/admin/users", response_class=HTMLResponse)
@access(Access.admin)
def admin_add_user(
    request: Request,
    db: DbDep,
    templates: TemplatesDep,
    principal: PrincipalDep,
    email: str = Form(max_length=320, pattern=CLEAN),
    organisation: str = Form(max_length=200, pattern=CLEAN),
    role: str = Form(max_length=20, pattern=CLEAN),
    password: str = Form(max_length=1000),
) -> Response:
    try:
        row = users.add_user(db, principal, email, organisation, role, password)
    except UserError as exc:
        return _admin_page(
            request, db, templates, principal, error=str(exc), status=exc.status_code
        )
    pending = (
        " It reads nothing of the organisation's until one of its contributors approves it."
        if row["approved_at"] is None
        else ""
    )
    return flash.redirect(
        request,
        "/admin#users",
        Flash(
            message=f"User {row['email']} ({row['role']}, {row['organisation']}) added.{pending}"
        ),
    )


@router.post("/admin/users/{user_id}/disable")
@access(Access.admin)
def admin_disable_user(
    request: Request, user_id: IdPath, db: DbDep, principal: PrincipalDep
) -> Response:
    row = users.set_disabled(db, principal, user_id, True)
    return flash.redirect(
        request,
        "/admin#users",
        Flash(message=f"{row['email']} disabled: sessions ended, API tokens revoked."),
    )


@router.post("/admin/users/{user_id}/enable")
@access(Access.admin)
def admin_enable_user(
    request: Request, user_id: IdPath, db: DbDep, principal: PrincipalDep
) -> Response:
    row = users.set_disabled(db, principal, user_id, False)
    return flash.redirect(request, "/admin#users", Flash(message=f"{row['email']} enabled."))


@router.post("/admin/users/{user_id}/password")
@access(Access.admin)
def admin_reset_password(
    request: Request, user_id: IdPath, db: DbDep, principal: PrincipalDep
) -> Response:
    # The same service as `thbhub users set-password EMAIL`: a random password, shown once
    # (the database keeps only its hash); lifts a lock-out and ends the user's sessions.
    row, password = users.reset_password(db, principal, user_id)
    return flash.redirect(
        request,
        "/admin#users",
        Flash(
            message=f"New password for {row['email']}: their sessions ended, their API "
            "tokens are revoked and any lock-out is lifted. Give it to them by a safe "
            "channel; they can change it on their account page."
            + (
                " Their organisation approves the account again before it reads its data."
                if row["approved_at"] is None and row["role"] != "admin"
                else ""
            ),
            secret=password,
            subject=row["email"],
        ),
    )


@router.get("/admin/audit", response_class=HTMLResponse)
@access(Access.admin)
def admin_audit(
    request: Request,
    db: DbDep,
    templates: TemplatesDep,
    principal: PrincipalDep,
    since: str | None = Query(None, max_length=40, pattern=CLEAN),
    user: str | None = Query(None, max_length=320, pattern=CLEAN),
    org: str | None = Query(None, max_length=200, pattern=CLEAN),
    action: str | None = Query(None, max_length=40, pattern=CLEAN),
    page: int = Query(1, ge=1, le=100000),
) -> HTMLResponse:
    size = 100
    error = None
    try:
        since_at = datetime.fromisoformat(since) if since else None
    except ValueError:
        since_at, error = None, f"'since' {since!r} is not a date such as 2026-11-01"
    rows = audit.entries(
        db,
        principal,
        since=since_at,
        email=user or None,
        organisation=org or None,
        action=action or None,
        limit=size + 1,
        offset=(page - 1) * size,
    )
    return templates.TemplateResponse(
        request,
        "admin_audit.html",
        {
            "rows": rows[:size],
            "more": len(rows) > size,
            "page": page,
            "filters": {
                "since": since or "",
                "user": user or "",
                "org": org or "",
                "action": action or "",
            },
            "error": error,
        },
        status_code=422 if error else 200,
    )
