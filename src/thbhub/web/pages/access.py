"""Pages: log in and out, your account and API tokens, sharing agreements, administration
and the audit log.  Each calls the same service as its API endpoint."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from thbhub.access import agreements, auth, users
from thbhub.domain.errors import UserError
from thbhub.domain.principals import Role
from thbhub.web import flash
from thbhub.web.access import Access, access
from thbhub.web.auth import new_anonymous_payload, session_cookie
from thbhub.web.deps import (
    CLEAN,
    CLEAN_LINES,
    DbDep,
    IdPath,
    PrincipalDep,
    SettingsDep,
    TemplatesDep,
)
from thbhub.web.flash import Flash

router = APIRouter(include_in_schema=False)


def _safe_next(target: str | None) -> str:
    # Only a path on this site: never "//host" or "https://host" (an open redirect).
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/"


@router.get("/login", response_class=HTMLResponse)
@access(Access.public)
def login_form(
    request: Request,
    templates: TemplatesDep,
    next: str | None = Query(None, max_length=2000, pattern=CLEAN),
) -> HTMLResponse:
    return templates.TemplateResponse(
        request, "login.html", {"next": _safe_next(next), "error": None, "email": ""}
    )


@router.post("/login", response_class=HTMLResponse)
@access(Access.public)
def login(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    templates: TemplatesDep,
    email: str = Form(max_length=320, pattern=CLEAN),
    password: str = Form(max_length=1000),
    next: str = Form("/", max_length=2000, pattern=CLEAN),
) -> Response:
    address = request.client.host if request.client else None
    try:
        _, key = auth.log_in(db, settings, email, password, address)
    except UserError as exc:
        return templates.TemplateResponse(
            request,
            "login.html",
            {"next": _safe_next(next), "error": str(exc), "email": email},
            status_code=exc.status_code,
        )
    response = RedirectResponse(_safe_next(next), status_code=303)
    session_cookie(response, settings, {"s": key})
    return response


@router.post("/logout")
@access(Access.public)
def logout(request: Request, db: DbDep, settings: SettingsDep, principal: PrincipalDep) -> Response:
    key = getattr(request.state, "session_key", None)
    if key and not principal.is_public:
        auth.log_out(db, principal, key)
    response = RedirectResponse("/", status_code=303)
    session_cookie(response, settings, new_anonymous_payload())
    return response


@router.get("/account", response_class=HTMLResponse)
@access(Access.authenticated)
def account(
    request: Request, db: DbDep, templates: TemplatesDep, principal: PrincipalDep
) -> HTMLResponse:
    with db.connect() as conn:
        me = users.get_user(conn, principal.user_id or 0)
    tokens = auth.list_tokens(db, principal)
    # The organisation's accounts: every account an administrator creates in it shows here,
    # and its contributors approve the pending ones (users.approve).
    members = users.members(db, principal) if principal.role in users.MEMBER_VIEWERS else []
    return templates.TemplateResponse(
        request,
        "account.html",
        {
            "me": me,
            "pending": principal.role is Role.pending,
            "members": members,
            "may_approve": principal.role in users.MEMBER_APPROVERS,
            "tokens": [t for t in tokens if t["user_id"] == principal.user_id],
        },
    )


@router.post("/account/members/{user_id}/approve")
@access(Access.contributor)
def account_member_approve(
    request: Request, user_id: IdPath, db: DbDep, principal: PrincipalDep
) -> Response:
    row = users.approve(db, principal, user_id)
    return flash.redirect(
        request,
        "/account#members",
        Flash(message=f"{row['email']} approved: it now reads your organisation's data."),
    )


# The account forms answer with a redirect to /account (POST/redirect/GET): reloading the
# page then repeats nothing.  What to say travels in a one-shot flash (web/flash.py).


@router.post("/account/tokens")
@access(Access.authenticated)
def account_token(
    request: Request,
    db: DbDep,
    principal: PrincipalDep,
    name: str = Form("token", max_length=100, pattern=CLEAN),
    days: int = Form(90, ge=1, le=auth.MAX_TOKEN_DAYS),
    write: bool = Form(False),
) -> Response:
    scopes = ("read", "write") if write else ("read",)
    try:
        token = auth.create_token(db, principal, days=days, scopes=scopes, name=name)
    except UserError as exc:
        return flash.redirect(request, "/account#tokens", Flash(error=str(exc)))
    expires = token["expires_at"].date()
    return flash.redirect(
        request,
        "/account#tokens",
        Flash(
            message=f"Token {token['name']!r} created; it expires on {expires}.",
            secret=token["token"],
            subject=token["name"],
        ),
    )


@router.post("/account/tokens/{token_id}/revoke")
@access(Access.authenticated)
def account_token_revoke(
    request: Request, token_id: IdPath, db: DbDep, principal: PrincipalDep
) -> Response:
    row = auth.revoke_token(db, principal, token_id)
    return flash.redirect(
        request, "/account#tokens", Flash(message=f"Token {row['name']!r} revoked.")
    )


@router.post("/account/password")
@access(Access.authenticated)
def account_password(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    current: str = Form(max_length=1000),
    new: str = Form(max_length=1000),
) -> Response:
    try:
        auth.change_own_password(db, settings, principal, current, new)
    except UserError as exc:
        # A redirect here too: reloading a refused form would count one more failure.
        return flash.redirect(request, "/account#password", Flash(error=str(exc)))
    # Every session of the user ended: log in again, in a new anonymous session.
    anonymous = new_anonymous_payload()
    response = flash.redirect(
        request,
        "/login?next=/account",
        Flash(message="Your password was changed; log in with the new one."),
        session_key=anonymous["a"],
    )
    session_cookie(response, settings, anonymous)
    return response


def _agreements_page(
    request: Request,
    db: DbDep,
    templates: TemplatesDep,
    principal: PrincipalDep,
    *,
    error: str | None = None,
    entered: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    return templates.TemplateResponse(
        request,
        "agreements.html",
        {
            "agreements": agreements.list_agreements(db, principal),
            "organisations": users.list_organisations(db),
            "error": error,
            "entered": entered or {},
            "can_grant": principal.role.value == "contributor",
        },
        status_code=status,
    )


@router.get("/agreements", response_class=HTMLResponse)
@access(Access.authenticated)
def agreements_page(
    request: Request, db: DbDep, templates: TemplatesDep, principal: PrincipalDep
) -> HTMLResponse:
    return _agreements_page(request, db, templates, principal)


@router.post("/agreements", response_class=HTMLResponse)
@access(Access.contributor)
def agreements_grant(
    request: Request,
    db: DbDep,
    templates: TemplatesDep,
    principal: PrincipalDep,
    grantee: str = Form(max_length=200, pattern=CLEAN),
    until: date = Form(),
    purpose: str = Form(max_length=2000, pattern=CLEAN_LINES),
) -> Response:
    try:
        row = agreements.grant(db, principal, grantee, until, purpose)
    except UserError as exc:
        # Refused, nothing changed: the form comes back as it was filled in, to correct.
        entered = {"grantee": grantee, "until": until.isoformat(), "purpose": purpose}
        return _agreements_page(
            request,
            db,
            templates,
            principal,
            error=str(exc),
            entered=entered,
            status=exc.status_code,
        )
    return flash.redirect(
        request,
        "/agreements",
        Flash(
            message=f"{row['grantee']} may read your organisation's case records through "
            f"{row['valid_until'].date()}."
        ),
    )


@router.post("/agreements/{agreement_id}/revoke")
@access(Access.contributor)
def agreements_revoke(
    request: Request, agreement_id: IdPath, db: DbDep, principal: PrincipalDep
) -> Response:
    row = agreements.revoke(db, principal, agreement_id)
    return flash.redirect(
        request,
        "/agreements",
        Flash(
            message=f"Agreement {agreement_id} revoked: {row['grantee']} no longer reads "
            "your organisation's case records under it."
        ),
    )
