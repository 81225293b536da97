"""Organisations and users: creating, listing, disabling, passwords.

Every change is written to the audit log in the same transaction.  Callers pass the acting
:class:`Principal`; only admins (or the server operator at the CLI, who acts as an admin)
manage organisations and users.
"""

from __future__ import annotations

import getpass
import re
import secrets
from datetime import UTC, datetime
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from thbhub.access.audit import record
from thbhub.domain.errors import NotFoundError, PermissionDenied, UserError
from thbhub.domain.principals import Principal, Role
from thbhub.storage import Database
from thbhub.storage import access as q
from thbhub.storage.schema import MAX_ID

ORG_KINDS = ("agency", "ngo", "secretariat", "partner")
USER_ROLES = (Role.contributor.value, Role.analyst.value, Role.admin.value)
MIN_PASSWORD = 10
_EMAIL = re.compile(r"^[^@\s<>\"']{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")

# One hasher for the process: Argon2id with the library's recommended parameters.
_hasher = PasswordHasher()
# Verified against when the e-mail is unknown, so both cases take the same time.
_DUMMY_HASH = _hasher.hash("not a real password; equalises timing")


def operator(role: Role = Role.admin, organisation_id: int | None = None) -> Principal:
    """The server operator at the CLI: trusted shell access, logged as ``cli:<login>``."""
    return Principal(
        role=role, email=f"cli:{getpass.getuser()}", organisation_id=organisation_id, origin="cli"
    )


def require_admin(principal: Principal) -> None:
    if principal.role is not Role.admin:
        raise PermissionDenied("only the secretariat's administrators may do this")


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise UserError(f"a password needs at least {MIN_PASSWORD} characters")
    return _hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored or _DUMMY_HASH, password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def generate_password() -> str:
    return secrets.token_urlsafe(15)


def now() -> datetime:
    return datetime.now(UTC)


# --- organisations ---------------------------------------------------------------------------


def add_organisation(
    db: Database, principal: Principal, name: str, country: str | None, kind: str = "agency"
) -> dict[str, Any]:
    require_admin(principal)
    name = " ".join(name.split())
    if not 1 <= len(name) <= 200:
        raise UserError("an organisation name needs 1 to 200 characters")
    country = country.strip().upper() if country else None
    if country is not None and not _COUNTRY.match(country):
        raise UserError(f"country {country!r} is not an ISO 3166 alpha-2 code such as SE or LT")
    if kind not in ORG_KINDS:
        raise UserError(f"kind {kind!r} is not one of {', '.join(ORG_KINDS)}")
    with db.begin() as conn:
        if q.organisation_by(conn, name=name) is not None:
            raise UserError(f"an organisation named {name!r} already exists")
        values = {"name": name, "country": country, "kind": kind, "created_at": now()}
        org_id = q.insert_organisation(conn, values)
        record(
            conn,
            principal,
            "create",
            "organisation",
            object_id=str(org_id),
            organisation_id=org_id,
            rows=1,
            detail={"name": name, "kind": kind},
        )
    return {"id": org_id, **values}


def list_organisations(db: Database) -> list[dict[str, Any]]:
    with db.connect() as conn:
        return q.organisation_rows(conn)


def find_organisation(conn: Connection, name_or_id: str | int) -> dict[str, Any]:
    text = str(name_or_id)
    if isinstance(name_or_id, int) or (text.isascii() and text.isdigit()):
        number = int(name_or_id)
        row = q.organisation_by(conn, id=number) if number <= MAX_ID else None
    else:
        row = q.organisation_by(conn, name=" ".join(str(name_or_id).split()))
    if row is None:
        raise NotFoundError(f"no organisation {name_or_id!r}; see `thbhub orgs list`")
    return row


# --- users -----------------------------------------------------------------------------------


def effective_role(user: dict[str, Any]) -> Role:
    """The role a user acts with: their stored role once their organisation approved the
    account (admins need no approval: they read no case records), else :attr:`Role.pending`."""
    role = Role(user["role"])
    if role is not Role.admin and user.get("approved_at") is None:
        return Role.pending
    return role


def _approved_at_once(
    conn: Connection, principal: Principal, org_id: int, role: str, user_id: int | None = None
) -> str | None:
    """Why an account an admin creates (or whose password an admin sets) may act for its
    organisation without the organisation's approval, or ``None``: it waits for one of the
    organisation's own contributors to approve it.

    No single administrator action may give anyone the organisation's case records: an
    administrator who creates an account (or resets its password) knows its password.  The
    exceptions: admin accounts (they read no case records); the server operator at the
    shell, who holds the database anyway; and the first contributor of an organisation that
    has nobody to ask and nothing to read (no approved contributor, no data of its own, no
    sharing agreement granting it another's records)."""
    if role == Role.admin:
        return "admin"
    if principal.origin == "cli":
        return "operator"
    if (
        role == Role.contributor
        and q.approved_contributors(conn, org_id, exclude_user_id=user_id) == 0
        and not q.organisation_holds_data(conn, org_id, now())
    ):
        return "first contributor of an organisation without data"
    return None


def add_user(
    db: Database,
    principal: Principal,
    email: str,
    organisation: str | int,
    role: str,
    password: str | None,
) -> dict[str, Any]:
    """Create an account.  Unless :func:`_approved_at_once` says otherwise it is *pending*
    until a contributor of its organisation approves it (:func:`approve`); the organisation
    sees it at once among its members (:func:`members`), and the creation is audited under
    the organisation."""
    require_admin(principal)
    email = email.strip().lower()
    if not _EMAIL.match(email):
        raise UserError(f"{email!r} is not an e-mail address")
    if role not in USER_ROLES:
        raise UserError(f"role {role!r} is not one of {', '.join(USER_ROLES)}")
    password_hash = hash_password(password) if password is not None else None
    with db.begin() as conn:
        org = find_organisation(conn, organisation)
        if role == Role.admin and org["kind"] != "secretariat":
            raise UserError(
                "admins belong to the secretariat: pick an organisation of kind secretariat"
            )
        if q.user_by(conn, email=email) is not None:
            raise UserError(f"a user {email!r} already exists")
        at = now()
        approval = _approved_at_once(conn, principal, org["id"], role)
        values = {
            "email": email,
            "organisation_id": org["id"],
            "role": role,
            "password_hash": password_hash,
            "disabled": False,
            "failed_logins": 0,
            "created_at": at,
            "created_by": principal.email,
            "approved_at": at if approval else None,
            "approved_by": principal.email if approval else None,
        }
        try:
            user_id = q.insert_user(conn, values)
        except IntegrityError as exc:  # a concurrent insert of the same e-mail
            raise UserError(f"a user {email!r} already exists") from exc
        record(
            conn,
            principal,
            "create",
            "user",
            object_id=str(user_id),
            organisation_id=org["id"],
            rows=1,
            detail={"email": email, "role": role, "approved": approval or "pending"},
        )
        row = q.user_by(conn, id=user_id)
    assert row is not None
    return row


#: Who sees the accounts of their organisation, and who approves pending ones (besides the
#: server operator): one rule for the service and the pages that offer it.
MEMBER_VIEWERS = (Role.contributor, Role.analyst)
MEMBER_APPROVERS = (Role.contributor,)


def approve(db: Database, principal: Principal, email_or_id: str | int) -> dict[str, Any]:
    """A contributor of the account's own organisation (or the server operator) lets a
    pending account act for the organisation.  Administrators may not: the approval is the
    organisation's own action."""
    with db.begin() as conn:
        user = get_user(conn, email_or_id)
        operator_call = principal.origin == "cli" and principal.role is Role.admin
        if not operator_call and (
            principal.role not in MEMBER_APPROVERS
            or principal.organisation_id != user["organisation_id"]
        ):
            if principal.role is Role.admin:
                raise PermissionDenied(
                    "an account is approved by a contributor of its own organisation, "
                    "not by an administrator"
                )
            raise NotFoundError(f"no user {email_or_id!r} in your organisation")
        if user["approved_at"] is not None:
            raise UserError(f"{user['email']} is already approved")
        if user["disabled"]:
            raise UserError(f"{user['email']} is disabled")
        q.approve_user(conn, user["id"], now(), principal.email)
        record(
            conn,
            principal,
            "approve",
            "user",
            object_id=str(user["id"]),
            organisation_id=user["organisation_id"],
            rows=1,
            detail={"email": user["email"], "role": user["role"]},
        )
        return get_user(conn, user["id"])


def members(db: Database, principal: Principal) -> list[dict[str, Any]]:
    """The accounts of the caller's organisation, each with who created it and whether it
    is ``pending``: how an organisation learns of every account made in it."""
    if principal.role not in MEMBER_VIEWERS or principal.organisation_id is None:
        raise PermissionDenied("only an organisation's approved members see its accounts")
    with db.connect() as conn:
        rows = q.user_rows(conn, principal.organisation_id)
    for row in rows:
        row["pending"] = effective_role(row) is Role.pending
    return rows


def list_users(db: Database, organisation: str | int | None = None) -> list[dict[str, Any]]:
    """Users, each with ``locked``: locked out now after too many failed log-ins (the log-in
    form does not say so, so that it reveals no accounts; administrators see it here), and
    ``pending``: not yet approved by its organisation."""
    with db.connect() as conn:
        org_id = find_organisation(conn, organisation)["id"] if organisation else None
        rows = q.user_rows(conn, org_id)
    at = now()
    for row in rows:
        row["locked"] = row["locked_until"] is not None and row["locked_until"] > at
        row["pending"] = effective_role(row) is Role.pending
    return rows


def get_user(conn: Connection, email_or_id: str | int) -> dict[str, Any]:
    if isinstance(email_or_id, int):
        row = q.user_by(conn, id=email_or_id)
    else:
        row = q.user_by(conn, email=email_or_id)
    if row is None:
        raise NotFoundError(f"no user {email_or_id!r}; see `thbhub users list`")
    return row


def set_disabled(
    db: Database, principal: Principal, email_or_id: str | int, disabled: bool = True
) -> dict[str, Any]:
    """Disable (or re-enable) a user; disabling also ends their sessions and revokes tokens."""
    require_admin(principal)
    with db.begin() as conn:
        user = get_user(conn, email_or_id)
        if disabled and user["id"] == principal.user_id:
            raise UserError("you cannot disable your own account")
        at = now()
        q.update_user(conn, user["id"], {"disabled": disabled})
        revoked = 0
        if disabled:
            q.end_sessions(conn, at, user_id=user["id"])
            revoked = q.revoke_tokens(conn, at, user_id=user["id"])
        record(
            conn,
            principal,
            "disable" if disabled else "enable",
            "user",
            object_id=str(user["id"]),
            organisation_id=user["organisation_id"],
            rows=1,
            detail={"email": user["email"], "tokens_revoked": revoked},
        )
        row = get_user(conn, user["id"])
    return row


def set_password(
    db: Database, principal: Principal, email_or_id: str | int, password: str
) -> dict[str, Any]:
    """Set a user's password (an admin for anyone, a user for themselves); clears lock-out
    and ends the user's sessions.  Set by someone else (an admin or the operator), it also
    revokes the user's API tokens, and an admin (not the operator) who now knows the
    password takes the account back to pending unless :func:`_approved_at_once` allows it:
    its organisation approves it again."""
    with db.begin() as conn:
        user = get_user(conn, email_or_id)
        if principal.role is not Role.admin and principal.user_id != user["id"]:
            raise PermissionDenied("you may change only your own password")
        at = now()
        q.update_user(
            conn,
            user["id"],
            {"password_hash": hash_password(password), "failed_logins": 0, "locked_until": None},
        )
        q.end_sessions(conn, at, user_id=user["id"])
        detail: dict[str, Any] = {"email": user["email"]}
        if principal.user_id != user["id"]:
            detail["tokens_revoked"] = q.revoke_tokens(conn, at, user_id=user["id"])
            if user["approved_at"] is not None and not _approved_at_once(
                conn, principal, user["organisation_id"], user["role"], user["id"]
            ):
                q.approve_user(conn, user["id"], None, None)
                detail["approval"] = "pending again"
        record(
            conn,
            principal,
            "set_password",
            "user",
            object_id=str(user["id"]),
            organisation_id=user["organisation_id"],
            rows=1,
            detail=detail,
        )
        return get_user(conn, user["id"])


def reset_password(
    db: Database, principal: Principal, email_or_id: str | int
) -> tuple[dict[str, Any], str]:
    """An administrator (or the operator) gives a user a new random password: returns the
    user and the password, to be shown once and never stored in clear.  Like
    :func:`set_password`, this lifts a lock-out, ends the user's sessions and revokes their
    API tokens (and may take the account back to pending)."""
    require_admin(principal)
    password = generate_password()
    return set_password(db, principal, email_or_id, password), password


def ensure_admin(
    db: Database,
    email: str = "admin@thbhub.local",
    organisation: str = "CBSS Secretariat",
    password: str | None = None,
) -> dict[str, Any]:
    """Create the first admin (and the secretariat organisation) unless an admin exists.

    Idempotent.  Returns ``created`` and, only when it was generated here, the ``password``
    (shown once; never stored in clear).
    """
    who = operator()
    with db.connect() as conn:
        existing = q.count_admins(conn)
        org = q.organisation_by(conn, name=organisation)
    if existing:
        with db.connect() as conn:
            admins = [u for u in q.user_rows(conn) if u["role"] == "admin" and not u["disabled"]]
        return {"created": False, "email": admins[0]["email"], "password": None}
    if org is None:
        add_organisation(db, who, organisation, "SE", "secretariat")
    generated = password is None
    password = password or generate_password()
    user = add_user(db, who, email, organisation, "admin", password)
    return {"created": True, "email": user["email"], "password": password if generated else None}


def ensure_user(
    db: Database, email: str, organisation: str | int, role: str, password: str | None = None
) -> dict[str, Any]:
    """Create ``email`` as ``role`` of ``organisation`` unless that user exists (idempotent:
    an existing user is left as it is).  Returns ``created``, the user's ``email``,
    ``role`` and ``organisation`` and, only when it was generated here, the ``password``
    (shown once; never stored in clear)."""
    with db.connect() as conn:
        user = q.user_by(conn, email=email)
    created = user is None
    generated = created and password is None
    if user is None:
        password = password or generate_password()
        user = add_user(db, operator(), email, organisation, role, password)
    return {
        "created": created,
        "email": user["email"],
        "role": user["role"],
        "organisation": user["organisation"],
        "password": password if generated else None,
    }
