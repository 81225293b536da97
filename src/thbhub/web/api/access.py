"""API: who am I, organisations, users, API tokens, sharing agreements, publication, audit."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from thbhub.access import agreements, audit, auth, publication, users
from thbhub.web.access import Access, access
from thbhub.web.deps import CLEAN, CLEAN_LINES, DbDep, IdPath, PrincipalDep

router = APIRouter(prefix="/api/v1", tags=["access"])

Row = dict[str, Any]
_NAME = Field(min_length=1, max_length=200, pattern=CLEAN)


class OrganisationIn(BaseModel):
    name: str = _NAME
    country: str | None = Field(None, pattern=r"^[A-Za-z]{2}$")
    kind: Literal["agency", "ngo", "secretariat", "partner"] = "agency"


class UserIn(BaseModel):
    email: str = Field(min_length=3, max_length=320, pattern=CLEAN)
    organisation: str = _NAME
    role: Literal["contributor", "analyst", "admin"]
    password: str | None = Field(None, min_length=10, max_length=200)


class TokenIn(BaseModel):
    name: str = Field("token", max_length=100, pattern=CLEAN)
    days: int = Field(90, ge=1, le=auth.MAX_TOKEN_DAYS)
    scopes: list[Literal["read", "write"]] = Field(default=["read"], min_length=1)


class AgreementIn(BaseModel):
    grantee: str = _NAME
    until: date
    purpose: str = Field(min_length=3, max_length=2000, pattern=CLEAN_LINES)
    object_type: Literal["case_records"] = "case_records"


class StateIn(BaseModel):
    state: Literal["draft", "submitted", "published", "withdrawn"]
    note: str | None = Field(None, max_length=2000, pattern=CLEAN_LINES)


def _public_user(row: Row) -> Row:
    return {k: v for k, v in row.items() if k != "password_hash"}


@router.get("/me", summary="Who is asking: role, organisation (public for anonymous callers)")
@access(Access.public)
def get_me(principal: PrincipalDep) -> Row:
    return {
        "role": principal.role.value,
        "email": principal.email,
        "organisation_id": principal.organisation_id,
        "authenticated": not principal.is_public,
    }


@router.get("/organisations", summary="Organisations with their country and kind")
@access(Access.authenticated)
def get_organisations(db: DbDep) -> list[Row]:
    return users.list_organisations(db)


@router.post("/organisations", summary="Add an organisation (admin)", status_code=201)
@access(Access.admin)
def post_organisation(body: OrganisationIn, db: DbDep, principal: PrincipalDep) -> Row:
    return users.add_organisation(db, principal, body.name, body.country, body.kind)


@router.get("/users", summary="Users, optionally of one organisation (admin)")
@access(Access.admin)
def get_users(
    db: DbDep, organisation: str | None = Query(None, min_length=1, max_length=200, pattern=CLEAN)
) -> list[Row]:
    return users.list_users(db, organisation)


@router.post("/users", summary="Add a user (admin)", status_code=201)
@access(Access.admin)
def post_user(body: UserIn, db: DbDep, principal: PrincipalDep) -> Row:
    row = users.add_user(db, principal, body.email, body.organisation, body.role, body.password)
    return _public_user(row)


@router.post("/users/{user_id}/disable", summary="Disable a user; revokes their tokens (admin)")
@access(Access.admin)
def post_user_disable(db: DbDep, principal: PrincipalDep, user_id: IdPath) -> Row:
    return users.set_disabled(db, principal, user_id, True)


@router.post("/users/{user_id}/enable", summary="Enable a disabled user (admin)")
@access(Access.admin)
def post_user_enable(db: DbDep, principal: PrincipalDep, user_id: IdPath) -> Row:
    return users.set_disabled(db, principal, user_id, False)


@router.get("/members", summary="The accounts of your organisation, pending ones included")
@access(Access.analyst)
def get_members(db: DbDep, principal: PrincipalDep) -> list[Row]:
    return [_public_user(row) for row in users.members(db, principal)]


@router.post(
    "/members/{user_id}/approve",
    summary="Approve a pending account of your organisation (contributor)",
)
@access(Access.contributor)
def post_member_approve(db: DbDep, principal: PrincipalDep, user_id: IdPath) -> Row:
    return _public_user(users.approve(db, principal, user_id))


@router.get("/tokens", summary="Your API tokens (admins: everyone's); never the secrets")
@access(Access.authenticated)
def get_tokens(db: DbDep, principal: PrincipalDep) -> list[Row]:
    return auth.list_tokens(db, principal)


@router.post("/tokens", summary="Create an API token for yourself; shown once", status_code=201)
@access(Access.authenticated)
def post_token(body: TokenIn, db: DbDep, principal: PrincipalDep) -> Row:
    return auth.create_token(
        db, principal, days=body.days, scopes=tuple(body.scopes), name=body.name
    )


@router.delete("/tokens/{token_id}", summary="Revoke one of your API tokens")
@access(Access.authenticated)
def delete_token(db: DbDep, principal: PrincipalDep, token_id: IdPath) -> Row:
    return auth.revoke_token(db, principal, token_id)


@router.get("/agreements", summary="Sharing agreements your organisation is party to")
@access(Access.authenticated)
def get_agreements(db: DbDep, principal: PrincipalDep) -> list[Row]:
    return agreements.list_agreements(db, principal)


@router.post(
    "/agreements", summary="Share your organisation's case records (contributor)", status_code=201
)
@access(Access.contributor)
def post_agreement(body: AgreementIn, db: DbDep, principal: PrincipalDep) -> Row:
    return agreements.grant(
        db, principal, body.grantee, body.until, body.purpose, object_type=body.object_type
    )


@router.post("/agreements/{agreement_id}/revoke", summary="Revoke a sharing agreement (owner)")
@access(Access.contributor)
def post_agreement_revoke(db: DbDep, principal: PrincipalDep, agreement_id: IdPath) -> Row:
    return agreements.revoke(db, principal, agreement_id)


@router.get("/publication/queue", summary="Submissions waiting for publication (admin)")
@access(Access.admin)
def get_publication_queue(db: DbDep, principal: PrincipalDep) -> list[Row]:
    return publication.queue(db, principal)


_TYPE = Path(min_length=1, max_length=60, pattern=r"^[a-z_]+$")
_ID = Path(min_length=1, max_length=200, pattern=CLEAN)


@router.get("/publication/{object_type}/{object_id}", summary="An object's state and its history")
@access(Access.public)
def get_publication(
    db: DbDep, principal: PrincipalDep, object_type: str = _TYPE, object_id: str = _ID
) -> Row:
    return publication.history(db, principal, object_type, object_id)


@router.post(
    "/publication/{object_type}/{object_id}",
    summary="Move an object to another state: submit, publish, withdraw, send back",
)
@access(Access.authenticated)
def post_publication(
    body: StateIn,
    db: DbDep,
    principal: PrincipalDep,
    object_type: str = _TYPE,
    object_id: str = _ID,
) -> Row:
    return publication.change_state(db, principal, object_type, object_id, body.state, body.note)


@router.get("/audit", summary="The audit log, newest first (admin)")
@access(Access.admin)
def get_audit(
    db: DbDep,
    principal: PrincipalDep,
    since: datetime | None = Query(None, description="ISO date or date-time, UTC"),
    until: datetime | None = Query(None),
    user: str | None = Query(
        None, max_length=320, pattern=CLEAN, description="e-mail of the actor"
    ),
    org: str | None = Query(
        None, max_length=200, pattern=CLEAN, description="organisation name or id"
    ),
    action: str | None = Query(None, max_length=40, pattern=CLEAN),
    object_type: str | None = Query(None, max_length=60, pattern=CLEAN),
    limit: int = Query(200, ge=1, le=10000),
    offset: int = Query(0, ge=0, le=10**9),
) -> list[Row]:
    return audit.entries(
        db,
        principal,
        since=since,
        until=until,
        email=user,
        organisation=org,
        action=action,
        object_type=object_type,
        limit=limit,
        offset=offset,
    )
